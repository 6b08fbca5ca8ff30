"""One-shot and script modes through the real entry point: outputs, exit codes, confirmations."""

from __future__ import annotations

import re
from pathlib import Path

import pytest


def test_fresh_lab_embedded_default(lab) -> None:  # type: ignore[no-untyped-def]
    r = lab.ok("show", "license", "UDI")
    assert re.fullmatch(r"UDI: PID:UCCX,SN:[0-9a-f]{5},UUID:[0-9a-f]{32}\n", r.out)
    assert lab.ok("sh", "lic", "udi").out == r.out
    sn = r.out.split("SN:")[1][:5]
    assert r.out.strip().endswith(sn)
    st = lab.status()
    assert st["registration"]["status"] == "UNREGISTERED"
    assert st["authorization"]["status"] == "EVAL_MODE"
    assert st["evaluation"]["remaining_seconds"] == 90 * 86400
    assert st["license_type"] == "flex"
    pool = lab.pool()
    assert pool["flex-standard"]["purchased"] == 40 and pool["flex-premium"]["purchased"] == 10


def test_incomplete_and_unknown_commands_exit_2_with_one_line(lab) -> None:  # type: ignore[no-untyped-def]
    r = lab.ccx("show", "lic")
    assert r.code == 2 and "status" in r.err and r.err.count("\n") == 1
    r = lab.ccx("frobnicate")
    assert r.code == 2 and r.err.count("\n") == 1 and "Traceback" not in r.err
    assert lab.ccx("--bogus").code == 2
    assert lab.ccx("--node", "BAD NAME", "show", "license", "UDI").code == 2


def test_question_mark_in_one_shot(lab) -> None:  # type: ignore[no-untyped-def]
    r = lab.ok("show", "license", "?")
    assert "status" in r.out and "UDI" in r.out
    assert "license" in lab.ok("show", "li?").out


def test_json_tail_flag_and_unknown_node(lab) -> None:  # type: ignore[no-untyped-def]
    assert lab.ok("show", "license", "UDI", "--json").json["udi"]["pid"] == "UCCX"
    r = lab.ccx("--node", "other", "show", "license", "UDI")
    assert r.code == 2 and "sim node create other" in r.err


def test_nodes(lab) -> None:  # type: ignore[no-untyped-def]
    lab.ok("sim", "node", "create", "b", "--type", "ip-ivr")
    names = [n["name"] for n in lab.ok("--json", "sim", "node", "list").json["nodes"]]
    assert names == ["b", "uccx"]
    assert lab.status("b")["license_type"] == "ip-ivr"
    assert lab.ccx("sim", "node", "create", "b").code == 1
    assert lab.ccx("sim", "node", "create", "c", "--type", "bogus").code == 2
    r = lab.ccx("sim", "node", "delete", "b")
    assert r.code == 2 and "--yes" in r.err  # no terminal to answer Continue (y/n)?
    lab.ok("--yes", "sim", "node", "delete", "b")
    assert [n["name"] for n in lab.ok("--json", "sim", "node", "list").json["nodes"]] == ["uccx"]


def test_script_mode_echoes_and_stops_at_first_failure(lab, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    script = tmp_path / "s.txt"
    script.write_text("# a comment\nshow license UDI\n\nsim clock bogus\nshow license status\n")
    r = lab.ccx("run", str(script))
    assert r.code == 2
    assert r.out.startswith("admin:show license UDI\nUDI: PID:UCCX")
    assert "admin:sim clock bogus" in r.out and "show license status" not in r.out
    r = lab.ccx("run", str(script), "--keep-going")
    assert r.code == 2 and "admin:show license status" in r.out and "EVAL MODE" in r.out


def test_a_script_saved_by_a_windows_editor_runs(lab, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """A byte-order mark before the first line and CRLF line ends, as Notepad writes them."""
    script = tmp_path / "win.txt"
    script.write_bytes("\ufeffshow license UDI\r\nsim agent login --count 2\r\n".encode())
    for r in (lab.ccx("run", str(script)), lab.ccx("run", "-", stdin=script.read_text(encoding="utf-8"))):
        assert r.code == 0, r.err
        assert r.out.startswith("admin:show license UDI\nUDI: PID:UCCX") and "2 agents logged in" in r.out, r.out
    r = lab.ccx("run", "-", stdin="show license UDI\n\ufeffshow license UDI\n")  # only before the first line
    assert r.code == 2 and "line 2: Invalid command: unknown word" in r.err, r.err


def test_script_answers_confirmations_and_joins_pasted_codes(lab) -> None:  # type: ignore[no-untyped-def]
    lab.ok("sim", "node", "create", "b")
    r = lab.ccx("run", "-", stdin="sim node delete b\nn\nsim node list\n")
    assert r.code == 2 and "Cancelled" in r.err
    r = lab.ccx("run", "-", stdin="sim node delete b\ny\nsim node list\n")
    assert r.code == 0 and "Node b deleted" in r.out
    r = lab.ccx("run", "-", stdin='license smart reservation install "<specificPLR>\n<bad>\n"\n')
    assert r.code == 1 and "malformed" in r.err


def test_shell_with_piped_stdin_is_script_mode(lab) -> None:  # type: ignore[no-untyped-def]
    r = lab.ccx("shell", stdin="sh lic udi\nexit\nshow license status\n")
    assert r.code == 0 and "admin:sh lic udi\nUDI:" in r.out and "EVAL MODE" not in r.out


def test_pagination_is_accepted_everywhere(lab) -> None:  # type: ignore[no-untyped-def]
    lab.ok("set", "cli", "pagination", "off")
    lab.ok("set", "cli", "pagination", "on")
    assert lab.ccx("set", "cli", "pagination", "maybe").code == 2


def test_help_lists_every_command(lab) -> None:  # type: ignore[no-untyped-def]
    from ccxcli.cli.commands import COMMANDS

    out = lab.ok("help").out
    for c in COMMANDS:
        assert c.name in out
    assert "sim clock advance" in lab.ok("help", "sim", "clock").out


def test_completion_scripts(lab) -> None:  # type: ignore[no-untyped-def]
    r = lab.ccx("completion", "bash")
    assert r.code == 0 and "complete -F _ccx ccx" in r.out
    assert lab.ccx("completion", "tcsh").code == 2


@pytest.mark.parametrize(
    "argv",
    [
        ["sim", "agent", "login", "nobody"],
        ["sim", "ports", "ivr", "-3"],
        ["appadmin", "license", "consumption", "--from", "never"],
        ["license", "smart", "reservation", "install", "garbage"],
        ["license", "smart", "reservation", "install-file", "/nonexistent"],
        ["sim", "ssm", "trust", "/nonexistent"],
        ["license", "smart", "transport", "proxy", "h", "99999"],
        ["license", "smart", "transport", "gateway", "http://x/y"],
    ],
)
def test_bad_input_changes_nothing(lab, argv: list[str]) -> None:  # type: ignore[no-untyped-def]
    lab.ok("show", "license", "UDI")
    before = lab.snapshot()
    r = lab.ccx(*argv)
    assert r.code in (1, 2) and "Traceback" not in r.err and r.err.count("\n") == 1, r
    assert lab.snapshot() == before


def test_classic_node_and_migration(lab) -> None:  # type: ignore[no-untyped-def]
    lab.ok("sim", "node", "create", "old", "--classic")
    st = lab.status("old")
    assert st["smart_licensing"] == "DISABLED" and not st["evaluation"]["in_use"]
    tok = lab.ssm_ok("token", "create", "--va", "DEFAULT").out.strip()
    r = lab.ccx("--node", "old", "license", "smart", "register", "idtoken", tok)
    assert r.code == 1 and "migrate" in r.err
    assert lab.ccx("--node", "old", "--yes", "appadmin", "license", "migrate", "smart").code == 0
    st = lab.status("old")
    assert st["smart_licensing"] == "ENABLED" and st["evaluation"]["in_use"]
    assert lab.ccx("--node", "old", "--yes", "appadmin", "license", "migrate", "smart").code == 1  # one way
    lab.ok("--node", "old", "license", "smart", "register", "idtoken", tok)
    assert "Smart Licensing is ENABLED" in lab.ok("--node", "old", "show", "license", "status").out


def test_ccx_node_environment_variable(lab) -> None:  # type: ignore[no-untyped-def]
    lab.ok("sim", "node", "create", "b", "--type", "nps")
    lab.environ["CCX_NODE"] = "b"  # in the Env the program is given
    assert lab.status()["license_type"] == "nps"


def test_classic_status_text(lab) -> None:  # type: ignore[no-untyped-def]
    lab.ok("sim", "node", "create", "old", "--classic")
    out = lab.ok("--node", "old", "show", "license", "status").out
    assert out.startswith("Smart Licensing is DISABLED\n") and "Classic Licensing" in out


# --- as clients write commands (issue 20, items 2, 3 and 6) ---------------------------------------


def _authorization(lab) -> str:  # type: ignore[no-untyped-def]
    from conftest import authorize_args

    lab.ok("license", "smart", "reservation", "enable")
    req = lab.ok("--json", "license", "smart", "reservation", "request", "specific").json["request_code"]
    return lab.ssm_ok(*authorize_args(req, 2, 0)).out.strip()  # type: ignore[no-any-return]


def test_an_authorization_code_may_be_given_unquoted_as_the_rest_of_the_line(lab) -> None:  # type: ignore[no-untyped-def]
    code = _authorization(lab)
    assert " " in code  # its display names hold spaces: unquoted, it is several words
    before = lab.snapshot()
    altered = code.replace("Standard Agent<", "Standard Agents<")
    r = lab.ccx("license", "smart", "reservation", "install", *altered.split())
    assert r.code == 1 and "signature" in r.err and lab.snapshot() == before  # altered words: refused
    r = lab.ok("license", "smart", "reservation", "install", *code.split())
    assert "installed successfully" in r.out
    r = lab.ccx("run", "-", stdin="show license status\n")  # and so does a script line, unquoted
    assert "SPECIFIC LICENSE RESERVATION" in r.out


def test_yes_may_end_a_command_that_has_sub_commands(lab) -> None:  # type: ignore[no-untyped-def]
    lab.ok("license", "smart", "reservation", "install", _authorization(lab))
    r = lab.ok("license", "smart", "reservation", "return", "--yes")
    assert re.search(r"[0-9A-Za-z]{6}(-[0-9A-Za-z]{1,6}){5,}", r.out)
    assert lab.status()["registration"]["status"] == "UNREGISTERED"


@pytest.mark.parametrize("where", ["global", "trailing", "script"])
def test_a_json_failure_prints_one_json_error_object(lab, where: str) -> None:  # type: ignore[no-untyped-def]
    import json

    command = ["show", "license", "frobnicate"]
    if where == "global":
        r = lab.ccx("--json", *command)
    elif where == "trailing":
        r = lab.ccx(*command, "--json")
    else:
        r = lab.ccx("--json", "run", "-", stdin="show license frobnicate\n")
    assert r.code == 2 and "unknown word 'frobnicate'" in r.err  # stderr keeps its line
    doc = json.loads(r.out[r.out.index("{") :].split("\n}\n")[0] + "\n}")
    assert doc == {"error": {"kind": "usage", "exit_status": 2, "message": r.err.strip().removeprefix("line 1: ")}}
    r = lab.ccx("--json", "license", "smart", "reservation", "return", "--yes")
    assert r.code == 1 and json.loads(r.out)["error"]["kind"] == "rule"


def test_every_command_names_a_handler_that_exists() -> None:
    import importlib

    from ccxcli.cli.commands import COMMANDS

    for c in COMMANDS:
        for ref in filter(None, (c.handler, c.check)):
            module, _, name = ref.partition(":")
            assert callable(getattr(importlib.import_module(module), name, None)), (c.name, ref)
