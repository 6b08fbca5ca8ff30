"""The VOS grammar engine: prefixes, ambiguity, incomplete commands, `?` rows, quoting."""

from __future__ import annotations

import pytest

from ccxcli.cli import commands, grammar
from ccxcli.errors import UsageError

ROOT = commands.tree()


def parse(line: str) -> tuple[str, dict[str, object]]:
    cmd, args = grammar.parse(ROOT, grammar.tokenize(line)[0])
    return cmd.name, args.values


@pytest.mark.parametrize("line", ["show license UDI", "sh lic udi", "SHOW LICENSE udi", "sho lic ud"])
def test_unique_prefixes_case_insensitive(line: str) -> None:
    assert parse(line)[0] == "show license UDI"


def test_ambiguous_prefix_lists_candidates() -> None:
    with pytest.raises(UsageError, match="could be status, summary"):
        parse("show license s")


def test_incomplete_command_says_what_may_follow() -> None:
    with pytest.raises(UsageError, match="Incomplete command 'show license'.*status"):
        parse("show lic")


def test_unknown_word() -> None:
    with pytest.raises(UsageError, match="unknown word 'frobnicate'"):
        parse("frobnicate")


def test_arguments_and_optional_keyword() -> None:
    assert parse("lic sm reg idt TOKEN123 force")[1] == {"token": "TOKEN123", "force": True}
    assert parse("lic sm reg idt TOKEN123")[1] == {"token": "TOKEN123", "force": False}
    with pytest.raises(UsageError, match="Missing <token>"):
        parse("license smart register idtoken")
    with pytest.raises(UsageError, match="Unexpected argument 'extra'"):
        parse("license smart register idtoken T force extra")


def test_quoted_long_xml_argument_is_one_word() -> None:
    code = "<specificPLR><authorizationCode>" + "x" * 5000 + "</authorizationCode></specificPLR>"
    name, args = parse(f'license smart reservation install "{code}"')
    assert name == "license smart reservation install" and args["code"] == [code]  # one quoted word


def test_tokenizer_reports_open_quote() -> None:
    assert grammar.tokenize('install "abc') == (["install", "abc"], True)
    assert grammar.tokenize('a "b c" d') == (["a", "b c", "d"], False)
    assert grammar.tokenize('a ""') == (["a", ""], False)


def test_tokenizer_refuses_huge_lines() -> None:
    with pytest.raises(UsageError, match="too long"):
        grammar.tokenize("x" * (grammar.MAX_LINE + 1))


def test_options_choices_and_spelling_variants() -> None:
    name, args = parse("appadmin license control --agent-seats 5 --overage off")
    assert args == {"agent_seats": "5", "overage": "off"}
    assert parse("set cli pagination of")[1] == {"state": "off"}
    for line in (
        "license smart reservation return-authorization C",
        "lic sm res return auth C",
        "license smart reservation return - authorization C",
    ):
        name, args = parse(line)
        assert name.startswith("license smart reservation return") and args == {"code": ["C"]}
    with pytest.raises(UsageError, match="could be return, return-authorization"):
        parse("lic sm res ret")
    with pytest.raises(UsageError, match="Unknown option"):
        parse("appadmin license control --bogus 1")


def test_choices_are_named_for_handlers_and_shown_plain() -> None:
    cmd, args = grammar.parse(ROOT, ["sim", "fault", "agent", "on"])
    assert args.text("fault") == "agent-init" and args.text("state") == "on"
    assert cmd.synopsis == "sim fault {license-computation|agent-init|ssm-error|ssm-slow} {on|off}"
    with pytest.raises(ValueError, match="has no name"):
        grammar.parse_usage("{on|off}")


def test_args_are_read_by_kind() -> None:
    _, args = grammar.parse(ROOT, grammar.tokenize("sim agent login a b --count 3")[0])
    assert args.many("id") == ["a", "b"] and args.get("count") == "3"
    assert args.flag("premium") is False and args.get("nothing") is None
    with pytest.raises(TypeError):
        args.text("id")  # repeated, not one value
    with pytest.raises(TypeError):
        args.many("count")


def test_suggest_rows_for_question_mark() -> None:
    rows = dict(grammar.suggest(ROOT, ["show", "license"], ""))
    assert {"status", "summary", "UDI", "usage", "all", "reservation", "techsupport"} <= set(rows)
    assert all(rows.values())
    assert [w for w, _ in grammar.suggest(ROOT, ["show", "license"], "s")] == ["status", "summary"]
    assert grammar.suggest(ROOT, ["show", "license", "status"], "") == [("<cr>", "run 'show license status'")]
    reg = dict(grammar.suggest(ROOT, ["license", "smart", "register", "idtoken"], ""))
    assert "<token>" in reg
    after = [w for w, _ in grammar.suggest(ROOT, ["license", "smart", "register", "idtoken", "T"], "")]
    assert after == ["force", "<cr>"]
    assert [w for w, _ in grammar.suggest(ROOT, ["set", "cli", "pagination"], "")] == ["on", "off"]


def test_split_for_completion() -> None:
    assert grammar.split_for_completion("show lic") == (["show"], "lic")
    assert grammar.split_for_completion("show ") == (["show"], "")
