"""Transcripts that check: `ccx run --record` writes what a script did, `ccx run --check`
replays it on a lab and names the first difference (a unified diff), with cmd2-style /regex/
placeholders for what changes from run to run."""

from __future__ import annotations

from pathlib import Path

from conftest import Lab, ccx_run

from ccxcli.cli.transcript import pattern, placeholders

SCRIPT = """# a regression script
show license UDI
sim node create b
sim node delete b
y
license smart reservation enable
license smart reservation request specific
show license summary
license smart renew auth
"""


def test_placeholders_and_patterns() -> None:
    line = "UDI: PID:UCCX,SN:ab12c,UUID:0123456789abcdef0123456789abcdef at 2027-01-26T15:11:23Z a/b"
    shown = placeholders(line)
    assert shown == (r"UDI: PID:UCCX,SN:/[0-9a-f]{5}/,UUID:/[0-9a-f]{32}/ at /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ/ a\/b")
    assert pattern(shown).fullmatch(line.replace("ab12c", "99999"))
    assert not pattern(shown).fullmatch(line.replace("a/b", "a/c"))
    assert pattern(r"Count: /\d+/ of 40").fullmatch("Count: 12 of 40")
    assert placeholders("Jan 26 15:11:23 2027 UTC") == r"/[A-Z][a-z]{2} \d\d \d\d:\d\d:\d\d \d{4} UTC/"


def test_record_then_check_on_a_fresh_lab(lab: Lab, tmp_path: Path) -> None:
    script, record = tmp_path / "s.txt", tmp_path / "t.txt"
    script.write_text(SCRIPT)
    r = lab.ccx("run", "--record", str(record), str(script), "--keep-going")
    assert r.code == 1 and "admin:show license UDI" in r.out  # the script's last command fails, as VOS says
    text = record.read_text()
    assert "admin:sim node delete b\n< y\nThis will delete the node" in text  # the answer is kept
    assert "/CB-Z\\S+/" in text and "\n(exit 1)\n" in text and "SN:/[0-9a-f]{5}/" in text
    lab.ok("--yes", "sim", "lab", "reset")
    r = lab.ccx("run", "--check", str(record))
    assert r.code == 0 and "7 commands, every output and exit status as recorded" in r.out, r


def test_a_changed_output_fails_and_names_the_line(lab: Lab, tmp_path: Path) -> None:
    script, record = tmp_path / "s.txt", tmp_path / "t.txt"
    script.write_text("sim agent login --count 3\nshow license summary\n")
    lab.ok("run", "--record", str(record), str(script))
    lab.ok("--yes", "sim", "lab", "reset")
    lab.ok("sim", "agent", "login", "--count", "1")  # the lab is not what it was
    r = lab.ccx("run", "--check", str(record))
    assert r.code == 1
    first = r.err.splitlines()[0]
    assert first == f"{record}: line 3, in the output of 'sim agent login --count 3', differs from this run:"
    assert "-3 agents logged in; in use now: flex-standard 3, flex-premium 0" in r.err
    assert "+3 agents logged in; in use now: flex-standard 4, flex-premium 0" in r.err
    assert "--- " in r.err and "+++ this run" in r.err


def test_a_changed_exit_status_fails(lab: Lab, tmp_path: Path) -> None:
    record = tmp_path / "t.txt"
    record.write_text(
        "admin:license smart renew auth\nRenewal is not possible: the product is not registered.\n"
        "Executed command unsuccessfully\n(exit 0)\n"
    )
    r = lab.ccx("run", "--check", str(record))
    assert r.code == 1 and "-(exit 0)" in r.err and "+(exit 1)" in r.err


def test_bad_transcripts_and_options_are_refused(lab: Lab, tmp_path: Path) -> None:
    cases = {
        "show license UDI\n": "starts each command with 'admin:'",
        "admin:show license UDI\nUDI\n": "no '(exit N)'",
        "# nothing\n": "holds no command",
        "admin:show license UDI\n/[/\n(exit 0)\n": "not valid",
    }
    for n, (text, words) in enumerate(cases.items()):
        f = tmp_path / f"bad{n}.txt"
        f.write_text(text)
        lab.refused(["run", "--check", str(f)], words, code=2)
    f = tmp_path / "t.txt"
    f.write_text("admin:show license UDI\n(exit 0)\n")
    lab.refused(["run", "--check", str(f), str(f)], "--check replays a transcript on its own", code=2)
    lab.refused(["run"], "Give a script file", code=2)
    lab.refused(["run", "--check", str(tmp_path / "none.txt")], "Cannot read", code=2)


def test_a_regex_that_backtracks_without_end_is_refused_not_run_for_ever(tmp_path: Path) -> None:
    """`(a+)+b` against thirty a's would take the regex engine hours; the check gives each line
    a time budget and says which /regex/ it was (a real process: the budget is a timer)."""
    home = tmp_path / "lab"
    script, record = tmp_path / "s.txt", tmp_path / "t.txt"
    script.write_text("sim node create " + "a" * 30 + "\n")
    assert ccx_run(home, "run", "--record", str(record), str(script)).returncode == 0
    record.write_text(record.read_text().replace("Node " + "a" * 30, "Node /(a+)+b/"))
    assert ccx_run(home, "--yes", "sim", "lab", "reset").returncode == 0
    r = ccx_run(home, "run", "--check", str(record))
    assert r.returncode == 2 and "took more than" in r.stderr and "(a+)+b" in r.stderr, r.stderr
    assert "Traceback" not in r.stderr
