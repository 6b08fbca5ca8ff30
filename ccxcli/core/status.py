"""The status document of a node at `now` (the `--json` shape of `show license status`,
documented in docs/reference/exit-codes-and-json.md). Pure: built from the node dict only."""

from __future__ import annotations

from ccxcli.clock import iso
from ccxcli.core import engine, identity, terms, transports
from ccxcli.core import timers as T
from ccxcli.core.catalogue import BY_ALIAS, TYPES
from ccxcli.core.consumption import UNLIMITED, control_limits, deficit, usage

TYPE_CHECKING = False  # `typing` is not imported at run time: it costs a one-shot command start-up
if TYPE_CHECKING:
    from ccxcli.core.state import NodeState, StatusDoc, Term, TermDoc, UsageRow


def _t(t: int | None) -> str | None:
    return iso(t) if t is not None else None


def build(node: NodeState, now: int) -> StatusDoc:
    reg, auth, comp, slr = node["reg"], node["auth"], node["comp"], node["slr"]
    rstatus = engine.registration_status(node)
    astatus = engine.authorization_status(node, now)
    registered = reg["status"] in (engine.REGISTERED, engine.REGISTRATION_EXPIRED)
    installed = slr.get("installed")
    request = slr.get("request")
    ova = identity.ova(node)
    transport = node["transport"].copy()
    transport.pop("password", None)
    transport["url"] = transports.url(transport)  # Cisco's default URL for Call Home or Smart Transport
    doc: StatusDoc = {
        "now": iso(now),
        "node": node["name"],
        "hostname": node["hostname"],
        "udi": {"pid": "UCCX", "sn": node["sn"], "uuid": node["uuid"]},
        "license_type": node["license_type"],
        "license_type_name": TYPES[node["license_type"]][1],
        "smart_licensing": "DISABLED" if node["classic"] else "ENABLED",
        "registration": {
            "status": rstatus,
            "smart_account": reg.get("smart_account") or None,  # an SLR node is told neither
            "virtual_account": reg.get("virtual_account") or None,
            "export_controlled": bool(reg.get("export")),
            "initial": _t(reg.get("initial") if registered else (installed["at"] if installed else None)),
            "last_renewal_attempt": _t(reg.get("renew_attempt")) if registered else None,
            "last_renewal_ok": reg.get("renew_ok") if registered else None,
            "next_renewal": _t(reg.get("next_renew")) if registered else None,
            "expires": _t(reg.get("expires")) if registered else None,
            "instance_id": reg.get("instance"),
            "ssm": reg.get("ssm"),
        },
        "authorization": {
            "status": astatus,
            "since": _t(_auth_since(node, registered)),
            "last_communication": _t(auth.get("attempt")) if registered else None,
            "last_communication_ok": auth.get("attempt_ok") if registered else None,
            "next_communication": _t(auth.get("next")) if registered else None,
            "expires": _t(auth["ok"] + T.AUTH_DEADLINE) if registered and auth.get("ok") is not None else None,
        },
        "evaluation": {
            "remaining_seconds": engine.eval_remaining(node, now),
            "expired": bool(node["eval"]["expired"]),
            "in_use": node["eval"]["since"] is not None,
        },
        "enforcement": {
            "active": node["enforce"] is not None,
            "reason": node["enforce"]["reason"] if node["enforce"] else None,
            "since": _t(node["enforce"]["since"]) if node["enforce"] else None,
            "deadline": _deadline(node),
        },
        "compliance": {
            "consecutive_overage_reports": comp["count"],
            "out_of_compliance_since": _t(comp.get("ooc_since")),
            "locked_usage": comp["locked"],
            "last_report": _t(comp.get("last_report")) if registered else None,
            "last_report_outcome": comp.get("outcome") if registered else None,
        },
        "usage": usage_rows(node, now),
        "reservation": {
            "enabled": bool(slr["enabled"]),
            "status": _slr_status(node),
            "request_code": request["code"] if request else None,
            "reserved": dict(installed["counts"]) if installed else {},
            "terms": [_term_doc(term, now) for term in installed.get("terms", [])] if installed else [],
            "authorization_timestamp": installed["timestamp"] if installed else None,
            "last_confirmation_code": slr.get("confirmation"),
            "last_return_code": slr.get("return_code"),
        },
        "transport": transport,
        "network": "up" if node["network"] else "down",
        "send_hostname": node["send_hostname"],
        "license_control": node["control"].copy(),
        "ports": node["ports"].copy(),
        "ova": {"profile": ova["profile"], "max_agents": ova["max_agents"]},
        "alerts": [
            {"key": k, "since": iso(v["since"]), "message": engine.ALERTS[k], "detail": v["detail"]}
            for k, v in sorted(node["alerts"].items(), key=lambda kv: kv[1]["since"])
        ],
    }
    return doc


def _auth_since(node: NodeState, registered: bool) -> int | None:
    """When the authorization status began."""
    comp, auth = node["comp"], node["auth"]
    if not registered:
        installed = node["slr"].get("installed")
        return installed["at"] if installed else None
    if auth.get("expired"):
        return int(auth["ok"]) + T.AUTH_DEADLINE
    if comp["ooc"]:
        return comp.get("ooc_since")
    return auth.get("ok")


def _deadline(node: NodeState) -> str | None:
    comp, auth = node["comp"], node["auth"]
    if node["enforce"]:
        return None
    since = comp.get("ooc_since")
    if comp["ooc"] and since is not None:  # shape: out of compliance always has its start
        return iso(since + T.OOC_GRACE)
    if auth.get("expired"):
        return iso(auth["ok"] + T.AUTH_DEADLINE + T.AUTH_OVERAGE)
    return None


def _slr_status(node: NodeState) -> str:
    slr = node["slr"]
    if slr.get("installed"):
        return "INSTALLED"
    if slr.get("request"):
        return "REQUESTED"
    return "ENABLED" if slr["enabled"] else "DISABLED"


def _term_doc(term: Term, now: int) -> TermDoc:
    return {
        "alias": term["alias"],
        "count": term["count"],
        "subscription": term["sub"],
        "start_date": terms.date_text(term["starts"]),
        "end_date": terms.last_day(term["ends"]),
        "in_force": terms.in_force(term, now),
        "ended": now >= term["ends"],
    }


def usage_rows(node: NodeState, now: int) -> list[UsageRow]:
    use = usage(node)
    comp = node["comp"]
    reported = engine.to_report(node) if comp["ooc"] else (comp["reported"] or {})
    installed = node["slr"].get("installed")
    entitled: dict[str, int] | None = None
    if installed:
        entitled = engine.entitled_reserved(node, now)
    elif (lim := control_limits(node)) is not None:
        entitled = {a: n for a, n in lim.items() if n < UNLIMITED}  # an empty field limits nothing
    short = deficit(use, entitled, engine.slr_borrows(node)) if installed and entitled is not None else {}
    astatus = engine.authorization_status(node, now)
    registered = node["reg"]["status"] in (engine.REGISTERED, engine.REGISTRATION_EXPIRED)
    rows: list[UsageRow] = []
    for alias in TYPES[node["license_type"]][2]:
        lic = BY_ALIAS[alias]
        if installed:
            status = "NotAuthorized" if alias in short else "Reserved"
        elif registered:
            status = {"OUT_OF_COMPLIANCE": "OutOfCompliance", "AUTH_EXPIRED": "AuthorizationExpired"}.get(
                astatus, "InCompliance"
            )
            if comp["count"] and not comp["ooc"]:
                status = "Overage"
        else:
            status = "EvaluationExpired" if node["eval"]["expired"] else "Evaluation"
        rows.append(
            {
                "alias": alias,
                "name": lic.name,
                "description": lic.description,
                "tag": lic.tag,
                "count": use.get(alias, 0),
                "reported": reported.get(alias, 0) if registered else None,
                "entitled": entitled.get(alias) if entitled is not None else None,
                "reserved": installed["counts"].get(alias, 0) if installed else None,
                "status": status,
            }
        )
    return rows
