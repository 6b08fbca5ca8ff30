"""Transcripts that check (`ccx run --record FILE SCRIPT`, `ccx run --check FILE`): what a
script did, command by command (its output, stdout and stderr as a terminal shows them, and
its exit status), kept as a file that replays on a lab and reports the first difference.

The format follows cmd2's transcripts: a command line starts with the prompt `admin:`; the
lines after it are its expected output, where `/regex/` matches what changes from run to run
(`\\/` is a literal slash); `< y` lines after the command are answers to its questions;
`(exit N)` ends a command. Recording puts placeholders in for what a new lab changes (times,
serial numbers, UUIDs, codes); edit the file to add others.
"""

from __future__ import annotations

import difflib
import io
import re
import signal
import threading
from collections.abc import Iterator
from typing import NamedTuple, TextIO

from ccxcli.cli.dispatch import run_line
from ccxcli.cli.script import PROMPT
from ccxcli.errors import UsageError
from ccxcli.runtime import Runtime

HEADER = "# ccxcli transcript: 'ccx run --check FILE' replays it; /regex/ matches what changes run to run"
EXIT = re.compile(r"^\(exit (\d+)\)$")

# What a new lab changes, each matched as a whole word or line: (what it matches, the placeholder)
PLACEHOLDERS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"\b\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\b"), r"/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ/"),
    (re.compile(r"\b[A-Z][a-z]{2} \d\d \d\d:\d\d:\d\d \d{4} UTC\b"), r"/[A-Z][a-z]{2} \d\d \d\d:\d\d:\d\d \d{4} UTC/"),
    (re.compile(r"(?<=SN[: ])[0-9a-f]{5}\b"), r"/[0-9a-f]{5}/"),
    (re.compile(r"\b[0-9a-f]{32}\b"), r"/[0-9a-f]{32}/"),
    (re.compile(r"^CB-Z\S+$"), r"/CB-Z\S+/"),
    (re.compile(r"^<specificPLR>.*</specificPLR>$"), r"/<specificPLR>.*<\/specificPLR>/"),
    (re.compile(r"^[0-9a-f]{8}$"), r"/[0-9a-f]{8}/"),
    (re.compile(r"^[A-Za-z0-9_]{6}(?:-[A-Za-z0-9_]{6}){3,}$"), r"/[A-Za-z0-9_]{6}(-[A-Za-z0-9_]{6})+/"),
]


class Block(NamedTuple):
    command: str
    answers: list[str]
    output: list[str]  # recorded: the text; expected: patterns
    code: int
    line: int  # where the command is in the transcript file (1-based); 0 while recording


def placeholders(text: str) -> str:
    """A recorded output line with its run-to-run parts replaced (slashes in the rest escaped)."""
    spans: list[tuple[int, int, str]] = []
    for pattern, shown in PLACEHOLDERS:
        for m in pattern.finditer(text):
            if not any(a < m.end() and m.start() < b for a, b, _ in spans):
                spans.append((m.start(), m.end(), shown))
    out, pos = [], 0
    for a, b, shown in sorted(spans):
        out += [text[pos:a].replace("/", r"\/"), shown]
        pos = b
    out.append(text[pos:].replace("/", r"\/"))
    return "".join(out)


def pattern(expected: str) -> re.Pattern[str]:
    """An expected line as a regular expression: literal text, `/regex/` parts, `\\/` a slash."""
    parts, i, literal = [], 0, []
    while i < len(expected):
        c = expected[i]
        if c == "\\" and expected[i + 1 : i + 2] == "/":
            literal.append("/")
            i += 2
        elif c == "/":
            end = i + 1
            while end < len(expected) and not (expected[end] == "/" and expected[end - 1] != "\\"):
                end += 1
            if end >= len(expected):  # an unclosed slash is text
                literal.append(c)
                i += 1
                continue
            parts.append(re.escape("".join(literal)))
            literal = []
            parts.append("(?:" + expected[i + 1 : end].replace(r"\/", "/") + ")")
            i = end + 1
        else:
            literal.append(c)
            i += 1
    parts.append(re.escape("".join(literal)))
    try:
        return re.compile("".join(parts))
    except re.error as e:
        raise UsageError(f"A /regex/ in the transcript is not valid: {e} in: {expected[:80]}") from None


def parse(text: str, name: str) -> list[Block]:
    blocks: list[Block] = []
    command: str | None = None
    answers: list[str] = []
    output: list[str] = []
    start = 0
    for number, line in enumerate(text.splitlines(), 1):
        if command is None:
            if not line.strip() or line.startswith("#"):
                continue
            if not line.startswith(PROMPT):
                raise UsageError(f"{name} line {number}: a transcript starts each command with '{PROMPT}'.")
            command, answers, output, start = line[len(PROMPT) :], [], [], number
            continue
        m = EXIT.match(line)
        if m:
            blocks.append(Block(command, answers, output, int(m.group(1)), start))
            command = None
        elif line.startswith("< ") and not output:
            answers.append(line[2:])
        else:
            output.append(line)
    if command is not None:
        raise UsageError(f"{name}: the command at line {start} has no '(exit N)' line.")
    if not blocks:
        raise UsageError(f"{name} holds no command (a transcript from 'ccx run --record').")
    for block in blocks:  # every /regex/ is checked before anything runs
        for line in block.output:
            pattern(line)
    return blocks


def _one(rt: Runtime, command: str, answers: Iterator[str] | None, asked: list[str]) -> tuple[int, list[str]]:
    """Run one command as script mode does, its stdout and stderr captured together."""
    real_out, real_err = rt.out, rt.err
    buf = io.StringIO()

    def ask(question: str, secret: bool = False) -> str | None:
        buf.write(question + " ")
        answer = next(answers, None) if answers is not None else None
        if answer is not None:
            asked.append(answer)
        buf.write(("********" if secret and answer else answer or "") + "\n")
        return answer

    rt.out = rt.err = buf
    rt.ask = ask
    try:
        code, _ = run_line(rt, command)
    finally:
        rt.out, rt.err = real_out, real_err
    return code, buf.getvalue().splitlines()


def _setup(rt: Runtime) -> None:
    rt.mode = "script"
    rt.failure_marker = True
    rt.where = ""


def record(rt: Runtime, script: list[str], out: TextIO, keep_going: bool = False) -> int:
    """Run the script (as `ccx run` does, echoed on stdout) and write its transcript to `out`."""
    _setup(rt)
    lines = iter([s.strip() for s in script])
    first = 0
    out.write(HEADER + "\n")
    for text in lines:
        if not text or text.startswith("#"):
            continue
        asked: list[str] = []
        code, output = _one(rt, text, lines, asked)
        rt.out.write("\n".join([f"{PROMPT}{text}", *output]) + "\n")
        out.write(
            "\n".join([f"{PROMPT}{text}", *[f"< {a}" for a in asked], *map(placeholders, output), f"(exit {code})"])
            + "\n"
        )
        if code:
            first = first or code
            if not keep_going:
                break
    return first


MATCH_SECONDS = 2.0  # what one expected line's /regex/ may take on one output line


class _TooSlow(Exception):
    pass


def _alarm(signum: int, frame: object) -> None:
    raise _TooSlow


def _fullmatch(expected: str, line: str) -> bool:
    """Whether `line` is what `expected` says, its /regex/ parts given `MATCH_SECONDS`: a
    pattern that backtracks for ever (`(a+)+$`) is refused in one line instead of hanging the
    check (Python's regex engine checks for signals as it works; a timer's signal stops it).
    In a thread other than the process's main one there is no timer: the match is unbounded."""
    p = pattern(expected)
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "setitimer"):
        return p.fullmatch(line) is not None
    before = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, MATCH_SECONDS)
    try:
        return p.fullmatch(line) is not None
    except _TooSlow:
        raise UsageError(
            f"A /regex/ in the transcript took more than {MATCH_SECONDS:g} s on one line (it backtracks without "
            f"end); write it without nested repeats: {expected[:80]}"
        ) from None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, before)


def _matched(want: list[str], got: list[str]) -> list[str]:
    """The expected lines, each one that matches this run's line replaced by that line (so the
    diff shows only what really differs)."""
    return [got[i] if i < len(got) and _fullmatch(w, got[i]) else w for i, w in enumerate(want)]


def check(rt: Runtime, text: str, name: str, err: TextIO) -> int:
    """Replay a transcript; 0 when every output and exit status is as recorded, else 1 and the
    first difference as a unified diff naming the transcript's line."""
    blocks = parse(text, name)
    _setup(rt)
    for block in blocks:
        code, output = _one(rt, block.command, iter(block.answers), [])
        want = [*block.output, f"(exit {block.code})"]
        got = [*output, f"(exit {code})"]
        shown = _matched(want, got)
        if shown != got:
            first = next(i for i in range(max(len(shown), len(got))) if shown[i : i + 1] != got[i : i + 1])
            where = block.line + 1 + len(block.answers) + first
            err.write(f"{name}: line {where}, in the output of '{block.command}', differs from this run:\n")
            diff = difflib.unified_diff(shown, got, f"{name} (recorded at line {block.line})", "this run", lineterm="")
            err.write("\n".join(diff) + "\n")
            return 1
    rt.out.write(f"{name}: {len(blocks)} commands, every output and exit status as recorded.\n")
    return 0
