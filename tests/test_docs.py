"""Docs are generated from, and checked against, the one command table."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from doctext import everything, page

from ccxcli.cli import completion
from ccxcli.cli.commands import COMMANDS, GROUP_HELP

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
REFERENCE = page("reference/ccx.md")


@pytest.mark.parametrize("cmd", COMMANDS, ids=lambda c: c.name)
def test_every_command_is_in_the_readme_with_help(cmd) -> None:  # type: ignore[no-untyped-def]
    assert cmd.help
    assert f"\n{cmd.synopsis}\n    {cmd.help}\n" in REFERENCE


def test_the_readme_reference_is_the_table() -> None:
    assert completion.reference() in REFERENCE, "the command reference is stale: run python -m ccxcli.cli.completion"


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
    setup = README[README.index("## Set up") : README.index("## A five-minute tour")]
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

    blocks = walkthrough_blocks(page("tutorials/walkthroughs.md"))
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

    readme = everything()
    assert f"`{PROMPT.decode()}`" in readme
    assert "match `\\nadmin:`" not in readme


def test_the_readme_tour_runs_as_written(tmp_path: Path) -> None:
    """The five-minute tour's blocks, pasted into one shell in a fresh lab (the servers left
    out: they run until stopped)."""
    import os
    import subprocess
    import sys

    from labenv import child_env

    tour = README[README.index("## A five-minute tour") : README.index("## Documentation")]
    blocks = re.findall(r"^```sh\n(.*?)^```$", tour, re.M | re.S)
    lines = [line for b in blocks for line in b.splitlines() if not re.match(r"ccx(-ssm)? serve\b", line)]
    assert len(blocks) == 3 and len(lines) >= 14
    env = child_env(tmp_path / "lab")
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    r = subprocess.run(
        ["bash", "-c", "set -euo pipefail\n" + "\n".join(lines)],
        cwd=tmp_path,
        env=env,
        input="",
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    assert "REGISTERED_SLR" in r.stdout or "Reserved" in r.stdout, r.stdout[-2000:]


def test_the_site_builds_strictly_with_the_readme_tour_in_it(tmp_path: Path) -> None:
    """`mkdocs build --strict`, as CI builds it: every page in the navigation, no broken link,
    the README's tour included in the home page (one text, two places)."""
    import subprocess
    import sys

    from labenv import clean_env

    site = tmp_path / "site"
    r = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet", "-d", str(site)],
        cwd=ROOT,
        env=clean_env(NO_MKDOCS_2_WARNING="1"),
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    home = (site / "index.html").read_text(encoding="utf-8")
    assert "A five-minute tour" in home and "REGISTERED_SLR, 20 flex-standard reserved" in home
    for built in ("reference/ccx", "how-to/classes", "tutorials/walkthroughs", "explanation/guarantees"):
        assert (site / built / "index.html").exists(), built
    api = (site / "reference" / "python-api" / "index.html").read_text(encoding="utf-8")
    for name in ("Lab.advance", "Node.status", "Ssm.token", "HttpsServer", "ccx_ssm_https"):
        assert name in api, f"{name} is missing from the reference generated from the docstrings"


def test_the_readme_is_a_front_door_not_the_manual() -> None:
    """What ccxcli is, the two set-up commands, a tour and where everything else is: at most
    400 lines; the rest lives in the site's pages, each reachable from it."""
    assert len(README.splitlines()) <= 400
    linked = set(re.findall(r"\]\((docs/[^)#]+\.md)\)", README))
    pages = {p.relative_to(ROOT).as_posix() for p in (ROOT / "docs").rglob("*.md")} - {"docs/index.md"}
    assert pages <= linked, pages - linked


def test_the_ccx_ssm_reference_is_its_declarations() -> None:
    """docs/reference/ccx-ssm.md holds every `ccx-ssm` command as declared (usage, help, each
    option, what it changes, an example): written by `python -m ccxcli.ssm.cli.reference`."""
    from ccxcli.ssm.cli import reference  # (importing it registers every command)
    from ccxcli.ssm.cli.app import PROG

    text = page("reference/ccx-ssm.md")
    assert reference.reference() in text, "stale: run python -m ccxcli.ssm.cli.reference"
    for words, cmd in PROG.commands.items():
        assert f"### `ccx-ssm {' '.join(words)}`" in text and f"Example: `{cmd.example}`" in text


def _doc_command_lines() -> list[tuple[str, str]]:
    """(page, line) for every `ccx …` or `ccx-ssm …` line of every shell block in the docs."""
    out = []
    for path in sorted((ROOT / "docs").rglob("*.md")):
        text = path.read_text(encoding="utf-8")
        for block in re.findall(r"^```(?:sh|bash|console)\n(.*?)^```$", text, re.M | re.S):
            for raw in block.replace("\\\n", " ").splitlines():
                line = re.sub(r"^\s*(\$ )?", "", raw).split(" #")[0].strip()
                if re.match(r"ccx(-ssm)?( |$)", line):
                    out.append((path.relative_to(ROOT).as_posix(), line))
    return out


def _words(line: str, globals_with_value: tuple[str, ...]) -> list[str]:
    """The command words of a doc line: its global options, placeholders and pipes left out."""
    import shlex

    tokens = shlex.split(line.split(" | ")[0].split(" > ")[0].split(" && ")[0], posix=True)[1:]
    words: list[str] = []
    skip = False
    for tok in tokens:
        if skip:
            skip = False
        elif tok in globals_with_value:
            skip = True
        else:
            words.append(tok)
    return words


def test_every_command_line_in_the_docs_is_a_real_command() -> None:
    """A reader pastes what the pages show: every `ccx` and `ccx-ssm` line of their shell blocks
    names a command the programs have (its words, checked by the programs' own parsers)."""
    from ccxcli.cli import grammar
    from ccxcli.cli.main import HOST_COMMANDS
    from ccxcli.ssm.cli import main  # noqa: F401 - importing it registers every command
    from ccxcli.ssm.cli.app import PROG

    root = grammar.build_tree(COMMANDS, GROUP_HELP)
    ssm_commands = set(PROG.commands) | set(PROG.groups)
    lines = _doc_command_lines()
    checked = 0
    for where, line in lines:
        if line.startswith("ccx-ssm"):
            words = [w for w in _words(line, ("--home", "--ssm")) if w != "--json"]
            if not words or words[0].startswith("-"):
                continue  # ccx-ssm --help, --version
            names = [w for w in words if not w.startswith("-")]
            assert any(tuple(names[:n]) in ssm_commands for n in (1, 2, 3)), (where, line)
        else:
            words = [w for w in _words(line, ("--home", "--node")) if w not in ("--json", "--yes", "-y")]
            if not words or words[0].startswith("-") or words[0] in HOST_COMMANDS or "?" in words[-1]:
                continue  # ccx alone (the shell), ccx --help, ccx serve …: the host commands; `?` asks
            plain = [w for w in words if not re.fullmatch(r"[A-Z_]+|\[.*|<.*|…", w)]  # placeholders out
            problems = []
            for tried in (words, plain):
                try:
                    grammar.resolve(root, tried)
                    break
                except Exception as e:  # noqa: BLE001 - the message names the line
                    problems.append(str(e))
            else:
                raise AssertionError(f"{where}: {line!r}: {problems[-1]}")
        checked += 1
    assert checked >= 60, checked  # the pages show many commands: the extraction works


def test_the_python_api_example_runs(tmp_path: Path) -> None:
    """The first example of the Python API page, run as a user would paste it."""
    import subprocess
    import sys

    from labenv import clean_env

    code = re.findall(r"^```python\n(.*?)^```$", page("reference/python-api.md"), re.M | re.S)[0]
    assert "with Lab() as lab:" in code
    r = subprocess.run(
        [sys.executable, "-c", code + "\nprint('example done')\n"],
        cwd=tmp_path,
        env=clean_env(CCX_LAB_START="2027-01-04T09:00:00Z"),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 0 and "example done" in r.stdout, r.stdout[-3000:] + r.stderr[-3000:]


@pytest.mark.parametrize("name", ["automation-engineer", "trainer"])
def test_the_tutorials_run_as_written(name: str, tmp_path: Path) -> None:
    """The first hour of an automation engineer and of a trainer: every block, pasted in order
    into one shell with the installed commands (set -e: a failing line fails the test)."""
    import os
    import subprocess
    import sys

    from labenv import clean_env

    blocks = re.findall(r"^```sh\n(.*?)^```$", page(f"tutorials/{name}.md"), re.M | re.S)
    assert len(blocks) >= 4
    env = clean_env(CCX_LAB_START="2027-01-04T09:00:00Z", TMPDIR=str(tmp_path))
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    script = "set -euo pipefail\n" + "\n".join(blocks)
    r = subprocess.run(
        ["bash", "-c", script], cwd=tmp_path, env=env, input="", capture_output=True, text=True, timeout=300
    )
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    assert "Traceback" not in r.stderr
    expected = {"automation-engineer": "1 passed", "trainer": "1 of 2 goals met."}[name]
    assert expected in r.stdout, r.stdout[-3000:]
