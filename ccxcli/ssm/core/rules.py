"""The SSM's decisions as pure functions (no SQL, no clock): tokens, reservation holdings,
what an on-prem is left, synchronization order and alerts. The modules that store (db,
smart, reserve, sync) call these; `tests/test_ssm_rules.py` tables them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from ccxcli.clock import DAY, iso

Counts = dict[str, int]
FAILED_TO_RENEW = 30 * DAY  # an instance not heard from for this long: "Failed to Renew"
FAILED_TO_CONNECT = 90 * DAY  # … and for this long: "Failed to Connect"
# An SSM On-Prem (a satellite) must synchronize with Cisco SSM: after 90 days without a
# synchronization the smart account removes it ("Satellite expired and removed (90 Days of no
# sync)", Cisco's alert list); "Upcoming Satellite Sync Deadline (30 Day)" warns in the 30 days
# before (our reading of the alert's name: no public text gives its start).
SATELLITE_REMOVAL = 90 * DAY
SATELLITE_WARNING = 30 * DAY
UPCOMING_SYNC_DEADLINE = "Upcoming Satellite Sync Deadline (30 Day)"
SATELLITE_REMOVED = "Satellite expired and removed (90 Days of no sync)"


def satellite_state(last_sync: int, now: int) -> str:
    """ "ok", "deadline" (30 days or fewer before the removal) or "expired" (removed)."""
    if now >= last_sync + SATELLITE_REMOVAL:
        return "expired"
    if now >= last_sync + SATELLITE_REMOVAL - SATELLITE_WARNING:
        return "deadline"
    return "ok"


AUTH_DEADLINE = 90 * DAY  # an instance not heard from since its last contact loses its authorization then (the seed)
RETURNED_ALERT = 30 * DAY  # how long "Reserved Licenses Returned/Released" stays listed


def token_state(revoked: bool, expires: int, max_uses: int | None, uses: int, now: int) -> str:
    """active, revoked, expired or used up."""
    if revoked:
        return "revoked"
    if expires <= now:
        return "expired"
    if max_uses is not None and uses >= max_uses:
        return "used up"
    return "active"


def counts_text(counts: Mapping[str, int]) -> str:
    """`flex-premium=2, flex-standard=20`: counts as events and messages name them."""
    return ", ".join(f"{a}={n}" for a, n in sorted(counts.items()))


def times(n: int) -> str:
    """`once`, `twice`, `3 times`."""
    return {1: "once", 2: "twice"}.get(n, f"{n} times")


def token_refusal(state: str, expires: int, uses: int) -> str | None:
    """Why a registration with a token in `state` is refused (None: it is not)."""
    return {
        "active": None,
        "revoked": "Registration failed: the ID token has been revoked. Create a new token.",
        "expired": f"Registration failed: the ID token expired on {iso(expires)}. Create a new token.",
        "used up": f"Registration failed: the ID token has been used {times(uses)}, its maximum. Create a new token.",
    }[state]


def held(confirmed: Counts, outstanding: Iterable[Counts]) -> Counts:
    """What a reservation holds in its pool: per license, the most of its confirmed counts and
    of every code issued after them (the node may be running any of those)."""
    out = dict(confirmed)
    for counts in outstanding:
        for alias, n in counts.items():
            out[alias] = max(out.get(alias, 0), n)
    return out


def diff(new: Counts, old: Counts) -> Counts:
    return {a: new.get(a, 0) - old.get(a, 0) for a in set(new) | set(old)}


def left_to_onprem(pool: Mapping[str, Mapping[str, int]], used_elsewhere: Counts) -> Counts:
    """Per license, what the cloud leaves to an on-prem: purchased − reserved − used by every
    other instance of the virtual account (never below zero)."""
    return {alias: max(0, p["purchased"] - p["reserved"] - used_elsewhere.get(alias, 0)) for alias, p in pool.items()}


def sync_in_order(last_applied: int, seq: object) -> bool:
    """A synchronization request is applied only when newer than the last one applied."""
    return isinstance(seq, int) and not isinstance(seq, bool) and seq > last_applied


def contact_alert(last_contact: int, now: int) -> str | None:
    """The alert an instance not heard from since `last_contact` raises."""
    if last_contact < now - FAILED_TO_CONNECT:
        return "Failed to Connect"
    if last_contact < now - FAILED_TO_RENEW:
        return "Failed to Renew"
    return None


def add_counts(total: Counts, more: Mapping[str, int]) -> Counts:
    for alias, n in more.items():
        total[alias] = total.get(alias, 0) + n
    return total
