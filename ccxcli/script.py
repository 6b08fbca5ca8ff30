"""Script mode: one command per line, `#` comments, a transcript echo, stop at the
first failing line (unless keep-going); `y`/`n` lines answer confirmations."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from ccxcli import grammar
from ccxcli.dispatch import run_tokens
from ccxcli.errors import CcxError, one_line
from ccxcli.runtime import Runtime

PROMPT = "admin:"


def _logical_lines(lines: Iterator[str]) -> Iterator[str]:
    """Join lines while a quote is open: a code pasted over several lines is one argument."""
    for raw in lines:
        line = raw.rstrip("\r\n")
        try:
            while grammar.tokenize(line)[1]:
                nxt = next(lines, None)
                if nxt is None:
                    break
                line += nxt.strip()
        except CcxError:
            pass  # too long: the command itself reports it
        yield line


def run_script(rt: Runtime, lines: Iterable[str], keep_going: bool = False) -> int:
    """Run the lines with the lab opened once and locked throughout; what the successful
    lines did is committed when the script ends (also when it stops at a failure)."""
    from ccxcli.dispatch import Ctx, guarded
    from ccxcli.runtime import Result

    ctx = Ctx(rt)

    def open_lab() -> Result:
        rt.shared_lab = ctx.lab
        return Result()

    def commit() -> Result:
        ctx.lab.commit()
        return Result()

    code, _ = guarded(rt, open_lab)
    if code:
        return code
    try:
        result = _run_lines(rt, lines, keep_going)
        return result or guarded(rt, commit)[0]
    finally:
        rt.shared_lab = None
        ctx.close()


def _run_lines(rt: Runtime, lines: Iterable[str], keep_going: bool) -> int:
    it = _logical_lines(iter(lines))

    def ask(question: str, secret: bool = False) -> str | None:
        rt.out.write(question + " ")
        answer = next(it, None)
        rt.out.write(("********" if secret and answer else answer or "") + "\n")
        return answer

    rt.ask = ask
    first_failure = 0
    for line in it:
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        rt.out.write(f"{PROMPT}{text}\n")
        try:
            words = grammar.tokenize(text)[0]
        except CcxError as e:
            rt.err.write(one_line(e.message) + "\n")
            code, result = e.exit_code, None
        else:
            code, result = run_tokens(rt, words)
        if code:
            if not keep_going:
                return code
            first_failure = first_failure or code
        if result is not None and result.leave:
            break
    return first_failure
