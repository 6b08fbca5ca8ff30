"""A one-shot device command must not load the heavy libraries it does not need."""

from __future__ import annotations

import json
import site
import subprocess
import sys
from pathlib import Path

import pytest
from labenv import child_env

import ccxcli

pytestmark = pytest.mark.smoke  # a regular install (the newest releases' run) as well as an editable one

HEAVY = (
    "typer",
    "rich",
    "prompt_toolkit",
    "cryptography",
    "click",
    "sqlite3",
    "ssl",
    "http",
    "starlette",
    "uvicorn",
    "jinja2",
    "asyncssh",
)

PROBE = """
import sys
sys.argv = ["ccx", "--home", sys.argv[1], *sys.argv[2:]]
from ccxcli.cli.main import main
code = main()
mods = sorted({m.split('.')[0] for m in sys.modules})  # before the probe's own json import
import json
sys.stderr.write("\\nMODULES " + json.dumps(mods) + "\\n")
raise SystemExit(code)
"""

# Standard-library modules whose import is a visible part of a one-shot command's start-up
# (issue 14: `typing`, `enum`, `pathlib`, `datetime`, `urllib`, `ipaddress`). `json` (and the
# `re` it brings) is allowed: reading a state file as JSON costs about 2 ms, and the marshal
# cache and hand-written encoder that avoided it were dropped as not worth their code
# (benchmarks/README.md). A module the bare interpreter already loads is not counted.
LIGHT = (
    "typing",
    "enum",
    "pathlib",
    "datetime",
    "urllib",
    "ipaddress",
    "dataclasses",
    "inspect",
    "signal",
    "argparse",
    "textwrap",
    "shutil",
    "uuid",
    "secrets",
    "hashlib",
    "tempfile",
    "subprocess",
)
# The floor: the bare interpreter with `json` loaded (allowed, with the `re` and `enum` it brings).
FLOOR = "import sys, json; print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))"
# The light check runs the interpreter without `site` (-S): an editable install's .pth file
# imports `re`, `enum` and more at start-up, which would hide them from the check, while a
# regular install loads none. The paths `site` would give are set by hand instead (no .pth run).
PACKAGE_PATH = [str(Path(ccxcli.__file__).resolve().parents[1]), *site.getsitepackages()]
BARE = f"import sys; sys.path[:0] = {PACKAGE_PATH!r}\n"


def interpreter_floor() -> set[str]:
    """What the bare interpreter (no `site`) loads with `json`, which reading any state file needs."""
    r = subprocess.run([sys.executable, "-S", "-c", FLOOR], capture_output=True, text=True, timeout=60, check=True)
    return set(json.loads(r.stdout))


def loaded(home: Path, *argv: str, bare: bool = False) -> set[str]:
    """The top-level modules a `ccx` command loaded (`bare`: without `site` and its .pth files)."""
    cmd = [sys.executable, "-S", "-c", BARE + PROBE] if bare else [sys.executable, "-c", PROBE]
    r = subprocess.run([*cmd, str(home), *argv], capture_output=True, text=True, timeout=60, env=child_env(home))
    assert r.returncode == 0, r.stderr
    line = [x for x in r.stderr.splitlines() if x.startswith("MODULES ")][-1]
    return set(json.loads(line[len("MODULES ") :]))


def test_one_shot_status_and_udi_load_no_heavy_module(tmp_path: Path) -> None:
    home = tmp_path / "lab"
    loaded(home, "show", "license", "UDI")  # the first command creates the lab (and the SSM key)
    loaded(home, "--node", "b", "sim", "node", "create", "b")
    token = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from ccxcli.ssm.cli.main import main; sys.exit(main())",
            "--home",
            str(home),
            "token",
            "create",
            "--va",
            "DEFAULT",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    loaded(home, "--node", "b", "license", "smart", "register", "idtoken", token)  # a registered node in the lab
    for argv in (["show", "license", "UDI"], ["show", "license", "status"], ["sim", "agent", "login", "--count", "3"]):
        mods = loaded(home, *argv)
        assert not mods & set(HEAVY), (argv, mods & set(HEAVY))
    # moving the clock sends the registered node's reports to the SSM: sqlite3, nothing else
    mods = loaded(home, "sim", "clock", "advance", "1d")
    assert mods & set(HEAVY) == {"sqlite3"}


def test_one_shot_device_commands_load_no_light_module_beyond_the_interpreter(tmp_path: Path) -> None:
    floor = interpreter_floor()
    home = tmp_path / "lab"
    loaded(home, "show", "license", "UDI")
    token = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from ccxcli.ssm.cli.main import main; sys.exit(main())",
            "--home",
            str(home),
            "token",
            "create",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    loaded(home, "license", "smart", "register", "idtoken", token)
    loaded(home, "sim", "agent", "login", "--count", "30")
    for argv in (
        ["show", "license", "status"],
        ["--json", "show", "license", "status"],
        ["show", "license", "UDI"],
        ["show", "license", "all"],
        ["sim", "agent", "list"],
    ):
        extra = (loaded(home, *argv, bare=True) - floor) & set(LIGHT)
        assert not extra, (argv, extra)


def test_the_light_budget_can_fail(tmp_path: Path) -> None:
    """The check above sees a light module when a command does load one: a command that
    saves the node's state names its temp file with `secrets`."""
    home = tmp_path / "lab"
    loaded(home, "show", "license", "UDI")
    assert "secrets" in (loaded(home, "sim", "agent", "login", "--count", "1", bare=True) - interpreter_floor()) & set(
        LIGHT
    )


def test_the_probe_can_see_heavy_modules(tmp_path: Path) -> None:
    """The check above can fail: commands that need cryptography do load it."""
    home = tmp_path / "lab"
    loaded(home, "license", "smart", "reservation", "enable")
    assert "cryptography" in loaded(home, "license", "smart", "reservation", "request")


SSM_PROBE = """
import json, sys
from ccxcli.ssm.cli.main import main
code = main(sys.argv[1:])
sys.stderr.write("\\nMODULES " + json.dumps(sorted({m.split('.')[0] for m in sys.modules})) + "\\n")
raise SystemExit(code)
"""


def test_ccx_ssm_frequent_commands_load_neither_typer_nor_rich(tmp_path: Path) -> None:
    home = str(tmp_path / "lab")
    for argv in (["license", "list"], ["token", "create"], ["token", "list"], ["--help"]):
        r = subprocess.run(
            [sys.executable, "-c", SSM_PROBE, "--home", home, *argv], capture_output=True, text=True, timeout=60
        )
        assert r.returncode == 0, r.stderr
        mods = set(json.loads([x for x in r.stderr.splitlines() if x.startswith("MODULES ")][-1][8:]))
        assert not mods & {"typer", "rich", "click", "prompt_toolkit"}, (argv, mods)
        assert ("cryptography" in mods) == (argv == ["license", "list"]), argv  # the first command makes the key
