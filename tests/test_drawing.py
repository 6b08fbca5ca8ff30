"""rich draws where people look (a terminal), never in VOS output, never for a pipe."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pexpect
from labenv import child_env

from ccxcli import drawing
from ccxcli.cli.main import main
from ccxcli.runtime import Env
from ccxcli.session.context import open_lab
from ccxcli.session.life import move

CCX = [sys.executable, "-m", "ccxcli"]
SSM = [sys.executable, "-c", "import sys; from ccxcli.ssm.cli.main import main; sys.exit(main())"]


class Terminal(io.StringIO):
    """A stream that says it is a terminal."""

    def isatty(self) -> bool:
        return True


def on_pty(argv: list[str], home: Path, term: str = "xterm") -> str:
    child = pexpect.spawn(
        argv[0], argv[1:], env=child_env(home, TERM=term), encoding="utf-8", timeout=30, dimensions=(40, 140)
    )
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0, child.before
    return str(child.before)


def piped(argv: list[str], home: Path) -> str:
    r = subprocess.run(argv, env=child_env(home, TERM="xterm"), capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    return r.stdout


def test_the_consumption_chart_is_drawn_on_a_terminal_and_plain_in_a_pipe(tmp_path: Path) -> None:
    home = tmp_path / "lab"
    chart = [*CCX, "appadmin", "license", "consumption", "--chart"]
    plain = piped(chart, home)
    assert plain.startswith("License consumption (bar: actual peak, |: reported") and "\x1b[" not in plain
    drawn = on_pty(chart, home)
    assert "\x1b[" in drawn and "┃" in drawn and "Interval end" in drawn  # a rich table, in colour
    assert "\x1b[" not in on_pty(chart, home, term="dumb")
    assert "\x1b[" not in on_pty([*CCX, "show", "license", "status"], home)  # VOS output: never


def test_ccx_ssm_tables_on_a_terminal_and_in_a_pipe(tmp_path: Path) -> None:
    home = tmp_path / "lab"
    listing = [*SSM, "license", "list"]
    plain = piped(listing, home)
    assert plain.splitlines()[1].split()[:2] == ["License", "Purchased"] and "┃" not in plain
    drawn = on_pty(listing, home)
    assert "┃" in drawn and "Purchased" in drawn and "flex-standard" in drawn


def test_a_progress_display_appears_only_for_long_work() -> None:
    out = Terminal()
    with drawing.Later(out, {"TERM": "xterm"}, "Moving the clock", 100, after=0) as shown:
        shown(50)
    assert "Moving the clock" in out.getvalue()
    quiet = Terminal()
    with drawing.Later(quiet, {"TERM": "xterm"}, "Moving the clock", 100, after=60) as shown:
        shown(50)
    assert quiet.getvalue() == ""
    assert drawing.later(io.StringIO(), {"TERM": "xterm"}, "x", 1) is None  # not a terminal: nothing
    assert drawing.later(Terminal(), {"TERM": "dumb"}, "x", 1) is None


def test_colours_follow_the_given_environment_not_the_process() -> None:
    """A chart or table drawn for a session takes its colours from the session's environment
    (a server started with TERM=dumb or NO_COLOR must not take them from its client)."""
    rich = drawing.console(Terminal(), {"TERM": "xterm-256color"})
    assert rich.color_system == "256"
    assert drawing.console(Terminal(), {"TERM": "xterm-256color", "NO_COLOR": "1"}).no_color
    assert drawing.console(Terminal(), {"TERM": "dumb"}).color_system is None


def test_a_clock_move_reports_its_progress(tmp_path: Path) -> None:
    home = tmp_path / "lab"
    env = Env(io.StringIO(), io.StringIO(), io.StringIO(), child_env(home))
    assert main(["--home", str(home), "sim", "agent", "login", "--count", "2"], env) == 0
    seen: list[float] = []
    with open_lab(home) as lab:
        start = lab.now()
        move(lab, start + 100 * 86400, seen.append)  # the evaluation period ends on the way
    assert seen and seen == sorted(seen) and 0 <= seen[0] and seen[-1] <= 100 * 86400


def test_long_scripts_and_clock_moves_show_progress_on_the_terminal(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(drawing, "AFTER", 0)
    home = tmp_path / "lab"
    script = tmp_path / "s.txt"
    script.write_text("show license UDI\nsim agent login --count 2\nsim clock advance 100d\n", encoding="utf-8")
    out, err = io.StringIO(), Terminal()
    env = Env(io.StringIO(), out, err, child_env(home, TERM="xterm"))
    assert main(["--home", str(home), "run", str(script)], env) == 0
    assert "Running the script" in err.getvalue() and "Moving the clock" in err.getvalue()
    assert "\x1b[" not in out.getvalue() and "admin:show license UDI" in out.getvalue()  # the transcript: plain
