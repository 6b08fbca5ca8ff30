"""Pictures where people would rather look than read: a license pool over time and an
instance's usage, drawn as SVG the page carries inline (no script, no image request), each
with a text summary for screen readers and its numbers beside it as a table."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple, TypedDict

from ccxcli.clock import iso

WIDTH, HEIGHT, PAD = 640, 180, 28  # the drawing's box (scaled to the page's width) and its margin
SPANS = {"1d": (86_400, "15m"), "7d": (7 * 86_400, "1h"), "30d": (30 * 86_400, "1h"), "90d": (90 * 86_400, "1d")}


class Line(TypedDict):
    label: str
    css: str  # purchased, in-use, reserved (the legend's colours)
    points: str  # SVG polyline points, a step per interval


class Chart(TypedDict):
    width: int
    height: int
    top: int  # the value at the top of the drawing
    lines: list[Line]
    summary: str  # what the picture shows, in words (its <desc>)
    first: str  # the first and last times shown
    last: str
    rows: list[list[object]]  # the numbers: one row per interval
    cols: list[str]


class Interval(TypedDict):
    start: int
    end: int
    purchased: int
    in_use: int  # covered by the pool (at most what is free)
    reserved: int
    reported: int  # what instances reported, covered or not


class Series(NamedTuple):
    label: str
    css: str
    values: list[int]


def _steps(values: Sequence[int], top: int, width: int, height: int) -> str:
    """A step line: each value held across its interval."""
    n = max(1, len(values))
    inner_w, inner_h = width - 2 * PAD, height - 2 * PAD
    pts = []
    for i, v in enumerate(values):
        y = PAD + inner_h - inner_h * v / top
        pts += [f"{PAD + inner_w * i / n:.1f},{y:.1f}", f"{PAD + inner_w * (i + 1) / n:.1f},{y:.1f}"]
    return " ".join(pts)


def draw(series: list[Series], times: list[int], summary: str, cols: list[str], rows: list[list[object]]) -> Chart:
    top = max([1, *(v for s in series for v in s.values)])
    top += max(1, top // 10)  # room above the highest line
    return {
        "width": WIDTH,
        "height": HEIGHT,
        "top": top,
        "lines": [{"label": s.label, "css": s.css, "points": _steps(s.values, top, WIDTH, HEIGHT)} for s in series],
        "summary": summary,
        "first": iso(times[0]) if times else "",
        "last": iso(times[-1]) if times else "",
        "rows": rows,
        "cols": cols,
    }


def pool(name: str, intervals: list[Interval]) -> Chart:
    """A license's pool over time: purchased and reserved at each interval's end, what instances
    reported at its peak (in use, covered or not); the summary says when in use first went over
    what was free, where it did."""
    purchased = [r["purchased"] for r in intervals]
    reported = [r["reported"] for r in intervals]
    reserved = [r["reserved"] for r in intervals]
    over = next((r for r in intervals if r["reported"] + r["reserved"] > r["purchased"]), None)
    peak = max(intervals, key=lambda r: r["reported"]) if intervals else None
    words = [f"{name}: {purchased[-1] if purchased else 0} purchased, {reserved[-1] if reserved else 0} reserved"]
    if peak is not None:
        words.append(f"in use at most {peak['reported']} (from {iso(peak['start'])})")
    if over is not None:
        words.append(f"in use over what was free from {iso(over['start'])}")
    rows: list[list[object]] = [
        [iso(r["end"]), r["purchased"], r["reported"], r["in_use"], r["reserved"]] for r in intervals
    ]
    series = [
        Series("Purchased", "purchased", purchased),
        Series("In use (reported)", "in-use", reported),
        Series("Reserved", "reserved", reserved),
    ]
    times = [r["start"] for r in intervals] + ([intervals[-1]["end"]] if intervals else [])
    cols = ["Interval end", "Purchased", "In use (reported)", "In use (covered)", "Reserved"]
    return draw(series, times, "; ".join(words) + ".", cols, rows)


def usage(periods: list[tuple[int, int, dict[str, int]]], names: dict[str, str]) -> Chart:
    """What an instance reported, period by period (`(from, to, counts)`), a line per license."""
    aliases = sorted({a for _, _, counts in periods for a in counts})
    series = [
        Series(names.get(a, a), f"usage-{i % 4}", [c.get(a, 0) for _, _, c in periods]) for i, a in enumerate(aliases)
    ]
    last = periods[-1][2] if periods else {}
    summary = (
        ", ".join(
            f"{names.get(a, a)} {last.get(a, 0)} now, at most {max(s.values)}"
            for a, s in zip(aliases, series, strict=True)
        )
        or "Nothing reported yet"
    )
    rows: list[list[object]] = [[iso(t), *(c.get(a, 0) for a in aliases)] for _, t, c in periods]
    times = [f for f, _, _ in periods] + ([periods[-1][1]] if periods else [])
    return draw(series, times, summary + ".", ["Period end", *(names.get(a, a) for a in aliases)], rows)
