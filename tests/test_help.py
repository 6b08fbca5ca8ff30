"""Help that teaches: every command of both programs has a one-line help, a help text for
each argument and option, an example that parses to that very command, and says what it
changes; `--help` shows the lab in use, getting started, the other program, exit codes."""

from __future__ import annotations

import re
import shlex

import pytest
from conftest import Lab

from ccxcli.ssm.cli.app import PROG


def _example_argv(example: str, program: str) -> list[str]:
    """The `program …` part of an example line, its shell variables standing for values."""
    m = re.search(rf"(?:^|[;(]\s*){re.escape(program)} ([^;)>|]*)", example)
    assert m, example
    return [re.sub(r"\$\w+|\$\{\w+\}", "VALUE", w) for w in shlex.split(m.group(1))]


@pytest.mark.parametrize("cmd", list(PROG.commands.values()), ids=lambda c: c.name)
def test_every_ccx_ssm_command_is_documented(cmd) -> None:  # type: ignore[no-untyped-def]
    assert cmd.help and cmd.changes and cmd.example
    for p in cmd.params:
        assert len(p.help) > 8, (cmd.name, p.name)
    glob, parsed, _values, _ = PROG.parse(_example_argv(cmd.example, "ccx-ssm"))
    assert parsed is cmd, (cmd.example, parsed)


def test_ccx_ssm_help_layouts(lab: Lab) -> None:
    top = lab.ssm_ok("--help").out
    assert f"Lab in use: {lab.home}" in top and "Getting started:" in top and "'ccx --help'" in top
    assert "Exit codes: 0 done; 1 refused" in top and "token create" in top
    one = lab.ssm_ok("token", "create", "--help").out
    assert one.startswith("Usage: ccx-ssm token create [--va NAME] [--expires-days N]")
    assert "Range: 1 to 365. Default: 30." in one and "Changes: adds a token" in one and "Example: " in one
    lic = lab.ssm_ok("reservation", "authorize", "--help").out
    assert "aliases: flex-standard, flex-premium," in lic and "{aliases}" not in lic
    assert lab.ssm_ok("--version").out.startswith("ccx-ssm 0.")


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["licence", "list"], "No such command 'licence'"),
        (["license", "list", "--vaa", "X"], "No such option '--vaa'"),
        (["license", "add", "flex-premium"], "Missing argument QTY"),
        (["license", "add", "flex-premium", "many"], "QTY takes a whole number, not 'many'"),
        (["token", "create", "--expires-days", "400"], "--expires-days must be 1 to 365, not 400"),
        (["token", "create", "--va"], "Option --va needs a value"),
        (["license", "transfer", "flex-premium", "1", "--to", "X"], "Missing option --from NAME"),
        (["va", "create", "a", "b"], "Unexpected argument 'b'"),
    ],
)
def test_ccx_ssm_usage_errors_are_one_line_and_change_nothing(lab: Lab, argv: list[str], words: str) -> None:
    lab.ssm_ok("license", "list")
    before = lab.snapshot()
    r = lab.ssm(*argv)
    assert r.code == 2 and words in r.err and len(r.err.strip().splitlines()) == 1, r
    assert lab.snapshot() == before


def test_an_incomplete_ccx_ssm_command_shows_its_group(lab: Lab) -> None:
    r = lab.ssm("license")
    assert r.code == 2 and "Usage: ccx-ssm license COMMAND" in r.err and "transfer" in r.err


def test_token_list_shows_whole_tokens_that_revoke_takes(lab: Lab) -> None:
    token = lab.ssm_ok("token", "create", "--description", "lab").out.strip()
    listing = lab.ssm_ok("token", "list").out
    shown = [w for line in listing.splitlines()[3:] for w in line.split() if len(w) > 30]
    assert shown == [token]
    lab.ssm_ok("token", "revoke", shown[0])
    assert "revoked" in lab.ssm_ok("token", "list").out


def test_listings_are_plain_tables_that_fit(lab: Lab) -> None:
    lab.ssm_ok("va", "create", "A virtual account with a long name for the title")
    for argv in (["va", "list"], ["license", "list"], ["instance", "list"], ["reservation", "list"]):
        out = lab.ssm_ok(*argv).out.splitlines()
        assert set(out[2]) <= {"-", " "} and out[2].startswith("-"), (argv, out[:3])  # title, header, rule
        assert not any(ch in "".join(out) for ch in "│┃━─┏"), argv
    assert "'Demo Smart Account'" in lab.ssm_ok("va", "list").out.splitlines()[0]


# --- ccx: the node's commands --------------------------------------------------------------------

from ccxcli.cli import commands, grammar  # noqa: E402


@pytest.mark.parametrize("cmd", commands.COMMANDS, ids=lambda c: c.name)
def test_every_ccx_command_is_documented(cmd) -> None:  # type: ignore[no-untyped-def]
    assert cmd.changes and cmd.example
    assert sorted(cmd.args) == sorted(p.name for p in cmd.params), cmd.name  # every argument, nothing else
    assert all(len(text) > 8 for text in cmd.args.values()), cmd.name
    tokens, open_quote = grammar.tokenize(cmd.example)
    assert not open_quote
    parsed, _ = grammar.parse(commands.tree(), tokens)
    assert parsed is cmd, (cmd.example, parsed.name)


def test_question_mark_and_help_describe_each_command_the_same_way(lab: Lab) -> None:
    for cmd in commands.COMMANDS:
        for words in cmd.spellings:
            *above, last = words
            rows = dict(grammar.suggest(commands.tree(), list(above), ""))
            assert rows[last] == cmd.help, " ".join(words)
    spellings = {w for c in commands.COMMANDS for w in c.spellings}
    assert not set(commands.GROUP_HELP) & spellings  # no second description


def test_other_spellings_are_one_command(lab: Lab) -> None:
    one = commands.tree()
    for line in ("quit", "lic sm res return - auth C", "lic sm res return auth C", "lic sm res return-auth C"):
        cmd, _ = grammar.parse(one, grammar.tokenize(line)[0])
        assert cmd.name in ("exit", "license smart reservation return-authorization"), line
    out = lab.ok("help", "license", "smart", "reservation", "return", "authorization").out
    assert out.startswith("Usage: license smart reservation return-authorization <code>...")
    assert "Also spelled: license smart reservation return authorization; license smart reservation return - " in out
    assert "quit" in lab.ok("--json", "help", "exit").json["aliases"]
    listing = lab.ok("help").out
    assert "\nquit " not in listing and listing.count("return-authorization") == 1  # listed once


def test_help_for_one_command_teaches(lab: Lab) -> None:
    out = lab.ok("help", "license", "smart", "transport", "proxy").out
    assert out.startswith("Usage: license smart transport proxy <host> <port>")
    assert "1 to 65535" in out and "Changes: " in out and "Example: license smart transport proxy" in out
    assert "not in the real CLI" not in out
    sim = lab.ok("help", "sim", "clock", "adv").out  # unique prefixes, as everywhere in the CLI
    assert "Usage: sim clock advance <duration>" in sim and "(added by ccxcli: not in the real CLI)" in sim
    assert lab.ok("--json", "help", "sim", "ports").json["arguments"]["<n>"].endswith("0 to 100000.")


def test_the_full_help_has_one_layout_and_marks_what_the_real_cli_lacks(lab: Lab) -> None:
    out = lab.ok("help").out.split("\n\n")
    real, added = out[0].splitlines(), out[1].splitlines()
    assert added[0].startswith("Added by ccxcli, not in the real CLI")
    helps = {c.name: c.help for c in commands.COMMANDS}
    cells = [re.split(r"  +", line, maxsplit=1) for line in real + added[1:]]
    assert all(helps[name] == text.removesuffix(" [VOS]") for name, text in cells)
    marked = {name for name, text in cells if text.endswith(" [VOS]")}
    assert (
        marked == {c.name for c in commands.COMMANDS if "license" in c.words[:2] and commands.reference(c) == "vos"}
        and "show license status" in marked
    )
    assert out[2].startswith("[VOS]: a licensing command that follows the CUCM/VOS CLI reference")
    assert len({line.index(text) for line, (_, text) in zip(real + added[1:], cells, strict=True)}) == 1
    assert all(not line.startswith(("sim", "appadmin")) for line in real)
    assert all(line.startswith(("sim", "appadmin")) for line in added[1:])


def test_ccx_help_shows_the_lab_getting_started_the_other_program_and_exit_codes(lab: Lab) -> None:
    out = lab.ok("--help").out
    assert f"Lab in use: {lab.home}; node uccx" in out
    assert "Getting started:" in out and "'ccx-ssm --help'" in out and "4 communication with the SSM failed" in out


def test_ccx_ssm_defaults_and_out_file(lab: Lab, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """--va defaults to the default account; --out writes the code and prints one line."""
    assert len(lab.ssm_ok("token", "create").out.strip()) > 30
    lab.ssm_ok("license", "add", "flex-premium", "2")
    assert lab.pool()["flex-premium"]["purchased"] == 12
    lab.ok("license", "smart", "reservation", "enable")
    req = lab.ok("--json", "license", "smart", "reservation", "request").json["request_code"]
    path = tmp_path / "auth.xml"
    out = lab.ssm_ok("reservation", "authorize", "--request", req, "--license", "flex-standard=2", "--out", str(path))
    assert out.out.splitlines() == [
        f"Authorization code written to {path} ({len(path.read_text().strip())} characters)."
    ]
    assert path.read_text().startswith("<specificPLR>")
