"""Specific License Reservation on the node (pure): the state rules of SPEC §2.3.

node["slr"] = {enabled, seq, last_ts, secret, request: {code, piid, at, seq} | None,
               installed: {piid, counts, timestamp, at, updated?} | None,
               confirmation, return_code, spare_keys (version-1 keys only)}

The reservation key and the nonce (piid) of request number `seq` are derived from the
node's `secret`, which, like `seq` and the newest installed timestamp (`last_ts`),
survives a factory reset. So an old code can never be replayed, and every code ever
authorized for this node can still be returned: no license is stuck on the SSM because
the node forgot a key. Version-1 states kept an Ed25519 key per request (`key`); those
keys are still honoured.
"""

from __future__ import annotations

import hashlib
import hmac

from ccxcli.core import engine
from ccxcli.core.timers import EVAL_PERIOD
from ccxcli.errors import RuleError

TYPE_CHECKING = False  # `typing` is not imported at run time: it costs a one-shot command start-up
if TYPE_CHECKING:
    from ccxcli.core.state import Installed, NodeState, PendingRequest, Term
    from ccxcli.core.state import Reservation as ReservationState

MISMATCH = "The Reservation Authorization Code does not match the Reservation Request Code."
MAX_REQUESTS = 100_000  # requests a node may ever make (each one's nonce is re-derived to recognise its codes)


def enable(node: NodeState, t: int) -> bool:
    slr = node["slr"]
    if slr["enabled"]:
        return False
    if node["classic"]:
        raise RuleError("This node uses Classic Licensing; migrate to Smart Licensing first.")
    if node["reg"]["status"] != engine.UNREGISTERED:
        raise RuleError("License reservation can be enabled only while unregistered; deregister first.")
    slr["enabled"] = True
    engine.log(node, t, "Specific License Reservation enabled")
    return True


def disable(node: NodeState, t: int) -> None:
    slr = node["slr"]
    if slr.get("installed"):
        raise RuleError("A reservation is installed; return it first ('license smart reservation return').")
    if slr.get("request"):
        raise RuleError("A reservation request is pending; cancel it first ('license smart reservation cancel').")
    if slr["enabled"]:
        slr["enabled"] = False
        engine.log(node, t, "Specific License Reservation disabled")


def pending_request(node: NodeState) -> PendingRequest | None:
    return node["slr"].get("request")


def check_can_request(node: NodeState) -> None:
    slr = node["slr"]
    if not slr["enabled"]:
        raise RuleError("License reservation is not enabled; run 'license smart reservation enable' first.")
    if slr.get("installed"):
        raise RuleError(
            "A reservation is already installed; to change it install an updated Authorization Code, "
            "or return it first."
        )
    if slr.get("seq", 0) >= MAX_REQUESTS:
        raise RuleError(f"This node has made {MAX_REQUESTS} reservation requests, the most the lab supports.")


def nonce(secret: str, seq: int) -> str:
    """The piid (request nonce) of request number `seq`, derived from the node's secret."""
    return hmac.new(bytes.fromhex(secret), f"ccx-slr-nonce|{seq}".encode(), hashlib.sha256).hexdigest()[:16]


def next_request(node: NodeState, new_secret: str) -> tuple[int, str]:
    """The sequence number and piid the next request will have (the secret is created on
    first use with `new_secret`)."""
    check_can_request(node)
    slr = node["slr"]
    slr.setdefault("secret", new_secret)
    seq = slr.get("seq", 0) + 1
    return seq, nonce(slr["secret"], seq)


def request(node: NodeState, t: int, code: str, seq: int, piid: str) -> None:
    check_can_request(node)
    slr = node["slr"]
    slr["seq"] = seq
    slr["request"] = {"code": code, "piid": piid, "at": t, "seq": seq}
    engine.log(node, t, f"Reservation request {seq} generated")


def cancel(node: NodeState, t: int) -> None:
    slr = node["slr"]
    if slr.get("installed"):
        raise RuleError(
            "An Authorization Code is already installed; a reservation can be cancelled only before "
            "installing. Use 'license smart reservation return'."
        )
    req = slr.get("request")
    if not req:
        raise RuleError("There is no reservation request to cancel.")
    _keep_legacy_key(slr, req)
    slr["request"] = None
    engine.log(node, t, "Reservation request cancelled")


def _keep_legacy_key(slr: ReservationState, rec: PendingRequest) -> None:
    """A version-1 request's own key is the only way to return its codes: keep it."""
    if rec.get("key"):
        slr.setdefault("spare_keys", {})[rec["piid"]] = rec["key"]


def key_material(node: NodeState, piid: str) -> dict[str, str]:
    """What `codes.reservation_key` needs for the key of request `piid` of this node."""
    slr = node["slr"]
    for rec in (slr.get("installed"), slr.get("request")):
        if rec and rec["piid"] == piid and rec.get("key"):
            return {"legacy": rec["key"]}
    legacy = slr.get("spare_keys", {}).get(piid)
    if legacy:
        return {"legacy": legacy}
    return {"secret": slr["secret"], "piid": piid}


def is_own_request(node: NodeState, piid: str) -> bool:
    """Whether request `piid` was made by this node (so it holds its key)."""
    slr = node["slr"]
    if piid in slr.get("spare_keys", {}) or any(
        rec and rec["piid"] == piid for rec in (slr.get("installed"), slr.get("request"))
    ):
        return True
    secret = slr.get("secret")
    return secret is not None and bool(secret) and any(nonce(secret, i) == piid for i in range(slr["seq"], 0, -1))


def check_code_for_node(node: NodeState, udi: str) -> None:
    from ccxcli.core.udi import udi_text

    if udi != udi_text(node["sn"], node["uuid"]):
        raise RuleError(MISMATCH + " It was issued for another product instance (UDI " + udi[:80] + ").")


def is_update(node: NodeState) -> bool:
    return bool(node["slr"].get("installed"))


def install(
    node: NodeState,
    t: int,
    piid: str,
    timestamp: int,
    counts: dict[str, int],
    udi: str,
    confirmation: str,
    terms: list[Term] | None = None,
) -> str | None:
    """Install a verified authorization code; return the confirmation code for an update
    of an installed reservation, None for a first install. `terms`: its entitlements that
    count only during a subscription term (in `counts` too)."""
    slr = node["slr"]
    check_code_for_node(node, udi)
    current = slr.get("installed")
    if current and current["piid"] == piid and current["timestamp"] == timestamp:
        raise RuleError("This Authorization Code is already installed; nothing was changed.")
    if timestamp <= slr.get("last_ts", 0):
        raise RuleError(
            "This Authorization Code is older than one installed before (replayed code); generate a new one on the SSM."
        )
    installed = slr.get("installed")
    if installed:
        if piid != installed["piid"]:
            raise RuleError(MISMATCH)
        installed["counts"], installed["timestamp"], installed["updated"] = counts, timestamp, t
        _set_terms(installed, terms)
        slr["last_ts"] = timestamp
        slr["confirmation"] = confirmation
        engine.log(node, t, "Reservation updated: " + _fmt(counts) + f"; confirmation code {confirmation}")
        return confirmation
    req = slr.get("request")
    if not req:
        if not slr["enabled"]:
            raise RuleError("License reservation is not enabled; nothing to install.")
        raise RuleError(
            "No reservation request is pending; run 'license smart reservation request specific' "
            "and have the SSM authorize that code."
        )
    if piid != req["piid"]:
        raise RuleError(MISMATCH)
    new: Installed = {"piid": piid, "counts": counts, "timestamp": timestamp, "at": t}
    _set_terms(new, terms)
    if req.get("key"):
        new["key"] = req["key"]
    slr["installed"] = new
    slr["request"] = None
    slr["last_ts"] = timestamp
    slr["confirmation"] = None
    engine.sync_eval(node, t)
    if node["eval"]["expired"]:
        node["eval"]["expired"] = False
    engine.leave_enforcement(node, t, "EVAL_EXPIRY")
    engine.log(node, t, "Reservation installed: " + _fmt(counts) + "; registered with Specific License Reservation")
    return None


def _set_terms(installed: Installed, terms: list[Term] | None) -> None:
    if terms:
        installed["terms"] = list(terms)
    else:
        installed.pop("terms", None)


def _fmt(counts: dict[str, int]) -> str:
    return ", ".join(f"{a}={n}" for a, n in sorted(counts.items()))


def check_can_return(node: NodeState) -> None:
    if not node["slr"].get("installed"):
        raise RuleError("No reservation is installed; nothing to return.")


def take_return(node: NodeState, t: int) -> tuple[str, dict[str, str]]:
    """Remove the installed reservation; return (piid, key material) to sign the return code."""
    check_can_return(node)
    slr = node["slr"]
    installed = slr.get("installed")
    assert installed is not None  # check_can_return refuses a node without one
    material = key_material(node, installed["piid"])
    slr["installed"] = None
    if node["eval"]["used"] >= EVAL_PERIOD:
        node["eval"]["expired"] = True
        engine.enforce(node, t, "EVAL_EXPIRY")
    engine.sync_eval(node, t)
    engine.log(node, t, "Reservation returned; the product is unregistered")
    return installed["piid"], material


def key_for_uninstalled(node: NodeState, t: int, piid: str, udi: str) -> dict[str, str]:
    """The key material of a request whose authorization code is not installed now (never
    installed, or installed before a factory reset)."""
    slr = node["slr"]
    check_code_for_node(node, udi)
    installed = slr.get("installed")
    if installed and installed["piid"] == piid:
        raise RuleError("This Authorization Code is installed; use 'license smart reservation return'.")
    if not is_own_request(node, piid):
        raise RuleError(MISMATCH + " No request of this node produced it.")
    material = key_material(node, piid)
    req = slr.get("request")
    if req and req["piid"] == piid:
        slr["request"] = None
    slr.get("spare_keys", {}).pop(piid, None)
    engine.log(node, t, "Return code generated for an authorization code that is not installed")
    return material


def forget_for_reset(node: NodeState) -> ReservationState:
    """The SLR data a factory reset keeps: the sequence, newest timestamp and secret (and
    version-1 keys of codes that may still be out there)."""
    slr = node["slr"]
    kept: ReservationState = {"enabled": False, "seq": slr.get("seq", 0), "last_ts": slr.get("last_ts", 0)}
    if slr.get("secret"):
        kept["secret"] = slr["secret"]
    spare = dict(slr.get("spare_keys", {}))
    for rec in (slr.get("installed"), slr.get("request")):
        if rec and rec.get("key"):
            spare[rec["piid"]] = rec["key"]
    if spare:
        kept["spare_keys"] = spare
    return kept


def coverage(node: NodeState, counts: dict[str, int]) -> str:
    """Which of the node's licenses (those of its license type) a code reserves."""
    from ccxcli.core.catalogue import TYPES

    name, aliases = TYPES[node["license_type"]][1], TYPES[node["license_type"]][2]
    used = {a: n for a, n in counts.items() if a in aliases and n}
    unused = sorted(a for a, n in counts.items() if a not in aliases and n)
    text = f"It reserves for this {name} node: " + (
        ", ".join(f"{a} {n}" for a, n in sorted(used.items())) if used else "none of its licenses"
    )
    if unused:
        text += f"; not usable by a {name} node: {', '.join(unused)}"
    return text + "."
