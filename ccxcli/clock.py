"""The virtual clock: durations, time parsing and the VOS date format.

Times are whole seconds since the Unix epoch (UTC) everywhere in ccxcli; only
`LabClock.now` reads the wall clock, and only when realtime is on.
"""

from __future__ import annotations

import time
from datetime import datetime, timezone

from ccxcli.errors import UsageError

MINUTE = 60
HOUR = 3600
DAY = 86400
YEAR = 365 * DAY
MAX_TIME = 253402300799  # 9999-12-31T23:59:59Z: the virtual clock never goes past year 9999

_UNITS = {"s": 1, "m": MINUTE, "h": HOUR, "d": DAY, "w": 7 * DAY, "y": YEAR}
DIGITS = frozenset("0123456789")


def parse_duration(text: str) -> int:
    """Return seconds for `15m`, `8h`, `90d`, `1y`, `1d12h`; raise UsageError otherwise."""
    s = text.strip().lower()
    total, digits = 0, ""
    ok = bool(s) and len(s) <= 64
    for ch in s if ok else "":
        if ch in DIGITS:
            digits += ch
        elif ch in _UNITS and digits:
            total += int(digits) * _UNITS[ch]
            digits = ""
        else:
            ok = False
            break
    if not ok or digits:
        raise UsageError(f"Invalid duration '{text}'. Use a number and a unit: 15m, 8h, 90d, 1y (s, m, h, d, w, y).")
    if total > 1000 * YEAR:
        raise UsageError(f"Duration '{text}' is too long (at most 1000y).")
    if total == 0:
        raise UsageError(f"Duration '{text}' is zero; time only moves forward.")
    return total


def parse_time(text: str) -> int:
    """Return epoch seconds for an ISO 8601 time (`2027-01-01T00:00:00Z`, or a date)."""
    s = text.strip()
    try:
        dt = datetime.fromisoformat(s.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise UsageError(f"Invalid time '{text}'. Use ISO 8601 UTC, e.g. 2027-01-01T00:00:00Z.") from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    try:
        t = int(dt.timestamp())
    except (OverflowError, ValueError):
        t = -1
    if not 0 <= t <= MAX_TIME:
        raise UsageError(f"Time '{text}' is out of range (1970 to 9999).")
    return t


def iso(t: int) -> str:
    """`2027-01-26T15:11:23Z`."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def vos(t: int) -> str:
    """The VOS date shape public parsers read: `Jan 26 15:11:23 2027 UTC`."""
    return time.strftime("%b %d %H:%M:%S %Y UTC", time.gmtime(t))


def span(seconds: int) -> str:
    """`89 days, 23 hours, 59 minutes, 0 seconds`."""
    seconds = max(0, int(seconds))
    d, rest = divmod(seconds, DAY)
    h, rest = divmod(rest, HOUR)
    m, s = divmod(rest, MINUTE)
    return f"{d} days, {h} hours, {m} minutes, {s} seconds"


def wall_now() -> int:
    return int(time.time())


class LabClock:
    """The lab's clock as stored in lab.json: frozen at `frozen`, or following the wall
    clock shifted by `offset` when realtime is on."""

    def __init__(self, frozen: int, realtime: bool = False, offset: int = 0) -> None:
        self.frozen = frozen
        self.realtime = realtime
        self.offset = offset

    def now(self) -> int:
        return wall_now() + self.offset if self.realtime else self.frozen

    def set(self, t: int) -> None:
        if self.realtime:
            self.offset = t - wall_now()
        self.frozen = t

    def set_realtime(self, on: bool) -> None:
        current = self.now()
        self.realtime = on
        self.frozen = current
        self.offset = current - wall_now()

    def to_dict(self) -> dict[str, object]:
        return {"frozen": self.frozen, "realtime": self.realtime, "offset": self.offset}

    @classmethod
    def from_dict(cls, d: dict[str, object]) -> LabClock:
        return cls(int(d["frozen"]), bool(d.get("realtime", False)), int(d.get("offset", 0)))  # type: ignore[call-overload]
