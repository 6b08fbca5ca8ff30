"""`ccx serve`: every node of a lab over SSH (asyncssh), for ssh, paramiko, netmiko,
scrapli, Unicon and Ansible. Imported only by `ccx serve`.

- The user name chooses the node: `admin` → the default node, `admin@NODE` or `NODE` →
  that node; an unknown node is refused at login, with the list of nodes in the banner.
- A session with a terminal runs the same `admin:` shell as locally, inside this process
  (`ccxcli.cli.ssh.inline`: a thread and a terminal made of the channel per session, so 500
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
  docs/explanation/guarantees.md).
- Bounded: a connection must authenticate within the login grace time, and only so many
  may be waiting to; the upload folder has a quota (`ccxcli.cli.ssh.sftpd`).
- The user name is also the boundary: commands that change the lab as a whole or another
  node are refused unless the server names the user a lab operator (`--operator USER`).
"""

from __future__ import annotations

import asyncio
import hmac
import json
import os
import signal
import socket
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import asyncssh

from ccxcli.cli import sshusers
from ccxcli.cli.ssh.lab import ServedLab, Settings, host_key, node_for
from ccxcli.cli.ssh.sessions import handle, hang_up
from ccxcli.cli.ssh.sftpd import Sftp, UploadFolder
from ccxcli.runtime import in_force
from ccxcli.session.context import open_lab
from ccxcli.store.files import private_dir, write_atomic
from ccxcli.store.lab import DEFAULT_NODE
from ccxcli.uploads import SERVE_FILE
from ccxcli.values import parse_listen


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


def serve(
    home: Path,
    listen: str,
    allow_remote: bool,
    settings: Settings,
    out: Any,
    environ: Mapping[str, str],
    stop_after: float = 0,
    workers: int = 1,
) -> None:
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


async def _serve_here(
    sock: socket.socket, lab: ServedLab, key: asyncssh.SSHKey, stop_after: float, ready: Callable[[], None] | None
) -> None:
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
            await hang_up(child, lab)
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


def _serve_in_workers(
    sock: socket.socket,
    lab: ServedLab,
    key: asyncssh.SSHKey,
    workers: int,
    stop_after: float,
    ready: Callable[[], None],
) -> None:
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
