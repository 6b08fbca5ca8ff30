"""The node's licensing state machine (SPEC §3.5–3.6), as pure functions of
`(node, event, t)`. A node is a JSON-able dict; these functions mutate it in place
and never read the clock, touch files or print.

Timers are event driven: `next_due` says when the next thing happens, so catching
up over years costs the number of changes, not the number of 15-minute intervals.
"""

from __future__ import annotations

import bisect

from ccxcli.clock import vos
from ccxcli.core import terms, transports
from ccxcli.core import timers as T
from ccxcli.core.consumption import Counts, deficit, usage
from ccxcli.errors import printable

TYPE_CHECKING = False  # `typing` is not imported at run time: it costs a one-shot command start-up
if TYPE_CHECKING:
    from typing import Any

    from ccxcli.core.state import Compliance, NodeState, Registered, ReportAnswer

UNREGISTERED = "UNREGISTERED"
REGISTERED = "REGISTERED"
REGISTRATION_EXPIRED = "REGISTRATION_EXPIRED"
RESERVATION_IN_PROGRESS = "RESERVATION_IN_PROGRESS"
REGISTERED_SLR = "REGISTERED_SLR"

MAX_EVENTS = 1000
MAX_LOG = 2000

# RTMT / landing-page alerts (SPEC §3.7), by key.
ALERTS = {
    "renew-auth": "Renew Authorization failure: authorization failure notification received or timeout",
    "renew-id": "Renew Registration failure: renew ID certificate failure notification received or timeout",
    "computation": "License Computation failure: exception when trying to compute license usage",
    "reporting": "Entitlement Reporting failure: usage could not be reported to Cisco SSM",
    "ooc-enter": "System to enter in Out-of-Compliance: overage reported, OOC tolerance of 45 minutes not breached",
    "ooc-shortly": "System to enter Out-of-Compliance shortly: overage for more than 30 minutes; "
    "OOC at the next entitlement report",
    "ooc": "Out-of-Compliance: OOC tolerance limit of 45 minutes breached",
    "enforcement": "Enforcement Mode: system in enforcement mode",
    "agent-init": "Smart Agent Initialization failure: exception when initializing the Smart Agent, "
    "updating transport settings or getting entitlement tags",
}


def fresh_compliance(last_report: int | None = None) -> Compliance:
    """Compliance state with no report judged yet."""
    return {
        "count": 0,
        "ooc": False,
        "locked": None,
        "last_report": last_report,
        "outcome": None,
        "reported": None,
        "version": None,
    }


def new_node(
    name: str, uuid_hex: str, now: int, license_type: str = "flex", classic: bool = False, **extra: Any
) -> NodeState:
    """A new node; `extra` sets platform details (ova, version, wfo)."""
    node: NodeState = {
        "schema": 1,
        "name": name,
        "uuid": uuid_hex,
        "sn": uuid_hex[-5:],
        "hostname": name,
        "created": now,
        "license_type": license_type,
        "classic": classic,
        "agents": {},
        "ports": {"inbound": 0, "outbound": 0, "ivr": 0},
        "control": {"overage": True},
        "network": True,
        "transport": {"mode": "direct"},
        "send_hostname": True,
        "reg": {"status": UNREGISTERED},
        "auth": {},
        "eval": {"used": 0, "since": None if classic else now, "expired": False},
        "comp": fresh_compliance(),
        "enforce": None,
        "peak": {},
        "slr": {"enabled": False, "seq": 0},
        "alerts": {},
        "events": [],
        "usage_log": [],
        "report_log": [],
    }
    for key in ("ova", "version", "wfo"):  # the platform details a node may be created with
        if extra.get(key) is not None:
            node[key] = extra[key]
    if extra.get("publisher") is not None:  # a cluster's subscriber: no licensing of its own (core/cluster.py)
        node["publisher"] = extra["publisher"]
        node["eval"]["since"] = None
    node["peak"] = usage(node)
    node["usage_log"].append([now, node["peak"]])
    log(node, now, f"Node {name} created; license type {license_type}")
    return node


# --- events and alerts ------------------------------------------------------------


def log(node: NodeState, t: int, text: str, severity: int = 5) -> None:
    ev = node["events"]
    if ev and ev[-1][0] > t:  # a batched renewal may have logged a later time already
        bisect.insort(ev, [t, severity, text], key=lambda e: e[0])
    else:
        ev.append([t, severity, text])
    if len(ev) > MAX_EVENTS:
        del ev[: len(ev) - MAX_EVENTS]


def raise_alert(node: NodeState, t: int, key: str, detail: str = "") -> None:
    if key not in node["alerts"]:
        node["alerts"][key] = {"since": t, "detail": detail}
        log(node, t, f"ALERT raised: {ALERTS[key]}{' - ' + detail if detail else ''}", 2)


def clear_alert(node: NodeState, t: int, key: str) -> None:
    if node["alerts"].pop(key, None) is not None:
        log(node, t, f"ALERT cleared: {ALERTS[key].split(':')[0]}", 6)


def format_event(node: NodeState, ev: list[Any]) -> str:
    t, sev, text = ev
    return f"{vos(t)} {node['hostname']} ccx[{sev}]: %LICENSING-{sev}: {printable(text)}"


# --- derived state -----------------------------------------------------------------


def slr_installed(node: NodeState) -> bool:
    return bool(node["slr"].get("installed"))


def registration_status(node: NodeState) -> str:
    if slr_installed(node):
        return REGISTERED_SLR
    if node["slr"].get("request"):
        return RESERVATION_IN_PROGRESS
    return str(node["reg"]["status"])


def eval_remaining(node: NodeState, now: int) -> int:
    e = node["eval"]
    used = e["used"] + (max(0, now - e["since"]) if e["since"] is not None else 0)
    return max(0, T.EVAL_PERIOD - int(used))


def entitled_reserved(node: NodeState, now: int) -> Counts:
    """What the installed reservation gives at `now`: its licenses of a subscription term
    count only while the term runs."""
    installed = node["slr"].get("installed")
    if not installed:
        return {}
    return terms.live(installed["counts"], installed.get("terms", []), now)


def slr_borrows(node: NodeState) -> bool:
    """Whether, under a reservation, standard usage may take reserved premium licenses left
    unused (the seed's reading, the default) or a tier covers only itself (`sim lab slr-tiers
    strict`: a Cisco community answer quotes Cisco saying borrowing does not happen under SLR)."""
    return not node["slr"].get("strict_tiers", False)


def authorization_status(node: NodeState, now: int) -> str:
    if node["classic"]:
        return "NOT_APPLICABLE"  # Classic Licensing: Smart Licensing is disabled
    use = usage(node)
    if slr_installed(node):
        short = deficit(use, entitled_reserved(node, now), slr_borrows(node))
        return "NOT_AUTHORIZED_RESERVED" if short else "AUTHORIZED_RESERVED"
    if node["reg"]["status"] in (REGISTERED, REGISTRATION_EXPIRED):
        if node["auth"].get("expired"):
            return "AUTH_EXPIRED"
        if node["comp"]["ooc"]:
            return "OUT_OF_COMPLIANCE"
        return "AUTHORIZED" if any(use.values()) else "NO_LICENSES_IN_USE"
    return "EVAL_EXPIRED" if node["eval"]["expired"] else "EVAL_MODE"


def eval_should_run(node: NodeState) -> bool:
    return (
        not node["classic"]
        and not node["eval"]["expired"]
        and not slr_installed(node)
        and node["reg"]["status"] == UNREGISTERED
    )


def sync_eval(node: NodeState, t: int) -> None:
    """Start or pause the evaluation countdown to match the registration state."""
    e = node["eval"]
    run = eval_should_run(node)
    if run and e["since"] is None:
        e["since"] = t
    elif not run and e["since"] is not None:
        e["used"] += max(0, t - e["since"])  # a start after `t` (a state edited by hand) counts none
        e["since"] = None


def enforce(node: NodeState, t: int, reason: str) -> None:
    if node["enforce"] is None:
        node["enforce"] = {"reason": reason, "since": t}
        log(node, t, f"Enforcement Mode entered: {reason}; Unified CM synchronization blocked", 2)
        raise_alert(node, t, "enforcement", reason)


def leave_enforcement(node: NodeState, t: int, reason: str) -> None:
    if node["enforce"] is not None and node["enforce"]["reason"] == reason:
        node["enforce"] = None
        log(node, t, f"Enforcement Mode left ({reason} cured); Unified CM synchronization resumed")
        clear_alert(node, t, "enforcement")


# --- usage -------------------------------------------------------------------------


def usage_changed(node: NodeState, t: int) -> None:
    """Record a new usage: it raises the interval's peak and enters the usage log."""
    now_use = usage(node)
    peak = node["peak"]
    for alias, n in now_use.items():
        peak[alias] = max(peak.get(alias, 0), n)
    _append(node["usage_log"], [t, now_use])


def _append(series: list[Any], rec: list[Any]) -> None:
    if series and series[-1][1:] == rec[1:]:
        return
    if series and series[-1][0] == rec[0]:
        series[-1] = rec
    else:
        series.append(rec)
    if len(series) > MAX_LOG:
        del series[: len(series) - MAX_LOG]


def to_report(node: NodeState) -> Counts:
    """The usage the next report carries: the interval's peak, or the locked usage
    (highest seen since going out of compliance) while Out of Compliance."""
    peak = dict(node["peak"])
    locked = node["comp"]["locked"]
    if node["comp"]["ooc"] and locked:
        return {a: max(peak.get(a, 0), locked.get(a, 0)) for a in set(peak) | set(locked)}
    return peak


# --- timers ------------------------------------------------------------------------


def next_due(node: NodeState, pool_changed: bool, cursor: int) -> tuple[int, str] | None:
    """The earliest pending event of the node at or after `cursor`: (time, kind), or None."""
    cands: list[tuple[int, str]] = []
    e = node["eval"]
    if e["since"] is not None and not e["expired"]:
        cands.append((e["since"] + T.EVAL_PERIOD - e["used"], "eval_expiry"))
    reg, auth, comp = node["reg"], node["auth"], node["comp"]
    installed = node["slr"].get("installed")
    change = terms.next_change(installed.get("terms", []), cursor) if installed else None
    if change is not None:
        cands.append((change, "slr_term"))
    if reg["status"] == REGISTERED and not slr_installed(node):
        if report_needed(node, pool_changed) and "license-computation" not in node.get("faults", ()):
            last = comp["last_report"] or reg["initial"]
            cands.append((T.next_boundary(max(last, cursor - 1)), "report"))
        cands.append((auth["next"], "auth_renew"))
        if not auth.get("expired"):
            cands.append((auth["ok"] + T.AUTH_DEADLINE, "auth_expiry"))
        elif node["enforce"] is None:
            cands.append((auth["ok"] + T.AUTH_DEADLINE + T.AUTH_OVERAGE, "auth_enforce"))
        cands.append((reg["next_renew"], "id_renew"))
        cands.append((reg["expires"], "id_expiry"))
        since = comp.get("ooc_since")
        if comp["ooc"] and node["enforce"] is None and since is not None:  # shape: ooc always has its start
            cands.append((since + T.OOC_GRACE, "ooc_enforce"))
    return min(cands) if cands else None


def _term_changed(node: NodeState, t: int) -> None:
    """A subscription term of the installed reservation started or ended at `t`."""
    installed = node["slr"].get("installed")
    for term in installed.get("terms", []) if installed else []:
        what = f"{term['count']} {term['alias']} of subscription {term['sub']}"
        if term["ends"] == t:
            log(node, t, f"Reserved licenses expired: {what} (term ended {terms.last_day(t)})", 2)
        elif term["starts"] == t:
            log(node, t, f"Reserved licenses in force: {what} (term to {terms.last_day(term['ends'])})")


def report_needed(node: NodeState, pool_changed: bool) -> bool:
    """Whether the next report could differ from the last one. When it cannot, the
    reports between are identical and are skipped (they change nothing)."""
    comp = node["comp"]
    if comp["outcome"] is None:
        return True
    if comp["outcome"] == "failed":
        # Sent again at the next interval while the node's network is up: an SSM that failed
        # (down for maintenance, killed, refusing, answering errors) says it is back only by
        # answering. With the node's own network down, nothing is tried until it is back.
        return bool(node["network"])
    if not node["network"]:
        return True
    if pool_changed or 0 < comp["count"] < T.OOC_REPORTS:
        return True
    return bool(to_report(node) != comp["reported"])


def apply_timer(node: NodeState, t: int, kind: str) -> None:
    """Apply a timer that needs no SSM: expiries and enforcement."""
    if kind == "eval_expiry":
        node["eval"]["used"] = T.EVAL_PERIOD
        node["eval"]["since"] = None
        node["eval"]["expired"] = True
        log(node, t, "Evaluation period expired", 2)
        enforce(node, t, "EVAL_EXPIRY")
    elif kind == "auth_expiry":
        node["auth"]["expired"] = True
        log(node, t, "Authorization expired: no successful communication with Cisco SSM for 90 days", 2)
    elif kind == "auth_enforce":
        enforce(node, t, "AUTH_EXPIRY")
    elif kind == "id_expiry":
        node["reg"]["status"] = REGISTRATION_EXPIRED
        log(node, t, "Registration expired: ID certificate not renewed for 12 months; re-register", 2)
    elif kind == "ooc_enforce":
        enforce(node, t, "OOC_EXPIRY")
    elif kind == "slr_term":
        _term_changed(node, t)
    else:  # pragma: no cover - a programming error, not user input
        raise ValueError(kind)


def apply_report(node: NodeState, t: int, sent: Counts, outcome: ReportAnswer | None) -> None:
    """Record one usage report. `outcome` is the SSM's answer ({"deficit": {...},
    "version": N}) or None when the report could not be delivered."""
    comp = node["comp"]
    comp["last_report"] = t
    node["peak"] = usage(node)
    if outcome is None:
        if comp["outcome"] != "failed":
            log(
                node,
                t,
                f"Usage report to Cisco SSM failed; will retry ({transports.failed_line(node['transport'])})",
                3,
            )
        comp["outcome"] = "failed"
        comp["failed"] = {"sent": sent, "network": bool(node["network"])}
        raise_alert(node, t, "reporting")
        _append(node["report_log"], [t, sent, "ReportFailed"])
        return
    clear_alert(node, t, "reporting")
    comp.pop("failed", None)
    comp["reported"] = sent
    comp["version"] = outcome.get("version")
    short = outcome.get("deficit") or {}
    if short:
        comp["outcome"] = "over"
        comp["count"] = min(comp["count"] + 1, T.OOC_REPORTS)
        if comp["ooc"]:
            comp["locked"] = sent
        else:
            log(
                node,
                t,
                f"Usage over entitlement ({comp['count']} of {T.OOC_REPORTS}): short "
                + ", ".join(f"{a}={n}" for a, n in sorted(short.items())),
                4,
            )
            raise_alert(node, t, "ooc-enter")
            if comp["count"] == T.OOC_REPORTS - 1:
                raise_alert(node, t, "ooc-shortly")
            if comp["count"] >= T.OOC_REPORTS:
                comp["ooc"], comp["ooc_since"], comp["locked"] = True, t, sent
                clear_alert(node, t, "ooc-enter")
                clear_alert(node, t, "ooc-shortly")
                raise_alert(node, t, "ooc")
                log(
                    node,
                    t,
                    "Out of Compliance; usage locked at " + ", ".join(f"{a}={n}" for a, n in sorted(sent.items()) if n),
                    2,
                )
    else:
        comp["outcome"] = "compliant"
        if comp["count"] and not comp["ooc"]:
            log(node, t, "Usage back within entitlement; overage count reset")
        comp["count"] = 0
        clear_alert(node, t, "ooc-enter")
        clear_alert(node, t, "ooc-shortly")
        if comp["ooc"]:
            comp["ooc"], comp["ooc_since"], comp["locked"] = False, None, None
            clear_alert(node, t, "ooc")
            log(node, t, "In Compliance again: entitlements cover the locked usage")
            leave_enforcement(node, t, "OOC_EXPIRY")
        # once compliant, the next report carries actual usage again
    _append(node["report_log"], [t, sent, _status(node)])


def steady_reporting(node: NodeState) -> bool:
    """Whether the node reports every interval and its last report was delivered."""
    return (
        node["reg"]["status"] == REGISTERED
        and not slr_installed(node)
        and bool(node["network"])
        and node["comp"]["outcome"] in ("compliant", "over")
        and node["comp"]["reported"] is not None
    )


def apply_steady(node: NodeState, last: int) -> None:
    """Identical reports were delivered up to `last` (one message for all)."""
    comp = node["comp"]
    comp["last_report"] = last
    _append(node["report_log"], [last, comp["reported"], _status(node)])


def _status(node: NodeState) -> str:
    comp = node["comp"]
    if comp["ooc"]:
        return "OutOfCompliance"
    return "InCompliance" if comp["count"] == 0 else f"Overage({comp['count']}/{T.OOC_REPORTS})"


def apply_auth_renew(node: NodeState, t: int, ok: bool, manual: bool = False) -> None:
    auth = node["auth"]
    auth["attempt"] = t
    auth["attempt_ok"] = ok
    if ok:
        auth["ok"], auth["next"], auth["expired"] = t, t + T.AUTH_RENEW, False
        clear_alert(node, t, "renew-auth")
        log(node, t, f"Authorization renewed{' (manual)' if manual else ''}")
        leave_enforcement(node, t, "AUTH_EXPIRY")
    else:
        if not manual:
            auth["next"] = t + T.RETRY
        log(
            node,
            t,
            f"Authorization renewal failed: Cisco SSM not reachable ({transports.failed_line(node['transport'])})",
            3,
        )
        raise_alert(node, t, "renew-auth")


def apply_id_renew(node: NodeState, t: int, ok: bool, manual: bool = False) -> None:
    reg = node["reg"]
    reg["renew_attempt"] = t
    reg["renew_ok"] = ok
    if ok:
        reg["id_ok"], reg["next_renew"], reg["expires"] = t, t + T.ID_RENEW, t + T.ID_VALID
        if reg["status"] == REGISTRATION_EXPIRED:
            reg["status"] = REGISTERED
        clear_alert(node, t, "renew-id")
        log(node, t, f"Registration (ID certificate) renewed{' (manual)' if manual else ''}")
    else:
        if not manual:
            reg["next_renew"] = t + T.RETRY
        log(
            node,
            t,
            f"Registration renewal failed: Cisco SSM not reachable ({transports.failed_line(node['transport'])})",
            3,
        )
        raise_alert(node, t, "renew-id")


def apply_register(node: NodeState, t: int, info: Registered) -> None:
    """The node registered (info: smart_account, virtual_account, instance, ssm, export)."""
    node["reg"] = {
        "status": REGISTERED,
        "initial": t,
        "renew_attempt": t,
        "renew_ok": True,
        "id_ok": t,
        "next_renew": t + T.ID_RENEW,
        "expires": t + T.ID_VALID,
        **info,
    }
    node["auth"] = {"attempt": t, "attempt_ok": True, "ok": t, "next": t + T.AUTH_RENEW, "expired": False}
    node["comp"] = fresh_compliance(last_report=t)
    sync_eval(node, t)
    if node["eval"]["expired"]:
        node["eval"]["expired"] = False  # registering cures EVAL_EXPIRY; the used time stays
    for reason in ("EVAL_EXPIRY", "AUTH_EXPIRY", "OOC_EXPIRY"):  # a fresh registration cures them all
        leave_enforcement(node, t, reason)
    for key in ("renew-auth", "renew-id", "reporting", "ooc-enter", "ooc-shortly", "ooc"):
        clear_alert(node, t, key)
    log(
        node,
        t,
        f"Registered with Cisco SSM: smart account {info.get('smart_account')}, "
        f"virtual account {info.get('virtual_account')}",
    )


def apply_instance_gone(node: NodeState, t: int) -> None:
    """The SSM answered that it no longer has this product instance (removed there): the
    node loses its registration, as it would on deregistering."""
    apply_deregister(node, t, "The product instance was removed from the SSM; registration lost")


def renewals_up_to(t: int, target: int, period: int) -> tuple[int, int]:
    """Periodic renewals from `t` up to `target`, one every `period`, applied as one (the
    last): nothing can make a later one fail within one clock move once this one succeeded
    (the network and the SSM's instance only change between commands). Returns (the time
    of the last, how many were folded into it)."""
    skipped = (target - t) // period
    return t + skipped * period, skipped


def apply_deregister(node: NodeState, t: int, reason: str = "Deregistered") -> None:
    node["reg"] = {"status": UNREGISTERED}
    node["auth"] = {}
    node["comp"] = fresh_compliance()
    if node["enforce"] is not None and node["enforce"]["reason"] in ("OOC_EXPIRY", "AUTH_EXPIRY"):
        leave_enforcement(node, t, node["enforce"]["reason"])
    for key in ("renew-auth", "renew-id", "reporting", "ooc-enter", "ooc-shortly", "ooc"):
        clear_alert(node, t, key)
    if node["eval"]["used"] >= T.EVAL_PERIOD:
        node["eval"]["expired"] = True
        enforce(node, t, "EVAL_EXPIRY")
    sync_eval(node, t)
    _append(node["report_log"], [t, None, "Unregistered"])
    log(node, t, f"{reason}; evaluation period resumes with {eval_remaining(node, t) // 86400} days left")
