"""The License Consumption report as people read it: a table of intervals, or a chart of
bars (drawn with rich on a terminal by `draw_chart`; plain text otherwise). The rows come
from the core (`core/report`)."""

from __future__ import annotations

from ccxcli.clock import parse_time, vos
from ccxcli.drawing import console

TYPE_CHECKING = False  # `typing` is not imported at run time: it costs a one-shot command start-up
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import TextIO

    from ccxcli.core.state import ConsumptionRow


def _fmt(d: dict[str, int] | None) -> str:
    if d is None:
        return "-"
    return " ".join(f"{a}={n}" for a, n in sorted(d.items())) or "0"


def table(rows: list[ConsumptionRow]) -> str:
    out = [f"{'Interval end':<24} {'Actual':<40} {'Reported':<40} Status"]
    for r in rows:
        out.append(f"{vos(parse_time(r['end'])):<24} {_fmt(r['actual']):<40} {_fmt(r['reported']):<40} {r['status']}")
    return "\n".join(out)


def chart(rows: list[ConsumptionRow], width: int = 50) -> str:
    """Actual usage as bars; `|` marks the reported usage."""
    totals = [sum(r["actual"].values()) for r in rows]
    reps = [sum(r["reported"].values()) if r["reported"] else 0 for r in rows]
    top = max(totals + reps + [1])
    out = [f"License consumption (bar: actual peak, |: reported; full width = {top})"]
    for r, t, p in zip(rows, totals, reps, strict=True):
        bar = list("█" * round(t * width / top)) + [" "] * (width - round(t * width / top))
        if r["reported"]:
            pos = min(width - 1, max(0, round(p * width / top) - 1))
            bar[pos] = "|"
        out.append(f"{vos(parse_time(r['end']))[:15]} {''.join(bar)} {t:>5} {r['status']}")
    return "\n".join(out)


STATUS_STYLE = {
    "InProgress": "cyan",
    "NotReported": "yellow",
    "OutOfCompliance": "bold red",
    "Overage": "red",
    "AuthorizationExpired": "red",
}


def draw_chart(
    rows: list[ConsumptionRow], stream: TextIO, environ: Mapping[str, str], width: int | None = None
) -> None:
    """The consumption chart as a table of bars: actual peak usage per interval, the
    usage reported marked in the bar, the interval's status in colour."""
    from rich.table import Table
    from rich.text import Text

    screen = console(stream, environ, width)  # rich: only when a chart is drawn on a terminal
    totals = [sum(r["actual"].values()) for r in rows]
    reps = [sum(r["reported"].values()) if r["reported"] else 0 for r in rows]
    top = max([*totals, *reps, 1])
    bar_width = max(10, min(60, screen.width - 60))
    table = Table(title=f"License consumption (bar: actual peak; ▏ reported; full bar = {top})", expand=False)
    table.add_column("Interval end")
    table.add_column("Usage", no_wrap=True)
    table.add_column("Actual", justify="right")
    table.add_column("Reported", justify="right")
    table.add_column("Status")
    for r, t, p in zip(rows, totals, reps, strict=True):
        filled = round(t * bar_width / top)
        chars = ["█"] * filled + [" "] * (bar_width - filled)
        pos = min(bar_width - 1, max(0, round(p * bar_width / top) - 1))
        if r["reported"]:
            chars[pos] = "▏"
        bar = Text("".join(chars), style="green" if not r["reported"] or p >= t else "yellow")
        if r["reported"]:
            bar.stylize("bold magenta", pos, pos + 1)
        status = r["status"]
        table.add_row(
            vos(parse_time(r["end"]))[:15],
            bar,
            str(t),
            str(p) if r["reported"] else "-",
            Text(status, style=STATUS_STYLE.get(status, "")),
        )
    screen.print(table)
