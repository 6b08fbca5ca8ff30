"""The shape of a node's state file, checked on load so that a file that is valid JSON
but not a node state is refused as corrupt (exit 3) instead of failing later."""

from __future__ import annotations

import re
from collections.abc import Callable

from ccxcli.core.catalogue import ALIASES, SKILLS, TYPES

TYPE_CHECKING = False  # `typing` is not imported at run time: it costs a one-shot command start-up
if TYPE_CHECKING:
    from typing import TypeGuard

    from ccxcli.core.state import NodeState

    Check = Callable[[object], bool]
    Spec = Check | dict[str, "Spec"]  # a check, or the keys of an object ("?key": optional)


def _re(p: str) -> Check:
    rx = re.compile(p)
    return lambda v: isinstance(v, str) and rx.fullmatch(v) is not None


def _int(v: object) -> TypeGuard[int]:
    return isinstance(v, int) and not isinstance(v, bool) and -(2**53) < v < 2**53


def _nat(v: object) -> TypeGuard[int]:
    return _int(v) and v >= 0


def _opt(c: Spec) -> Check:
    return lambda v: v is None or _ok(c, v)


def _one(*values: object) -> Check:
    return lambda v: v in values


def _list(c: Spec, most: int = 10_000) -> Check:
    return lambda v: isinstance(v, list) and len(v) <= most and all(_ok(c, x) for x in v)


def _map(key: Check, val: Spec, most: int = 100_000) -> Check:
    return lambda v: isinstance(v, dict) and len(v) <= most and all(key(k) and _ok(val, x) for k, x in v.items())


def _tuple(*cs: Spec) -> Check:
    return lambda v: isinstance(v, list) and len(v) == len(cs) and all(_ok(c, x) for c, x in zip(cs, v, strict=True))


def _count(v: object) -> TypeGuard[int]:
    return _nat(v) and v <= 1_000_000  # more than any node can use (agents, ports)


COUNTS = _map(lambda k: k in ALIASES, _count, 20)
PIID = _re(r"[0-9a-f]{16}")
HEX64 = _re(r"[0-9a-f]{64}")
OUTBOX_KINDS = ("register", "deregister", "renew_auth", "renew_id")
STR = lambda v: isinstance(v, str)  # noqa: E731
BOOL = lambda v: isinstance(v, bool)  # noqa: E731

NODE: dict[str, Spec] = {
    "schema": _int,
    "name": STR,
    "uuid": _re(r"[0-9a-f]{32}"),
    "sn": _re(r"[0-9a-f]{5}"),
    "hostname": STR,
    "created": _int,
    "?time": _int,
    "?booted": _int,
    "?version": STR,
    "?inactive_version": STR,
    "?ova": _one("100", "300", "400"),
    "?wfo": BOOL,
    "?publisher": STR,  # the publisher this node is the subscriber of (core/cluster.py)
    "?classic_license": {"serial": STR, "issued": STR, "counts": COUNTS, "installed": _int},
    "?faults": _list(_one("license-computation", "agent-init", "ssm-error", "ssm-slow"), 4),
    "?clock_skew": _int,  # seconds the node's own clock is off the network's (`sim fault clock-skew`)
    "?syslog": {
        "protocol": _one("udp", "tcp", "tls"),
        "?host": STR,
        "?port": _int,
        "?ca": STR,
        "?error": STR,
        "after": _int,
        "count_at": _int,
    },
    "license_type": _one(*TYPES),
    "classic": BOOL,
    "network": BOOL,
    "send_hostname": BOOL,
    "agents": _map(STR, {"skills": _list(_one(*SKILLS), 10), "supervisor": BOOL, "in": BOOL}),
    "ports": {"inbound": _nat, "outbound": _nat, "ivr": _nat},
    "control": {
        "overage": BOOL,
        "?agent_seats": _nat,
        "?premium_seats": _nat,
        "?standard_seats": _nat,
        "?outbound_ports": _nat,
        "?ivr_ports": _nat,
    },
    "transport": {
        "mode": _one("direct", "smart", "proxy", "gateway", "ssm-satellite"),
        "?url": STR,
        "?host": STR,
        "?port": _nat,
        "?user": STR,
        "?password": STR,
    },
    "reg": {
        "status": _one("UNREGISTERED", "REGISTERED", "REGISTRATION_EXPIRED"),
        "?initial": _int,
        "?renew_attempt": _int,
        "?renew_ok": BOOL,
        "?id_ok": _int,
        "?next_renew": _int,
        "?expires": _int,
        "?smart_account": STR,
        "?virtual_account": STR,
        "?instance": _int,
        "?ssm": STR,
        "?export": BOOL,
        "?certificate": STR,
    },
    "auth": {"?attempt": _int, "?attempt_ok": BOOL, "?ok": _int, "?next": _int, "?expired": BOOL},
    "eval": {"used": _nat, "since": _opt(_int), "expired": BOOL},
    "comp": {
        "count": _nat,
        "ooc": BOOL,
        "locked": _opt(COUNTS),
        "last_report": _opt(_int),
        "outcome": _one(None, "failed", "over", "compliant"),
        "reported": _opt(COUNTS),
        "version": _opt(_int),
        "?ooc_since": _opt(_int),
        "?failed": {"sent": COUNTS, "network": BOOL},
    },
    "enforce": _opt({"reason": _one("OOC_EXPIRY", "AUTH_EXPIRY", "EVAL_EXPIRY"), "since": _int}),
    "peak": COUNTS,
    "slr": {
        "enabled": BOOL,
        "seq": _nat,
        "?last_ts": _nat,
        "?secret": HEX64,
        "?request": _opt({"code": STR, "piid": PIID, "?key": HEX64, "at": _int, "seq": _nat}),
        "?installed": _opt(
            {
                "piid": PIID,
                "?key": HEX64,
                "counts": COUNTS,
                "timestamp": _nat,
                "at": _int,
                "?updated": _int,
                "?terms": _list(
                    {"alias": lambda v: v in ALIASES, "count": _count, "starts": _nat, "ends": _nat, "sub": STR}, 100
                ),
            }
        ),
        "?spare_keys": _map(PIID, HEX64, 100),
        "?confirmation": _opt(STR),
        "?return_code": _opt(STR),
        "?strict_tiers": BOOL,
    },
    "?proof": HEX64,
    "?trust_roots": _list(_one("identrust", "quovadis"), 2),  # `sim trust-store legacy`: the roots it trusts
    "?outbox": _opt(
        {
            "id": _re(r"[0-9a-f]{16}"),
            "kind": _one(*OUTBOX_KINDS),
            "t": _int,
            "?token": STR,
            "?force": BOOL,
            "?sent": BOOL,
            "?proof": HEX64,
        }
    ),
    "alerts": _map(STR, {"since": _int, "detail": STR}),
    "events": _list(_tuple(_int, _int, STR)),
    "usage_log": _list(_tuple(_int, COUNTS)),
    "report_log": _list(_tuple(_int, _opt(COUNTS), STR)),
}


def _ok(spec: Spec, value: object) -> bool:
    if isinstance(spec, dict):
        if not isinstance(value, dict):
            return False
        keys = {k.lstrip("?") for k in spec}
        if any(k not in keys for k in value):
            return False
        return all(
            (k.startswith("?") and k[1:] not in value) or (k.lstrip("?") in value and _ok(c, value[k.lstrip("?")]))
            for k, c in spec.items()
        )
    return bool(spec(value))


def conforms(spec: Spec, value: object) -> bool:
    """Whether `value` has the shape `spec` describes."""
    return _ok(spec, value)


# The SSM's answers to a node's messages (over HTTPS they come from whatever answers at the
# URL; `protocol/answers.py` checks them before the node applies them)
REGISTERED: dict[str, Spec] = {
    "smart_account": STR,
    "virtual_account": STR,
    "instance": _nat,
    "export": BOOL,
    "certificate": STR,
}
REPORTED: dict[str, Spec] = {"?deficit": COUNTS, "version": _opt(_int)}
VERSION = _opt(_int)


LAB: dict[str, Spec] = {
    "schema": _int,
    "created": _int,
    "clock": {"frozen": _int, "realtime": BOOL, "offset": _int},
    "?trusted": _list(STR, 100),
    "?moving_to": _opt({"to": _int, "clock": BOOL}),
    "?adopting": {"node": STR, "from": STR},  # a scenario loaded into one node, its SSM side committed first
    # `sim proxy add`: the HTTP proxies of the lab's network (a password kept as salt and SHA-256)
    "?proxies": _list({"host": STR, "port": _int, "?user": STR, "?salt": STR, "?hash": STR}, 100),
    # `sim ssm cisco URL`: where direct and proxy transports reach Cisco SSM (a served SSM)
    "?cisco": STR,
    # `sim lab slr-tiers`: the lab's reading of the disputed SLR tier rule, for nodes made later
    "?slr_tiers": _one("borrow", "strict"),
    # `sim lab cisco-root-ca`: the root CA Cisco's servers chain to (absent: IdenTrust, as now)
    "?cisco_root": _one("identrust", "quovadis"),
}


def as_node(doc: dict[str, object]) -> NodeState | str:
    """A document read from a node's state file as a `Node`, once its shape and consistency
    are checked; else the first problem (the one place a document becomes typed state)."""
    problem = first_problem(doc, NODE)
    if problem:
        return problem
    node: NodeState = doc  # type: ignore[assignment]  # its shape is checked: it is a Node
    return consistency_problem(node) or node


def first_problem(doc: dict[str, object], shape: dict[str, Spec]) -> str | None:
    """The first top-level key whose value does not have the expected shape, or None."""
    for key, spec in shape.items():
        name = key.lstrip("?")
        if name not in doc:
            if key.startswith("?"):
                continue
            return f"missing '{name}'"
        if not _ok(spec, doc[name]):
            return f"bad '{name}'"
    extra = set(doc) - {k.lstrip("?") for k in shape}
    if extra:
        return f"unexpected '{sorted(extra)[0]}'"
    return None


_REGISTERED_NEEDS = ("initial", "id_ok", "next_renew", "expires")
_AUTH_NEEDS = ("ok", "next", "attempt")


def consistency_problem(node: NodeState) -> str | None:
    """Fields that the state machine relies on together (checked after the shape)."""
    reg, auth, comp = node["reg"], node["auth"], node["comp"]
    if reg["status"] != "UNREGISTERED":
        missing = [k for k in _REGISTERED_NEEDS if k not in reg] + [k for k in _AUTH_NEEDS if k not in auth]
        if missing:
            return f"registered without '{missing[0]}'"
    if comp["ooc"] and (comp.get("ooc_since") is None or comp["locked"] is None):
        return "out of compliance without its start or locked usage"
    if comp["outcome"] is not None and comp["last_report"] is None:
        return "a report outcome without the time of the report"
    if node["eval"]["used"] > 10**10:
        return "bad evaluation time"
    return None
