"""`ccx serve`: every node of a lab over SSH (asyncssh), for ssh, paramiko, netmiko,
scrapli, Unicon and Ansible. Imported only by `ccx serve`.

- The user name chooses the node: `admin` → the default node, `admin@NODE` or `NODE` →
  that node; an unknown node is refused at login, with the list of nodes in the banner.
- A session with a terminal runs the same `admin:` shell as locally, inside this process
  (`ccxcli.cli.inline`: a thread and a terminal made of the channel per session, so 500
  sessions fit one machine); with `--process-per-session`, in a child process on a
  pseudo-terminal of its own that starts with echo off. Either way nothing a client types
  early is echoed twice, bytes that arrive early wait in order, and window changes are
  passed on (the pager reads the height at each page).
- An exec request (`ssh admin@host 'show license status'`) is the one-shot command; its
  stdout, stderr and exit status are passed through; the exit status is sent only after
  all output. A session without a terminal runs script mode.
- Commands take the lab lock one at a time, never while a session waits for input.
- Files a command reads (`install-file`, `@FILE`, `sim ssm trust`, `run FILE`) must be in
  the lab's upload folder, which SFTP serves; `sftp://HOST:PORT/PATH` URLs of this server
  name files there.
- When a client goes away — a clean close, a killed client, or one that stops answering
  the server's keepalives — its session's child is hung up on (SIGHUP, then SIGKILL), for
  every kind of session: a command cut short leaves the lab as it was or fully done (see the
  README's Guarantees).
- Bounded: a connection must authenticate within the login grace time, and only so many
  may be waiting to; the upload folder has a quota (`ccxcli.cli.sftpd`).
- The user name is also the boundary: commands that change the lab as a whole or another
  node are refused unless the server names the user a lab operator (`--operator USER`).
"""

from __future__ import annotations

import asyncio
import fcntl
import hmac
import json
import os
import shlex
import signal
import socket
import struct
import sys
import termios
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import asyncssh

from ccxcli.cli import sshusers
from ccxcli.cli.inline import ChannelTerminal
from ccxcli.cli.sftpd import DEFAULT_QUOTA, Sftp, UploadFolder
from ccxcli.cli.start import served_shell
from ccxcli.errors import CcxError, UsageError
from ccxcli.runtime import Env, Tunables, in_force
from ccxcli.session.context import open_lab
from ccxcli.store.files import create_private, private_dir, write_atomic
from ccxcli.store.lab import DEFAULT_NODE, valid_name
from ccxcli.uploads import SERVE_FILE, UPLOAD
from ccxcli.values import parse_listen

DEFAULT_PASSWORD = "admin"
HOST_KEY = "ssh_host_ed25519_key"
REFUSED_OPTIONS = ("--home", "--node")
# OpenSSH's LoginGraceTime, MaxStartups and ClientAlive* are the models; a lab's defaults are
# shorter than OpenSSH's: a lab session has nothing worth keeping once its client is gone.
LOGIN_GRACE = 30.0
MAX_STARTUPS = 100
ALIVE_INTERVAL = 5.0
ALIVE_COUNT = 3
# The test seam (`ccxcli.faults`) given to `ccx serve` is meant for its sessions: the server
# runs without it and passes it on to them alone.
SEAM = ("CCX_TEST_KILL_AT", "CCX_TEST_PAUSE_AT")
# What a session's environment never takes from the server's: where and who it is (the server
# sets these), and what describes a terminal (the client's own: TERM, size, colour).
NOT_PASSED = (
    "CCX_HOME", "CCX_NODE", "CCX_SSM_HOME", "CCX_FILE_ROOT", "CCX_SSH_USER", "CCX_SSH_OPERATOR",
    "TERM", "COLORTERM", "NO_COLOR", "FORCE_COLOR", "CLICOLOR", "CLICOLOR_FORCE", "COLUMNS", "LINES",
)  # fmt: skip
SESSION_THREAD = "ccx-session"  # the system's name of an in-process session's thread


class Settings:
    """How `ccx serve` serves: credentials, who is a lab operator, and its bounds."""

    def __init__(self, password: str | None = DEFAULT_PASSWORD, authorized: Any = None,
                 operators: tuple[str, ...] = (), upload_quota: int = DEFAULT_QUOTA,
                 login_grace: float = LOGIN_GRACE, max_startups: int = MAX_STARTUPS,
                 alive_interval: float = ALIVE_INTERVAL, alive_count: int = ALIVE_COUNT,
                 process_per_session: bool = False, users: Path | None = None) -> None:  # fmt: skip
        self.password, self.authorized, self.operators = password, authorized, operators
        # The SSH users file (`ccxcli.cli.sshusers`): with it, each user logs in with its own
        # credentials and reaches its own nodes; no shared password. Read at each login, so a
        # user added or removed counts at once.
        self.users = users
        self.process_per_session = process_per_session
        self.upload_quota, self.login_grace, self.max_startups = upload_quota, login_grace, max_startups
        self.alive_interval, self.alive_count = alive_interval, alive_count


def host_key(home: Path) -> asyncssh.SSHKey:
    """The lab's Ed25519 host key: made once (0600), reused, so known_hosts stays valid."""
    path = home / HOST_KEY
    if not path.exists():
        key = asyncssh.generate_private_key("ssh-ed25519")
        create_private(path, key.export_private_key())
    return asyncssh.read_private_key(str(path))


def node_for(user: str, nodes: list[str]) -> str | None:
    """The node a user name chooses: admin → the default node, admin@NODE or NODE → NODE."""
    name = user.split("@", 1)[1] if user.startswith("admin@") else ("" if user == "admin" else user)
    name = name or (DEFAULT_NODE if DEFAULT_NODE in nodes else (nodes[0] if nodes else DEFAULT_NODE))
    return name if valid_name(name) and name in nodes else None


class Server(asyncssh.SSHServer):
    def __init__(self, lab: ServedLab) -> None:
        self.lab = lab
        self.conn: asyncssh.SSHServerConnection | None = None
        self.waiting = False  # connected, not yet authenticated

    def connection_made(self, conn: asyncssh.SSHServerConnection) -> None:
        self.conn = conn
        self.lab.connections.add(conn)
        if self.lab.waiting >= self.lab.settings.max_startups:
            conn.close()  # too many waiting to log in: drop the newest, as OpenSSH's MaxStartups does
            return
        self.waiting = True
        self.lab.waiting += 1

    def auth_completed(self) -> None:
        self._done_waiting()

    def connection_lost(self, exc: Exception | None) -> None:
        self._done_waiting()
        if self.conn is not None:
            self.lab.connections.discard(self.conn)

    def _done_waiting(self) -> None:
        if self.waiting:
            self.waiting = False
            self.lab.waiting -= 1

    def begin_auth(self, username: str) -> bool:
        nodes = self.lab.nodes()
        if self.conn is None:
            return True
        if self.lab.settings.users is not None:  # each user's own keys; nothing said of who exists
            user = self.lab.ssh_user(username)
            if user is not None and user["keys"]:
                self.conn.set_authorized_keys(asyncssh.import_authorized_keys("\n".join(user["keys"])))
            return True
        if node_for(username, nodes) is None:
            self.conn.send_auth_banner(
                f"No node for user '{username[:40]}' in this lab. Log in as admin (node {DEFAULT_NODE}), "
                f"admin@NODE or NODE; nodes: {', '.join(nodes) or 'none'}.\r\n"
            )
        elif self.lab.settings.authorized is not None:
            self.conn.set_authorized_keys(self.lab.settings.authorized)  # keys are checked by asyncssh
        return True

    def password_auth_supported(self) -> bool:
        return self.lab.settings.password is not None or self.lab.settings.users is not None

    def validate_password(self, username: str, password: str) -> bool:
        if self.lab.settings.users is not None:
            user = self.lab.ssh_user(username)
            return user is not None and sshusers.password_ok(user, password)
        secret = self.lab.settings.password
        ok = secret is not None and hmac.compare_digest(password.encode(), secret.encode())
        return ok and node_for(username, self.lab.nodes()) is not None


class ServedLab:
    """What the server knows of the lab it serves."""

    def __init__(self, home: Path, settings: Settings, environ: Mapping[str, str]) -> None:
        self.home = home
        self.upload = home / UPLOAD
        self.settings = settings
        self.environ = dict(environ)  # the server's Env: its tunables (CCX_LOCK_TIMEOUT...) go to every session
        self.children: set[asyncio.subprocess.Process] = set()
        self.terminals: set[ChannelTerminal] = set()  # in-process sessions
        self.connections: set[asyncssh.SSHServerConnection] = set()  # open, logged in or not
        self.waiting = 0  # connections not yet authenticated

    def own_tunables(self) -> Tunables:
        """The server's own tunables: its Env's, less the test seam (meant for its sessions)."""
        return Tunables.of({k: v for k, v in self.environ.items() if k not in SEAM})

    def ssh_user(self, login: str) -> sshusers.SshUser | None:
        """The user of the users file a login names (`USER` or `USER@NODE`), if it may reach a
        node of the lab that way; None otherwise (or when the file cannot be read)."""
        assert self.settings.users is not None
        name, asked = sshusers.split(login)
        try:
            user = sshusers.load(self.settings.users).get(name)
        except CcxError:
            return None
        if user is None or sshusers.node_for(user, asked, self.nodes(), DEFAULT_NODE) is None:
            return None
        return user

    def node_of(self, login: str) -> str:
        """The node a logged-in user's session runs on."""
        if self.settings.users is None:
            return node_for(login, self.nodes()) or DEFAULT_NODE
        user = self.ssh_user(login)
        asked = sshusers.split(login)[1]
        found = sshusers.node_for(user, asked, self.nodes(), DEFAULT_NODE) if user is not None else None
        return found or DEFAULT_NODE

    def operator(self, login: str) -> bool:
        if self.settings.users is None:
            return login in self.settings.operators
        user = self.ssh_user(login)
        return user is not None and user["operator"]

    def nodes(self) -> list[str]:
        folder = self.home / "nodes"
        try:
            return sorted(p.name for p in folder.iterdir() if valid_name(p.name) and (p / "state.json").exists())
        except OSError:
            return []

    def env(self, user: str, term: str | None, in_process: bool = False) -> dict[str, str]:
        """A session's environment: the server's Env (its tunables, and for a child process the
        test seam: in the server's own process it would stop every session), less what describes a
        terminal or a session (`NOT_PASSED`) and prompt_toolkit's settings, plus where the lab and
        the upload folder are, the SSH user, whether it is a lab operator, and the client's
        terminal type."""
        dropped = NOT_PASSED + (SEAM if in_process else ())
        env = {k: v for k, v in self.environ.items() if k not in dropped and not k.startswith("PROMPT_TOOLKIT")}
        env.update(CCX_HOME=str(self.home), CCX_FILE_ROOT=str(self.upload), CCX_SSH_USER=user)
        if self.operator(user):
            env["CCX_SSH_OPERATOR"] = "1"
        if term:
            env["TERM"] = term
        return env

    def argv(self, node: str, words: list[str]) -> list[str]:
        return [sys.executable, "-m", "ccxcli", "--node", node, *words]


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


async def _exec(process: asyncssh.SSHServerProcess[bytes], lab: ServedLab, user: str, node: str,
                words: list[str] | None = None) -> None:  # fmt: skip
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
        await _hang_up(child, lab)
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
        await _hang_up(child, lab)
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


async def _hang_up(child: asyncio.subprocess.Process, lab: ServedLab) -> None:
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


def serve(home: Path, listen: str, allow_remote: bool, settings: Settings, out: Any, environ: Mapping[str, str],
          stop_after: float = 0, workers: int = 1) -> None:  # fmt: skip
    """Serve until SIGINT or SIGTERM (or `stop_after` seconds): in this process, or with
    `workers` > 1 in that many worker processes that share the listening socket (each holds
    the sessions it accepted; the kernel spreads new connections), so sessions use every core.
    `environ` is the server's Env: its sessions' environments are made from it."""
    lab = ServedLab(home, settings, environ)
    with in_force(lab.own_tunables()):
        _serve(lab, listen, allow_remote, out, stop_after, workers)


def _serve(lab: ServedLab, listen: str, allow_remote: bool, out: Any, stop_after: float, workers: int) -> None:
    home, settings = lab.home, lab.settings
    host, port = parse_listen(listen, allow_remote)
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)  # a client gone away is an error to handle, not a reason to die
    # The event loop (every session's I/O and prompts) waits for the interpreter's lock at each
    # system call while sessions' commands run in their threads: switch more often than every 5 ms.
    sys.setswitchinterval(0.0005)
    with open_lab(home):  # the embedded default: the lab exists before anyone logs in
        pass
    private_dir(lab.upload)
    key = host_key(home)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.create_server((host, port), family=family, backlog=max(128, settings.max_startups))
    name = sock.getsockname()
    bound = f"{name[0]}:{name[1]}" if ":" not in name[0] else f"[{name[0]}]:{name[1]}"

    def ready() -> None:
        write_atomic(home / SERVE_FILE, json.dumps({"host": name[0], "port": name[1], "pid": os.getpid()}).encode())
        many = f"; {workers} worker processes" if workers > 1 else ""
        out.write(f"Serving lab {home} over SSH on {bound} (users: admin, admin@NODE, NODE){many}\n")
        out.write(f"Host key fingerprint: {key.get_fingerprint()}\n")
        out.flush()

    try:
        if workers > 1:
            _serve_in_workers(sock, lab, key, workers, stop_after, ready)
        else:
            asyncio.run(_serve_here(sock, lab, key, stop_after, ready))
    finally:
        sock.close()
        try:
            (home / SERVE_FILE).unlink()
        except OSError:
            pass
        out.write("Stopped.\n")
        out.flush()


async def _serve_here(sock: socket.socket, lab: ServedLab, key: asyncssh.SSHKey, stop_after: float,
                      ready: Callable[[], None] | None) -> None:  # fmt: skip
    """The SSH server on `sock` in this process, until SIGINT or SIGTERM (or `stop_after`)."""
    settings = lab.settings
    folder = UploadFolder(lab.upload, settings.upload_quota)
    server = await asyncssh.create_server(
        lambda: Server(lab),
        sock=sock,
        server_host_keys=[key],
        process_factory=lambda p: handle(p, lab),
        encoding=None,
        sftp_factory=lambda chan: Sftp(chan, folder),
        allow_scp=False,
        line_editor=False,
        login_timeout=settings.login_grace,
        keepalive_interval=settings.alive_interval,
        keepalive_count_max=settings.alive_count,
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):  # before saying it is ready: a stop request is never lost
        loop.add_signal_handler(sig, stop.set)
    if stop_after > 0:
        loop.call_later(stop_after, stop.set)
    if ready is not None:
        ready()
    try:
        await stop.wait()
    finally:
        server.close()
        for child in list(lab.children):
            await _hang_up(child, lab)
        for term in list(lab.terminals):
            term.hang_up()
        await _close_connections(lab)
        await server.wait_closed()


async def _close_connections(lab: ServedLab, grace: float = 5.0) -> None:
    """Every connection still open is closed (asyncssh leaves them open when its listener
    closes) and waited for, so that nothing of a session outlives the event loop."""
    waits = {asyncio.ensure_future(conn.wait_closed()): conn for conn in lab.connections}
    for conn in waits.values():
        conn.close()
    if waits:
        _, late = await asyncio.wait(waits, timeout=grace)
        for wait in late:
            waits[wait].abort()
            wait.cancel()


STOPS = (signal.SIGINT, signal.SIGTERM)


def _serve_in_workers(sock: socket.socket, lab: ServedLab, key: asyncssh.SSHKey, workers: int, stop_after: float,
                      ready: Callable[[], None]) -> None:  # fmt: skip
    """Worker processes on one listening socket; one that dies is replaced. A stop request
    (SIGINT, SIGTERM) or `stop_after` stops them all, each hanging up its own sessions."""
    watched = {*STOPS, signal.SIGCHLD}
    signal.pthread_sigmask(signal.SIG_BLOCK, watched)  # from now on no stop request or death is missed

    def start() -> int:
        pid = os.fork()
        if pid == 0:  # the worker
            code = 0
            try:
                signal.pthread_sigmask(signal.SIG_UNBLOCK, watched)
                asyncio.run(_serve_here(sock, lab, key, 0, None))
            except BaseException:  # noqa: BLE001 - a worker never returns into the parent's code
                code = 70
            finally:
                os._exit(code)
        return pid

    pids = {start() for _ in range(workers)}
    ready()
    deadline = time.monotonic() + stop_after if stop_after > 0 else None
    try:
        while True:
            wait = 3600.0 if deadline is None else deadline - time.monotonic()
            if wait <= 0:
                break
            info = signal.sigtimedwait(watched, wait)
            if info is None:
                continue
            if info.si_signo in STOPS:
                break
            for pid in list(pids):
                done, _ = os.waitpid(pid, os.WNOHANG)
                if done:
                    pids.discard(pid)
                    pids.add(start())
    finally:
        for pid in pids:
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        end = time.monotonic() + 15
        for pid in pids:
            _reap(pid, end)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, watched)


def _reap(pid: int, deadline: float) -> None:
    """Wait for a worker to end by `deadline` (it hangs up its sessions first), else kill it."""
    try:
        while time.monotonic() < deadline:
            if os.waitpid(pid, os.WNOHANG)[0]:
                return
            time.sleep(0.05)
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    except (ProcessLookupError, ChildProcessError):
        pass
