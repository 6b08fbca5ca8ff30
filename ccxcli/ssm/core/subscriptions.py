"""Subscription terms on the SSM: licenses deposited with a start and an end date.

A term's licenses count in its virtual account's pool (`pool.purchased`) from its start to
its end: `settle` moves each term through pending → active → ended when the SSM's time
passes those dates, and a clock move of the lab calls it at the exact times
(`next_change`), so nodes registered there report against the pool as it is then. What
the pool holds beyond its terms is perpetual.

Reservations are served from the licenses that last longest: perpetual ones first, then
terms ending last first. The pool does not track which reservation holds which licenses:
a new Authorization Code's entitlements take the slots after those the other reservations
of the virtual account hold (our rule; CSSM lets the user pick). A code lists the licenses
it takes from a term as TERM entitlements with the term's dates; the node stops counting
them at the end. The SSM cannot take them back: they stay reserved in the pool ("Reserved
License Expired") until the reservation is updated or returned."""

from __future__ import annotations

import json
from sqlite3 import Row

from ccxcli.clock import iso
from ccxcli.core import terms as T
from ccxcli.core.catalogue import BY_ALIAS
from ccxcli.core.state import Term
from ccxcli.errors import RuleError, UsageError
from ccxcli.ssm.core.db import SsmDb
from ccxcli.ssm.core.rows import AlertRow, TermRow
from ccxcli.ssm.core.schema import MAX_PURCHASED
from ccxcli.values import MAX_QTY

FIRST_ID = 100_001  # subscription ids: Sub100001, Sub100002, … (in the order they are deposited)


def add(ssm: SsmDb, va: str | None, alias: str, qty: int, starts: int, ends: int, now: int) -> str:
    """Deposit `qty` licenses of a term; they count from `starts` to `ends`. Its id."""
    if not 1 <= qty <= MAX_QTY:
        raise UsageError(f"The quantity to deposit must be from 1 to {MAX_QTY}.")
    T.check_dates(starts, ends, now)
    ssm.check_not_linked("deposit licenses")
    with ssm.tx() as db:
        va = ssm.va(va)
        have = db.execute("SELECT purchased FROM pool WHERE va=? AND alias=?", (va, alias)).fetchone()[0]
        coming = db.execute(
            "SELECT COALESCE(SUM(qty), 0) FROM term WHERE va=? AND alias=? AND state='pending'", (va, alias)
        ).fetchone()[0]
        if have + coming + qty > MAX_PURCHASED:
            raise RuleError(f"'{va}' would hold more than {MAX_PURCHASED} {alias}, the most an account holds.")
        last = db.execute("SELECT seq FROM sqlite_sequence WHERE name='term'").fetchone()  # ids are never reused
        n = (last[0] if last else 0) + 1
        sub = f"Sub{FIRST_ID - 1 + n}"
        db.execute(
            "INSERT INTO term(id, sub, va, alias, qty, starts, ends) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (n, sub, va, alias, qty, starts, ends),
        )
        ssm.event(
            now,
            "license",
            f"{qty} {alias} of subscription {sub} deposited in '{va}', term {T.date_text(starts)} to "
            f"{T.last_day(ends)}",
            va,
        )
        _settle_in(ssm, now)
    return sub


def next_change(ssm: SsmDb) -> int | None:
    """When a term of this SSM next starts or ends (None: no term waits)."""
    r = ssm.db.execute(
        "SELECT MIN(CASE state WHEN 'pending' THEN starts ELSE ends END) FROM term WHERE state != 'ended'"
    ).fetchone()
    return None if r[0] is None else int(r[0])


def settle(ssm: SsmDb, now: int) -> int:
    """Start and end the terms whose dates `now` has reached, in time order; how many
    changes. One query when none is due."""
    due = next_change(ssm)
    if due is None or due > now:
        return 0
    with ssm.tx():
        return _settle_in(ssm, now)


def _settle_in(ssm: SsmDb, now: int) -> int:
    db = ssm.db
    steps: list[tuple[int, int, str, Row]] = []
    for r in db.execute("SELECT * FROM term WHERE state != 'ended'").fetchall():
        if r["state"] == "pending" and r["starts"] <= now:
            steps.append((r["starts"], 0, "start", r))
        if r["ends"] <= now:
            steps.append((r["ends"], 1, "end", r))
    steps.sort(key=lambda s: (s[0], s[1], s[3]["id"]))
    for t, _, what, r in steps:
        where = f"{r['qty']} {r['alias']} of subscription {r['sub']}"
        if what == "start":
            db.execute(
                "UPDATE pool SET purchased = purchased + ? WHERE va=? AND alias=?", (r["qty"], r["va"], r["alias"])
            )
            db.execute("UPDATE term SET state='active' WHERE id=?", (r["id"],))
            ssm.event(t, "license", f"{where} in term in '{r['va']}' until {T.last_day(r['ends'])}", r["va"])
        else:
            db.execute(
                "UPDATE pool SET purchased = MAX(0, purchased - ?) WHERE va=? AND alias=?",
                (r["qty"], r["va"], r["alias"]),
            )
            db.execute("UPDATE term SET state='ended' WHERE id=?", (r["id"],))
            text = f"Licenses Expired: {where} in '{r['va']}' (term ended {T.last_day(t)})"
            ssm.event(t, "term-ended", text, r["va"])
        ssm.bump(r["va"], t)
    return len(steps)


def listing(ssm: SsmDb, va: str | None = None) -> list[TermRow]:
    """The terms (of one virtual account), oldest deposit first."""
    q = "SELECT * FROM term" + (" WHERE va=?" if va is not None else "") + " ORDER BY id"
    return [
        {
            "subscription": r["sub"],
            "va": r["va"],
            "alias": r["alias"],
            "quantity": r["qty"],
            "start_date": T.date_text(r["starts"]),
            "end_date": T.last_day(r["ends"]),
            "status": {"pending": "NOT_STARTED", "active": "ACTIVE", "ended": "EXPIRED"}[r["state"]],
        }
        for r in ssm.db.execute(q, () if va is None else (va,))
    ]


def entitlements(ssm: SsmDb, va: str, counts: dict[str, int], own: dict[str, int]) -> tuple[Term, ...]:
    """The term entitlements of a new Authorization Code for `counts` in `va` (inside a
    transaction, after the pool's `reserved` was raised for it): slots in the order perpetual,
    then running terms ending last first; the other reservations hold the first ones (the
    pool's reserved count less `own`, what this reservation holds with the new code). RuleError
    when the licenses in term do not reach."""
    out: list[Term] = []
    for alias, n in counts.items():
        if not n:
            continue
        rows = ssm.db.execute(
            "SELECT * FROM term WHERE va=? AND alias=? AND state='active' ORDER BY ends DESC, id", (va, alias)
        ).fetchall()
        pool = ssm.db.execute("SELECT purchased, reserved FROM pool WHERE va=? AND alias=?", (va, alias)).fetchone()
        perpetual = max(0, pool["purchased"] - sum(r["qty"] for r in rows))
        taken = max(0, pool["reserved"] - own.get(alias, n))  # the other reservations' slots
        first = taken
        need = n
        sources: list[tuple[int, Row | None]] = [(perpetual, None), *((r["qty"], r) for r in rows)]
        for size, r in sources:
            if first >= size:
                first -= size
                continue
            take = min(size - first, need)
            first = 0
            need -= take
            if r is not None and take:
                out.append({"alias": alias, "count": take, "starts": r["starts"], "ends": r["ends"], "sub": r["sub"]})
            if not need:
                break
        if need:
            raise RuleError(
                f"Only {n - need} {alias} are left in '{va}' for this reservation now (reserved licenses outlived "
                f"their term); return or update the reservations listed by 'ccx-ssm alerts' first."
            )
    return tuple(out)


def alerts(ssm: SsmDb, now: int) -> list[AlertRow]:
    """Licenses Expiring (at CSSM's lead times), Licenses Expired (for 30 days after the end)
    and Reserved License Expired (a reservation whose newest code holds licenses of an ended
    term, until it is updated or returned)."""
    out: list[AlertRow] = []
    for r in ssm.db.execute("SELECT * FROM term WHERE state != 'ended' ORDER BY ends, id"):
        within = T.expiring_within(r["ends"], now)
        if within is None:
            continue
        name = BY_ALIAS[r["alias"]].name
        message = (
            f"{r['qty']} {name} licenses of subscription {r['sub']} expire on {T.last_day(r['ends'])} "
            f"(within {within} {'day' if within == 1 else 'days'})"
        )
        severity = "major" if within <= 30 else "minor"
        out.append(_alert(severity, "Licenses Expiring", r["va"], message, r["sub"], r["ends"]))
    q = "SELECT * FROM term WHERE state='ended' AND ends > ? AND ends <= ? ORDER BY ends, id"
    for r in ssm.db.execute(q, (now - T.EXPIRED_LISTED, now)):
        name = BY_ALIAS[r["alias"]].name
        message = f"{r['qty']} {name} licenses of subscription {r['sub']} expired on {T.last_day(r['ends'])}"
        out.append(_alert("major", "Licenses Expired", r["va"], message, r["sub"], None))
    q = (
        "SELECT r.sn, r.va, r.instance, i.terms FROM reservation r JOIN issued i ON i.reservation = r.id "
        "AND i.ts = (SELECT MAX(ts) FROM issued WHERE reservation = r.id) "
        "WHERE r.state IN ('authorized', 'pending') AND i.terms != '[]' ORDER BY r.id"
    )
    for r in ssm.db.execute(q):
        ended = [t for t in json.loads(r["terms"]) if t["ends"] <= now]
        if ended:
            what = ", ".join(f"{t['count']} {t['alias']} ({t['sub']}, ended {T.last_day(t['ends'])})" for t in ended)
            message = (
                f"Reservation of instance {r['instance']} (SN {r['sn']}) holds licenses whose term ended: {what}; "
                "update the reservation or return it"
            )
            out.append(_alert("major", "Reserved License Expired", r["va"], message, f"UCCX {r['sn']}", None))
    return out


def _alert(severity: str, kind: str, va: str, message: str, source: str, due: int | None) -> AlertRow:
    return {
        "severity": severity,
        "type": kind,
        "va": va,
        "message": message,
        "source": source,
        "due": None if due is None else iso(due),
    }
