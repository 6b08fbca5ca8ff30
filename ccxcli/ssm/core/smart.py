"""Tokens, product instances and the online Smart Licensing messages on the SSM side."""

from __future__ import annotations

import json
import secrets
from sqlite3 import Row
from typing import Any

from ccxcli.clock import DAY, iso
from ccxcli.errors import InstanceGone, RuleError, UsageError
from ccxcli.ssm.core import reserve, rules, subscriptions
from ccxcli.ssm.core.db import SsmDb
from ccxcli.ssm.core.rows import AlertRow, EventRow, InstanceDetail, InstanceRow, TokenRow, UsagePeriod
from ccxcli.ssm.core.rules import counts_text
from ccxcli.values import is_id

MAX_USES = 1_000_000

# --- tokens ----------------------------------------------------------------------------


def token_create(
    ssm: SsmDb,
    va: str | None,
    now: int,
    expires_days: int = 30,
    max_uses: int | None = None,
    description: str = "",
    export: bool = False,
) -> str:
    from ccxcli.values import plain_text

    if not 1 <= expires_days <= 365:
        raise UsageError("--expires-days must be between 1 and 365.")
    if max_uses is not None and not 1 <= max_uses <= MAX_USES:
        raise UsageError(f"--max-uses must be from 1 to {MAX_USES}.")
    plain_text(description, "A token description", 256, empty=True)
    if export and not ssm.export_allowed:
        raise RuleError(
            f"The smart account '{ssm.account}' is not permitted to use Export-Controlled functionality; "
            "create the token without --export-controlled."
        )
    token = new_token()
    with ssm.tx() as db:
        va = ssm.va(va)
        db.execute(
            "INSERT INTO token(token, va, created, expires, max_uses, description, export) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (token, va, now, now + expires_days * DAY, max_uses, description, int(export)),
        )
        ssm.event(now, "token", f"Registration token created for '{va}' ({_short(token)})", va)
    return token


def _short(token: str) -> str:
    return token[:10] + "…"


def new_token() -> str:
    """A registration token: 64 URL-safe characters, the first a letter or a digit (a token that
    began with '-' would read as an option where a script or a shell passes it on)."""
    while True:
        token = secrets.token_urlsafe(48)
        if token[0].isalnum():
            return token


def token_list(ssm: SsmDb, now: int) -> list[TokenRow]:
    out: list[TokenRow] = []
    for r in ssm.db.execute("SELECT * FROM token ORDER BY created, rowid"):
        state = rules.token_state(bool(r["revoked"]), r["expires"], r["max_uses"], r["uses"], now)
        out.append(
            {
                "token": r["token"],
                "va": r["va"],
                "created": iso(r["created"]),
                "expires": iso(r["expires"]),
                "uses": r["uses"],
                "max_uses": r["max_uses"],
                "description": r["description"],
                "export_controlled": bool(r["export"]),
                "state": state,
            }
        )
    return out


def token_revoke(ssm: SsmDb, token: str, now: int) -> None:
    with ssm.tx() as db:
        va = token_va(ssm, token)
        if va is None:
            raise RuleError("No such registration token.")
        db.execute("UPDATE token SET revoked=1 WHERE token=?", (token.strip(),))
        ssm.event(now, "token", f"Registration token {_short(token)} revoked", va)


def token_va(ssm: SsmDb, token: str) -> str | None:
    """The virtual account a registration token belongs to (None: no such token)."""
    if len(token) > 512:
        return None
    r = ssm.db.execute("SELECT va FROM token WHERE token=?", (token.strip(),)).fetchone()
    return str(r[0]) if r else None


def _check_token(ssm: SsmDb, token: str, now: int) -> Row:
    token = token.strip()
    r: Row | None = ssm.db.execute("SELECT * FROM token WHERE token=?", (token,)).fetchone()
    if r is None:
        raise RuleError(
            "Registration failed: the ID token is not valid (unknown or mistyped). "
            "Copy it again from 'ccx-ssm token create'."
        )
    refusal = rules.token_refusal(
        rules.token_state(bool(r["revoked"]), r["expires"], r["max_uses"], r["uses"], now), r["expires"], r["uses"]
    )
    if refusal:
        raise RuleError(refusal)
    return r


# --- instances --------------------------------------------------------------------------


def instance(ssm: SsmDb, ident: str) -> Row:
    """An instance by id or by serial number (the SN of its UDI)."""
    ident = str(ident).strip()
    r: Row | None
    if is_id(ident):
        r = ssm.db.execute("SELECT * FROM instance WHERE id=?", (int(ident),)).fetchone()
        if r is not None:
            return r
    r = ssm.db.execute("SELECT * FROM instance WHERE sn=? ORDER BY id DESC", (ident.lower()[:64],)).fetchone()
    if r is None:
        raise unknown_instance(ident)
    return r


def unknown_instance(ident: str) -> RuleError:
    return RuleError(f"No product instance '{ident[:64]}' (give the id from 'instance list' or the serial number).")


def instance_row(r: Row) -> InstanceRow:
    return {
        "id": r["id"],
        "sn": r["sn"],
        "uuid": r["uuid"],
        "hostname": r["hostname"],
        "va": r["va"],
        "kind": r["kind"],
        "license_type": r["license_type"],
        "registered": iso(r["registered"]),
        "last_contact": iso(r["last_contact"]),
        "usage": json.loads(r["usage"]),
        "via": r["via"] or None,
    }


def instance_detail(ssm: SsmDb, ident: str) -> InstanceDetail:
    """An instance (by id, serial number or UUID) with its usage history."""
    row = instance_row(instance(ssm, ident))
    return {**row, "usage_history": usage_history(ssm, row["uuid"])}


def instance_list(ssm: SsmDb, va: str | None = None) -> list[InstanceRow]:
    q = "SELECT * FROM instance" + (" WHERE va=?" if va else "") + " ORDER BY id"
    return [instance_row(r) for r in ssm.db.execute(q, (ssm.va(va),) if va else ())]


def instance_transfer(ssm: SsmDb, ident: str, dst: str, now: int) -> None:
    with ssm.tx() as db:
        r = instance(ssm, ident)
        _not_mirror(r)
        dst = ssm.va(dst)
        if r["va"] == dst:
            raise UsageError(f"Instance {r['id']} is already in '{dst}'.")
        moved = reserve.move(ssm, r, dst, now) if r["kind"] == "slr" else {}
        use = json.loads(r["usage"])
        ssm.set_usage(r, {}, now)
        db.execute("UPDATE instance SET va=?, usage='{}' WHERE id=?", (dst, r["id"]))
        ssm.set_usage(instance(ssm, str(r["id"])), use, now)
        with_it = f", with its reservation ({counts_text(moved)})" if moved else ""
        ssm.event(
            now,
            "instance",
            f"Instance {r['id']} ({r['hostname']}) transferred from '{r['va']}' to '{dst}'{with_it}",
            r["va"],
            dst,
        )


def instance_remove(ssm: SsmDb, ident: str, now: int, return_code: str | None = None, force: bool = False) -> None:
    """Remove a product instance. One that holds a reservation needs its return code, or
    `force` (as Cisco licensing support does for a lost device): its reserved licenses
    go back to the pool without one, with an event and an alert saying so."""
    with ssm.tx() as db:
        r = instance(ssm, ident)
        _not_mirror(r)
        if r["kind"] == "slr":
            if return_code:
                reserve.apply_return(ssm, return_code, now, expect_uuid=r["uuid"])
            elif force:
                reserve.release(ssm, r, now)
            else:
                raise RuleError(
                    f"Instance {r['id']} holds a license reservation; removing it needs {{return_code}}, or "
                    "{force} to release the licenses without it."
                )
        else:
            ssm.set_usage(r, {}, now)
        db.execute("DELETE FROM instance WHERE id=?", (r["id"],))
        ssm.event(now, "instance", f"Instance {r['id']} ({r['hostname']}) removed", r["va"])


def _not_mirror(r: Row) -> None:
    if r["kind"] == "mirror":
        raise RuleError(
            f"Instance {r['id']} is registered through SSM On-Prem '{r['via']}'; manage it there "
            "(this SSM learns of it at each synchronization)."
        )


def held_for(ssm: SsmDb, uuid: str) -> list[str]:
    """What this SSM holds for a node that only the node could release: active reservations."""
    rows = ssm.db.execute("SELECT * FROM reservation WHERE uuid=? AND state IN ('authorized', 'pending')", (uuid,))
    return [f"reservation of instance {r['instance']} (SN {r['sn']})" for r in rows]


# --- messages from nodes --------------------------------------------------------------------


def register(
    ssm: SsmDb,
    token: str,
    hello: dict[str, Any],
    now: int,
    force: bool = False,
    msg_id: str | None = None,
    proof: str = "",
) -> dict[str, Any]:
    """Register a product instance with a token; return the registration info. A message
    id seen before gets the answer it got then (the node is asking again after a crash).
    `proof` is the node's secret (kept: its later messages to a served SSM are proven with it);
    a forced re-registration of an instance that has one must present the same (it comes from
    the node itself, not from anyone who read the instance's UUID)."""
    import hmac

    from ccxcli.protocol.codes import sign

    with ssm.tx() as db:
        if msg_id is not None and (prior := ssm.answered(msg_id)) is not None:
            return prior  # type: ignore[no-any-return]
        tok = _check_token(ssm, token, now)
        old = db.execute("SELECT * FROM instance WHERE uuid=?", (hello["uuid"],)).fetchone()
        if old is not None:
            if old["kind"] == "slr":
                raise RuleError("This product instance holds a license reservation on the SSM; return it first.")
            if not force:
                raise RuleError(
                    f"The SSM still lists this product instance (instance {old['id']}, last contact "
                    f"{iso(old['last_contact'])}): a node deregistered while it could not reach the SSM stays "
                    "listed there. Register again with 'force', or remove it on the SSM first."
                )
            if old["proof"] and not hmac.compare_digest(old["proof"], proof):
                raise RuleError(
                    f"Product instance {old['id']} was registered by a node that this one does not prove to be "
                    "(a factory reset forgets the node's registration secret): remove it on the SSM first."
                )
            ssm.set_usage(old, {}, now)
            db.execute("DELETE FROM instance WHERE id=?", (old["id"],))
        cur = db.execute(
            "INSERT INTO instance(id, uuid, sn, va, hostname, kind, license_type, registered, last_contact, export, "
            "proof) VALUES (?, ?, ?, ?, ?, 'smart', ?, ?, ?, ?, ?)",
            (
                ssm.new_instance_id(),
                hello["uuid"],
                hello["sn"],
                tok["va"],
                hello.get("hostname") or "",
                hello["license_type"],
                now,
                now,
                tok["export"],
                proof,
            ),
        )
        db.execute("UPDATE token SET uses = uses + 1 WHERE token=?", (tok["token"],))
        ssm.event(
            now,
            "register",
            f"Instance {cur.lastrowid} ({hello.get('hostname') or hello['sn']}) registered in '{tok['va']}'",
            tok["va"],
        )
        cert = f"{hello['uuid']}|{hello['sn']}|{tok['va']}|{now}"
        answer = {
            "smart_account": ssm.account,
            "virtual_account": tok["va"],
            "instance": cur.lastrowid,
            "export": bool(tok["export"]),
            "certificate": sign(ssm.private_pem(), cert.encode()),
        }
        if msg_id is not None:
            ssm.remember(msg_id, now, answer)
    ssm.committed()
    return answer


def _known(ssm: SsmDb, uuid: str) -> Row:
    r: Row | None = ssm.db.execute("SELECT * FROM instance WHERE uuid=? AND kind='smart'", (uuid,)).fetchone()
    if r is None:
        raise InstanceGone(
            "The SSM does not know this product instance (it was removed there); the node is now "
            "unregistered: register again."
        )
    return r


def contact(ssm: SsmDb, uuid: str, now: int, what: str, msg_id: str | None = None) -> None:
    """An authorization or registration renewal."""
    with ssm.tx() as db:
        if msg_id is not None and ssm.answered(msg_id) is not None:
            return
        r = _known(ssm, uuid)
        db.execute("UPDATE instance SET last_contact=MAX(last_contact, ?) WHERE id=?", (now, r["id"]))
        if what == "id":
            ssm.event(now, "renew", f"Instance {r['id']} renewed its registration", r["va"])
        if msg_id is not None:
            ssm.remember(msg_id, now, True)


def check_usage(use: object) -> dict[str, int]:
    """A reported usage as the SSM accepts it: known licenses, whole counts in range."""
    from ccxcli.core.catalogue import BY_ALIAS

    if not isinstance(use, dict) or not all(
        a in BY_ALIAS and isinstance(n, int) and not isinstance(n, bool) and 0 <= n <= MAX_REPORTED
        for a, n in use.items()
    ):
        raise RuleError("The usage report is malformed (unknown license or count out of range); it was refused.")
    return use


MAX_REPORTED = 1_000_000


def report(ssm: SsmDb, uuid: str, use: dict[str, int], now: int, msg_id: str | None = None) -> dict[str, Any]:
    """A usage report: judge it against the virtual account's shared pool."""
    check_usage(use)
    with ssm.tx() as db:
        if msg_id is not None and (prior := ssm.answered(msg_id)) is not None:
            return prior  # type: ignore[no-any-return]
        r = _known(ssm, uuid)
        ssm.set_usage(r, use, now)
        db.execute("UPDATE instance SET last_contact=MAX(last_contact, ?) WHERE id=?", (now, r["id"]))
        history(ssm, uuid, use, now, now)
        short = ssm.judge(r["va"], use)
        was_short = bool(db.execute("SELECT short FROM va WHERE name=?", (r["va"],)).fetchone()[0])
        if bool(short) != was_short:
            db.execute("UPDATE va SET short=? WHERE name=?", (int(bool(short)), r["va"]))
            text = ", ".join(f"{a}={n}" for a, n in sorted(short.items()))
            ssm.event(
                now,
                "insufficient" if short else "sufficient",
                f"Insufficient Licenses in '{r['va']}': short {text}"
                if short
                else f"Licenses sufficient again in '{r['va']}'",
                r["va"],
            )
        answer = {"deficit": short, "version": ssm.version_now(r["va"])}
        if msg_id is not None:
            ssm.remember(msg_id, now, answer)
    ssm.committed()
    return answer


def report_batch(ssm: SsmDb, uuid: str, use: dict[str, int], first: int, last: int, msg_id: str) -> dict[str, Any]:
    """Reports due every 15 minutes from `first` to `last` that repeat the usage the SSM has:
    the last contact moves on and the usage history is extended; the pool is unchanged."""
    check_usage(use)
    with ssm.tx() as db:
        if (prior := ssm.answered(msg_id)) is not None:
            return prior  # type: ignore[no-any-return]
        r = _known(ssm, uuid)
        db.execute("UPDATE instance SET last_contact=MAX(last_contact, ?) WHERE id=?", (last, r["id"]))
        history(ssm, uuid, use, first, last)
        answer = {"version": ssm.version(r["va"])}
        ssm.remember(msg_id, last, answer)
    return answer


def history(ssm: SsmDb, uuid: str, use: dict[str, int], first: int, last: int) -> None:
    """Record usage reported from `first` to `last` (run-length: a repeat extends the last row)."""
    text = json.dumps(use, sort_keys=True)
    row = ssm.db.execute(
        "SELECT rowid, usage, t_to FROM usage_history WHERE uuid=? ORDER BY t_to DESC LIMIT 1", (uuid,)
    ).fetchone()
    if row is not None and row["usage"] == text and row["t_to"] <= last:
        ssm.db.execute("UPDATE usage_history SET t_to=? WHERE rowid=?", (last, row["rowid"]))
    else:
        ssm.db.execute(
            "INSERT INTO usage_history(uuid, t_from, t_to, usage) VALUES (?, ?, ?, ?)", (uuid, first, last, text)
        )


def usage_history(ssm: SsmDb, uuid: str, limit: int = 50) -> list[UsagePeriod]:
    rows = ssm.db.execute(
        "SELECT * FROM usage_history WHERE uuid=? ORDER BY t_to DESC LIMIT ?", (uuid, limit)
    ).fetchall()
    return [{"from": iso(r["t_from"]), "to": iso(r["t_to"]), "usage": json.loads(r["usage"])} for r in reversed(rows)]


def deregister(ssm: SsmDb, uuid: str, now: int, msg_id: str | None = None) -> None:
    with ssm.tx() as db:
        r = db.execute("SELECT * FROM instance WHERE uuid=? AND kind='smart'", (uuid,)).fetchone()
        if r is None:
            return  # already gone on the SSM side: deregistering locally is still right
        ssm.set_usage(r, {}, now)
        db.execute("DELETE FROM instance WHERE id=?", (r["id"],))
        ssm.event(now, "deregister", f"Instance {r['id']} ({r['hostname']}) deregistered; licenses released", r["va"])
    ssm.committed()


def pool_version(ssm: SsmDb, uuid: str) -> int | None:
    r: Row | None = ssm.db.execute("SELECT va FROM instance WHERE uuid=?", (uuid,)).fetchone()
    return ssm.version(r[0]) if r else None


def alerts(ssm: SsmDb, now: int) -> list[AlertRow]:
    """Current SSM alerts, derived from the data: what raised each (Source) and, where a
    deadline follows from it, by when to act (Action Due: an instance not heard from loses its
    authorization 90 days after its last contact)."""
    out: list[AlertRow] = []

    def alert(severity: str, kind: str, va: str, message: str, source: str, due: int | None = None) -> None:
        shown_due = None if due is None else iso(due)
        out.append(
            {"severity": severity, "type": kind, "va": va, "message": message, "source": source, "due": shown_due}
        )

    for va in ssm.va_list():
        short = {r["alias"]: -r["balance"] for r in ssm.license_rows(va["name"]) if r["balance"] < 0}
        if short:
            deficit = ", ".join(f"{a} {n}" for a, n in short.items())
            alert("major", "Insufficient Licenses", va["name"], f"Licenses in deficit: {deficit}", va["name"])
    q = "SELECT * FROM instance WHERE kind='smart' AND last_contact < ?"
    for r in ssm.db.execute(q, (now - rules.FAILED_TO_RENEW,)):
        kind = rules.contact_alert(r["last_contact"], now)
        if kind is None:
            continue
        message = f"Instance {r['id']} ({r['hostname']}) last contact {iso(r['last_contact'])}"
        source = r["hostname"] or f"UCCX {r['sn']}"
        alert("minor", kind, r["va"], message, source, r["last_contact"] + rules.AUTH_DEADLINE)
    for r in ssm.db.execute("SELECT * FROM reservation WHERE state='pending'"):
        message = f"Reservation update for instance {r['instance']} (SN {r['sn']}) awaits its confirmation code"
        alert("minor", "Authorization Pending", r["va"], message, f"UCCX {r['sn']}")
    last_sync = ssm.meta.get("last_sync")
    if ssm.on_prem and ssm.meta.get("cloud") and last_sync:  # this SSM On-Prem's own deadline
        state, synced = rules.satellite_state(int(last_sync), now), int(last_sync)
        days = (now - synced) // DAY
        if state == "deadline":
            message = (
                f"Last synchronized with Cisco SSM {iso(synced)} ({days} days ago); synchronize by "
                f"{iso(synced + rules.SATELLITE_REMOVAL)} or the smart account removes this SSM On-Prem"
            )
            alert("major", rules.UPCOMING_SYNC_DEADLINE, "", message, ssm.name, synced + rules.SATELLITE_REMOVAL)
        elif state == "expired":
            message = (
                f"No synchronization with Cisco SSM for {days} days (last {iso(synced)}): the smart account "
                "removed this SSM On-Prem; its product instances no longer count there. Link it again."
            )
            alert("major", rules.SATELLITE_REMOVED, "", message, ssm.name)
    for r in ssm.db.execute("SELECT * FROM onprem WHERE last_sync IS NOT NULL"):  # the satellites of a cloud SSM
        state, synced = rules.satellite_state(r["last_sync"], now), r["last_sync"]
        vas = json.loads(r["vas"])
        if state == "deadline":
            message = f"SSM On-Prem '{r['name']}' last synchronized {iso(synced)}: removed if it does not by then"
            alert(
                "major",
                rules.UPCOMING_SYNC_DEADLINE,
                vas[0] if vas else "",
                message,
                r["name"],
                synced + rules.SATELLITE_REMOVAL,
            )
        elif state == "expired":  # removed at the next change (sync.expire); said already
            message = f"SSM On-Prem '{r['name']}' did not synchronize for 90 days (last {iso(synced)})"
            alert("major", rules.SATELLITE_REMOVED, vas[0] if vas else "", message, r["name"])
    for r in ssm.db.execute(
        "SELECT * FROM event WHERE kind='satellite-removed' AND t >= ?", (now - rules.RETURNED_ALERT,)
    ):
        concerns = _concerns(r["vas"])
        alert("major", rules.SATELLITE_REMOVED, concerns[0] if concerns else "", r["text"], ssm.account)
    q = "SELECT * FROM event WHERE kind IN ('returned', 'released') AND t >= ?"
    for r in ssm.db.execute(q, (now - rules.RETURNED_ALERT,)):
        concerns = _concerns(r["vas"])
        where = concerns[0] if concerns else ""
        returned = r["kind"] == "returned"
        kind = "Reserved Licenses Returned" if returned else "Reserved Licenses Released"
        severity = "info" if returned else "major"
        alert(severity, kind, where, r["text"], where or ssm.account)
    return out + subscriptions.alerts(ssm, now)


def _event_filter(
    va: str | None, search: str, start: int | None = None, end: int | None = None
) -> tuple[str, list[Any]]:
    where: list[str] = []
    args: list[Any] = []
    if va is not None:
        where.append("instr(vas, ?) > 0")
        args.append(json.dumps(va, ensure_ascii=False))
    if search:
        where.append("(instr(lower(text), ?) > 0 OR instr(lower(kind), ?) > 0 OR instr(lower(actor), ?) > 0)")
        args += [search.lower()] * 3
    if start is not None:
        where.append("t >= ?")
        args.append(start)
    if end is not None:
        where.append("t < ?")
        args.append(end)
    return (" WHERE " + " AND ".join(where)) if where else "", args


def _event_row(r: Row) -> EventRow:
    return {
        "time": iso(r["t"]),
        "kind": r["kind"],
        "message": r["text"],
        "virtual_accounts": _concerns(r["vas"]),
        "user": r["actor"],
    }


def events(ssm: SsmDb, limit: int = 200, va: str | None = None, search: str = "") -> list[EventRow]:
    """The newest `limit` events, in time order (then in the order they were logged: an SSM
    outside a lab runs on the wall clock, and messages from nodes carry their lab's time);
    with `va`, only those that concern that virtual account; with `search`, only those whose
    kind or text holds it (any case)."""
    cond, args = _event_filter(va, search)
    q = f"SELECT * FROM (SELECT * FROM event{cond} ORDER BY t DESC, id DESC LIMIT ?) ORDER BY t, id"
    return [_event_row(r) for r in ssm.db.execute(q, (*args, limit))]


def event_page(
    ssm: SsmDb,
    offset: int,
    limit: int,
    va: str | None = None,
    search: str = "",
    start: int | None = None,
    end: int | None = None,
) -> tuple[list[EventRow], int]:
    """One page of the events that match (as `events` filters them, and logged from `start` to
    before `end`), newest first, and how many match in all."""
    cond, args = _event_filter(va, search, start, end)
    total = int(ssm.db.execute(f"SELECT COUNT(*) FROM event{cond}", args).fetchone()[0])
    q = f"SELECT * FROM event{cond} ORDER BY t DESC, id DESC LIMIT ? OFFSET ?"
    return [_event_row(r) for r in ssm.db.execute(q, (*args, limit, offset))], total


def _concerns(vas: str) -> list[str]:
    return list(json.loads(vas)) if vas else []
