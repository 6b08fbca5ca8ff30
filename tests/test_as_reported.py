"""What users read, as reported (issue 31, item 6): each test failed on the code before it."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import click
import typer.main
from conftest import Lab
from doctext import everything
from labenv import child_env

from ccxcli.cli.host import app
from ccxcli.cli.main import USAGE_TEXT
from ccxcli.core.failures import FAULTS
from ccxcli.errors import Exit

ROOT = Path(__file__).resolve().parents[1]


def test_ccx_ssm_json_failures_print_the_error_document_on_stdout(lab: Lab) -> None:
    r = lab.ssm("--json", "token", "revoke", "no-such-token")
    assert r.code == Exit.RULE and r.err.strip()
    doc = json.loads(r.out)
    assert doc == {"error": {"kind": "rule", "message": r.err.strip(), "exit_status": Exit.RULE}}
    ccx = lab.ccx("--json", "license", "smart", "renew", "auth")  # ccx prints the same shape
    assert set(json.loads(ccx.out)["error"]) == {"kind", "message", "exit_status"}
    assert lab.ssm("token", "revoke", "no-such-token").out == ""  # without --json: stderr only


def test_turning_a_fault_off_says_what_comes_back(lab: Lab) -> None:
    for name in FAULTS:
        on = lab.ok("sim", "fault", name, "on").out
        off = lab.ok("sim", "fault", name, "off").out
        assert FAULTS[name] in on and FAULTS[name] not in off and "again" in off, (on, off)


def test_the_proxy_question_is_refused_without_a_terminal_and_answered_by_options(lab: Lab, tmp_path: Path) -> None:
    lab.ok("show", "license", "UDI")
    r = lab.refused(["license", "smart", "transport", "proxy", "proxy.lab", "3128"], "--no-auth", code=Exit.USAGE)
    assert "no terminal" in r.err
    r = lab.refused(
        ["--yes", "license", "smart", "transport", "proxy", "proxy.lab", "3128"], "--no-auth", code=Exit.USAGE
    )
    lab.ok("license", "smart", "transport", "proxy", "proxy.lab", "3128", "--no-auth")
    assert "with authentication" not in lab.ok("show", "license", "all").out
    (tmp_path / "pw").write_text("s3cret\n")
    out = lab.ok(
        "license",
        "smart",
        "transport",
        "proxy",
        "proxy.lab",
        "3128",
        "--user",
        "alice",
        "--password-file",
        str(tmp_path / "pw"),
    ).out
    assert "with authentication" in out
    lab.refused(
        ["license", "smart", "transport", "proxy", "p", "1", "--user", "alice"], "--password-file", code=Exit.USAGE
    )


def test_a_used_up_token_says_once_not_1_times(lab: Lab) -> None:
    token = lab.ssm_ok("token", "create", "--max-uses", "1").out.strip()
    lab.ok("license", "smart", "register", "idtoken", token)
    lab.ok("sim", "node", "create", "b")
    r = lab.ccx("--node", "b", "license", "smart", "register", "idtoken", token)
    assert r.code == Exit.RULE and "used once" in r.err and "1 times" not in r.err, r


def test_the_readme_gives_the_cli_ranges(tmp_path: Path) -> None:
    readme = everything()
    assert "1–10,000" in readme and "counts of agents,\nports and License Control limits 0–100,000" not in readme
    r = subprocess.run(
        [sys.executable, "-m", "ccxcli", "help", "sim", "agent", "login"],
        capture_output=True,
        text=True,
        timeout=60,
        env=child_env(tmp_path / "lab"),
    )
    assert "1 to 10000" in r.stdout, r.stdout + r.stderr


def test_ccx_help_names_every_option_of_serve_and_serve_help_is_plain(tmp_path: Path) -> None:
    command = typer_main().commands["serve"]  # type: ignore[attr-defined]
    options = {o for p in command.params for o in p.opts if o.startswith("--")}
    usage = USAGE_TEXT[USAGE_TEXT.index("ccx serve") :]
    assert options and {o for o in options if o not in usage} == set()
    r = subprocess.run(
        [sys.executable, "-m", "ccxcli", "serve", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        env=child_env(tmp_path / "lab"),
    )
    assert r.returncode == 0 and r.stdout.startswith("Usage: ccx serve") and not re.search("[╭│─]", r.stdout)


def typer_main() -> click.Command:
    return typer.main.get_command(app)
