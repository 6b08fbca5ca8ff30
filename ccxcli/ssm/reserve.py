"""Specific License Reservation on the SSM side: authorize, update, confirm, return."""

from __future__ import annotations

import json
from typing import Any

from ccxcli.clock import iso
from ccxcli.core.catalogue import lookup
from ccxcli.errors import RuleError, UsageError
from ccxcli.ssm.db import Ssm


def parse_counts(specs: list[str]) -> dict[str, int]:
    """`["flex-standard=20", "flex-premium=5"]` -> counts; UsageError on a bad one."""
    if not specs:
        raise UsageError("Name the licenses to reserve with --license ALIAS=N (e.g. --license flex-standard=20).")
    counts: dict[str, int] = {}
    for spec in specs:
        alias, eq, n = spec.partition("=")
        try:
            lic = lookup(alias.strip())
        except KeyError as e:
            raise UsageError(str(e.args[0])) from None
        if not eq or not n.strip().isdigit() or int(n) > 100000:
            raise UsageError(f"Bad license count '{spec}': use ALIAS=N with N a whole number.")
        if lic.alias in counts:
            raise UsageError(f"{lic.alias} is named twice.")
        counts[lic.alias] = int(n)
    if not any(counts.values()):
        raise UsageError("Reserve at least one license.")
    return counts


def _next_ts(ssm: Ssm, now: int) -> int:
    last = ssm.db.execute("SELECT MAX(ts) FROM reservation").fetchone()[0] or 0
    return max(now * 1000, last + 1)


def _reserve(ssm: Ssm, va: str, delta: dict[str, int]) -> None:
    rows = {r["alias"]: r for r in ssm.license_rows(va)}
    for alias, n in delta.items():
        if n > 0 and n > rows[alias]["available"]:
            raise RuleError(
                f"Only {rows[alias]['available']} {alias} are available in '{va}'; cannot reserve {n} more."
            )
    for alias, n in delta.items():
        if n:
            ssm.db.execute("UPDATE pool SET reserved = reserved + ? WHERE va=? AND alias=?", (n, va, alias))
    ssm.bump(va)


def authorize(ssm: Ssm, va: str | None, request: str, counts: dict[str, int], now: int) -> str:
    from ccxcli.codes import make_authorization, parse_request

    req = parse_request(request)
    if ssm.meta.get("slr_allowed") != "1":
        raise RuleError("Specific License Reservation is not allowed on this smart account.")
    with ssm.tx() as db:
        va = ssm.va(va)
        if db.execute("SELECT 1 FROM reservation WHERE piid=?", (req.piid,)).fetchone():
            raise RuleError(
                "This Reservation Request Code has already been used; to change the reservation "
                "use 'ccx-ssm reservation update'."
            )
        held = db.execute("SELECT * FROM reservation WHERE uuid=? AND state != 'returned'", (req.uuid,)).fetchone()
        if held is not None:
            raise RuleError(
                f"Product instance SN {req.sn} already holds reservation {held['instance']}; return it "
                "first (a code never installed is returned with 'license smart reservation return-authorization')."
            )
        if db.execute("SELECT 1 FROM instance WHERE uuid=?", (req.uuid,)).fetchone():
            raise RuleError(f"Product instance SN {req.sn} is registered for Smart Licensing; deregister it first.")
        _reserve(ssm, va, counts)
        cur = db.execute(
            "INSERT INTO instance(uuid, sn, va, hostname, kind, registered, last_contact, license_type) "
            "VALUES (?, ?, ?, ?, 'slr', ?, ?, '')",
            (req.uuid, req.sn, va, f"SN {req.sn}", now, now),
        )
        ts = _next_ts(ssm, now)
        db.execute(
            "INSERT INTO reservation(instance, uuid, sn, va, piid, pubkey, state, counts, issued, ts) "
            "VALUES (?, ?, ?, ?, ?, ?, 'authorized', ?, ?, ?)",
            (
                cur.lastrowid,
                req.uuid,
                req.sn,
                va,
                req.piid,
                req.pubkey.hex(),
                json.dumps(counts, sort_keys=True),
                now,
                ts,
            ),
        )
        ssm.event(now, "reserve", f"Reservation for SN {req.sn} authorized in '{va}': " + _fmt(counts))
        return make_authorization(ssm.private_pem(), req.piid, ts, counts, req.sn, req.uuid)


def _fmt(counts: dict[str, int]) -> str:
    return ", ".join(f"{a}={n}" for a, n in sorted(counts.items()))


def _find(ssm: Ssm, ident: str) -> Any:
    ident = str(ident).strip().lower()
    q = "SELECT * FROM reservation WHERE state != 'returned' AND (sn=? OR instance=?) ORDER BY id DESC"
    r = ssm.db.execute(q, (ident, int(ident) if ident.isdigit() else -1)).fetchone()
    if r is None:
        raise RuleError(f"No active reservation for '{ident}' (give the instance id or the serial number).")
    return r


def update(ssm: Ssm, ident: str, counts: dict[str, int], now: int) -> str:
    from ccxcli.codes import confirmation_for, make_authorization, udi_text

    with ssm.tx() as db:
        r = _find(ssm, ident)
        old = json.loads(r["counts"])
        delta = {a: counts.get(a, 0) - old.get(a, 0) for a in set(old) | set(counts)}
        _reserve(ssm, r["va"], delta)
        ts = _next_ts(ssm, now)
        conf = confirmation_for(r["piid"], ts, udi_text(r["sn"], r["uuid"]))
        db.execute(
            "UPDATE reservation SET state='pending', counts=?, previous=COALESCE(previous, ?), conf=?, ts=? WHERE id=?",
            (json.dumps(counts, sort_keys=True), r["counts"], conf, ts, r["id"]),
        )
        ssm.event(
            now,
            "reserve",
            f"Reservation for SN {r['sn']} updated to {_fmt(counts)}; "
            "Authorization Pending until the confirmation code is entered",
        )
        return make_authorization(ssm.private_pem(), r["piid"], ts, counts, r["sn"], r["uuid"])


def confirm(ssm: Ssm, ident: str, code: str, now: int) -> None:
    with ssm.tx() as db:
        r = _find(ssm, ident)
        if r["state"] != "pending":
            raise RuleError(f"The reservation of SN {r['sn']} has no update waiting for confirmation.")
        if code.strip().lower() != r["conf"]:
            raise RuleError("The Confirmation Code does not match the pending reservation update; nothing changed.")
        db.execute("UPDATE reservation SET state='authorized', previous=NULL, conf=NULL WHERE id=?", (r["id"],))
        ssm.event(now, "reserve", f"Reservation update for SN {r['sn']} confirmed")


def apply_return(ssm: Ssm, code: str, now: int, expect_uuid: str | None = None) -> dict[str, Any]:
    """Release a reservation for a valid return code (inside a transaction)."""
    from ccxcli.codes import parse_return, verify_return

    piid, _t, body, sig = parse_return(code)
    r = ssm.db.execute("SELECT * FROM reservation WHERE piid=?", (piid,)).fetchone()
    if r is None or not verify_return(bytes.fromhex(r["pubkey"]), body, sig):
        raise RuleError("The Reservation Return Code is not valid: it was altered or belongs to no reservation here.")
    if r["state"] == "returned":
        raise RuleError(
            f"This Reservation Return Code was already used on {iso(r['returned'])}; the licenses are back in the pool."
        )
    if expect_uuid is not None and r["uuid"] != expect_uuid:
        raise RuleError("The Reservation Return Code belongs to another product instance.")
    counts = json.loads(r["counts"])
    _reserve(ssm, r["va"], {a: -n for a, n in counts.items()})
    ssm.db.execute("UPDATE reservation SET state='returned', returned=? WHERE id=?", (now, r["id"]))
    ssm.db.execute("DELETE FROM instance WHERE id=?", (r["instance"],))
    ssm.event(now, "returned", f"Reserved Licenses Returned by SN {r['sn']} to '{r['va']}': {_fmt(counts)}")
    return {"sn": r["sn"], "va": r["va"], "released": counts}


def give_back(ssm: Ssm, code: str, now: int) -> dict[str, Any]:
    with ssm.tx():
        return apply_return(ssm, code, now)


def listing(ssm: Ssm) -> list[dict[str, Any]]:
    state_names = {"authorized": "authorized", "pending": "pending confirmation", "returned": "returned"}
    return [
        {
            "id": r["instance"],
            "sn": r["sn"],
            "va": r["va"],
            "state": state_names[r["state"]],
            "reserved": json.loads(r["counts"]),
            "issued": iso(r["issued"]),
            "returned": iso(r["returned"]) if r["returned"] else None,
        }
        for r in ssm.db.execute("SELECT * FROM reservation ORDER BY id")
    ]
