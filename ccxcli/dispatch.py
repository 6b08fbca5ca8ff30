"""Running one command line: parse with the command table, confirm, call the handler
with a context, commit or forget, render. The single error boundary lives in `guarded`."""

from __future__ import annotations

import importlib
import json
import os
from collections.abc import Callable
from typing import Any

from ccxcli import commands, grammar
from ccxcli.errors import INTERRUPTED, CcxError, UsageError, one_line
from ccxcli.lab import Lab
from ccxcli.runtime import Result, Runtime

EX_SOFTWARE = 70


class Ctx:
    """What a handler gets: the runtime, and the lab opened (and locked) on first use."""

    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        self._lab: Lab | None = None

    @property
    def lab(self) -> Lab:
        if self.rt.shared_lab is not None:
            lab: Lab = self.rt.shared_lab
            if lab.clock.realtime:
                from ccxcli.life import catch_up

                catch_up(lab, lab.now())
            return lab
        if self._lab is None:
            lab = Lab(self.rt.home)
            lab.__enter__()
            self._lab = lab
            try:
                from ccxcli.life import catch_up

                catch_up(lab, lab.now())
                lab.commit()
            except BaseException:
                self.close()
                raise
        return self._lab

    @property
    def node(self) -> dict[str, Any]:
        return self.lab.node(self.rt.node)

    @property
    def now(self) -> int:
        return self.lab.now()

    def link(self) -> Any:
        from ccxcli.link import LabLink

        return LabLink(self.lab)

    def close(self) -> None:
        if self._lab is not None:
            self._lab.__exit__()
            self._lab = None


def _handler(cmd: grammar.Command) -> Callable[[Ctx, dict[str, Any]], Result]:
    module, _, name = cmd.handler.partition(":")
    return getattr(importlib.import_module(module), name)  # type: ignore[no-any-return]


GLOBAL_TAIL = {"--json": "json", "--yes": "yes"}


def execute(rt: Runtime, tokens: list[str]) -> Result:
    """Run one command; raise CcxError when it is refused (nothing is then changed)."""
    if not tokens:
        return Result()
    if tokens[-1].endswith("?"):
        return help_rows(tokens)
    root = commands.tree()
    cmd, rest = grammar.resolve(root, tokens)
    declared = {p.name for p in cmd.params}
    while rest and rest[-1] in GLOBAL_TAIL and rest[-1] not in declared:
        setattr(rt, GLOBAL_TAIL[rest.pop()], True)
    args = grammar.bind(cmd, rest)
    if cmd.confirm:
        confirm(rt, cmd.confirm)
    ctx = Ctx(rt)
    point = rt.shared_lab.savepoint() if rt.shared_lab is not None else None
    try:
        result = _handler(cmd)(ctx, args)
        if ctx._lab is not None:
            ctx._lab.commit()
        return result
    except BaseException:
        if point is not None:
            rt.shared_lab.restore(point)  # a refused command changes nothing
        raise
    finally:
        ctx.close()


def confirm(rt: Runtime, question: str) -> None:
    if rt.yes:
        return
    answer = rt.ask(f"{question}\nContinue (y/n)?") if rt.ask else None
    if answer is None:
        raise UsageError("This command asks 'Continue (y/n)?' and there is no terminal to answer; add --yes.")
    if answer.strip().lower() not in ("y", "yes"):
        raise UsageError("Cancelled; nothing was changed.")


def help_rows(tokens: list[str]) -> Result:
    last = tokens[-1][:-1]
    words = tokens[:-1]
    rows = grammar.suggest(commands.tree(), words, last)
    if not rows:
        if words or last:
            grammar.resolve(commands.tree(), words + ([last] if last else []))  # raises a precise error
        raise UsageError("Nothing may follow here.")
    width = max(len(w) for w, _ in rows)
    text = "\n".join(f"  {w.ljust(width)}  {h}".rstrip() for w, h in rows)
    return Result(text, {"next": [{"word": w, "help": h} for w, h in rows]})


def emit(rt: Runtime, result: Result) -> None:
    if rt.json and result.data is not None:
        rt.out.write(json.dumps(result.data, indent=2, sort_keys=True) + "\n")
    elif result.text:
        text = result.text if result.text.endswith("\n") else result.text + "\n"
        if rt.pagination and rt.pager is not None:
            rt.pager(text)
        else:
            rt.out.write(text)
    rt.out.flush()


def guarded(rt: Runtime, fn: Callable[[], Result]) -> tuple[int, Result | None]:
    """The one boundary: a refusal becomes one plain message and its exit code."""
    try:
        result = fn()
    except CcxError as e:
        rt.err.write(one_line(e.message) + "\n")
        rt.err.flush()
        return e.exit_code, None
    except KeyboardInterrupt:
        rt.err.write("Interrupted.\n")
        return INTERRUPTED, None
    except (OSError, RecursionError, MemoryError) as e:
        if os.environ.get("CCX_DEBUG"):
            raise
        rt.err.write(one_line(f"System error: {e}") + "\n")
        return 3, None
    except Exception as e:  # noqa: BLE001 - a bug must still not print a traceback
        if os.environ.get("CCX_DEBUG"):
            raise
        rt.err.write(one_line(f"Internal error ({type(e).__name__}: {e}); set CCX_DEBUG=1 for details.") + "\n")
        return EX_SOFTWARE, None
    emit(rt, result)
    return 0, result


def run_tokens(rt: Runtime, tokens: list[str]) -> tuple[int, Result | None]:
    return guarded(rt, lambda: execute(rt, tokens))
