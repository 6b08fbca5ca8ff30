"""Nothing depends on the host (issue 31): a served session follows its client's terminal,
never the server process's `TERM`; settings come from the `Env` a program is given; the
environment is read in one module.

The matrix: `ccx serve` started with `TERM` unset, `dumb` and `xterm` × a client asking for a
`dumb`, `vt100` or `xterm` terminal, checking the bytes on the wire; then every driver users
are shown (netmiko `generic`, `terminal_server` and the shipped `cisco_vos`, scrapli's
GenericDriver and the shipped VosDriver) against a server started from a `TERM=dumb` shell,
the case that broke them all (each client then asks for its own terminal type)."""

from __future__ import annotations

import ast
import fcntl
import io
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import Lab
from ssh_served import ANSI, PROMPT, Served, Shell, run

from ccxcli.cli.main import main
from ccxcli.errors import Exit, report
from ccxcli.runtime import Env, Tunables, in_force

ROOT = Path(__file__).resolve().parents[1]
SERVER_TERMS = {"unset": None, "dumb": "dumb", "xterm": "xterm"}
ERASE_LINE = "\x1b[K"


def _serving(tmp_path_factory: pytest.TempPathFactory, name: str) -> Iterator[Served]:
    """`ccx serve` started from a shell whose TERM is `name` ("unset": none), stopped cleanly after."""
    term = SERVER_TERMS[name]
    s = Served(tmp_path_factory.mktemp(f"server-{name}") / "lab", env={"TERM": term} if term else {})
    try:
        yield s
    finally:
        assert s.stop() == 0


@pytest.fixture(scope="module", params=list(SERVER_TERMS))
def server(request: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """`ccx serve` started from a shell whose TERM is unset, dumb or xterm (one per value)."""
    yield from _serving(tmp_path_factory, request.param)


@pytest.mark.parametrize("client", ["dumb", "vt100", "xterm"])
def test_a_session_follows_its_client_terminal_not_the_server(server: Served, client: str) -> None:
    async def go() -> str:
        sh = await Shell.open(server.port, term=client)
        await sh.expect(PROMPT)
        sh.proc.stdin.write("show license UDI\r")
        out = await sh.expect("admin:")  # up to the next prompt, what comes right before it included
        await sh.close()
        return out

    out = run(go())
    # the whole command is echoed (prompt_toolkit's dumb path would echo only its last character)
    assert "show license UDI" in ANSI.sub("", out) and "UDI: PID:UCCX" in out
    if client == "dumb":
        assert ERASE_LINE not in out  # plain text for a dumb terminal
    else:
        assert out.endswith(ERASE_LINE)  # VOS's erase-line right before the prompt, as Unicon matches it


def _netmiko(port: int, device_type: str) -> Any:
    from netmiko import ConnectHandler

    from ccxcli.clients.netmiko_vos import register

    register()
    kw: dict[str, Any] = {"host": "127.0.0.1", "port": port, "username": "admin", "password": "admin"}
    if device_type == "cisco_vos":
        return ConnectHandler(device_type=device_type, **kw)
    conn = ConnectHandler(device_type=device_type, global_delay_factor=0.5, **kw)
    conn.read_until_pattern(pattern=r"admin:")
    return conn


@pytest.fixture(scope="module")
def dumb_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    yield from _serving(tmp_path_factory, "dumb")


@pytest.mark.parametrize("device_type", ["generic", "terminal_server", "cisco_vos"])
def test_netmiko_drivers_work_against_a_server_started_with_term_dumb(dumb_server: Served, device_type: str) -> None:
    conn = _netmiko(dumb_server.port, device_type)
    try:
        out = conn.send_command("show license UDI", expect_string=r"admin:", read_timeout=20)
        assert "UDI: PID:UCCX" in out
    finally:
        conn.disconnect()


@pytest.mark.parametrize("driver", ["generic", "vos"])
def test_scrapli_drivers_work_against_a_server_started_with_term_dumb(dumb_server: Served, driver: str) -> None:
    from scrapli.driver.generic import GenericDriver

    from ccxcli.clients.scrapli_vos import VosDriver

    kw: dict[str, Any] = {
        "host": "127.0.0.1",
        "port": dumb_server.port,
        "auth_username": "admin",
        "auth_password": "admin",
        "auth_strict_key": False,
        "timeout_ops": 20,
    }
    conn = (
        GenericDriver(transport="paramiko", comms_prompt_pattern=r"^admin:\s*$", **kw)
        if driver == "generic"
        else VosDriver(**kw)
    )
    conn.open()
    try:
        assert "UDI: PID:UCCX" in conn.send_command("show license UDI").result
    finally:
        conn.close()


# --- settings through the Env ---------------------------------------------------------------


def test_tunables_come_from_the_env_given(lab: Lab, tmp_path: Path) -> None:
    """CCX_LOCK_TIMEOUT given in a caller's Env (as the Python API passes it) is the one obeyed,
    whatever the process's environment says."""
    assert Tunables.of({"CCX_LOCK_TIMEOUT": "0.2"}).lock_timeout == 0.2
    assert Tunables.of({"CCX_LOCK_TIMEOUT": "x"}).lock_timeout == 15.0
    assert Tunables.of({"CCX_NET_TIMEOUT": "0"}).net_timeout == 0.1
    lab.ok("show", "license", "status")
    fd = os.open(lab.home / ".lock", os.O_RDWR)
    fcntl.flock(fd, fcntl.LOCK_EX)  # another process holds the lab
    try:
        err = io.StringIO()
        env = Env(io.StringIO(), io.StringIO(), err, {"CCX_LOCK_TIMEOUT": "0.2"})
        code = main(["--home", str(lab.home), "show", "license", "status"], env)
        assert code == Exit.STORE and "within 0.2 s" in err.getvalue(), err.getvalue()
    finally:
        os.close(fd)


def test_ccx_debug_in_the_env_shows_a_traceback_and_never_ends_the_program() -> None:
    try:
        1 / 0  # noqa: B018 - a bug, raised for its traceback
    except ZeroDivisionError as e:
        bug = e
    err = io.StringIO()
    with in_force(Env(io.StringIO(), io.StringIO(), err, {"CCX_DEBUG": "1"}).tunables):
        code = report(bug, err)
    assert code == Exit.SOFTWARE and "Traceback" in err.getvalue() and "Internal error" in err.getvalue()
    quiet = io.StringIO()
    assert report(bug, quiet) == Exit.SOFTWARE and "Traceback" not in quiet.getvalue()


ALLOWED_ENVIRON = {
    "ccxcli/runtime.py",  # the one reader
    "ccxcli/api/__init__.py",  # the public API: the environment of the child processes it starts
}


def test_the_environment_is_read_only_in_runtime() -> None:
    offenders = []
    for path in sorted((ROOT / "ccxcli").rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        if rel in ALLOWED_ENVIRON or "ansible_collections" in rel:
            continue
        tree = ast.parse(path.read_text(), rel)
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr in ("environ", "environb") and _is_os(node.value):
                offenders.append(f"{rel}:{node.lineno}")
            if isinstance(node, ast.Attribute) and node.attr in ("getenv", "putenv", "unsetenv") and _is_os(node.value):
                offenders.append(f"{rel}:{node.lineno}")
            if isinstance(node, ast.ImportFrom) and node.module == "os":
                offenders += [f"{rel}:{node.lineno}" for a in node.names if a.name in ("environ", "getenv")]
    assert offenders == []


def test_the_environment_check_can_fail(tmp_path: Path) -> None:
    bad = ast.parse("import os\nx = os.environ.get('CCX_DEBUG')\n")
    assert any(isinstance(n, ast.Attribute) and n.attr == "environ" and _is_os(n.value) for n in ast.walk(bad))


WALL_CLOCK = {("time", "time"), ("time", "time_ns"), ("datetime", "now"), ("datetime", "utcnow"), ("date", "today")}


def _wall_clock_reads(tree: ast.AST) -> list[int]:
    """Lines calling `time.time()`, `datetime.now()` and the like (as `x.y(...)`)."""
    return [
        n.lineno
        for n in ast.walk(tree)
        if isinstance(n, ast.Call)
        and isinstance(n.func, ast.Attribute)
        and isinstance(n.func.value, (ast.Name, ast.Attribute))
        and ((n.func.value.id if isinstance(n.func.value, ast.Name) else n.func.value.attr), n.func.attr) in WALL_CLOCK
    ]


def test_the_wall_clock_is_read_only_by_the_clock_module() -> None:
    """The lab has a clock of its own; the wall clock (a token's expiry, a certificate's
    validity, a session's age) is read through `ccxcli.clock.wall_now()` only."""
    offenders = []
    for path in sorted((ROOT / "ccxcli").rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        if rel == "ccxcli/clock.py" or "ansible_collections" in rel:
            continue
        offenders += [f"{rel}:{line}" for line in _wall_clock_reads(ast.parse(path.read_text(), rel))]
    assert offenders == []
    bad = ast.parse("import time, datetime\na = time.time()\nb = datetime.datetime.now(datetime.timezone.utc)\n")
    assert _wall_clock_reads(bad) == [2, 3]  # the check sees both spellings


def _is_os(node: ast.expr) -> bool:
    return isinstance(node, ast.Name) and node.id == "os"


def test_served_sessions_get_the_server_tunables_but_not_its_terminal() -> None:
    from ccxcli.cli.ssh.lab import ServedLab, Settings

    server_env = {
        "TERM": "dumb",
        "CCX_LOCK_TIMEOUT": "3",
        "NO_COLOR": "1",
        "CCX_TEST_KILL_AT": "x",
        "PROMPT_TOOLKIT_COLOR_DEPTH": "DEPTH_24_BIT",
    }
    served = ServedLab(Path("/lab"), Settings(), server_env)
    env = served.env("admin", "xterm")
    assert env["TERM"] == "xterm" and env["CCX_LOCK_TIMEOUT"] == "3" and env["CCX_TEST_KILL_AT"] == "x"
    assert "NO_COLOR" not in env and not any(k.startswith("PROMPT_TOOLKIT") for k in env)
    assert "TERM" not in served.env("admin", None)
    assert "CCX_TEST_KILL_AT" not in served.env("admin", "xterm", in_process=True)  # it would stop the server
    assert served.own_tunables().kill_at == "" and served.own_tunables().lock_timeout == 3.0


def test_no_wall_clock_bound_in_an_assertion() -> None:
    """Tests never assert timings (the machines are shared): no `elapsed < N` in an assert."""
    timing = re.compile(r"assert[^\n]*(elapsed\s*[<>]|(monotonic|perf_counter|time)\(\)\s*-\s*\w+\s*[<>])")
    found = [
        f"{p.name}:{i}"
        for p in sorted((ROOT / "tests").glob("test_*.py"))
        if p.name != Path(__file__).name
        for i, line in enumerate(p.read_text().splitlines(), 1)
        if timing.search(line)
    ]
    assert found == []


def test_settings_given_to_the_python_api_are_obeyed(tmp_path: Path) -> None:
    from ccxcli.api import Lab as ApiLab

    with ApiLab(tmp_path / "api-lab", env={"CCX_LAB_START": "2027-01-04T09:00:00Z"}) as api_lab:
        assert "2027-01-04T09:00:00Z" in api_lab.ccx("sim clock show").out
    r = ApiLab(tmp_path / "bad", env={"CCX_LAB_START": "soon"}).ccx("show license status", check=False)
    assert r.code == Exit.USAGE and "Invalid CCX_LAB_START 'soon'" in r.err
