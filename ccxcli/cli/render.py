"""Text renderers in the VOS shape (SPEC §6): they turn the status document into the
lines public parsers read.

Sources of the shapes (the values are always the emulated node's):
- `show license status`: the VOS sample of SPEC §6 (CUCM 12.x, the same VOS CLI); the lines
  ntc-templates' `cisco_ios_show_license_status` template reads (`Smart Licensing is …`,
  `Registration:` / `License Authorization:` / `Transport:` sections of indented lines,
  `Status: X on Mon DD HH:MM:SS YYYY TZ`), ending with `License Authorization Status: X as of …`.
- `show license summary`: Cisco's Smart Agent summary (registration and authorization in
  short, then `License Usage:` in the columns License / Entitlement Tag / Count / Status).
- `show license all`: Cisco's Smart Agent `show license all` (sections under `====`
  underlines: Smart Licensing Status, License Usage with `Name (tag):` entries, Product
  Information, Agent Version with `Smart Agent for Licensing:`, Reservation Info).
- `License Compliance:` and `Enforcement:` sections are ours (Cisco's wording is not public).
"""

from __future__ import annotations

from ccxcli.clock import parse_time, span, vos
from ccxcli.errors import printable

TYPE_CHECKING = False  # `typing` is not imported at run time: it costs a one-shot command start-up
if TYPE_CHECKING:
    from ccxcli.core.state import StatusDoc

AGENT_VERSION = "4.6.3_rel/18"  # synthetic: the version of Cisco's agent in UCCX is not public

AUTH_TEXT = {
    "EVAL_MODE": "EVAL MODE",
    "EVAL_EXPIRED": "EVALUATION EXPIRED",
    "AUTHORIZED": "AUTHORIZED",
    "OUT_OF_COMPLIANCE": "OUT OF COMPLIANCE",
    "AUTH_EXPIRED": "AUTHORIZATION EXPIRED",
    "NO_LICENSES_IN_USE": "NO LICENSES IN USE",
    "AUTHORIZED_RESERVED": "AUTHORIZED - RESERVED",
    "NOT_AUTHORIZED_RESERVED": "NOT AUTHORIZED - RESERVED",
    "NOT_APPLICABLE": "NOT APPLICABLE",
}
REG_TEXT = {
    "UNREGISTERED": "UNREGISTERED",
    "REGISTERED": "REGISTERED",
    "REGISTRATION_EXPIRED": "REGISTRATION EXPIRED",
    "RESERVATION_IN_PROGRESS": "RESERVATION IN PROGRESS",
    "REGISTERED_SLR": "REGISTERED - SPECIFIC LICENSE RESERVATION",
}
TRANSPORT_TEXT = {
    "direct": "Direct",
    "smart": "Smart Transport",
    "proxy": "Proxy",
    "gateway": "Gateway",
    "ssm-satellite": "SSM-Satellite",
}


def _d(iso_text: str | None) -> str:
    return vos(parse_time(iso_text)) if iso_text else "-"


def _ok(flag: bool | None) -> str:
    return "SUCCEEDED" if flag else "FAILED"


def header(title: str) -> list[str]:
    return [title, "=" * len(title)]


def _opening(doc: StatusDoc) -> list[str]:
    out = [f"Smart Licensing is {doc['smart_licensing']}"]
    if doc["smart_licensing"] == "DISABLED":
        return out + [
            "",
            "This node uses Classic Licensing ('appadmin license migrate smart' moves it to Smart Licensing).",
        ]
    if doc["reservation"]["enabled"]:
        out.append("License Reservation is ENABLED")
    return out


def _registration(doc: StatusDoc, short: bool) -> list[str]:
    reg = doc["registration"]
    out = ["Registration:", f"  Status: {REG_TEXT[reg['status']]}"]
    if reg["smart_account"]:
        out += [
            f"  Smart Account: {printable(reg['smart_account'])}",
            f"  Virtual Account: {printable(reg['virtual_account'] or '')}",
        ]
    out.append(f"  Export-Controlled Functionality: {'Allowed' if reg['export_controlled'] else 'Not Allowed'}")
    if reg["status"] == "REGISTERED_SLR":
        out.append(f"  Initial Registration: SUCCEEDED on {_d(reg['initial'])}")
    elif reg["last_renewal_attempt"]:
        if not short:
            out.append(f"  Initial Registration: SUCCEEDED on {_d(reg['initial'])}")
        out += [
            f"  Last Renewal Attempt: {_ok(reg['last_renewal_ok'])} on {_d(reg['last_renewal_attempt'])}",
            f"  Next Renewal Attempt: {_d(reg['next_renewal'])}",
        ]
        if not short:
            out.append(f"  Registration Expires: {_d(reg['expires'])}")
    return out


def _authorization(doc: StatusDoc, short: bool) -> list[str]:
    auth, ev = doc["authorization"], doc["evaluation"]
    a = auth["status"]
    out = ["License Authorization:"]
    if a == "NO_LICENSES_IN_USE" or (short and a not in ("EVAL_MODE", "EVAL_EXPIRED")):
        out.append(f"  Status: {AUTH_TEXT[a]}")
    elif a in ("EVAL_MODE", "EVAL_EXPIRED"):
        out.append(f"  Status: {AUTH_TEXT[a]}")
        out.append(f"  Evaluation Period Remaining: {span(ev['remaining_seconds'])}")
    else:
        out.append(f"  Status: {AUTH_TEXT[a]} on {_d(auth['since'])}")
    if auth["last_communication"]:
        if short:
            out += [
                f"  Last Communication Attempt: {_ok(auth['last_communication_ok'])}",
                f"  Next Communication Attempt: {_d(auth['next_communication'])}",
            ]
        else:
            out += [
                f"  Last Communication Attempt: {_ok(auth['last_communication_ok'])} on "
                f"{_d(auth['last_communication'])}",
                f"  Next Communication Attempt: {_d(auth['next_communication'])}",
                f"  Communication Deadline: {_d(auth['expires'])}",
            ]
    return out


def _compliance(doc: StatusDoc) -> list[str]:
    comp, enf = doc["compliance"], doc["enforcement"]
    out: list[str] = []
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
                "  Unified CM Synchronization: BLOCKED",
            ]
        else:
            out.append(f"  Enforcement Deadline: {_d(enf['deadline'])}")
    return out


def transport(doc: StatusDoc) -> list[str]:
    tr = doc["transport"]
    out = ["Transport:", f"  Type: {TRANSPORT_TEXT[tr['mode']]}"]
    if tr.get("url"):
        out.append(f"  URL: {printable(tr['url'])}")
    if tr.get("host"):
        out += [f"  Address: {printable(tr['host'])}", f"  Port: {tr['port']}"]
        if tr.get("user"):
            out.append(f"  Username: {printable(tr['user'])}")
    out.append(f"  Network: {doc['network'].upper()}")
    return out


def status(doc: StatusDoc) -> list[str]:
    """`show license status`."""
    out = _opening(doc)
    if doc["smart_licensing"] == "DISABLED":
        return out
    ev = doc["evaluation"]
    out += ["", *_registration(doc, False), "", *_authorization(doc, False), *_compliance(doc)]
    out += [
        "",
        "Evaluation Period:",
        f"  Evaluation Mode: {'In Use' if ev['in_use'] else 'Not In Use'}",
        f"  Evaluation Period Remaining: {span(ev['remaining_seconds'])}",
        "",
        *transport(doc),
        "",
        f"License Authorization Status: {AUTH_TEXT[doc['authorization']['status']]} as of {_d(doc['now'])}",
    ]
    return out


def summary(doc: StatusDoc) -> list[str]:
    """`show license summary`."""
    out = _opening(doc)
    if doc["smart_licensing"] == "DISABLED":
        return out
    out += ["", *_registration(doc, True), "", *_authorization(doc, True), *_compliance(doc), ""]
    return out + usage_table(doc)


def tag_name(tag: str) -> str:
    """`UCCX_Flex_Std_Agent` of `regid.2019-03.com.cisco.UCCX_Flex_Std_Agent,1.0_…`."""
    return tag.split(".cisco.", 1)[-1].split(",", 1)[0]


def usage_table(doc: StatusDoc) -> list[str]:
    rows = [("License", "Entitlement Tag", "Count", "Status")]
    for u in doc["usage"]:
        rows.append((u["name"], tag_name(u["tag"]), str(u["count"]), u["status"]))
    w = [max(len(r[i]) for r in rows) for i in range(4)]
    lines = [f"  {r[0]:<{w[0]}}  {r[1]:<{w[1]}}  {r[2]:>{w[2]}}  {r[3]}".rstrip() for r in rows]
    lines.insert(1, "  " + "-" * (sum(w) + 6 + max(0, len("Status") - w[3])))
    return ["License Usage:"] + lines


def usage(doc: StatusDoc) -> list[str]:
    """`show license usage`: one entry per license of the type, `Name (tag):`."""
    out: list[str] = []
    for u in doc["usage"]:
        if out:
            out.append("")
        out += [
            f"{u['name']} ({u['tag']}):",
            f"  Description: {u['description']} ({u['alias']})",
            f"  Count: {u['count']}",
            "  Version: 1.0",
            f"  Status: {u['status']}",
            "  Export status: NOT RESTRICTED",
        ]
        if u["reported"] is not None:
            out.append(f"  Reported: {u['reported']}")
        if u["reserved"] is not None:
            out.append(f"  Reserved: {u['reserved']}")
        elif u["entitled"] is not None:
            out.append(f"  License Control Limit: {u['entitled']}")
    return out or ["No licenses in use"]


def reservation(doc: StatusDoc) -> list[str]:
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
    for term in res.get("terms", []):
        state = "Active" if term["in_force"] else "Expired" if term["ended"] else "Not Started"
        out += [
            f"  Term ({term['alias']}, subscription {term['subscription']}):",
            "    License Type: TERM",
            f"    Count: {term['count']}",
            f"    Start Date: {term['start_date']}",
            f"    End Date: {term['end_date']}",
            f"    Term Status: {state}",
        ]
    if res["last_confirmation_code"]:
        out.append(f"  Last Confirmation Code: {res['last_confirmation_code']}")
    if res["last_return_code"]:
        out.append(f"  Last Return Code: {res['last_return_code']}")
    return out


def all_(doc: StatusDoc) -> list[str]:
    """`show license all`."""
    u = doc["udi"]
    out = [*header("Smart Licensing Status"), "", *status(doc)]
    out += ["", *header("License Usage"), "", *usage(doc)]
    out += ["", *header("Product Information"), f"UDI: PID:{u['pid']},SN:{u['sn']},UUID:{u['uuid']}"]
    out.append(f"License Type: {doc['license_type_name']} ({doc['license_type']})")
    ports = doc["ports"]
    out.append(
        f"Ports In Use: inbound {ports['inbound']}, outbound {ports['outbound']}, IVR {ports['ivr']} "
        "(inbound ports are stored, not reported)"
    )
    if doc.get("ova"):
        out.append(f"OVA Profile: {doc['ova']['profile']} agents (maximum {doc['ova']['max_agents']})")
    out += ["", *header("Agent Version"), f"Smart Agent for Licensing: {AGENT_VERSION}"]
    out += ["", *header("Reservation Info"), *reservation(doc)]
    return out


def alerts(doc: StatusDoc) -> list[str]:
    if not doc["alerts"]:
        return ["Alerts: none"]
    return ["Alerts:"] + [
        f"  {_d(a['since'])}  {a['message']}{' - ' + printable(a['detail']) if a['detail'] else ''}"
        for a in doc["alerts"]
    ]


VIEWS = {"status": status, "summary": summary, "all": all_, "usage": usage, "reservation": reservation}
