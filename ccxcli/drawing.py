"""What ccxcli draws for a person looking at a terminal, with rich: the `ccx-ssm` tables
and a progress display for long clock moves and scripts (the License Consumption chart is
drawn in `cli/consumption_report.py` with `console` from here).

Never used for VOS `admin:` output (automation matches that byte for byte), never when
the output is not a terminal (scripts and pipes get the plain text), and rich is imported
only here, only when something is drawn: a one-shot command's start-up does not pay for it.
"""

from __future__ import annotations

import time

TYPE_CHECKING = False  # `typing` is not imported at run time: it costs a one-shot command start-up
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from typing import TextIO

    from rich.console import Console
    from rich.progress import Progress, TaskID


def draws(stream: TextIO, environ: Mapping[str, str]) -> bool:
    """Whether `stream` is a terminal a person looks at (not `TERM=dumb`)."""
    try:
        return stream.isatty() and environ.get("TERM", "") not in ("", "dumb")
    except (AttributeError, ValueError):
        return False


def console(stream: TextIO, environ: Mapping[str, str], width: int | None = None) -> Console:
    """A rich console on `stream`, its colours decided by `environ` (the session's TERM,
    COLORTERM, NO_COLOR: rich would read the process's, a server's for its SSH sessions)."""
    from rich.console import Console

    return Console(file=stream, width=width, force_terminal=True, highlight=False, emoji=False, _environ=environ)


def table(
    title: str,
    cols: list[str],
    rows: list[list[str]],
    stream: TextIO,
    environ: Mapping[str, str],
    width: int | None = None,
) -> None:
    """A `ccx-ssm` listing as a table (the same cells as the plain one)."""
    from rich.table import Table

    t = Table(title=title, title_justify="left")
    for k, c in enumerate(cols):
        numeric = bool(rows) and all(r[k].lstrip("+-").isdigit() for r in rows)
        t.add_column(c, justify="right" if numeric else "left", overflow="fold")
    for r in rows:
        t.add_row(*r)
    if not rows:
        t.add_row(*(["(none)"] + [""] * (len(cols) - 1)))
    console(stream, environ, width).print(t)


AFTER = 0.5  # seconds of work before a progress display appears


def later(stream: TextIO, environ: Mapping[str, str], what: str, total: float) -> Later | None:
    """A progress display for long work on `stream`, when it is a terminal."""
    return Later(stream, environ, what, total, AFTER) if draws(stream, environ) else None


class Later:
    """A progress display that appears only once the work has lasted `after` seconds
    (short work shows nothing), on a terminal, and is erased when the work ends."""

    def __init__(self, stream: TextIO, environ: Mapping[str, str], what: str, total: float, after: float = 0.5) -> None:
        self.stream, self.environ, self.what, self.total, self.after = stream, environ, what, total, after
        self.began = time.monotonic()
        self.progress: Progress | None = None
        self.task: TaskID | None = None

    def __call__(self, done: float) -> None:
        if self.progress is None:
            if time.monotonic() - self.began < self.after:
                return
            from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

            columns = (
                TextColumn("{task.description}"),
                BarColumn(),
                TextColumn("{task.percentage:>3.0f}%"),
                TimeRemainingColumn(),
            )
            self.progress = Progress(*columns, console=console(self.stream, self.environ), transient=True)
            self.progress.start()
            self.task = self.progress.add_task(self.what, total=self.total)
        assert self.task is not None
        self.progress.update(self.task, completed=min(done, self.total))

    def close(self) -> None:
        if self.progress is not None:
            self.progress.stop()
            self.progress = None

    def __enter__(self) -> Callable[[float], None]:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
