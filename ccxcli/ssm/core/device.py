"""The messages a node sends its SSM, as one operation table used both in-process (a node
and an SSM of the same lab) and by the served SSM's device endpoint (`ccx-ssm serve`),
so the two paths cannot drift. Arguments are checked here: over the network they come
from anyone."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ccxcli.clock import iso
from ccxcli.errors import RuleError, StoreError, UsageError
from ccxcli.values import HEX_DIGITS

if TYPE_CHECKING:
    from ccxcli.ssm.core.db import SsmDb

MAX_TIME = 253402300799


def _hexstr(n: int) -> Callable[[object], bool]:
    return lambda v: isinstance(v, str) and len(v) == n and set(v) <= HEX_DIGITS


def _text(most: int) -> Callable[[object], bool]:
    return lambda v: isinstance(v, str) and len(v) <= most and v.isprintable()


def _time(v: object) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= MAX_TIME


def _hello(v: object) -> bool:
    from ccxcli.core.catalogue import TYPES

    return (
        isinstance(v, dict)
        and set(v) == {"uuid", "sn", "license_type", "hostname"}
        and _hexstr(32)(v["uuid"])
        and _hexstr(5)(v["sn"])
        and v["license_type"] in TYPES
        and _text(255)(v["hostname"])
    )


UUID = _hexstr(32)
MSG = _text(128)
SHAPES: dict[str, dict[str, Callable[[object], bool]]] = {
    "register": {
        "token": _text(512),
        "hello": _hello,
        "now": _time,
        "force": lambda v: isinstance(v, bool),
        "msg_id": MSG,
    },
    "contact": {"uuid": UUID, "now": _time, "what": lambda v: v in ("auth", "id"), "msg_id": MSG},
    "report": {"uuid": UUID, "use": lambda v: isinstance(v, dict), "now": _time, "msg_id": MSG},
    "report_batch": {"uuid": UUID, "use": lambda v: isinstance(v, dict), "first": _time, "last": _time, "msg_id": MSG},
    "deregister": {"uuid": UUID, "now": _time, "msg_id": MSG},
    "pool_version": {"uuid": UUID},
}


# What a message may carry besides its shape: a registration, the node's secret; every other
# message of a registered node, the proof made with it (`protocol/proof.py`).
OPTIONAL: dict[str, dict[str, Callable[[object], bool]]] = {
    op: ({"proof": _hexstr(64)} if op == "register" else {"mac": _hexstr(64)}) for op in SHAPES
}


def check(op: str, args: object) -> dict[str, Any]:
    shape = SHAPES.get(op)
    if shape is None:
        raise UsageError(f"Unknown device operation '{str(op)[:40]}'.")
    extra = OPTIONAL[op]
    if (
        not isinstance(args, dict)
        or not set(shape) <= set(args) <= set(shape) | set(extra)
        or not all(ok(args[k]) for k, ok in shape.items())
        or not all(ok(args[k]) for k, ok in extra.items() if k in args)
    ):
        raise UsageError(f"Malformed '{op}' message: expected {', '.join(shape)}.")
    return args


class Unproven(RuleError):
    """A message for a product instance that its node did not prove it sent."""


def prove(ssm: SsmDb, op: str, a: dict[str, object]) -> None:
    """A served SSM's check that a message comes from the node registered as its instance: the
    MAC its registration secret makes (instances registered before there were secrets, and
    unknown ones, which the operation itself refuses, pass)."""
    from ccxcli.protocol.proof import proven

    row = ssm.db.execute("SELECT proof FROM instance WHERE uuid=?", (a["uuid"],)).fetchone()
    if row is not None and row[0] and not proven(row[0], op, a):
        raise Unproven(
            "The message is not proven by the node registered as this product instance (the instance's UUID "
            "alone proves nothing); refused."
        )


def scoped(op: str, a: dict[str, Any]) -> str:
    """A message's id as the SSM remembers its answer: the node's own id within the sender's
    space (the product instance the message speaks for; for a registration, the token and the
    node registering). Another node, in this lab or another sharing the SSM, that sends the same
    id gets its own answer: it can neither pre-claim nor read a victim's."""
    sender = f"{a['token']}|{a['hello']['uuid']}" if op == "register" else a["uuid"]
    return f"{op}|{sender}|{a['msg_id']}"


class Maintenance(StoreError):
    """The SSM is down for maintenance (`ccx-ssm maintenance on`): HTTP 503 when served."""


def check_open(ssm: SsmDb) -> None:
    """Refuse every request while the SSM is down for maintenance."""
    since = ssm.maintenance
    if since is not None:
        raise Maintenance(
            f"The SSM is down for maintenance (503 Service Unavailable) since {iso(since)}; try again later."
        )


def handle(ssm: SsmDb, op: str, args: object, served: bool = False) -> object:
    """Apply one node message to `ssm` and return the answer (refusals raise). `served`: it
    came over the network (`ccx-ssm serve`), so a registered node must prove it sent it; a
    node of the SSM's own lab reaches it in-process and proves nothing."""
    check_open(ssm)
    a = dict(check(op, args))
    if served and op != "register":
        prove(ssm, op, a)
    if "msg_id" in a:
        a["msg_id"] = scoped(op, a)
    hostname = a["hello"]["hostname"] if op == "register" else None
    before, ssm.actor = ssm.actor, lambda: node_actor(ssm, hostname, a)  # looked up only if an event is logged
    try:
        return _apply(ssm, op, a)
    finally:
        ssm.actor = before


def node_actor(ssm: SsmDb, hostname: str | None, a: dict[str, Any]) -> str:
    """Who a node's message is logged for: the node, by its hostname (the product instance's)."""
    if hostname is None:
        row = ssm.db.execute("SELECT hostname FROM instance WHERE uuid=?", (a["uuid"],)).fetchone()
        hostname = row[0] if row is not None else a["uuid"][:8]
    return f"node {hostname}"


def _apply(ssm: SsmDb, op: str, a: dict[str, Any]) -> object:
    from ccxcli.ssm.core import smart

    if op == "register":
        return smart.register(ssm, a["token"], a["hello"], a["now"], a["force"], a["msg_id"], a.get("proof", ""))
    if op == "contact":
        smart.contact(ssm, a["uuid"], a["now"], a["what"], a["msg_id"])
        return None
    if op == "report":
        return smart.report(ssm, a["uuid"], a["use"], a["now"], a["msg_id"])
    if op == "report_batch":
        if a["first"] > a["last"]:
            raise UsageError("Malformed 'report_batch' message: first is after last.")
        return smart.report_batch(ssm, a["uuid"], a["use"], a["first"], a["last"], a["msg_id"])
    if op == "deregister":
        smart.deregister(ssm, a["uuid"], a["now"], a["msg_id"])
        return None
    return smart.pool_version(ssm, a["uuid"])
