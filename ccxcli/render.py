"""Text renderers in the VOS shape (SPEC §6): they turn the status document into the
lines public parsers read (`Smart Licensing is ENABLED`, two-space `Status:` lines,
`… on Mon DD HH:MM:SS YYYY UTC` dates)."""

from __future__ import annotations

from typing import Any

from ccxcli.clock import parse_time, span, vos
from ccxcli.errors import printable


def _d(iso_text: str | None) -> str:
    return vos(parse_time(iso_text)) if iso_text else "-"


AUTH_TEXT = {
    "EVAL_MODE": "EVAL MODE",
    "EVAL_EXPIRED": "EVALUATION EXPIRED",
    "AUTHORIZED": "AUTHORIZED",
    "OUT_OF_COMPLIANCE": "OUT OF COMPLIANCE",
    "AUTH_EXPIRED": "AUTHORIZATION EXPIRED",
    "NO_LICENSES_IN_USE": "No Licenses in Use",
    "AUTHORIZED_RESERVED": "AUTHORIZED - RESERVED",
    "NOT_AUTHORIZED_RESERVED": "NOT AUTHORIZED - RESERVED",
}
REG_TEXT = {
    "UNREGISTERED": "UNREGISTERED",
    "REGISTERED": "REGISTERED",
    "REGISTRATION_EXPIRED": "REGISTRATION EXPIRED",
    "RESERVATION_IN_PROGRESS": "RESERVATION IN PROGRESS",
    "REGISTERED_SLR": "REGISTERED - SPECIFIC LICENSE RESERVATION",
}


def _ok(flag: bool | None) -> str:
    return "SUCCEEDED" if flag else "FAILED"


def status(doc: dict[str, Any], short: bool = False) -> list[str]:
    reg, auth, ev = doc["registration"], doc["authorization"], doc["evaluation"]
    enf, comp, res = doc["enforcement"], doc["compliance"], doc["reservation"]
    out = [f"Smart Licensing is {doc['smart_licensing']}"]
    if doc["smart_licensing"] == "DISABLED":
        return out + [
            "",
            "This node uses Classic Licensing ('appadmin license migrate smart' moves it to Smart Licensing).",
        ]
    if res["enabled"]:
        out.append("License Reservation is ENABLED")
    out += ["", "Registration:", f"  Status: {REG_TEXT[reg['status']]}"]
    if reg["smart_account"]:
        out += [f"  Smart Account: {printable(reg['smart_account'])}",
                f"  Virtual Account: {printable(reg['virtual_account'] or '')}"]  # fmt: skip
    out.append(f"  Export-Controlled Functionality: {'Allowed' if reg['export_controlled'] else 'Not Allowed'}")
    if reg["status"] == "REGISTERED_SLR":
        out.append(f"  Initial Registration: SUCCEEDED on {_d(reg['initial'])}")
    elif reg["last_renewal_attempt"]:
        out += [
            f"  Initial Registration: SUCCEEDED on {_d(reg['initial'])}",
            f"  Last Renewal Attempt: {_ok(reg['last_renewal_ok'])} on {_d(reg['last_renewal_attempt'])}",
            f"  Next Renewal Attempt: {_d(reg['next_renewal'])}",
            f"  Registration Expires: {_d(reg['expires'])}",
        ]
    out += ["", "License Authorization:"]
    a = auth["status"]
    if a == "NO_LICENSES_IN_USE":
        out.append(f"  Status: {AUTH_TEXT[a]}")
    elif a in ("EVAL_MODE", "EVAL_EXPIRED"):
        out.append(f"  Status: {AUTH_TEXT[a]}")
        out.append(f"  Evaluation Period Remaining: {span(ev['remaining_seconds'])}")
    else:
        out.append(f"  Status: {AUTH_TEXT[a]} on {_d(auth['since'])}")
    if auth["last_communication"]:
        out += [
            f"  Last Communication Attempt: {_ok(auth['last_communication_ok'])} on {_d(auth['last_communication'])}",
            f"  Next Communication Attempt: {_d(auth['next_communication'])}",
            f"  Communication Deadline: {_d(auth['expires'])}",
        ]
    if comp["out_of_compliance_since"] or comp["consecutive_overage_reports"]:
        out += ["", "License Compliance:"]
        if comp["out_of_compliance_since"]:
            out.append(f"  Status: OUT OF COMPLIANCE on {_d(comp['out_of_compliance_since'])}")
            locked = ", ".join(f"{k} {v}" for k, v in sorted((comp["locked_usage"] or {}).items()) if v)
            out.append(f"  Locked Usage: {locked or '-'}")
        else:
            out.append(f"  Status: OVERAGE REPORTED ({comp['consecutive_overage_reports']} of 5)")
    if enf["active"] or enf["deadline"]:
        out += ["", "Enforcement:"]
        if enf["active"]:
            out += [
                f"  Status: ENFORCEMENT MODE ({enf['reason']}) on {_d(enf['since'])}",
                "  Unified CM Synchronisation: BLOCKED",
            ]
        else:
            out.append(f"  Enforcement Deadline: {_d(enf['deadline'])}")
    if not short:
        out += [
            "",
            "Evaluation Period:",
            f"  Evaluation Mode: {'In Use' if ev['in_use'] else 'Not In Use'}",
            f"  Evaluation Period Remaining: {span(ev['remaining_seconds'])}",
        ]
    return out


def usage(doc: dict[str, Any]) -> list[str]:
    out = ["License Usage:"]
    for u in doc["usage"]:
        out += [
            f"  {u['name']} ({u['alias']}):",
            f"    Description: {u['description']}",
            f"    Tag: {u['tag']}",
            f"    Count: {u['count']}",
        ]
        if u["reported"] is not None:
            out.append(f"    Reported: {u['reported']}")
        if u["reserved"] is not None:
            out.append(f"    Reserved: {u['reserved']}")
        elif u["entitled"] is not None:
            out.append(f"    License Control Limit: {u['entitled']}")
        out += ["    Version: 1.0", f"    Status: {u['status']}"]
    return out


def usage_table(doc: dict[str, Any]) -> list[str]:
    rows = [("License", "Count", "Reported", "Reserved", "Status")]
    for u in doc["usage"]:
        rows.append((u["alias"], str(u["count"]), _n(u["reported"]), _n(u["reserved"]), u["status"]))
    w = [max(len(r[i]) for r in rows) for i in range(5)]
    lines = ["  " + "  ".join(c.ljust(w[i]) for i, c in enumerate(r)).rstrip() for r in rows]
    lines.insert(1, "  " + "-" * (sum(w) + 8))
    return ["License Usage:"] + lines


def _n(v: int | None) -> str:
    return "-" if v is None else str(v)


def reservation(doc: dict[str, Any]) -> list[str]:
    res = doc["reservation"]
    out = [
        f"License Reservation is {'ENABLED' if res['enabled'] else 'DISABLED'}",
        "",
        "Reservation:",
        f"  Status: {res['status']}",
    ]
    if res["request_code"]:
        out.append(f"  Request Code: {res['request_code']}")
    if res["reserved"]:
        out.append("  Reserved Licenses:")
        out += [f"    {alias}: {n}" for alias, n in sorted(res["reserved"].items())]
    if res["last_confirmation_code"]:
        out.append(f"  Last Confirmation Code: {res['last_confirmation_code']}")
    if res["last_return_code"]:
        out.append(f"  Last Return Code: {res['last_return_code']}")
    return out


def transport(doc: dict[str, Any]) -> list[str]:
    tr = doc["transport"]
    out = ["Transport:", f"  Type: {tr['mode'].upper() if tr['mode'] != 'ssm-satellite' else 'SSM-SATELLITE'}"]
    if tr.get("url"):
        out.append(f"  URL: {printable(tr['url'])}")
    if tr.get("host"):
        out.append(f"  Proxy: {printable(tr['host'])}:{tr['port']}{' (authenticated)' if tr.get('user') else ''}")
    out.append(f"  Network: {doc['network'].upper()}")
    out.append(f"  Send Hostname: {'Enabled' if doc['send_hostname'] else 'Disabled'}")
    return out


def alerts(doc: dict[str, Any]) -> list[str]:
    if not doc["alerts"]:
        return ["Alerts: none"]
    return ["Alerts:"] + [
        f"  {_d(a['since'])}  {a['message']}{' - ' + printable(a['detail']) if a['detail'] else ''}"
        for a in doc["alerts"]
    ]
