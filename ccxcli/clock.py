"""The virtual clock: durations, time parsing and the VOS date format.

Times are whole seconds since the Unix epoch (UTC) everywhere in ccxcli; only
`LabClock.now` reads the wall clock, and only when realtime is on.
"""

from __future__ import annotations

import time

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


def parse_time(text: str, what: str = "time") -> int:
    """Return epoch seconds for an ISO 8601 time (`2027-01-01T00:00:00Z`, or a date); `what`
    names where it came from in a refusal."""
    s = text.strip()
    fast = _canonical(s)
    if fast is not None:
        return fast
    from datetime import datetime, timezone  # other spellings only: datetime is not on the start-up path

    try:
        dt = datetime.fromisoformat(s.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise UsageError(f"Invalid {what} '{text}'. Use ISO 8601 UTC, e.g. 2027-01-01T00:00:00Z.") from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    try:
        t = int(dt.timestamp())
    except (OverflowError, ValueError):
        t = -1
    if not 0 <= t <= MAX_TIME:
        raise UsageError(f"The {what} '{text}' is out of range (1970 to 9999).")
    return t


def _canonical(s: str) -> int | None:
    """Epoch seconds of `YYYY-MM-DDTHH:MM:SSZ` (the spelling ccxcli writes), by arithmetic;
    None for any other spelling or an impossible date."""
    if (
        len(s) != 20
        or s[4] != "-"
        or s[7] != "-"
        or s[10] not in "Tt"
        or s[13] != ":"
        or s[16] != ":"
        or s[19] not in "Zz"
    ):
        return None
    parts = (s[0:4], s[5:7], s[8:10], s[11:13], s[14:16], s[17:19])
    if not all(p.isascii() and p.isdigit() for p in parts):
        return None
    y, mo, d, h, mi, se = (int(p) for p in parts)
    leap = y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)
    days_in = (31, 29 if leap else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
    if not (1970 <= y <= 9999 and 1 <= mo <= 12 and 1 <= d <= days_in[mo - 1] and h < 24 and mi < 60 and se < 60):
        return None
    yy = y - (mo <= 2)  # days from civil (H. Hinnant's algorithm)
    era = yy // 400
    yoe = yy - era * 400
    doy = (153 * (mo + (-3 if mo > 2 else 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return (era * 146097 + doe - 719468) * DAY + h * HOUR + mi * MINUTE + se


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
        # keys in sorted order, as state files are written: an unchanged clock is then an
        # unchanged lab (the change check compares bytes)
        return {"frozen": self.frozen, "offset": self.offset, "realtime": self.realtime}

    @classmethod
    def from_dict(cls, d: dict[str, object]) -> LabClock:
        return cls(int(d["frozen"]), bool(d.get("realtime", False)), int(d.get("offset", 0)))  # type: ignore[call-overload]
