"""The License Consumption report's rows (pure): per 15-minute interval, the actual peak
usage and the usage reported to the SSM, from the node's run-length usage and report logs;
per hour or per day, the peak of their intervals. Drawn by `cli/consumption_report`."""

from __future__ import annotations

import bisect

from ccxcli.clock import iso
from ccxcli.core.timers import REPORT_INTERVAL
from ccxcli.errors import UsageError

TYPE_CHECKING = False  # `typing` is not imported at run time: it costs a one-shot command start-up
if TYPE_CHECKING:
    from ccxcli.core.state import ConsumptionRow, NodeState

MAX_ROWS = 2000
INTERVALS = {"15m": REPORT_INTERVAL, "1h": 3600, "1d": 86400}


def rows(node: NodeState, start: int, end: int, now: int | None = None, interval: str = "15m") -> list[ConsumptionRow]:
    """One row per 15-minute interval from `start` to `end` (or per hour, per day: the peak
    of their intervals, and the last usage reported in them); the interval not ended at
    `now` is `InProgress` (its usage is not reported yet)."""
    first, size, _ = span(start, end, interval)
    quarters = _quarters(node, first, end, end if now is None else now)
    if size == REPORT_INTERVAL:
        return quarters
    per = size // REPORT_INTERVAL
    return [_merge(quarters[k : k + per]) for k in range(0, len(quarters), per)]


def span(start: int, end: int, interval: str) -> tuple[int, int, int]:
    """The intervals a report from `start` to `end` has: the first one's start (aligned on
    the interval), the interval in seconds and how many rows (at most MAX_ROWS)."""
    if end <= start:
        raise UsageError("--from must be before --to.")
    if interval not in INTERVALS:
        raise UsageError(f"--interval takes {', '.join(INTERVALS)}; '{interval[:20]}' is not one of them.")
    size = INTERVALS[interval]
    first = start - start % size
    rows = (end - first + size - 1) // size
    if rows > MAX_ROWS:
        limit = {"15m": "about 20 days", "1h": "about 83 days", "1d": "about 5 years"}[interval]
        longer = [k for k, v in INTERVALS.items() if v > size]
        hint = f"; use --interval {' or '.join(longer)} for longer ranges" if longer else ""
        raise UsageError(f"That range has {rows} rows of {interval}; at most {MAX_ROWS} ({limit}) per report{hint}.")
    return first, size, rows


def _merge(rows: list[ConsumptionRow]) -> ConsumptionRow:
    """Several intervals as one row: the peak of each license, the last usage reported, and
    the status of the last interval."""
    peak: dict[str, int] = {}
    for r in rows:
        for alias, c in r["actual"].items():
            peak[alias] = max(peak.get(alias, 0), c)
    reported = [r["reported"] for r in rows if r["reported"] is not None]
    return {
        "start": rows[0]["start"],
        "end": rows[-1]["end"],
        "actual": peak,
        "reported": reported[-1] if reported else None,
        "status": rows[-1]["status"],
    }


def _quarters(node: NodeState, first: int, end: int, now: int) -> list[ConsumptionRow]:
    n = (end - first + REPORT_INTERVAL - 1) // REPORT_INTERVAL
    ulog, rlog = node["usage_log"], node["report_log"]
    ut = [r[0] for r in ulog]
    rt = [r[0] for r in rlog]
    rows: list[ConsumptionRow] = []
    for k in range(n):
        s = first + k * REPORT_INTERVAL
        e = s + REPORT_INTERVAL
        i = bisect.bisect_right(ut, s) - 1
        j = bisect.bisect_left(ut, e)
        peak: dict[str, int] = {}
        for rec in ulog[max(i, 0) : j]:
            for alias, c in rec[1].items():
                peak[alias] = max(peak.get(alias, 0), c)
        if i < 0 and not ulog[:j]:
            peak = {}
        r = bisect.bisect_right(rt, e) - 1
        rep = rlog[r] if r >= 0 and e <= now else None
        rows.append(
            {
                "start": iso(s),
                "end": iso(e),
                "actual": peak,
                "reported": rep[1] if rep and rep[1] is not None else None,
                "status": "InProgress" if e > now else rep[2] if rep else "NotReported",
            }
        )
    return rows
