"""The shell driven the way automation clients drive a VOS appliance.

`VosClient` reproduces what pyATS/Unicon's `os='vos'` plugin does (its prompt pattern,
`set cli pagination off` at connect, `Continue (y/n)?` answered with `y`, the pager
answered with single keys) over a real pseudo-terminal with pexpect; it is the gate in CI.
Unicon itself needs pyATS and genie (about 800 MB), which CI does not install: the last
test runs only where Unicon is importable (it was run on the development machine).
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pexpect
import pytest
from conftest import authorize_args
from labenv import clean_env

# Unicon's VosPatterns (unicon/plugins/vos/patterns.py).
PROMPT = r"([\r\n]|\x1b\[K)admin:\s*"
PAGING = r"options: q=quit, n=next, p=prev, b=begin, e=end \(lines (\d+) - (\d+) of (\d+)\) : "
CONTINUE = r"Continue \(y/n\)\?"
BIN = Path(sys.executable).parent


class VosClient:
    def __init__(self, home: Path, term: str = "dumb", init: tuple[str, ...] = ("set cli pagination off",)) -> None:
        env = clean_env(CCX_HOME=str(home), TERM=term)
        self.child = pexpect.spawn(
            sys.executable, ["-m", "ccxcli", "shell"], env=env, encoding="utf-8", timeout=30, dimensions=(24, 200)
        )
        self.child.expect(PROMPT)
        for cmd in init:
            self.execute(cmd)

    def execute(self, command: str) -> str:
        self.child.sendline(command)
        out = []
        while True:
            i = self.child.expect([PROMPT, CONTINUE, PAGING])
            out.append(self.child.before)
            if i == 0:
                break
            if i == 1:
                self.child.sendline("y")
            else:
                self.child.send("n" if self.child.match.group(2) != self.child.match.group(3) else "q")
        text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", "".join(out)).replace("\r", "")
        lines = text.split("\n")
        return "\n".join(lines[1:] if lines and command[:20] in lines[0] else lines).strip()

    def close(self) -> None:
        self.child.sendline("exit")
        self.child.expect(pexpect.EOF)
        self.child.close()


def ssm(home: Path, *args: str) -> str:
    r = subprocess.run(
        [sys.executable, "-c", "import sys; from ccxcli.ssm.cli.main import main; sys.exit(main())", *args],
        env=clean_env(CCX_HOME=str(home)),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 0, r.stderr
    return r.stdout.strip()


@pytest.mark.parametrize("term", ["dumb", "xterm"])
def test_prompt_matches_unicon_pattern(tmp_path: Path, term: str) -> None:
    c = VosClient(tmp_path / "lab", term=term, init=())
    try:
        assert re.fullmatch(
            r"UDI: PID:UCCX,SN:[0-9a-f]{5},UUID:[0-9a-f]{32}", c.execute("show license UDI").splitlines()[-1]
        )
    finally:
        c.close()


@pytest.mark.parametrize("term", ["dumb", "xterm"])
def test_registration_and_full_slr_flow_like_unicon(tmp_path: Path, term: str) -> None:
    home = tmp_path / "lab"
    c = VosClient(home, term=term)
    try:
        tok = ssm(home, "token", "create", "--va", "DEFAULT")
        assert "Registration succeeded" in c.execute(f"license smart register idtoken {tok}")
        assert "  Status: REGISTERED" in c.execute("show license status")
        assert "Deregistered" in c.execute("license smart deregister")  # Continue (y/n)? -> y
        c.execute("sim network down")
        c.execute("license smart reservation enable")
        req = re.search(r"CB-ZUCCX:\S+", c.execute("license smart reservation request specific")).group(0)  # type: ignore[union-attr]
        auth = ssm(home, *authorize_args(req))
        assert "installed" in c.execute(f'license smart reservation install "{auth}"')
        assert "REGISTERED - SPECIFIC LICENSE RESERVATION" in c.execute("show license all")
        sn = re.search(r"SN:([0-9a-f]{5})", c.execute("show license UDI")).group(1)  # type: ignore[union-attr]
        upd = ssm(home, "reservation", "update", sn, "--license", "flex-standard=30", "--license", "flex-premium=5")
        conf = c.execute(f'license smart reservation install "{upd}"').splitlines()[-1]
        assert re.fullmatch(r"[0-9a-f]{8}", conf)
        ssm(home, "reservation", "confirm", sn, conf)
        ret = re.search(
            r"[0-9A-Za-z]{6}(?:-[0-9A-Za-z]{1,6}){5,}", c.execute("license smart reservation return")
        ).group(0)  # type: ignore[union-attr]
        ssm(home, "reservation", "return", ret)
        c.execute("license smart reservation disable")
        assert "License Reservation is DISABLED" in c.execute("show license reservation")
    finally:
        c.close()


def test_pager_answered_with_single_keys(tmp_path: Path) -> None:
    c = VosClient(tmp_path / "lab", term="xterm", init=())
    try:
        out = c.execute("show license techsupport")
        assert "Recent Events\n=====" in out and "Product Information\n=====" in out
    finally:
        c.close()


@pytest.mark.parametrize("term", ["dumb", "xterm"])
def test_with_unicon(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, term: str) -> None:
    pytest.importorskip("unicon", reason="Unicon needs pyATS and genie (~800 MB); not installed in CI")
    from unicon import Connection

    monkeypatch.setenv("CCX_HOME", str(tmp_path / "lab"))
    dev = Connection(
        hostname="uccx",
        start=[f"env TERM={term} {sys.executable} -m ccxcli shell"],
        os="vos",
        learn_hostname=False,
        log_stdout=False,
        connection_timeout=30,
    )
    dev.connect()
    try:
        for _ in range(3):  # Unicon strips the echo of the command: a second echo would stay in its output
            out = dev.execute("show license UDI")
            assert re.search(r"UDI: PID:UCCX,SN:[0-9a-f]{5}", out) and "show license" not in out, out
        tok = ssm(tmp_path / "lab", "token", "create", "--va", "DEFAULT")
        dev.execute(f"license smart register idtoken {tok}")
        assert "Deregistered" in dev.execute("license smart deregister")
    finally:
        dev.disconnect()
