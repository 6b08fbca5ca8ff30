"""`ccx serve` leaves nothing behind and stays within its bounds: vanished and silent clients,
the upload quota, odd bytes in a command, who may change the lab, connections that never log in."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import asyncssh
import pytest
from conftest import ccx_run
from ssh_served import Served, exec_, run

from ccxcli.cli.ssh.sftpd import UploadFolder

# A real client in its own process: it opens one kind of session, says so, and waits.
CLIENT = r"""
import asyncio, sys, asyncssh
async def main(port, kind):
    conn = await asyncssh.connect("127.0.0.1", port, username="admin", password="admin", known_hosts=None)
    if kind == "exec-run":
        p = await conn.create_process("run -")           # waits for its script on stdin
    elif kind == "exec-shell":
        p = await conn.create_process("shell")
    elif kind == "exec-shell-eof":
        p = await conn.create_process("shell")
        p.stdin.write("sim agent login --count 2\n")
        p.stdin.write_eof()
        await p.stdout.readuntil("logged in")            # its command ran; the child waits to send the rest
    elif kind == "no-terminal":
        p = await conn.create_process()
    else:
        p = await conn.create_process(term_type="xterm")
        await p.stdout.readuntil("admin:")
    print("ready", flush=True)
    await asyncio.sleep(3600)
asyncio.run(main(int(sys.argv[1]), sys.argv[2]))
"""

KINDS = ["exec-run", "exec-shell", "exec-shell-eof", "no-terminal", "terminal"]


def _client(port: int, kind: str) -> subprocess.Popen[str]:
    p = subprocess.Popen([sys.executable, "-c", CLIENT, str(port), kind], stdout=subprocess.PIPE, text=True)
    assert p.stdout is not None and p.stdout.readline().strip() == "ready"
    return p


def _end(client: subprocess.Popen[str]) -> None:
    client.kill()
    client.wait()
    if client.stdout is not None:
        client.stdout.close()


def _wait_children(s: Served, n: int, timeout: float = 15) -> list[object]:
    """The sessions the server holds once there are `n`: child processes and in-process sessions."""
    deadline = time.monotonic() + timeout
    while len(s.children()) + s.sessions() < n and time.monotonic() < deadline:
        time.sleep(0.05)
    return [*s.children(), *["in-process"] * s.sessions()]


@pytest.fixture
def silent_served(tmp_path: Path) -> Served:
    return Served(tmp_path / "lab", "--client-alive-interval", "1", "--client-alive-count-max", "2")


@pytest.mark.parametrize("kind", KINDS)
def test_a_killed_client_leaves_no_process(silent_served: Served, kind: str) -> None:
    s = silent_served
    try:
        client = _client(s.port, kind)
        if kind != "exec-shell-eof":
            assert len(_wait_children(s, 1)) == 1
        _end(client)  # SIGKILL, not a clean SSH close: the process is gone, the kernel closes its socket
        assert s.no_children(timeout=5), s.children()
    finally:
        assert s.stop() == 0


@pytest.mark.parametrize("kind", ["exec-run", "terminal", "no-terminal"])
def test_a_client_that_stops_answering_is_dropped_by_keepalives(silent_served: Served, kind: str) -> None:
    s = silent_served
    client = _client(s.port, kind)
    try:
        assert len(_wait_children(s, 1)) == 1
        client.send_signal(signal.SIGSTOP)  # alive, connected, silent: only keepalives can tell
        assert s.no_children(timeout=10), s.children()  # a wait bounded for the test's sake, not a timing
    finally:
        _end(client)
        assert s.stop() == 0


# --- uploads ------------------------------------------------------------------------------


def test_uploads_are_bounded_private_and_never_sparse(tmp_path: Path) -> None:
    s = Served(tmp_path / "lab", "--upload-quota", "1M")
    upload = tmp_path / "lab" / "upload"

    async def go() -> None:
        async with asyncssh.connect("127.0.0.1", s.port, username="admin", password="admin", known_hosts=None) as c:
            async with c.start_sftp_client() as sftp:
                async with sftp.open("a.bin", "wb", asyncssh.SFTPAttrs(permissions=0o777)) as f:
                    await f.write(b"x" * 600 * 1024)
                async with sftp.open("b.bin", "wb") as f:
                    with pytest.raises(asyncssh.SFTPError, match="quota"):
                        await f.write(b"y" * 600 * 1024)
                    with pytest.raises(asyncssh.SFTPError, match="hole"):
                        await f.write(b"z", 2**40)
                with pytest.raises(asyncssh.SFTPError, match="larger"):
                    await sftp.truncate("a.bin", 2**40)
                await sftp.chmod("a.bin", 0o777)
                await sftp.mkdir("sub", asyncssh.SFTPAttrs(permissions=0o777))
                with pytest.raises(asyncssh.SFTPError):
                    await sftp.symlink("/etc/passwd", "link")
                await sftp.remove("a.bin")  # room again
                async with sftp.open("sub/c.bin", "wb") as f:
                    await f.write(b"c" * 900 * 1024)
            r = await c.run("show license UDI", check=False)  # the connection lives on
            assert r.exit_status == 0

    try:
        run(go())
    finally:
        assert s.stop() == 0
    assert not (upload / "a.bin").exists() and (upload / "b.bin").stat().st_size == 0
    assert (upload / "sub" / "c.bin").stat().st_size == 900 * 1024
    assert oct((upload / "sub" / "c.bin").stat().st_mode & 0o777) == "0o600"
    assert oct((upload / "b.bin").stat().st_mode & 0o777) == "0o600"
    assert oct((upload / "sub").stat().st_mode & 0o777) == "0o700"
    assert not (upload / "link").exists()


def test_the_upload_folder_counts_entries_and_bytes(tmp_path: Path) -> None:
    folder = UploadFolder(tmp_path, quota=100, max_entries=3)
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "f").write_bytes(b"x" * 60)
    assert folder.usage() == (60, 2)
    folder.check_growth(40)
    with pytest.raises(asyncssh.SFTPQuotaExceeded):
        folder.check_growth(41)
    folder.check_new_entry()
    (tmp_path / "g").write_bytes(b"")
    with pytest.raises(asyncssh.SFTPQuotaExceeded, match="at most 3"):
        folder.check_new_entry()


def test_an_upload_quota_that_is_not_a_size_is_refused(tmp_path: Path) -> None:
    r = ccx_run(tmp_path / "lab", "serve", "--ssh", "127.0.0.1:0", "--upload-quota", "lots", "--stop-after", "1")
    assert r.returncode == 2 and "--upload-quota takes a size" in r.stderr and "Traceback" not in r.stderr


# --- odd bytes -----------------------------------------------------------------------------


def test_a_nul_byte_in_a_command_is_refused_and_the_connection_lives_on(served: Served) -> None:
    async def go() -> None:
        async with asyncssh.connect(
            "127.0.0.1", served.port, username="admin", password="admin", known_hosts=None
        ) as conn:
            shell = await conn.create_process(term_type="vt100")
            await shell.stdout.readuntil("admin:")
            r = await conn.run("show license UDI\x00; sim lab reset", check=False)
            assert r.exit_status == 2 and "control character" in str(r.stderr)
            assert str(r.stderr).count("\n") == 1 and r.stdout == ""
            r = await conn.run("show license UDI", check=False)
            assert r.exit_status == 0 and "UDI: PID" in str(r.stdout)
            shell.stdin.write("show license UDI\r")  # the other channel lives on too
            assert "UDI: PID" in await asyncio.wait_for(shell.stdout.readuntil("UDI: PID"), 30)
            shell.close()

    run(go())
    assert served.no_children()


# --- who may change the lab --------------------------------------------------------------------


LAB_WIDE = [
    "sim lab reset --yes",
    "sim node create c",
    "sim node delete b --yes",
    "sim clock advance 1d",
    "sim clock set 2030-01-01T00:00:00Z",
    "sim clock realtime on",
    "sim ssm trust key.pem",
]


def test_only_lab_operators_change_the_lab_over_ssh(tmp_path: Path) -> None:
    s = Served(tmp_path / "lab", "--operator", "admin")
    assert ccx_run(s.home, "sim", "node", "create", "b").returncode == 0
    before = ccx_run(s.home, "--json", "sim", "clock", "show").stdout
    try:
        for command in LAB_WIDE:
            r = run(exec_(s.port, command, user="admin@b"))
            assert r.exit_status == 2 and "only a lab operator" in str(r.stderr), (command, r.stderr)
            assert "--operator admin@b" in str(r.stderr)
        r = run(exec_(s.port, "run -", user="b", stdin="sim clock show\nsim node delete uccx --yes\n"))
        assert r.exit_status == 2 and "only a lab operator" in str(r.stderr)  # scripts go through the same rule
        for command in ("sim clock show", "sim node list", "sim agent login --count 2", "sim network down"):
            assert run(exec_(s.port, command, user="admin@b")).exit_status == 0, command  # its own node, or reading
        assert ccx_run(s.home, "--json", "sim", "clock", "show").stdout == before
        nodes = ccx_run(s.home, "--json", "sim", "node", "list").stdout
        assert '"b"' in nodes and '"c"' not in nodes
        r = run(exec_(s.port, "sim node create c"))  # admin is named an operator
        assert r.exit_status == 0, r.stderr
        assert run(exec_(s.port, "sim clock advance 1d")).exit_status == 0
        assert ccx_run(s.home, "--json", "sim", "clock", "show").stdout != before
    finally:
        assert s.stop() == 0
    local = ccx_run(s.home, "--yes", "sim", "node", "delete", "c")  # locally, the lab's owner may do anything
    assert local.returncode == 0, local.stderr


# --- connections that never log in -----------------------------------------------------------


def _closed_by_server(sock: socket.socket, within: float) -> bytes | None:
    """What the server sent before it closed the connection (None: still open after `within` s)."""
    sock.settimeout(within)
    got = b""
    try:
        while data := sock.recv(4096):
            got += data
        return got
    except TimeoutError:
        return None
    except ConnectionResetError:
        return got


def test_a_connection_that_does_not_log_in_is_dropped(tmp_path: Path) -> None:
    s = Served(tmp_path / "lab", "--login-grace-time", "1")
    try:
        with socket.create_connection(("127.0.0.1", s.port)) as sock:
            sent = _closed_by_server(sock, 10)
            assert sent is not None and sent.startswith(b"SSH-2.0-")  # accepted, then dropped at the grace time
    finally:
        assert s.stop() == 0


def test_only_so_many_connections_may_wait_to_log_in(tmp_path: Path) -> None:
    s = Served(tmp_path / "lab", "--max-startups", "2")
    socks = [socket.create_connection(("127.0.0.1", s.port)) for _ in range(2)]
    try:
        for sock in socks:
            sock.settimeout(10)
            assert sock.recv(64).startswith(b"SSH-2.0-")  # both are waiting to log in
        with socket.create_connection(("127.0.0.1", s.port)) as third:
            assert _closed_by_server(third, 5) is not None
        socks.pop().close()
        deadline = time.monotonic() + 10
        while True:  # a place is free again once the server has seen the close
            r = run(exec_(s.port, "show license UDI")) if _free(s.port) else None
            if r is not None or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        assert r is not None and r.exit_status == 0
    finally:
        for sock in socks:
            sock.close()
        assert s.stop() == 0


def _free(port: int) -> bool:
    """Whether the server answers a new connection with its banner (instead of closing it)."""
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.settimeout(5)
        try:
            return sock.recv(64).startswith(b"SSH-2.0-")
        except (TimeoutError, ConnectionResetError):
            return False


def test_stale_environment_of_the_client_does_not_reach_the_child(served: Served) -> None:
    """The SSH user and operator flag come from the server only: a client's env request is ignored."""

    async def go() -> str:
        async with asyncssh.connect(
            "127.0.0.1", served.port, username="admin", password="admin", known_hosts=None
        ) as conn:
            r = await conn.run("sim clock advance 1h", env={"CCX_SSH_OPERATOR": "1"}, check=False)
            return str(r.stderr)

    assert "only a lab operator" in run(go())
    assert os.environ.get("CCX_SSH_USER") is None


@pytest.mark.parametrize(
    "command",
    [
        "license smart reservation install @/etc/passwd",
        "license smart reservation install-file /etc/passwd",
        "license smart reservation return-authorization @../lab.json",
        "sim ssm trust /etc/passwd",
        "appadmin license classic install /etc/passwd",
        "run /etc/passwd",
    ],
)
def test_every_file_a_command_names_is_confined_to_the_upload_folder(tmp_path: Path, command: str) -> None:
    """The file root is the server's rule, read once into the session's Runtime: no command
    that reads a file escapes it (an operator, who may trust SSM keys, included)."""
    s = Served(tmp_path / "lab", "--operator", "admin")
    try:
        r = run(exec_(s.port, command))
        assert r.exit_status == 2 and "upload folder" in str(r.stderr), (command, r.stderr)
    finally:
        assert s.stop() == 0
