"""Docs are generated from, and checked against, the one command table."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ccxcli.cli import completion
from ccxcli.cli.commands import COMMANDS, GROUP_HELP

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("cmd", COMMANDS, ids=lambda c: c.name)
def test_every_command_is_in_the_readme_with_help(cmd) -> None:  # type: ignore[no-untyped-def]
    assert cmd.help
    assert f"\n{cmd.synopsis}\n    {cmd.help}\n" in README


def test_the_readme_reference_is_the_table() -> None:
    assert completion.reference() in README, "the README's command list is stale: run python -m ccxcli.cli.completion"


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
        f"{path} is stale: run python -m ccxcli.cli.completion"
    )


def test_readme_has_the_two_setup_commands_and_ci_runs_the_second() -> None:
    setup = README[README.index("## Set up") : README.index("## Two programs")]
    blocks = re.findall(r"^```sh\n(.*?)\n```$", setup, re.M | re.S)
    assert blocks[0] == "python3 -m venv .venv && .venv/bin/pip install -q -e . && .venv/bin/ccx"
    assert "--require-hashes -r requirements/test.txt" in blocks[1] and blocks[1].endswith("python -m pytest -q -n 2")
    assert blocks[1] in (ROOT / ".ci" / "run").read_text()  # CI runs the README's test command, as written


def test_the_lock_pins_every_requirement_with_hashes() -> None:
    lock = (ROOT / "requirements" / "test.txt").read_text()
    pins = re.findall(r"^([A-Za-z0-9_.-]+)==[^ ;\\]+", lock, re.M)
    assert {"cryptography", "asyncssh", "prompt-toolkit", "pytest", "setuptools"} <= {p.lower() for p in pins}
    assert lock.count("--hash=sha256:") >= len(pins)


def walkthrough_blocks(text: str) -> list[str]:
    """The ```sh blocks under the README's `## Walkthrough…` headings, in order."""

    blocks, heading = [], ""
    for m in re.finditer(r"^(## [^\n]*)$|^```sh\n(.*?)^```$", text, re.M | re.S):
        if m.group(1):
            heading = m.group(1)
        elif heading.startswith("## Walkthrough"):
            blocks.append(m.group(2))
    return blocks


def test_the_readme_walkthroughs_run_back_to_back_in_one_lab(tmp_path: Path) -> None:
    """As a new user runs them: copied into one shell, in order, in one lab, with the
    installed commands. Any failing line (set -e) or unset variable (set -u) fails it."""
    import os
    import subprocess
    import sys

    blocks = walkthrough_blocks(README)
    assert len(blocks) >= 5 and all("sim lab reset" in b for b in blocks[1:]), "each walkthrough starts afresh"
    script = "set -euo pipefail\n" + "\n".join(blocks)
    bindir = str(Path(sys.executable).parent)
    env = {**os.environ, "CCX_HOME": str(tmp_path / "lab"), "PATH": bindir + os.pathsep + os.environ["PATH"]}
    env.pop("CCX_NODE", None)
    env.pop("CCX_SSM_HOME", None)
    r = subprocess.run(["bash", "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    assert "Traceback" not in r.stderr
    assert "OUT_OF_COMPLIANCE" in r.stdout and "a 26th is refused" in r.stdout
    assert "Reservation update confirmed." in r.stdout and "returned to 'DEFAULT'" in r.stdout


def test_the_readme_gives_the_prompt_pattern_the_terminal_tests_match() -> None:
    """The pattern the README tells automation to match is the one the pty tests prove under
    TERM xterm, vt100 and dumb (a `\\nadmin:` alone hangs under xterm and vt100)."""
    from test_terminal import PROMPT

    readme = (ROOT / "README.md").read_text()
    assert f"`{PROMPT.decode()}`" in readme
    assert "match `\\nadmin:`" not in readme
