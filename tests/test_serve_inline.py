"""`ccx serve` runs terminal sessions inside its own process (`ccxcli.cli.ssh.inline`): the
same shell as a child process ran, on a terminal made of the SSH channel. Driven under the
terminal types clients ask for (dumb, vt100 as netmiko and paramiko do, xterm as scrapli's
asyncssh transport does), checking the bytes on the wire."""

from __future__ import annotations

import asyncio
import os
import signal
import threading
import time
from pathlib import Path

import asyncssh
import pytest
from conftest import ccx_run
from prompt_toolkit.key_binding import KeyPress
from prompt_toolkit.keys import Keys
from ssh_served import ANSI, CONTINUE, PROMPT, Served, Shell, run

from ccxcli.cli.ssh.inline import _typed_as_one
from ccxcli.errors import StoreError
from ccxcli.store.files import Lock


@pytest.mark.parametrize("term", ["dumb", "vt100", "xterm"])
def test_a_terminal_session_runs_in_the_server_under_every_term(tmp_path: Path, term: str) -> None:
    served = Served(tmp_path / "lab", "--operator", "admin")

    async def go() -> None:
        sh = await Shell.open(served.port, term=term)
        await sh.expect(PROMPT)
        assert served.children() == [] and served.sessions() == 1  # in the server: no process of its own
        udi = await sh.run("show license UDI")
        assert udi.count("show license UDI") == 1 and "UDI: PID:UCCX" in udi  # echoed once, output, prompt
        sh.proc.stdin.write("show license ?")
        shown = await sh.expect(r"status\s+.*\n")  # the help rows come at once, without Enter
        assert "admin:show license admin:" not in shown
        sh.proc.stdin.write("\x15")  # Ctrl-U: the line is cleared
        await sh.run("sim node create zz")
        sh.proc.stdin.write("sim node delete zz\r")
        await sh.expect(CONTINUE)
        sh.proc.stdin.write("y")
        await sh.expect("y")  # the answer is echoed as it is typed, before Enter (scrapli waits for it)
        sh.proc.stdin.write("\r")
        assert "Node zz deleted" in ANSI.sub("", await sh.expect(PROMPT))
        sh.proc.stdin.write("exit\r")
        assert await sh.proc.wait_closed() is None
        await sh.close()

    try:
        run(go())
        assert served.no_children()  # the session's thread ended with it
    finally:
        assert served.stop() == 0


def test_wire_bytes_match_a_child_process_session(tmp_path: Path) -> None:
    """What automation matches is the same byte for byte whether a session runs in the
    server or in a child process of its own."""

    async def transcript(port: int) -> str:
        sh = await Shell.open(port, term="vt100")
        out = await sh.expect(PROMPT)
        for command in ("show license UDI", "show license summary", "show myself"):
            sh.proc.stdin.write(command + "\r")
            out += await sh.expect(PROMPT)
        await sh.close()
        return out

    texts = []
    for i, extra in enumerate(((), ("--process-per-session",))):
        served = Served(tmp_path / f"lab{i}", *extra)
        try:
            texts.append(run(transcript(served.port)))
        finally:
            assert served.stop() == 0
    same = [t.replace(str(tmp_path / f"lab{i}"), "LAB") for i, t in enumerate(texts)]
    udi = [ln for t in same for ln in t.splitlines() if "UDI: PID" in ln]
    assert len(udi) == 2
    assert same[0].replace(udi[0], "") == same[1].replace(udi[1], "")  # all but the lab's own UDI


def test_a_line_sent_at_once_is_one_key_but_help_and_enter_keep_theirs() -> None:
    keys = [KeyPress(c, c) for c in "show lic"] + [KeyPress("?", "?"), KeyPress(Keys.ControlM, "\r")]
    keys.append(KeyPress("y", "y"))
    got = _typed_as_one(keys)
    assert [(k.key, k.data) for k in got] == [
        (Keys.BracketedPaste, "show lic"),
        ("?", "?"),
        (Keys.ControlM, "\r"),
        ("y", "y"),
    ]


def test_threads_of_one_process_take_the_lab_lock_one_at_a_time(tmp_path: Path) -> None:
    path, counter = tmp_path / "lock", tmp_path / "n"
    counter.write_text("0")

    def bump() -> None:
        for _ in range(20):
            with Lock(path, timeout=30):
                n = int(counter.read_text())
                time.sleep(0.0005)
                counter.write_text(str(n + 1))

    threads = [threading.Thread(target=bump) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert counter.read_text() == "160"  # no update lost


def test_a_thread_waiting_for_the_lab_lock_gives_up_with_the_busy_message(tmp_path: Path) -> None:
    path = tmp_path / "lock"
    held = threading.Event()
    done = threading.Event()

    def hold() -> None:
        with Lock(path, timeout=5):
            held.set()
            done.wait(10)

    holder = threading.Thread(target=hold)
    holder.start()
    held.wait(5)
    try:
        with pytest.raises(StoreError, match="The lab is busy"), Lock(path, timeout=0.2):
            pass
    finally:
        done.set()
        holder.join()
    with Lock(path, timeout=1):  # free again once its holder let go
        pass


def test_workers_share_the_port_lose_no_update_and_stop_together(tmp_path: Path) -> None:
    """`--workers 2`: sessions on both worker processes change one lab without losing an update;
    a worker that dies is replaced; a stop request ends every worker."""
    served = Served(tmp_path / "lab", "--workers", "2")

    async def one(i: int) -> None:
        sh = await Shell.open(served.port)
        await sh.expect(PROMPT)
        await sh.run(f"sim agent add w{i}")
        await sh.run(f"sim agent login w{i}")
        await sh.close()

    try:
        workers = served.children()
        assert len(workers) == 2

        async def many() -> None:
            await asyncio.gather(*(one(i) for i in range(12)))

        run(many())
        os.kill(workers[0], signal.SIGKILL)
        deadline = time.monotonic() + 10
        while (len(served.children()) != 2 or workers[0] in served.children()) and time.monotonic() < deadline:
            time.sleep(0.05)
        now = served.children()
        assert len(now) == 2 and workers[0] not in now  # replaced
        run(one(99))  # and served
    finally:
        assert served.stop() == 0
    assert all(not Path(f"/proc/{pid}").exists() for pid in now)
    listed = ccx_run(served.home, "--json", "sim", "agent", "list").stdout
    assert listed.count('"in": true') == 13


@pytest.mark.parametrize("extra", [(), ("--process-per-session",)])
def test_clients_closing_while_output_flows_leave_no_traceback(tmp_path: Path, extra: tuple[str, ...]) -> None:
    served = Served(tmp_path / "lab", *extra)

    async def one() -> None:
        sh = await Shell.open(served.port)
        await sh.expect(PROMPT)
        await sh.run("set cli pagination off")
        sh.proc.stdin.write("show license all\r" * 5 + "exit\r")
        await asyncio.sleep(0.05)
        sh.conn.close()  # gone while the output flows

    async def go() -> None:
        await asyncio.gather(*(one() for _ in range(20)))

    try:
        run(go())
        assert served.no_children()
    finally:
        assert served.stop() == 0
    assert "Traceback" not in served.errors and "Exception" not in served.errors, served.errors[-2000:]


@pytest.mark.parametrize("extra", [(), ("--process-per-session",)])
def test_a_stop_closes_every_connection_before_the_event_loop_ends(tmp_path: Path, extra: tuple[str, ...]) -> None:
    """A stop with sessions of every kind open (a terminal mid-command, a script-mode shell
    with its input open, SFTP, a command running, one not logged in yet): each connection is
    closed by the server, none is left to the interpreter's exit (asyncssh keeps them open
    when its listener closes; once the loop is gone, Python reports them, and a transport
    closed that late raises `RuntimeError: Event loop is closed`)."""
    served = Served(tmp_path / "lab", *extra, env={"PYTHONWARNINGS": "always::ResourceWarning"})

    async def go() -> None:
        opened = []
        for term in ("vt100", "xterm", "dumb"):
            sh = await Shell.open(served.port, term=term)
            await sh.expect(PROMPT)
            opened.append(sh.conn)
        sh.proc.stdin.write("show license all\r")
        login = {"username": "admin", "password": "admin", "known_hosts": None}
        script = await asyncssh.connect("127.0.0.1", served.port, **login)
        (await script.create_process("shell")).stdin.write("show license status\n")
        sftp = await asyncssh.connect("127.0.0.1", served.port, **login)
        await sftp.start_sftp_client()
        busy = await asyncssh.connect("127.0.0.1", served.port, **login)
        await busy.create_process("sim clock advance 30d")
        _, waiting = await asyncio.open_connection("127.0.0.1", served.port)  # never logs in
        opened += [script, sftp, busy]
        await asyncio.sleep(0.3)
        assert await asyncio.to_thread(served.stop) == 0
        await asyncio.wait_for(asyncio.gather(*(c.wait_closed() for c in opened)), 10)
        waiting.close()

    run(go())
    assert "unclosed" not in served.errors and "Traceback" not in served.errors, served.errors[-2000:]
