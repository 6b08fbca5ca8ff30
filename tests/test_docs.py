"""Docs are generated from, and checked against, the one command table."""

from __future__ import annotations

from pathlib import Path

import pytest

from ccxcli import completion
from ccxcli.commands import COMMANDS, GROUP_HELP

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("cmd", COMMANDS, ids=lambda c: c.name)
def test_every_command_is_in_the_readme_with_help(cmd) -> None:  # type: ignore[no-untyped-def]
    assert cmd.help
    assert f"\n{cmd.synopsis}\n    {cmd.help}\n" in README


def test_the_readme_reference_is_the_table() -> None:
    assert completion.reference() in README, "the README's command list is stale: run python -m ccxcli.completion"


def test_every_group_has_help() -> None:
    for cmd in COMMANDS:
        for depth in range(1, len(cmd.words)):
            prefix = cmd.words[:depth]
            if any(c.words == prefix for c in COMMANDS):
                continue
            assert prefix in GROUP_HELP, prefix


@pytest.mark.parametrize("shell", completion.SHELLS)
def test_completion_files_are_fresh(shell: str) -> None:
    path = ROOT / "completions" / f"ccx.{shell}"
    assert path.read_text(encoding="utf-8") == completion.script(shell), (
        f"{path} is stale: run python -m ccxcli.completion"
    )


def test_readme_has_the_two_setup_commands() -> None:
    assert "pip install -q -e . && .venv/bin/ccx" in README
    assert "pip install -q -e '.[test]' && .venv/bin/python -m pytest" in README
