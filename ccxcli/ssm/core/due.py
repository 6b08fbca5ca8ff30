"""What the SSM's time does by itself, applied when the SSM is next used (a command, a served
request, a clock move): an SSM On-Prem 90 days without synchronization is removed
(`sync.expire`), subscription terms start and end (`subscriptions.settle`)."""

from __future__ import annotations

from ccxcli.ssm.core import subscriptions, sync
from ccxcli.ssm.core.db import SsmDb


def time_passed(ssm: SsmDb, now: int) -> None:
    sync.expire(ssm, now)
    subscriptions.settle(ssm, now)
