"""Specific License Reservation on the node (pure): the state rules of SPEC §2.3.

node["slr"] = {enabled, seq, last_ts, request: {code, piid, key, at} | None,
               installed: {piid, key, counts, timestamp, at} | None,
               spare_keys: {piid: key}, confirmation, return_code}
The SLR sequence (`seq`) and the newest installed timestamp (`last_ts`) survive a
factory reset, so an old code can never be replayed.
"""

from __future__ import annotations

from typing import Any

from ccxcli.core import engine
from ccxcli.core.timers import EVAL_PERIOD
from ccxcli.errors import RuleError

MISMATCH = "The Reservation Authorization Code does not match the Reservation Request Code."
MAX_SPARE_KEYS = 20


def enable(node: dict[str, Any], t: int) -> bool:
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


def disable(node: dict[str, Any], t: int) -> None:
    slr = node["slr"]
    if slr.get("installed"):
        raise RuleError("A reservation is installed; return it first ('license smart reservation return').")
    if slr.get("request"):
        raise RuleError("A reservation request is pending; cancel it first ('license smart reservation cancel').")
    if slr["enabled"]:
        slr["enabled"] = False
        engine.log(node, t, "Specific License Reservation disabled")


def pending_request(node: dict[str, Any]) -> dict[str, Any] | None:
    return node["slr"].get("request")  # type: ignore[no-any-return]


def check_can_request(node: dict[str, Any]) -> None:
    slr = node["slr"]
    if not slr["enabled"]:
        raise RuleError("License reservation is not enabled; run 'license smart reservation enable' first.")
    if slr.get("installed"):
        raise RuleError(
            "A reservation is already installed; to change it install an updated Authorization Code, "
            "or return it first."
        )


def request(node: dict[str, Any], t: int, code: str, piid: str, key_hex: str) -> None:
    check_can_request(node)
    slr = node["slr"]
    slr["seq"] = slr.get("seq", 0) + 1
    slr["request"] = {"code": code, "piid": piid, "key": key_hex, "at": t, "seq": slr["seq"]}
    engine.log(node, t, f"Reservation request {slr['seq']} generated")


def cancel(node: dict[str, Any], t: int) -> None:
    slr = node["slr"]
    if slr.get("installed"):
        raise RuleError(
            "An Authorization Code is already installed; a reservation can be cancelled only before "
            "installing. Use 'license smart reservation return'."
        )
    req = slr.get("request")
    if not req:
        raise RuleError("There is no reservation request to cancel.")
    _keep_key(slr, req["piid"], req["key"])
    slr["request"] = None
    engine.log(node, t, "Reservation request cancelled")


def _keep_key(slr: dict[str, Any], piid: str, key: str) -> None:
    """Keep the key of a request that may have an authorization code out there, so a
    return code can still be made for it (return-authorization)."""
    keys = slr.setdefault("spare_keys", {})
    keys[piid] = key
    while len(keys) > MAX_SPARE_KEYS:
        keys.pop(next(iter(keys)))


def check_code_for_node(node: dict[str, Any], udi: str) -> None:
    from ccxcli.codes import udi_text

    if udi != udi_text(node["sn"], node["uuid"]):
        raise RuleError(MISMATCH + " It was issued for another product instance (UDI " + udi[:80] + ").")


def install(
    node: dict[str, Any], t: int, piid: str, timestamp: int, counts: dict[str, int], udi: str, confirmation: str
) -> str | None:
    """Install a verified authorization code; return the confirmation code for an update
    of an installed reservation, None for a first install."""
    slr = node["slr"]
    check_code_for_node(node, udi)
    if timestamp <= slr.get("last_ts", 0):
        raise RuleError(
            "This Authorization Code is older than one installed before (replayed code); generate a new one on the SSM."
        )
    installed = slr.get("installed")
    if installed:
        if piid != installed["piid"]:
            raise RuleError(MISMATCH)
        installed.update(counts=counts, timestamp=timestamp, updated=t)
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
    slr["installed"] = {"piid": piid, "key": req["key"], "counts": counts, "timestamp": timestamp, "at": t}
    slr["request"] = None
    slr["last_ts"] = timestamp
    slr["confirmation"] = None
    engine.sync_eval(node, t)
    if node["eval"]["expired"]:
        node["eval"]["expired"] = False
    engine.leave_enforcement(node, t, "EVAL_EXPIRY")
    engine.log(node, t, "Reservation installed: " + _fmt(counts) + "; registered with Specific License Reservation")
    return None


def _fmt(counts: dict[str, int]) -> str:
    return ", ".join(f"{a}={n}" for a, n in sorted(counts.items()))


def take_return(node: dict[str, Any], t: int) -> tuple[str, str]:
    """Remove the installed reservation; return (piid, key) to sign the return code."""
    slr = node["slr"]
    installed = slr.get("installed")
    if not installed:
        raise RuleError("No reservation is installed; nothing to return.")
    slr["installed"] = None
    if node["eval"]["used"] >= EVAL_PERIOD:
        node["eval"]["expired"] = True
        engine.enforce(node, t, "EVAL_EXPIRY")
    engine.sync_eval(node, t)
    engine.log(node, t, "Reservation returned; the product is unregistered")
    return installed["piid"], installed["key"]


def key_for_uninstalled(node: dict[str, Any], t: int, piid: str, udi: str) -> str:
    """The key of a request whose authorization code was never installed."""
    slr = node["slr"]
    check_code_for_node(node, udi)
    installed = slr.get("installed")
    if installed and installed["piid"] == piid:
        raise RuleError("This Authorization Code is installed; use 'license smart reservation return'.")
    req = slr.get("request")
    if req and req["piid"] == piid:
        slr["request"] = None
        key: str = req["key"]
    elif piid in slr.get("spare_keys", {}):
        key = slr["spare_keys"].pop(piid)
    else:
        raise RuleError(MISMATCH + " No request of this node produced it.")
    engine.log(node, t, "Return code generated for an authorization code that was never installed")
    return key
