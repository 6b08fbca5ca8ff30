"""Subscription terms (pure): licenses that count from a start date to an end date.

A term runs from 00:00:00 UTC of its start date to 00:00:00 UTC of the day after its end date
(the end date is the last day it counts, as CSSM shows "Expires" dates). Authorization Codes
carry a term's dates per entitlement (`YYYY-MM-DD`, licenseType TERM, its subscription ID);
a node counts those reserved licenses only while their term runs. The SSM warns of an end
at the lead times Cisco's CSSM help lists for "Licenses Expiring" (90, 60, 30, 14, 7, 3 and
1 days before)."""

from __future__ import annotations

from ccxcli.clock import DAY, iso, parse_duration, parse_time
from ccxcli.errors import UsageError

TYPE_CHECKING = False  # `typing` is not imported at run time: it costs a one-shot command start-up
if TYPE_CHECKING:
    from ccxcli.core.state import Term

EXPIRING_DAYS = (90, 60, 30, 14, 7, 3, 1)  # CSSM's "Licenses Expiring" lead times
EXPIRED_LISTED = 30 * DAY  # how long "Licenses Expired" stays listed after an end (our choice)


def day_of(t: int) -> int:
    """00:00:00 UTC of the day `t` falls in."""
    return t - t % DAY


def date_text(t: int) -> str:
    """`2027-03-31`."""
    return iso(t)[:10]


def start_of(text: str, what: str) -> int:
    """A term's start from a date (`2027-01-01`): 00:00 UTC of that day."""
    return day_of(_date(text, what))


def end_of(text: str, what: str) -> int:
    """A term's end from its last day (`2027-12-31`): 00:00 UTC of the day after."""
    return day_of(_date(text, what)) + DAY


def last_day(ends: int) -> str:
    """The last day a term counts, as its end date is written."""
    return date_text(ends - DAY)


def _date(text: str, what: str) -> int:
    s = text.strip()
    if len(s) != 10:
        raise UsageError(f"Invalid {what} '{s[:40]}'. Use a date: YYYY-MM-DD.")
    return parse_time(s + "T00:00:00Z", what)


def in_force(term: Term, now: int) -> bool:
    return term["starts"] <= now < term["ends"]


def live(counts: dict[str, int], terms: list[Term], now: int) -> dict[str, int]:
    """What a code's `counts` (perpetual and term licenses together) give at `now`: the
    licenses of a term not yet started or already ended do not count."""
    out = dict(counts)
    for t in terms:
        if not in_force(t, now) and t["alias"] in out:
            out[t["alias"]] = max(0, out[t["alias"]] - t["count"])
    return out


def next_change(terms: list[Term], after: int) -> int | None:
    """The first start or end of these terms strictly after `after`."""
    times = [x for t in terms for x in (t["starts"], t["ends"]) if x > after]
    return min(times) if times else None


def expiring_within(ends: int, now: int) -> int | None:
    """The nearest lead time (days) a term ending at `ends` is within at `now`: 90, 60, …, 1;
    None when further away or already ended."""
    if now >= ends:
        return None
    left = ends - now
    within = [d for d in EXPIRING_DAYS if left <= d * DAY]
    return min(within) if within else None


def dates(starts: str | None, ends: str, now: int) -> tuple[int, int]:
    """A term from what a user gives: a start date (default: today, the SSM's day) and an end,
    either the last day (`2027-12-31`) or a length from the start (`90d`, `1y`: a 1y term
    from 2027-01-01 counts to 2027-12-31)."""
    first = day_of(now) if starts is None else start_of(starts, "start date")
    s = ends.strip()
    if s[:-1].isdigit() and s[-1:] in ("y", "Y") and 0 < int(s[:-1]) <= 100:  # calendar years
        return first, _years_later(first, int(s[:-1]))
    if s[:1].isdigit() and not s[-1:].isdigit():
        return first, first + parse_duration(s)
    return first, end_of(s, "end date")


def _years_later(day: int, years: int) -> int:
    """The same day `years` later (28 February for a 29 February)."""
    y, rest = int(iso(day)[:4]), iso(day)[4:10]
    if rest == "-02-29":
        rest = "-02-28"
    return start_of(f"{y + years:04d}{rest}", "end date")


def check_dates(starts: int, ends: int, now: int) -> None:
    """Refuse a term that ends before it starts or has already ended."""
    if ends <= now:
        raise UsageError(f"The term ended on {last_day(ends)}; deposit licenses whose term has not ended.")
    if ends <= starts:
        raise UsageError(f"The term ends ({last_day(ends)}) before it starts ({date_text(starts)}).")
