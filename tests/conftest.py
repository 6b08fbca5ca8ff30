from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from labenv import LAB_START, child_env, clean_env, ssm_state
from ssh_served import Served

from ccxcli.api import Lab as ApiLab
from ccxcli.api import Result as ApiResult

ROOT = Path(__file__).resolve().parents[1]
# The public Python API (and its pytest plugin) runs commands with the process's environment, as a
# user's suite would: its labs too start at the tests' fixed lab time.
os.environ["CCX_LAB_START"] = LAB_START


def authorize_args(request: str, std: int = 20, prem: int = 5, va: str = "DEFAULT") -> list[str]:
    """`ccx-ssm` arguments that reserve `std` standard and `prem` premium Flex licenses."""
    return [
        "reservation",
        "authorize",
        "--va",
        va,
        "--request",
        request,
        "--license",
        f"flex-standard={std}",
        "--license",
        f"flex-premium={prem}",
    ]


class Run:
    def __init__(self, code: int, out: str, err: str) -> None:
        self.code, self.out, self.err = code, out, err

    @property
    def json(self) -> Any:
        return json.loads(self.out)

    def __repr__(self) -> str:
        return f"Run(code={self.code}, out={self.out[-400:]!r}, err={self.err!r})"


class Lab:
    """Drives `ccx` and `ccx-ssm` in-process, through the public Python API (`ccxcli.api.Lab`:
    the programs' real entry points with an `Env` of their own), with the assertions tests
    share. `environ` is the programs' whole environment (explicit, never the runner's)."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.environ = clean_env()
        self.api = ApiLab(home, inherit_env=False)
        self.api.env = self.environ  # the same dict: a test may add to it

    def ccx(self, *argv: str, stdin: str | None = None) -> Run:
        return self._done(self.api.ccx(list(argv), check=False, stdin=stdin))

    def ssm(self, *argv: str, stdin: str | None = None) -> Run:
        return self._done(self.api.ccx_ssm(list(argv), check=False, stdin=stdin))

    @staticmethod
    def _done(r: ApiResult) -> Run:
        """Nothing of `sys` is patched, so output a program wrote around its `Env` is lost
        and fails the test; `main(argv, env)` with an Env leaves the process's signals alone."""
        assert signal.getsignal(signal.SIGPIPE) == signal.SIG_IGN
        return Run(r.code, r.out, r.err)

    def ok(self, *argv: str, stdin: str | None = None) -> Run:
        r = self.ccx(*argv, stdin=stdin)
        assert r.code == 0, r
        return r

    def ssm_ok(self, *argv: str, stdin: str | None = None) -> Run:
        r = self.ssm(*argv, stdin=stdin)
        assert r.code == 0, r
        return r

    def status(self, node: str | None = None) -> dict[str, Any]:
        extra = ["--node", node] if node else []
        return self.ok(*extra, "--json", "show", "license", "status").json  # type: ignore[no-any-return]

    def pool(self, va: str = "DEFAULT") -> dict[str, dict[str, Any]]:
        rows = self.ssm_ok("--json", "license", "list", "--va", va).json["licenses"]
        return {r["alias"]: r for r in rows}

    def snapshot(self) -> dict[str, bytes]:
        """Every state file of the lab, to prove a refusal changed nothing."""
        out = {}
        for p in sorted(self.home.rglob("*")):
            if p.is_file() and p.name != "history" and not p.name.endswith((".lock", "-journal", "-wal", "-shm")):
                # an SSM database by what it holds: its newest commits may be in its write-ahead log
                held = ssm_state(p.parent).encode() if p.name == "ssm.db" else p.read_bytes()
                out[str(p.relative_to(self.home))] = held
        return out

    def refused(self, argv: list[str], words: str, ssm: bool = False, code: int = 1) -> Run:
        """Run a command that must be refused with `code` and a message holding `words`,
        changing no file of the lab."""
        before = self.snapshot()
        r = (self.ssm if ssm else self.ccx)(*argv)
        assert r.code == code and words in r.err and "Traceback" not in r.err, r
        assert self.snapshot() == before, r
        return r

    def register(self, node: str | None = None, va: str = "DEFAULT") -> str:
        tok = self.ssm_ok("token", "create", "--va", va).out.strip()
        extra = ["--node", node] if node else []
        self.ok(*extra, "license", "smart", "register", "idtoken", tok)
        return tok


BIN = Path(sys.executable).parent


def ccx_run(home: Path, *argv: str, stdin: str | None = None, **env: str) -> subprocess.CompletedProcess[str]:
    """`ccx` in a child process (for crashes and concurrency)."""
    return subprocess.run(
        [sys.executable, "-m", "ccxcli", *argv],
        input=stdin,
        text=True,
        capture_output=True,
        env=child_env(home, **env),
        timeout=120,
    )


def ssm_run(home: Path, *argv: str, **env: str) -> subprocess.CompletedProcess[str]:
    """`ccx-ssm` in a child process."""
    code = "import sys; from ccxcli.ssm.cli.main import main; sys.exit(main())"
    return subprocess.run(
        [sys.executable, "-c", code, *argv], text=True, capture_output=True, env=child_env(home, **env), timeout=120
    )


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[Lab]:
    old = {k: os.environ.pop(k, None) for k in ("CCX_HOME", "CCX_NODE", "CCX_SSM_HOME")}
    try:
        yield Lab(tmp_path / "lab")
    finally:
        for k, v in old.items():
            if v is not None:
                os.environ[k] = v


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    """`ccx serve` on a fresh lab, stopped (cleanly, by SIGTERM) after the test."""
    s = Served(tmp_path / "lab")
    try:
        yield s
    finally:
        assert s.stop() == 0  # SIGTERM is handled cleanly
