"""One `ccx serve` session, until it ends or its channel closes: an exec request or a
script-mode shell in a child process, a terminal in the server's own process (`inline`) or,
with --process-per-session, in a child process on a pseudo-terminal. A session that ends, or
whose client has gone, leaves no process or thread behind."""

from __future__ import annotations

import asyncio
import fcntl
import os
import shlex
import signal
import struct
import termios
import threading
from typing import Any

import asyncssh

from ccxcli.cli.ssh.inline import ChannelTerminal
from ccxcli.cli.ssh.lab import REFUSED_OPTIONS, SESSION_THREAD, ServedLab
from ccxcli.cli.start import served_shell
from ccxcli.errors import UsageError
from ccxcli.runtime import Env


async def handle(process: asyncssh.SSHServerProcess[bytes], lab: ServedLab) -> None:
    """One session, until it ends or its channel closes (the client closed it, was killed, or
    stopped answering keepalives): then the session is cancelled, which hangs up its child."""
    user = process.get_extra_info("username") or ""
    node = lab.node_of(user)
    session = asyncio.ensure_future(_session(process, lab, user, node))
    gone = asyncio.ensure_future(process.wait_closed())
    try:
        await asyncio.wait({session, gone}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        gone.cancel()
        if not session.done():
            session.cancel()
        await asyncio.gather(session, return_exceptions=True)
        if not process.is_closing():
            process.close()


async def _session(process: asyncssh.SSHServerProcess[bytes], lab: ServedLab, user: str, node: str) -> None:
    try:
        if process.command is not None:
            await _exec(process, lab, user, node)
        elif process.get_terminal_type() is not None and not lab.settings.process_per_session:
            await _inline(process, lab, user, node)
        elif process.get_terminal_type() is not None:
            await _terminal(process, lab, user, node)
        else:
            await _exec(process, lab, user, node, ["shell"])  # no terminal: script mode
    except (asyncssh.BreakReceived, asyncssh.SignalReceived, BrokenPipeError, ConnectionError):
        pass


def _words(command: str) -> list[str]:
    if any(ord(c) < 32 and c not in "\t" or ord(c) == 127 for c in command):
        raise UsageError("The command contains a control character (a NUL byte, a newline...); send one command line.")
    try:
        words = shlex.split(command)
    except ValueError as e:
        raise UsageError(f"Cannot read the command: {e}.") from None
    for w in words:
        if w.split("=", 1)[0] in REFUSED_OPTIONS:
            raise UsageError(f"{w.split('=', 1)[0]} is not allowed over SSH: the user name chooses the node.")
        if w in ("serve", "completion", "ssh-user") and words and words[0] == w:
            raise UsageError(f"'ccx {w}' is not available over SSH.")
    return words


async def _exec(
    process: asyncssh.SSHServerProcess[bytes], lab: ServedLab, user: str, node: str, words: list[str] | None = None
) -> None:
    if words is None:
        try:
            words = _words(process.command or "")
        except UsageError as e:
            process.stderr.write(e.message.encode() + b"\n")
            process.exit(2)
            return
    child = await asyncio.create_subprocess_exec(
        *lab.argv(node, words),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=lab.env(user, None),
        cwd=str(lab.upload),
        start_new_session=True,
    )
    lab.children.add(child)
    assert child.stdin is not None and child.stdout is not None and child.stderr is not None

    async def feed() -> None:
        assert child.stdin is not None
        try:
            while True:
                data = await process.stdin.read(65536)
                if not data:
                    break
                child.stdin.write(data)
                await child.stdin.drain()
        except (asyncssh.TerminalSizeChanged, asyncssh.BreakReceived, asyncssh.SignalReceived):
            pass
        except (BrokenPipeError, ConnectionError):
            return
        try:
            child.stdin.close()
        except (BrokenPipeError, ConnectionError):
            pass

    async def pump(source: asyncio.StreamReader, target: Any) -> None:
        while data := await source.read(65536):
            target.write(data)

    feeder = asyncio.ensure_future(feed())
    try:
        await asyncio.gather(pump(child.stdout, process.stdout), pump(child.stderr, process.stderr))
        code = await child.wait()
    finally:
        feeder.cancel()
        await hang_up(child, lab)
    await process.stdout.drain()
    process.exit(code if code >= 0 else 128 - code)


async def _terminal(process: asyncssh.SSHServerProcess[bytes], lab: ServedLab, user: str, node: str) -> None:
    master, slave = os.openpty()
    attrs = termios.tcgetattr(slave)
    attrs[3] &= ~(termios.ECHO | termios.ECHONL)  # from the start: nothing typed early is echoed twice
    termios.tcsetattr(slave, termios.TCSANOW, attrs)
    width, height, _, _ = process.get_terminal_size()
    _set_size(master, width or 80, height or 24)
    try:
        child = await asyncio.create_subprocess_exec(
            *lab.argv(node, ["shell"]),
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=lab.env(user, process.get_terminal_type()),
            cwd=str(lab.upload),
            start_new_session=True,  # the terminal becomes the child's controlling terminal
        )
    finally:
        os.close(slave)
    lab.children.add(child)
    loop = asyncio.get_running_loop()
    output_done = asyncio.Event()

    def readable() -> None:
        try:
            data = os.read(master, 65536)
        except OSError:
            data = b""
        if data:
            try:
                process.stdout.write(data)
                return
            except (BrokenPipeError, ConnectionError):
                pass  # the channel has closed: the client has gone; stop reading
        loop.remove_reader(master)
        output_done.set()

    loop.add_reader(master, readable)

    async def feed() -> None:
        while True:
            try:
                data = await process.stdin.read(65536)
            except asyncssh.TerminalSizeChanged as change:
                _set_size(master, change.width, change.height)
                continue
            if not data:
                return
            try:
                os.write(master, data)
            except OSError:
                return

    feeder = asyncio.ensure_future(feed())
    waiter = asyncio.ensure_future(child.wait())
    try:
        done, _ = await asyncio.wait({feeder, waiter}, return_when=asyncio.FIRST_COMPLETED)
        if waiter in done:
            await asyncio.wait_for(output_done.wait(), 5)
    except asyncio.TimeoutError:
        pass
    finally:
        feeder.cancel()
        await hang_up(child, lab)
        loop.remove_reader(master)
        os.close(master)
    await process.stdout.drain()
    code = child.returncode or 0
    process.exit(code if code >= 0 else 128 - code)


async def _inline(process: asyncssh.SSHServerProcess[bytes], lab: ServedLab, user: str, node: str) -> None:
    """A terminal session's shell in this process: its own thread, on a terminal made of the
    channel. When the channel goes (or the session is cancelled), the terminal is hung up
    on: the thread ends at its next read, or when the command it runs is done."""
    loop = asyncio.get_running_loop()
    width, height, _, _ = process.get_terminal_size()
    kind = process.get_terminal_type()
    term = ChannelTerminal(loop, process.stdout.write, kind, (height or 24, width or 80))
    env = Env(term.inp, term.stream, term.stream, lab.env(user, kind, in_process=True))
    ended: asyncio.Future[int] = loop.create_future()

    def finish(code: int) -> None:
        if not ended.done():
            ended.set_result(code)

    def body() -> None:
        _name_thread(SESSION_THREAD)
        code = 70
        try:
            code = served_shell(env, node, term)
        except BaseException as e:  # noqa: BLE001 - the session's last line of defence: one line, never the server
            term.stream.write(f"Internal error: {type(e).__name__}. The session ends.\n")
        finally:
            try:
                loop.call_soon_threadsafe(finish, code)
            except RuntimeError:
                pass  # the server's loop is gone

    thread = threading.Thread(target=body, name=f"{SESSION_THREAD}-{node}", daemon=True)
    lab.terminals.add(term)

    async def feed() -> None:
        while True:
            try:
                data = await process.stdin.read(65536)
            except asyncssh.TerminalSizeChanged as change:
                term.resize(change.width, change.height)
                continue
            if not data:
                return
            term.feed(data)

    feeder = asyncio.ensure_future(feed())
    thread.start()
    try:
        await asyncio.wait((feeder, ended), return_when=asyncio.FIRST_COMPLETED)
        if not ended.done():  # end of input: the shell sees it as Ctrl-D
            term.hang_up()
        code = await ended
    finally:
        feeder.cancel()
        term.hang_up()
        lab.terminals.discard(term)
        if not ended.done():  # cancelled: the client has gone; wait for the thread to end
            await asyncio.shield(ended)
    await process.stdout.drain()
    process.exit(code)


def _name_thread(name: str) -> None:
    """The thread's name as the system shows it (`ps -L`, `top -H`, /proc/PID/task/*/comm),
    so the sessions a server holds can be counted from outside; Linux only."""
    try:
        import ctypes

        libc = ctypes.CDLL(None)
        libc.prctl(15, name.encode()[:15], 0, 0, 0)  # PR_SET_NAME
    except (OSError, AttributeError):
        pass


def _set_size(fd: int, width: int, height: int) -> None:
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", height, width, 0, 0))


async def hang_up(child: asyncio.subprocess.Process, lab: ServedLab) -> None:
    """No process is left behind: SIGHUP to the child's group, then SIGKILL."""
    lab.children.discard(child)
    if child.returncode is not None:
        return
    for sig, wait in ((signal.SIGHUP, 2.0), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(child.pid, sig)
        except ProcessLookupError:
            return
        try:
            await asyncio.wait_for(child.wait(), wait)
            return
        except asyncio.TimeoutError:
            continue
