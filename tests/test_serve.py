"""`ccx serve`: the lab over SSH, driven by the clients people use — asyncssh, paramiko,
netmiko, scrapli, the OpenSSH client (and Unicon where installed). The server is started by
the tests on 127.0.0.1, port 0, and stops by itself."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import asyncssh
import paramiko
import pytest
from conftest import authorize_args, ccx_run, ssm_run
from ssh_served import ANSI, CONTINUE, PROMPT, Served, Shell, exec_, run

# --- exec requests ------------------------------------------------------------------------------


def test_exec_passes_output_stderr_and_exit_status(served: Served) -> None:
    r = run(exec_(served.port, "show license UDI"))
    assert r.exit_status == 0 and re.fullmatch(r"UDI: PID:UCCX,SN:[0-9a-f]{5},UUID:[0-9a-f]{32}\n", r.stdout)
    r = run(exec_(served.port, "show license frobnicate"))
    assert r.exit_status == 2 and "unknown word 'frobnicate'" in r.stderr and r.stdout == ""
    r = run(exec_(served.port, "--json show license status"))
    assert r.exit_status == 0 and '"registration"' in r.stdout
    r = run(exec_(served.port, "run -", stdin="show license UDI\nsim agent login --count 2\n"))
    assert r.exit_status == 0 and "admin:sim agent login --count 2" in r.stdout
    r = run(exec_(served.port, "--home /tmp show license UDI"))
    assert r.exit_status == 2 and "not allowed over SSH" in r.stderr
    r = run(exec_(served.port, "license smart reservation install-file /etc/passwd"))
    assert r.exit_status == 2 and "upload folder" in r.stderr
    assert served.no_children()


def test_user_name_chooses_the_node_and_unknown_nodes_are_refused(served: Served) -> None:
    assert ccx_run(served.home, "sim", "node", "create", "b").returncode == 0
    uuid = {u: run(exec_(served.port, "--json show license UDI", user=u)).stdout for u in ("admin", "admin@b", "b")}
    assert uuid["admin@b"] == uuid["b"] != uuid["admin"]
    with pytest.raises(asyncssh.PermissionDenied):
        run(exec_(served.port, "show license UDI", user="nosuch"))
    client = paramiko.SSHClient()
    client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
    banner = []
    with pytest.raises(paramiko.AuthenticationException):
        client.connect(
            "127.0.0.1",
            served.port,
            username="nosuch",
            password="admin",
            allow_agent=False,
            look_for_keys=False,
            banner_timeout=10,
        )
    transport = client.get_transport()
    if transport is not None:
        banner.append(transport.get_banner() or b"")
    client.close()
    assert banner and b"nodes: b, uccx" in banner[0]


def test_a_wrong_password_is_refused(served: Served) -> None:
    async def go() -> None:
        await asyncssh.connect("127.0.0.1", served.port, username="admin", password="wrong", known_hosts=None)

    with pytest.raises(asyncssh.PermissionDenied):
        run(go())


def test_the_host_key_survives_a_restart(tmp_path: Path) -> None:
    first = Served(tmp_path / "lab")
    try:
        fp = first.fingerprint
    finally:
        first.stop()
    second = Served(tmp_path / "lab")
    try:
        assert second.fingerprint == fp
        assert oct((tmp_path / "lab" / "ssh_host_ed25519_key").stat().st_mode & 0o777) == "0o600"
    finally:
        second.stop()


# --- interactive sessions ---------------------------------------------------------------------------


def test_input_before_the_first_prompt_is_kept_and_echoed_once(served: Served) -> None:
    async def go() -> None:
        sh = await Shell.open(served.port, early="show myself\rshow license UDI\r")
        await sh.expect(PROMPT)
        first, second = await sh.expect(PROMPT), await sh.expect(PROMPT)
        assert "Machine Name" in first and "UDI: PID" in second
        whole = first + second
        assert whole.count("show myself") == 1 and whole.count("show license UDI") == 1
        commands = ("show myself", "show license UDI", "show uccx version")
        outputs = [await sh.run(c) for c in commands]
        assert "Machine Name" in outputs[0] and "UDI: PID" in outputs[1] and "Active UCCX" in outputs[2]
        assert all(o.count(c) == 1 for o, c in zip(outputs, commands, strict=True))
        await sh.close()

    run(go())
    assert served.no_children()


def test_no_cursor_position_request_on_a_vt100_that_never_answers(served: Served) -> None:
    async def go() -> str:
        sh = await Shell.open(served.port, term="vt100")
        await sh.expect(PROMPT)
        raw = ""
        for _ in range(10):
            sh.proc.stdin.write("show license UDI\r")
            raw += await sh.expect(PROMPT, timeout=5)
        await sh.close()
        return raw

    raw = run(go())
    assert "\x1b[6n" not in raw and raw.count("UDI: PID:UCCX") == 10


def test_window_resize_changes_the_page(served: Served) -> None:
    async def go() -> None:
        sh = await Shell.open(served.port, term="xterm")
        await sh.expect(PROMPT)
        sh.proc.change_terminal_size(200, 12)
        sh.proc.stdin.write("help\r")
        await sh.expect(r"\x1b\[1m\r\noptions: q=quit, n=next, p=prev, b=begin, e=end \(lines 1 - 10 of \d+\) : ")
        sh.proc.stdin.write("q")
        await sh.expect(PROMPT)
        await sh.close()

    run(go())


def test_a_session_without_a_terminal_runs_script_mode(served: Served) -> None:
    async def go() -> str:
        async with asyncssh.connect(
            "127.0.0.1", served.port, username="admin", password="admin", known_hosts=None
        ) as conn:
            proc = await conn.create_process()  # no pty, no command
            proc.stdin.write("show license UDI\nsim agent login --count 3\n")
            out = await asyncio.wait_for(proc.stdout.readuntil("logged in"), 30)
            # idle, waiting for input: the lab is free for others
            assert ccx_run(served.home, "sim", "agent", "add", "x1", CCX_LOCK_TIMEOUT="2").returncode == 0
            proc.stdin.write_eof()
            await proc.wait()
            return out

    out = run(go())
    assert "admin:show license UDI" in out and "UDI: PID" in out


def test_continue_is_answered_and_a_disconnect_at_it_changes_nothing(tmp_path: Path) -> None:
    served = Served(tmp_path / "lab", "--operator", "admin")  # node delete changes the lab: operators only
    assert ccx_run(served.home, "sim", "node", "create", "zz").returncode == 0
    assert ccx_run(served.home, "sim", "node", "create", "yy").returncode == 0

    async def go() -> None:
        sh = await Shell.open(served.port)
        await sh.expect(PROMPT)
        sh.proc.stdin.write("sim node delete zz\r")
        await sh.expect(CONTINUE)
        sh.proc.stdin.write("y\r")
        assert "Node zz deleted" in ANSI.sub("", await sh.expect(PROMPT))
        sh.proc.stdin.write("sim node delete yy\r")
        await sh.expect(CONTINUE)
        await sh.close()  # the client goes away at the question

    try:
        run(go())
        assert served.no_children()
    finally:
        assert served.stop() == 0
    nodes = ccx_run(served.home, "--json", "sim", "node", "list").stdout
    assert '"yy"' in nodes and '"zz"' not in nodes


@pytest.mark.parametrize(("point", "agents"), [("store-before-replace", 0), ("store-after-replace", 300)])
def test_a_disconnect_mid_command_leaves_old_or_new_state(tmp_path: Path, point: str, agents: int) -> None:
    """The client goes away while its command is at `point` (held there by the test seam):
    the hang-up ends the command there, and the lab holds exactly the state before or after.
    (The seam stops a process: the session runs in one of its own.)"""
    served = Served(tmp_path / "lab", "--process-per-session", env={"CCX_TEST_PAUSE_AT": point})

    async def go() -> None:
        sh = await Shell.open(served.port)
        await sh.expect(PROMPT)
        sh.proc.stdin.write("sim agent login --count 300\r")
        await sh.expect(re.escape(f"[paused at {point}]"))
        assert len(served.children()) == 1
        await sh.close()

    try:
        run(go())
        assert served.no_children()
    finally:
        assert served.stop() == 0
    r = ccx_run(served.home, "--json", "sim", "agent", "list")
    assert r.returncode == 0 and r.stdout.count('"id"') == agents


def test_twenty_parallel_sessions_lose_no_update(served: Served) -> None:
    async def one(i: int) -> None:
        sh = await Shell.open(served.port, term="vt100")
        await sh.expect(PROMPT)
        for k in range(3):
            out = await sh.run(f"sim agent add s{i}-{k}")
            assert "Agent s" in out, out
        await sh.run(f"sim agent login s{i}-0 s{i}-1 s{i}-2")
        await sh.close()

    async def go() -> None:
        await asyncio.gather(*(one(i) for i in range(20)))

    run(go())
    r = ccx_run(served.home, "--json", "sim", "agent", "list")
    assert r.stdout.count('"in": true') == 60
    assert served.no_children()


# --- the register and SLR flows, with codes read from the output ------------------------------------


def _vos_netmiko(port: int) -> Any:
    """netmiko with the small VOS subclass the README shows."""
    from netmiko.cisco_base_connection import CiscoBaseConnection

    class CiscoVosSSH(CiscoBaseConnection):
        prompt_pattern = r"admin:"

        def session_preparation(self) -> None:
            self._test_channel_read(pattern=r"admin:")
            self.set_base_prompt(pri_prompt_terminator=":", alt_prompt_terminator=":")
            self.disable_paging(command="set cli pagination off")

        def set_base_prompt(self, *args: Any, **kwargs: Any) -> str:
            self.base_prompt = "admin"
            return self.base_prompt

    return CiscoVosSSH(
        host="127.0.0.1",
        port=port,
        username="admin",
        password="admin",
        fast_cli=False,
        device_type="generic_termserver",
    )


def test_register_and_slr_through_netmiko(served: Served) -> None:
    nm = _vos_netmiko(served.port)
    try:
        tok = ssm_run(served.home, "token", "create").stdout.strip()
        out = nm.send_command(f"license smart register idtoken {tok}", expect_string=r"admin:")
        assert "Registration succeeded" in out
        assert "Status: REGISTERED" in nm.send_command("show license status", expect_string=r"admin:")
        out = nm.send_command_timing("license smart deregister")
        if "Continue" in out:
            out += nm.send_command("y", expect_string=r"admin:")
        assert "Deregistered" in out
        nm.send_command("sim network down", expect_string=r"admin:")
        nm.send_command("license smart reservation enable", expect_string=r"admin:")
        out = nm.send_command("license smart reservation request specific", expect_string=r"admin:")
        req = re.search(r"CB-ZUCCX:\S+", out).group(0)  # type: ignore[union-attr]
        auth = ssm_run(served.home, *authorize_args(req)).stdout.strip()
        out = nm.send_command(f'license smart reservation install "{auth}"', expect_string=r"admin:", read_timeout=30)
        assert "Authorization code installed successfully." in out
        out = nm.send_command("show license status", expect_string=r"admin:")
        assert "REGISTERED - SPECIFIC LICENSE RESERVATION" in out
    finally:
        nm.disconnect()


def test_register_and_slr_through_paramiko(served: Served) -> None:
    client = paramiko.SSHClient()
    client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
    client.connect("127.0.0.1", served.port, username="admin", password="admin", allow_agent=False, look_for_keys=False)
    chan = client.invoke_shell(term="vt100", width=200, height=24)
    buf = b""

    def until(pattern: bytes, timeout: float = 30) -> bytes:
        nonlocal buf
        deadline = time.monotonic() + timeout
        while not (m := re.search(pattern, buf)):
            assert time.monotonic() < deadline, buf[-500:]
            if chan.recv_ready():
                buf += chan.recv(65536)
            else:
                time.sleep(0.01)
        out, buf = buf[: m.start()], buf[m.end() :]
        return out

    def cmd(text: str) -> str:
        chan.send((text + "\r").encode())
        return ANSI.sub("", until(PROMPT.encode()).decode()).replace("\r", "")

    try:
        until(PROMPT.encode())
        cmd("sim network down")
        cmd("license smart reservation enable")
        out = cmd("license smart reservation request specific")
        assert out.count("license smart reservation request specific") == 1  # one echo
        req = re.search(r"CB-ZUCCX:\S+", out).group(0)  # type: ignore[union-attr]
        auth = ssm_run(served.home, *authorize_args(req)).stdout.strip()
        assert "installed successfully" in cmd(f'license smart reservation install "{auth}"')
        sn = re.search(r"SN:([0-9a-f]{5})", cmd("show license UDI")).group(1)  # type: ignore[union-attr]
        update = ssm_run(served.home, "reservation", "update", sn, "--license", "flex-standard=30").stdout.strip()
        conf = cmd(f'license smart reservation install "{update}"').strip().splitlines()[-1]
        assert re.fullmatch(r"[0-9a-f]{8}", conf), conf
        assert ssm_run(served.home, "reservation", "confirm", sn, conf).returncode == 0
        chan.send(b"license smart reservation return\r")
        until(CONTINUE.encode())
        chan.send(b"y\r")
        out = ANSI.sub("", until(PROMPT.encode()).decode())
        ret = re.search(r"[0-9A-Za-z]{6}(?:-[0-9A-Za-z]{1,6}){5,}", out).group(0)  # type: ignore[union-attr]
        assert ssm_run(served.home, "reservation", "return", ret).returncode == 0
    finally:
        client.close()


def _scrapli(port: int, timeout: float = 30) -> Any:
    """scrapli's GenericDriver as the README shows it."""
    from scrapli.driver.generic import GenericDriver

    return GenericDriver(
        host="127.0.0.1",
        port=port,
        auth_username="admin",
        auth_password="admin",
        auth_strict_key=False,
        transport="paramiko",
        comms_prompt_pattern=r"^admin:\s*$",
        timeout_ops=timeout,
    )


def test_scrapli_generic_driver(served: Served) -> None:
    conn = _scrapli(served.port)
    conn.open()
    try:
        conn.send_command("set cli pagination off")  # as the README's snippet does
        outputs = [conn.send_command(c).result for c in ("show license UDI", "show myself", "show uccx version")]
        assert "UDI: PID:UCCX" in outputs[0] and "Machine Name" in outputs[1] and "Active UCCX" in outputs[2]
        whole = conn.send_command("show license all").result  # longer than the terminal: no pager
        assert "options: q=quit" not in whole and whole.rstrip().splitlines()[-1].strip().startswith("Status:")
    finally:
        conn.close()


def test_openssh_client_exec_with_a_key(tmp_path: Path) -> None:
    ssh = shutil.which("ssh")
    if ssh is None:
        pytest.fail("the OpenSSH client is needed (apt-get install openssh-client)")
    key = asyncssh.generate_private_key("ssh-ed25519")
    (tmp_path / "id").write_bytes(key.export_private_key())
    os.chmod(tmp_path / "id", 0o600)
    (tmp_path / "authorized_keys").write_bytes(key.export_public_key())
    s = Served(tmp_path / "lab", "--authorized-keys", str(tmp_path / "authorized_keys"))
    try:
        base = [
            ssh,
            "-i",
            str(tmp_path / "id"),
            "-p",
            str(s.port),
            "-o",
            "StrictHostKeyChecking=no",
            "-o",
            f"UserKnownHostsFile={tmp_path / 'known_hosts'}",
            "-o",
            "BatchMode=yes",
        ]
        r = subprocess.run([*base, "admin@127.0.0.1", "show license UDI"], capture_output=True, text=True, timeout=60)
        assert r.returncode == 0 and "UDI: PID:UCCX" in r.stdout, r.stderr
        r = subprocess.run([*base, "admin@127.0.0.1", "show license nope"], capture_output=True, text=True, timeout=60)
        assert r.returncode == 2 and "unknown word" in r.stderr
        r = subprocess.run(
            [*base, "-o", "PreferredAuthentications=password", "admin@127.0.0.1", "show license UDI"],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert r.returncode == 255  # keys only: no password log-in
    finally:
        s.stop()


def test_install_file_over_sftp(served: Served, tmp_path: Path) -> None:
    assert ccx_run(served.home, "sim", "network", "down").returncode == 0
    assert ccx_run(served.home, "license", "smart", "reservation", "enable").returncode == 0
    req = ccx_run(served.home, "license", "smart", "reservation", "request").stdout.strip().splitlines()[-1]
    (tmp_path / "auth.xml").write_text(ssm_run(served.home, *authorize_args(req)).stdout)

    async def go() -> str:
        async with asyncssh.connect(
            "127.0.0.1", served.port, username="admin", password="admin", known_hosts=None
        ) as conn:
            async with conn.start_sftp_client() as sftp:
                await sftp.put(str(tmp_path / "auth.xml"), "auth.xml")
                with pytest.raises(asyncssh.SFTPError):
                    await sftp.get("../lab.json", str(tmp_path / "stolen"))  # confined to the upload folder
            r = await conn.run(
                f"license smart reservation install-file sftp://127.0.0.1:{served.port}/auth.xml", check=False
            )
            return str(r.stdout) + str(r.stderr)

    out = run(go())
    assert "Authorization code installed successfully." in out, out
    r = ccx_run(served.home, "license", "smart", "reservation", "install-file", "sftp://10.9.9.9:22/auth.xml")
    assert r.returncode == 2 and "not it" in r.stderr


def test_with_unicon_over_ssh(served: Served, tmp_path: Path) -> None:
    pytest.importorskip("unicon", reason="Unicon needs pyATS and genie (~800 MB); not installed in CI")
    from unicon import Connection

    dev = Connection(
        hostname="uccx",
        start=[f"ssh -o StrictHostKeyChecking=no -p {served.port} admin@127.0.0.1"],
        os="vos",
        credentials={"default": {"username": "admin", "password": "admin"}},
        learn_hostname=False,
        log_stdout=False,
        connection_timeout=60,
    )
    dev.connect()
    try:
        assert "UDI: PID:UCCX" in dev.execute("show license UDI")
    finally:
        dev.disconnect()


def test_scrapli_send_interactive_answers_continue(tmp_path: Path) -> None:
    """scrapli's send_interactive sends `y`, waits to see it echoed, then sends Enter: the
    answer is echoed as it is typed (it used to be echoed only after Enter: a hang)."""
    served = Served(tmp_path / "lab", "--operator", "admin")
    assert ccx_run(served.home, "sim", "node", "create", "zz").returncode == 0
    conn = _scrapli(served.port, timeout=20)
    conn.open()
    try:
        r = conn.send_interactive([("sim node delete zz", r"Continue (y/n)?", False), ("y", "admin:", False)])
        assert "Node zz deleted." in r.result, r.result
    finally:
        conn.close()
        assert served.stop() == 0
    assert '"zz"' not in ccx_run(served.home, "--json", "sim", "node", "list").stdout
