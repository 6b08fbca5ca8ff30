"""Licensing timers and thresholds (SPEC §3.6). Defaults; a lab may override them in lab.json."""

from __future__ import annotations

from ccxcli.clock import DAY, MINUTE

REPORT_INTERVAL = 15 * MINUTE
OOC_REPORTS = 5
OOC_GRACE = 90 * DAY
EVAL_PERIOD = 90 * DAY
AUTH_RENEW = 30 * DAY
AUTH_DEADLINE = 90 * DAY
AUTH_OVERAGE = 90 * DAY
ID_VALID = 365 * DAY
ID_RENEW = 180 * DAY
RETRY = 1 * DAY  # a failed automatic renewal is retried daily (our choice; the agent's is not public)


def next_boundary(t: int) -> int:
    """The next report time strictly after t (reports go out at :00, :15, :30, :45)."""
    return (t // REPORT_INTERVAL + 1) * REPORT_INTERVAL
