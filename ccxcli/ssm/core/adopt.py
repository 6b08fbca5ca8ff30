"""A product instance brought from another SSM database into this one, with everything the SSM
keeps of it: its instance row (a new id), its reservation and the codes issued for it, its usage
history, the answers to its messages, its virtual account's pool and pool history (as a new
virtual account) and its events. `sim scenario load NAME --node N` builds a scenario for one
node in a temporary lab and adopts it this way, in one transaction, so the rest of the lab's
SSM is left as it was."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from ccxcli.errors import RuleError
from ccxcli.ssm.core.db import SsmDb


def adopt(dst: SsmDb, src: Path, va_from: str, va_to: str, hostnames: dict[str, str], note: str, now: int) -> list[str]:
    """Bring the instances of `va_from` in the SSM database at `src` into `dst` as the new
    virtual account `va_to` (hostnames renamed by `hostnames`). Returns their UUIDs. The SSM
    of `src` must have signed its codes with `dst`'s key (the scenario's lab borrows it)."""
    conn = sqlite3.connect(f"file:{src / 'ssm.db'}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    try:
        rows = {t: conn.execute(f"SELECT * FROM {t}").fetchall() for t in _TABLES}
    finally:
        conn.close()
    with dst.tx() as db:
        if db.execute("SELECT 1 FROM va WHERE name=? COLLATE NOCASE", (va_to,)).fetchone():
            raise RuleError(f"A virtual account '{va_to}' exists already; the scenario needs one of its own.")
        db.execute("INSERT INTO va(name, description) VALUES (?, ?)", (va_to, note[:256]))
        for r in rows["pool"]:
            if r["va"] == va_from:
                db.execute(
                    "INSERT INTO pool(va, alias, purchased, used, reserved) VALUES (?, ?, ?, ?, ?)",
                    (va_to, r["alias"], r["purchased"], r["used"], r["reserved"]),
                )
        ids: dict[int, int] = {}
        uuids = []
        for r in rows["instance"]:
            if r["va"] != va_from:
                continue
            if db.execute("SELECT 1 FROM instance WHERE uuid=?", (r["uuid"],)).fetchone():
                raise RuleError("The scenario's product instance is known to this SSM already.")
            ids[r["id"]] = dst.new_instance_id()
            uuids.append(r["uuid"])
            db.execute(
                "INSERT INTO instance(id, uuid, sn, va, hostname, kind, license_type, registered, last_contact, "
                "usage, export, via, proof) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    ids[r["id"]],
                    r["uuid"],
                    r["sn"],
                    va_to,
                    hostnames.get(r["hostname"], r["hostname"]),
                    r["kind"],
                    r["license_type"],
                    r["registered"],
                    r["last_contact"],
                    r["usage"],
                    r["export"],
                    r["via"],
                    r["proof"],
                ),
            )
        rids: dict[int, int] = {}
        for r in rows["reservation"]:
            if r["va"] != va_from:
                continue
            cur = db.execute(
                "INSERT INTO reservation(instance, uuid, sn, va, piid, pubkey, state, counts, previous, conf, issued, "
                "ts, returned, confirmed_ts, bad_confirms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    ids.get(r["instance"]),
                    r["uuid"],
                    r["sn"],
                    va_to,
                    r["piid"],
                    r["pubkey"],
                    r["state"],
                    r["counts"],
                    r["previous"],
                    r["conf"],
                    r["issued"],
                    r["ts"],
                    r["returned"],
                    r["confirmed_ts"],
                    r["bad_confirms"],
                ),
            )
            rids[r["id"]] = int(cur.lastrowid or 0)
        for r in rows["issued"]:
            if r["reservation"] in rids:
                db.execute(
                    "INSERT INTO issued(reservation, ts, counts, code, terms) VALUES (?, ?, ?, ?, ?)",
                    (rids[r["reservation"]], r["ts"], r["counts"], r["code"], r["terms"]),
                )
        for r in rows["usage_history"]:
            if r["uuid"] in uuids:
                db.execute(
                    "INSERT INTO usage_history VALUES (?, ?, ?, ?)", (r["uuid"], r["t_from"], r["t_to"], r["usage"])
                )
        for r in rows["pool_history"]:
            if r["va"] == va_from:
                db.execute(
                    "INSERT OR REPLACE INTO pool_history(va, alias, t, purchased, in_use, reserved, reported) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (va_to, r["alias"], r["t"], r["purchased"], r["in_use"], r["reserved"], r["reported"]),
                )
        for r in rows["message"]:
            if any(u in r["id"] for u in uuids):  # the answers a node would get again after a crash
                db.execute(
                    "INSERT OR IGNORE INTO message(id, t, answer) VALUES (?, ?, ?)", (r["id"], r["t"], r["answer"])
                )
        for r in rows["event"]:
            vas = json.loads(r["vas"]) if r["vas"] else []
            if va_from not in vas:
                continue
            text = r["text"].replace(f"'{va_from}'", f"'{va_to}'")
            for old, new in hostnames.items():
                text = text.replace(f"({old})", f"({new})")
            db.execute(
                "INSERT INTO event(t, kind, text, vas, actor) VALUES (?, ?, ?, ?, ?)",
                (r["t"], r["kind"], text, json.dumps([va_to if v == va_from else v for v in vas]), r["actor"]),
            )
        dst.bump(va_to, now)
        dst.event(now, "scenario", note, va_to)
    return uuids


_TABLES = ("pool", "instance", "reservation", "issued", "usage_history", "pool_history", "message", "event")
