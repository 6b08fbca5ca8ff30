"""Running one command line: parse with the command table, check, confirm, call the
handler through the session layer (which opens, commits or forgets), render. A failure
becomes its message and exit status in one place only: `fail` (through `errors.describe`),
called from `guarded`."""

from __future__ import annotations

import importlib
from collections.abc import Callable

from ccxcli import drawing
from ccxcli.cli import commands, grammar
from ccxcli.core import cluster
from ccxcli.errors import Cancelled, RuleError, UsageError, describe, error_document, printable_lines
from ccxcli.runtime import Line, Outcome, Runtime
from ccxcli.session.context import Ctx, run

TYPE_CHECKING = False  # `typing` is not imported at run time: it costs a one-shot command start-up
if TYPE_CHECKING:
    from ccxcli.session.context import Ctx

FAILURE_MARKER = "Executed command unsuccessfully"


def _resolve(ref: str) -> Callable[[Ctx, grammar.Args], object]:
    module, _, name = ref.partition(":")
    return getattr(importlib.import_module(module), name)  # type: ignore[no-any-return]


GLOBAL_TAIL = ("--json", "--yes")  # options that may end any command line


def split_tail(tokens: list[str]) -> tuple[list[str], set[str]]:
    """A command line's words, and the options that end it: --json and --yes may end any
    command line (after its arguments, also after a command that has sub-commands, such as
    `license smart reservation return`) and apply to that line only."""
    body = list(tokens)
    tail: set[str] = set()
    while body and body[-1] in GLOBAL_TAIL:
        tail.add(body.pop())
    return body, tail


def parse_line(rt: Runtime, tokens: list[str]) -> tuple[grammar.Command, grammar.Args, Line]:
    """The command, its arguments and this line's options."""
    body, tail = split_tail(tokens)
    line = Line(rt.json or "--json" in tail, rt.yes or "--yes" in tail)
    cmd, rest = grammar.resolve(commands.tree(), body)
    return cmd, grammar.bind(cmd, rest), line


def execute(rt: Runtime, tokens: list[str], line: Line | None = None) -> tuple[Outcome, Line]:
    """Run one command; raise CcxError when it is refused (nothing is then changed)."""
    if not tokens:
        return Outcome(), Line(rt.json, rt.yes)
    if tokens[-1].endswith("?"):
        return help_rows(tokens), Line(rt.json, rt.yes)
    cmd, args, line = parse_line(rt, tokens)
    if cmd.lab_wide and not rt.operator:
        raise UsageError(
            f"'{cmd.name}' changes the lab as a whole (every node shares it); over SSH only a lab operator may "
            f"run it (ccx serve --operator {rt.ssh_user or 'USER'})."
        )
    warning = None
    # a subscriber licenses nothing itself: refused in the first call that opens the lab
    on_publisher = any(cmd.words[: len(w)] == w for w in cluster.LICENSING)
    if cmd.check:  # refuse before asking anything when the command is not allowed at all
        check = cmd.check
        warning = run(rt, lambda ctx: _resolve(check)(_checked(ctx, cmd, on_publisher), args), commit=False)
        on_publisher = False
    if cmd.confirm and warning is not False:  # a check that finds nothing to ask about says False
        confirm(rt, line, f"{warning}\n{cmd.confirm}" if isinstance(warning, str) else cmd.confirm)
    result = run(rt, lambda ctx: _resolve(cmd.handler)(_checked(ctx, cmd, on_publisher), args))
    if not isinstance(result, Outcome):
        raise TypeError(f"{cmd.handler} returned {type(result).__name__}, not a Result")
    return result, line


def _checked(ctx: Ctx, cmd: grammar.Command, on_publisher: bool) -> Ctx:
    """The context, once a licensing command is known not to run on a cluster's subscriber."""
    if on_publisher:
        why = cluster.refusal(ctx.node, cmd.words)
        if why is not None:
            raise RuleError(why)
    return ctx


def confirm(rt: Runtime, line: Line, question: str) -> None:
    """Ask `Continue (y/n)?` (never with the lab locked); UsageError unless answered yes."""
    if line.yes:
        return
    if rt.ask is None:
        raise UsageError("This command asks 'Continue (y/n)?' and there is no terminal to answer; add --yes.")
    answer = rt.ask(f"{question}\nContinue (y/n)?")
    if answer is None or answer.strip().lower() not in ("y", "yes"):
        raise Cancelled("Cancelled; nothing was changed.")


def help_rows(tokens: list[str]) -> Outcome:
    last = tokens[-1][:-1]
    words = tokens[:-1]
    rows = grammar.suggest(commands.tree(), words, last)
    if not rows:
        if words or last:
            grammar.resolve(commands.tree(), words + ([last] if last else []))  # raises a precise error
        raise UsageError("Nothing may follow here.")
    width = max(len(w) for w, _ in rows)
    text = "\n".join(f"  {w.ljust(width)}  {h}".rstrip() for w, h in rows)
    return Outcome(text, {"next": [{"word": w, "help": h} for w, h in rows]})


def emit(rt: Runtime, line: Line, result: Outcome) -> None:
    if line.json and result.data is not None:
        import json

        rt.out.write(json.dumps(result.data, indent=2, sort_keys=True) + "\n")
    elif result.draw is not None and drawing.draws(rt.out, rt.env.environ):
        result.draw(rt.out, rt.width if rt.mode == "shell" else None)
    elif result.text:
        # names and texts that came from the SSM or a state file never act on the terminal
        text = printable_lines((result.label + "\n" if result.label else "") + result.text.rstrip("\n")) + "\n"
        if rt.pagination and rt.pager is not None:
            rt.pager(text)
        else:
            rt.out.write(text)
    rt.out.flush()


def fail(rt: Runtime, e: BaseException, as_json: bool = False) -> int:
    """Report a failed command: one line on stderr (prefixed with the script line), then the
    VOS failure marker in the shell and script transcripts; with --json, also one JSON error
    object on stdout, so a script reads one channel; return the exit status."""
    if isinstance(e, SystemExit):
        raise e
    code, message = describe(e, err=rt.err)
    if message:
        rt.err.write(rt.where + message + "\n")
        rt.err.flush()
    if as_json:
        rt.out.write(error_document(code, message))
    if rt.failure_marker:
        rt.out.write(FAILURE_MARKER + "\n")
    rt.out.flush()
    return code


def guarded(rt: Runtime, fn: Callable[[], tuple[Outcome, Line]], as_json: bool = False) -> tuple[int, Outcome | None]:
    """The one boundary of a command: a refusal becomes one plain message and its exit code."""
    try:
        result, line = fn()
    except BaseException as e:  # noqa: BLE001 - errors.describe decides what each one means
        return fail(rt, e, as_json), None
    emit(rt, line, result)
    return result.code, result


def wants_json(rt: Runtime, tokens: list[str]) -> bool:
    """Whether this line asks for --json (the session's option, or one ending the line)."""
    return rt.json or "--json" in split_tail(tokens)[1]


def run_tokens(rt: Runtime, tokens: list[str]) -> tuple[int, Outcome | None]:
    return guarded(rt, lambda: execute(rt, tokens), wants_json(rt, tokens))


def run_line(rt: Runtime, text: str | None) -> tuple[int, Outcome | None]:
    """Tokenize and run one line typed in the shell or read from a script (None: a line
    too long to be a command)."""

    def go() -> tuple[Outcome, Line]:
        if text is None:
            raise UsageError(f"Input line too long (at most {grammar.MAX_LINE} characters).")
        return execute(rt, grammar.tokenize(text)[0])

    return guarded(rt, go, wants_json(rt, (text or "").split()))
