"""Specific License Reservation on the SSM side: authorize, update, confirm, return.

Exact accounting: a reservation holds, per license, the most of its confirmed counts and
of every authorization code issued after them and not yet confirmed (the node may be
running any of those). So an update that lowers the counts frees nothing until its
Confirmation Code proves the node installed it; then the reservation holds exactly the
confirmed counts (and any code issued later still). Only the newest issued code can be
confirmed; wrong Confirmation Codes are logged and, after MAX_BAD_CONFIRMS, refused until
a new update is issued.
"""

from __future__ import annotations

import json
from sqlite3 import Row
from typing import TYPE_CHECKING, Any

from ccxcli.clock import iso
from ccxcli.core.catalogue import lookup
from ccxcli.errors import RuleError, UsageError
from ccxcli.ssm.core import rules, subscriptions
from ccxcli.ssm.core.db import SsmDb
from ccxcli.ssm.core.rows import ReservationRow
from ccxcli.ssm.core.rules import counts_text
from ccxcli.values import MAX_COUNT, is_id, whole

if TYPE_CHECKING:
    from ccxcli.protocol.codes import Request

MAX_BAD_CONFIRMS = 5
ACTIVE = ("authorized", "pending")


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
        if not eq:
            raise UsageError(f"Bad license count '{spec[:60]}': use ALIAS=N with N a whole number.")
        if lic.alias in counts:
            raise UsageError(f"{lic.alias} is named twice.")
        counts[lic.alias] = whole(n, f"The count of {lic.alias}", 0, MAX_COUNT)
    if not any(counts.values()):
        raise UsageError("Reserve at least one license.")
    return counts


def check_type(license_type: str | None, counts: dict[str, int]) -> None:
    """Refuse licenses the requesting node cannot use (the request code names its type)."""
    from ccxcli.core.catalogue import TYPES

    if license_type is None:
        return
    name, aliases = TYPES[license_type][1], TYPES[license_type][2]
    wrong = sorted(a for a, n in counts.items() if n and a not in aliases)
    if wrong:
        raise RuleError(
            f"The request comes from a {name} node, which cannot use {', '.join(wrong)}; reserve {', '.join(aliases)}."
        )


def _next_ts(ssm: SsmDb, now: int) -> int:
    last = ssm.db.execute("SELECT MAX(ts) FROM issued").fetchone()[0] or 0
    last = max(last, ssm.db.execute("SELECT MAX(ts) FROM reservation").fetchone()[0] or 0)
    return max(now * 1000, last + 1)


def _reserve(ssm: SsmDb, va: str, delta: dict[str, int], now: int) -> None:
    rows = {r["alias"]: r for r in ssm.license_rows(va)}
    for alias, n in delta.items():
        if n > 0 and n > rows[alias]["available"]:
            raise RuleError(
                f"Only {rows[alias]['available']} {alias} are available in '{va}'; cannot reserve {n} more."
            )
    for alias, n in delta.items():
        if n:
            ssm.db.execute("UPDATE pool SET reserved = reserved + ? WHERE va=? AND alias=?", (n, va, alias))
    ssm.bump(va, now)


def _outstanding(ssm: SsmDb, r: Row) -> list[Row]:
    """Codes issued after the confirmed counts and not confirmed yet, oldest first."""
    return ssm.db.execute(
        "SELECT * FROM issued WHERE reservation=? AND ts > ? ORDER BY ts", (r["id"], r["confirmed_ts"] or 0)
    ).fetchall()


def held(ssm: SsmDb, r: Row) -> dict[str, int]:
    """What a reservation holds in its pool (rules.held). (Version-1 pending updates held
    their new counts.)"""
    return rules.held(json.loads(r["counts"]), (json.loads(c["counts"]) for c in _outstanding(ssm, r)))


def new_request(code: str) -> Request:
    """A Reservation Request Code a new reservation can be made from: well formed, and not of
    version 1 (refused on every path at once: the CLI, the portal's first step, the API)."""
    from ccxcli.protocol.codes import parse_request

    req = parse_request(code)
    if req.version == 1:
        raise RuleError(
            "This Reservation Request Code is of version 1, whose Confirmation Codes could be computed without "
            "the node; new reservations need a new code: on the node, 'license smart reservation cancel' "
            "then 'license smart reservation request specific'."
        )
    return req


def authorize(ssm: SsmDb, va: str | None, request: str, counts: dict[str, int], now: int) -> str:
    req = new_request(request)
    ssm.check_not_linked("reserve licenses")
    check_type(req.license_type, counts)
    if not ssm.slr_allowed:
        raise RuleError("Specific License Reservation is not allowed on this smart account.")
    with ssm.tx():
        code = _authorize_in(ssm, ssm.va(va), req, counts, now)
    ssm.committed()
    return code


def _authorize_in(ssm: SsmDb, va: str, req: Request, counts: dict[str, int], now: int) -> str:
    """Reserve `counts` in `va` for the request's node (inside a transaction); its Authorization Code."""
    from ccxcli.protocol.codes import make_authorization

    db = ssm.db
    if db.execute("SELECT 1 FROM reservation WHERE piid=?", (req.piid,)).fetchone():
        raise RuleError("This Reservation Request Code has already been used; to change the reservation use {update}.")
    held_row = db.execute(
        "SELECT * FROM reservation WHERE uuid=? AND state IN ('authorized', 'pending')", (req.uuid,)
    ).fetchone()
    if held_row is not None:
        raise RuleError(
            f"Product instance SN {req.sn} already holds reservation {held_row['instance']}; return it "
            "first (a code never installed is returned with 'license smart reservation return-authorization')."
        )
    if db.execute("SELECT 1 FROM instance WHERE uuid=?", (req.uuid,)).fetchone():
        raise RuleError(f"Product instance SN {req.sn} is registered for Smart Licensing; deregister it first.")
    _reserve(ssm, va, counts, now)
    cur = db.execute(
        "INSERT INTO instance(id, uuid, sn, va, hostname, kind, registered, last_contact, license_type) "
        "VALUES (?, ?, ?, ?, ?, 'slr', ?, ?, ?)",
        (ssm.new_instance_id(), req.uuid, req.sn, va, f"SN {req.sn}", now, now, req.license_type or ""),
    )
    ts = _next_ts(ssm, now)
    text = json.dumps(counts, sort_keys=True)
    rid = db.execute(
        "INSERT INTO reservation(instance, uuid, sn, va, piid, pubkey, state, counts, issued, ts, confirmed_ts) "
        "VALUES (?, ?, ?, ?, ?, ?, 'authorized', ?, ?, ?, ?)",
        (cur.lastrowid, req.uuid, req.sn, va, req.piid, req.pubkey.hex(), text, now, ts, ts),
    ).lastrowid
    terms = subscriptions.entitlements(ssm, va, counts, counts)
    code = make_authorization(ssm.private_pem(), req.piid, ts, counts, req.sn, req.uuid, terms)
    db.execute(
        "INSERT INTO issued(reservation, ts, counts, code, terms) VALUES (?, ?, ?, ?, ?)",
        (rid, ts, text, code, json.dumps(terms)),
    )
    ssm.event(now, "reserve", f"Reservation for SN {req.sn} authorized in '{va}': " + counts_text(counts), va)
    return code


def rehost(ssm: SsmDb, failed: str, request: str, now: int) -> str:
    """Rehost Licenses from a Failed Product (CSSM's action for an SLR instance whose device is
    lost and cannot make a return code): in one transaction the failed instance's reservation is
    released and removed, and the same licenses are reserved for the replacement node's
    Reservation Request Code in the same virtual account. Returns its Authorization Code."""
    req = new_request(request)
    ssm.check_not_linked("rehost licenses")
    if not ssm.slr_allowed:
        raise RuleError("Specific License Reservation is not allowed on this smart account.")
    with ssm.tx() as db:
        r = find(ssm, failed)
        counts = json.loads(r["counts"])
        check_type(req.license_type, counts)
        if req.uuid == r["uuid"]:
            raise RuleError("The Reservation Request Code is the failed product's own; enter the replacement node's.")
        release(ssm, db.execute("SELECT * FROM instance WHERE id=?", (r["instance"],)).fetchone(), now)
        db.execute("DELETE FROM instance WHERE id=?", (r["instance"],))
        code = _authorize_in(ssm, r["va"], req, counts, now)
        ssm.event(
            now,
            "rehost",
            f"Licenses of failed SN {r['sn']} rehosted to SN {req.sn} in '{r['va']}': {counts_text(counts)}",
            r["va"],
        )
    ssm.committed()
    return code


def find(ssm: SsmDb, ident: str) -> Row:
    """An active reservation by instance id or serial number."""
    ident = str(ident).strip().lower()[:64]
    q = "SELECT * FROM reservation WHERE state IN ('authorized', 'pending') AND (sn=? OR instance=?) ORDER BY id DESC"
    r: Row | None = ssm.db.execute(q, (ident, int(ident) if is_id(ident) else -1)).fetchone()
    if r is None:
        raise RuleError(f"No active reservation for '{ident}' (give the instance id or the serial number).")
    return r


def license_type_of(ssm: SsmDb, r: Row) -> str | None:
    """The license type a reservation's request code stated (None: a code that did not)."""
    inst = ssm.db.execute("SELECT license_type FROM instance WHERE id=?", (r["instance"],)).fetchone()
    return (inst[0] if inst else "") or None


def update(ssm: SsmDb, ident: str, counts: dict[str, int], now: int) -> str:
    """A new authorization code for an installed reservation. The reservation holds the
    higher of the old and new counts until the node's Confirmation Code arrives."""
    from ccxcli.protocol.codes import make_authorization

    with ssm.tx() as db:
        r = find(ssm, ident)
        check_type(license_type_of(ssm, r), counts)
        before = held(ssm, r)
        ts = _next_ts(ssm, now)
        after = dict(before)
        for alias, n in counts.items():
            after[alias] = max(after.get(alias, 0), n)
        _reserve(ssm, r["va"], rules.diff(after, before), now)
        terms = subscriptions.entitlements(ssm, r["va"], counts, after)
        code = make_authorization(ssm.private_pem(), r["piid"], ts, counts, r["sn"], r["uuid"], terms)
        db.execute(
            "INSERT INTO issued(reservation, ts, counts, code, terms) VALUES (?, ?, ?, ?, ?)",
            (r["id"], ts, json.dumps(counts, sort_keys=True), code, json.dumps(terms)),
        )
        db.execute("UPDATE reservation SET state='pending', ts=?, bad_confirms=0 WHERE id=?", (ts, r["id"]))
        ssm.event(
            now,
            "reserve",
            f"Reservation for SN {r['sn']} updated to {counts_text(counts)}; "
            "Authorization Pending until the confirmation code is entered",
            r["va"],
        )
    ssm.committed()
    return code


def confirm(ssm: SsmDb, ident: str, code: str, now: int) -> None:
    """Close a pending update with the node's Confirmation Code. A wrong code is logged
    (and counted) even though the confirmation is refused."""
    from ccxcli.core.udi import udi_text
    from ccxcli.protocol.codes import ssm_confirmation

    refusal = None
    with ssm.tx() as db:
        r = find(ssm, ident)
        if r["state"] != "pending":
            raise RuleError(f"The reservation of SN {r['sn']} has no update waiting for confirmation.")
        if r["bad_confirms"] >= MAX_BAD_CONFIRMS:
            raise RuleError(
                f"{MAX_BAD_CONFIRMS} wrong Confirmation Codes were entered for this update; issue a new "
                "update ({update}) and enter the code the node prints for it."
            )
        given = code.strip().lower()[:64]
        udi = udi_text(r["sn"], r["uuid"])
        pubkey = bytes.fromhex(r["pubkey"])
        if r["conf"]:  # a version-1 pending update, with its confirmation stored
            expected = {r["ts"]: r["conf"]}
        else:
            expected = {
                c["ts"]: ssm_confirmation(ssm.private_pem(), pubkey, r["piid"], c["ts"], udi)
                for c in _outstanding(ssm, r)
            }
        newest = max(expected) if expected else None
        if newest is not None and given == expected[newest]:
            before = held(ssm, r)
            confirmed = r["counts"] if r["conf"] else _issued_counts(ssm, r["id"], newest)
            db.execute(
                "UPDATE reservation SET state='authorized', counts=?, confirmed_ts=?, previous=NULL, conf=NULL, "
                "bad_confirms=0 WHERE id=?",
                (confirmed, newest, r["id"]),
            )
            after = held(ssm, db.execute("SELECT * FROM reservation WHERE id=?", (r["id"],)).fetchone())
            _reserve(ssm, r["va"], rules.diff(after, before), now)
            done = counts_text(json.loads(confirmed))
            ssm.event(now, "reserve", f"Reservation update for SN {r['sn']} confirmed: {done}", r["va"])
        elif given in expected.values():
            refusal = (
                "This Confirmation Code is for an update that a newer one has superseded; install the newest "
                "Authorization Code on the node and enter the Confirmation Code it prints."
            )
        else:
            db.execute("UPDATE reservation SET bad_confirms = bad_confirms + 1 WHERE id=?", (r["id"],))
            ssm.event(
                now,
                "confirm-failed",
                f"Wrong Confirmation Code entered for the reservation update of SN {r['sn']} "
                f"({r['bad_confirms'] + 1} of {MAX_BAD_CONFIRMS})",
                r["va"],
            )
            refusal = "The Confirmation Code does not match the pending reservation update; it was logged."
    if refusal:
        raise RuleError(refusal)


def _issued_counts(ssm: SsmDb, reservation: int, ts: int) -> str:
    return str(
        ssm.db.execute("SELECT counts FROM issued WHERE reservation=? AND ts=?", (reservation, ts)).fetchone()[0]
    )


def _close(ssm: SsmDb, r: Row, now: int, state: str) -> dict[str, int]:
    """End a reservation: everything it holds goes back to the pool (inside a transaction)."""
    counts = held(ssm, r)
    _reserve(ssm, r["va"], {a: -n for a, n in counts.items()}, now)
    ssm.db.execute("UPDATE reservation SET state=?, returned=? WHERE id=?", (state, now, r["id"]))
    ssm.db.execute("DELETE FROM instance WHERE id=?", (r["instance"],))
    return counts


def apply_return(ssm: SsmDb, code: str, now: int, expect_uuid: str | None = None) -> dict[str, Any]:
    """Release a reservation for a valid return code (inside a transaction)."""
    from ccxcli.protocol.codes import parse_return, verify_return

    piid, _t, body, sig = parse_return(code)
    r: Row | None = ssm.db.execute("SELECT * FROM reservation WHERE piid=?", (piid,)).fetchone()
    if r is None or not verify_return(bytes.fromhex(r["pubkey"]), body, sig):
        raise RuleError("The Reservation Return Code is not valid: it was altered or belongs to no reservation here.")
    if r["state"] == "returned":
        raise RuleError(
            f"This Reservation Return Code was already used on {iso(r['returned'])}; the licenses are back in the pool."
        )
    if r["state"] == "released":
        raise RuleError(f"This reservation was released on {iso(r['returned'])} without a return code ({{force}}).")
    if expect_uuid is not None and r["uuid"] != expect_uuid:
        raise RuleError("The Reservation Return Code belongs to another product instance.")
    counts = _close(ssm, r, now, "returned")
    done = counts_text(counts)
    ssm.event(now, "returned", f"Reserved Licenses Returned by SN {r['sn']} to '{r['va']}': {done}", r["va"])
    return {"sn": r["sn"], "va": r["va"], "released": counts}


def _active(ssm: SsmDb, instance_row: Row) -> Row | None:
    """The reservation an instance holds now, if any."""
    r: Row | None = ssm.db.execute(
        "SELECT * FROM reservation WHERE instance=? AND state IN ('authorized', 'pending')", (instance_row["id"],)
    ).fetchone()
    return r


def move(ssm: SsmDb, instance_row: Row, dst: str, now: int) -> dict[str, int]:
    """An instance's reservation goes with it to virtual account `dst` (inside a transaction),
    as CSSM moves it: what it holds is reserved in `dst`'s pool, which must have it available,
    and freed in its own. The node is not told (nothing it holds names a virtual account)."""
    r = _active(ssm, instance_row)
    if r is None:
        return {}
    counts = held(ssm, r)
    _reserve(ssm, dst, counts, now)
    _reserve(ssm, r["va"], {a: -n for a, n in counts.items()}, now)
    ssm.db.execute("UPDATE reservation SET va=? WHERE id=?", (dst, r["id"]))
    return counts


def release(ssm: SsmDb, instance_row: Row, now: int) -> None:
    """Release an instance's reservation without a return code (inside a transaction)."""
    r = _active(ssm, instance_row)
    if r is None:
        return
    counts = _close(ssm, r, now, "released")
    ssm.event(
        now,
        "released",
        f"Reserved licenses of SN {r['sn']} released to '{r['va']}' without a return code: {counts_text(counts)}; "
        "a node still running this reservation is no longer covered",
        r["va"],
    )


def give_back(ssm: SsmDb, code: str, now: int) -> dict[str, Any]:
    with ssm.tx():
        done = apply_return(ssm, code, now)
    ssm.committed()
    return done


def issued_code(ssm: SsmDb, ident: str) -> str:
    """The newest authorization code issued for an active reservation (to download again)."""
    r = find(ssm, ident)
    row = ssm.db.execute("SELECT code FROM issued WHERE reservation=? ORDER BY ts DESC LIMIT 1", (r["id"],)).fetchone()
    if row is None:
        raise RuleError(f"The code of the reservation of SN {r['sn']} was issued before codes were kept.")
    return str(row[0])


def listing(ssm: SsmDb) -> list[ReservationRow]:
    state_names = {
        "authorized": "authorized",
        "pending": "pending confirmation",
        "returned": "returned",
        "released": "released (forced)",
    }
    out: list[ReservationRow] = []
    for r in ssm.db.execute("SELECT * FROM reservation ORDER BY id").fetchall():
        active = r["state"] in ACTIVE
        out.append(
            {
                "id": r["instance"],
                "sn": r["sn"],
                "va": r["va"],
                "state": state_names[r["state"]],
                "reserved": json.loads(r["counts"]),
                "held": held(ssm, r) if active else {},
                "issued": iso(r["issued"]),
                "returned": iso(r["returned"]) if r["returned"] else None,
            }
        )
    return out
