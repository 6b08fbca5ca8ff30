"""The SSM stand-in's store: one SQLite database per SSM folder.

Every change runs in one `BEGIN IMMEDIATE` transaction, so two processes never lose an
update and a killed process leaves the database as it was before or after. The pool
table keeps, per virtual account and license, purchased, used (as last reported by
registered instances) and reserved counts; `va.version` moves whenever a pool changes.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ccxcli.core.catalogue import CATALOGUE
from ccxcli.errors import RuleError, StoreError, UsageError
from ccxcli.ssm.pool import judge, rows

SCHEMA = 1

_DDL = """
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE va(name TEXT PRIMARY KEY, is_default INTEGER NOT NULL DEFAULT 0,
                version INTEGER NOT NULL DEFAULT 0, short INTEGER NOT NULL DEFAULT 0);
CREATE TABLE pool(va TEXT NOT NULL, alias TEXT NOT NULL, purchased INTEGER NOT NULL DEFAULT 0,
                  used INTEGER NOT NULL DEFAULT 0, reserved INTEGER NOT NULL DEFAULT 0,
                  PRIMARY KEY(va, alias),
                  CHECK(purchased >= 0 AND used >= 0 AND reserved >= 0 AND reserved <= purchased));
CREATE TABLE token(token TEXT PRIMARY KEY, va TEXT NOT NULL, created INTEGER NOT NULL,
                   expires INTEGER NOT NULL, max_uses INTEGER, uses INTEGER NOT NULL DEFAULT 0,
                   revoked INTEGER NOT NULL DEFAULT 0, description TEXT NOT NULL DEFAULT '',
                   export INTEGER NOT NULL DEFAULT 0);
CREATE TABLE instance(id INTEGER PRIMARY KEY, uuid TEXT NOT NULL UNIQUE, sn TEXT NOT NULL,
                      va TEXT NOT NULL, hostname TEXT NOT NULL DEFAULT '', kind TEXT NOT NULL,
                      license_type TEXT NOT NULL DEFAULT '', registered INTEGER NOT NULL,
                      last_contact INTEGER NOT NULL, usage TEXT NOT NULL DEFAULT '{}',
                      export INTEGER NOT NULL DEFAULT 0);
CREATE INDEX instance_va ON instance(va);
CREATE INDEX instance_sn ON instance(sn);
CREATE TABLE reservation(id INTEGER PRIMARY KEY, instance INTEGER, uuid TEXT NOT NULL,
                         sn TEXT NOT NULL, va TEXT NOT NULL, piid TEXT NOT NULL UNIQUE,
                         pubkey TEXT NOT NULL, state TEXT NOT NULL, counts TEXT NOT NULL,
                         previous TEXT, conf TEXT, issued INTEGER NOT NULL, ts INTEGER NOT NULL,
                         returned INTEGER);
CREATE INDEX reservation_uuid ON reservation(uuid);
CREATE TABLE event(id INTEGER PRIMARY KEY, t INTEGER NOT NULL, kind TEXT NOT NULL, text TEXT NOT NULL);
"""


class Ssm:
    def __init__(self, path: Path, db: sqlite3.Connection) -> None:
        self.path = path
        self.db = db
        self._meta: dict[str, str] | None = None

    # -- opening -------------------------------------------------------------------
    @classmethod
    def create(
        cls,
        path: Path,
        account: str,
        now: int,
        demo: bool = False,
        on_prem: bool = False,
        hostname: str | None = None,
        sans: tuple[str, ...] = (),
    ) -> Ssm:
        from ccxcli.codes import new_signing_key

        if (path / "ssm.db").exists():
            raise RuleError(f"An SSM already exists in {path}.")
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise StoreError(f"Cannot create SSM folder {path}: {e.strerror}.") from None
        private_pem, public_pem = new_signing_key()
        key = path / "key.pem"
        fd = os.open(key, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(private_pem)
        (path / "public.pem").write_bytes(public_pem)
        tmp = path / ".ssm.db.new"
        if tmp.exists():
            tmp.unlink()
        db = sqlite3.connect(tmp, isolation_level=None)
        db.executescript(_DDL)
        meta = {
            "schema": str(SCHEMA),
            "account": account,
            "on_prem": "1" if on_prem else "0",
            "cn": hostname or "",
            "sans": json.dumps(list(sans)),
            "created": str(now),
            "slr_allowed": "1",
            "export_allowed": "0",
        }
        db.executemany("INSERT INTO meta VALUES (?, ?)", meta.items())
        db.execute("INSERT INTO va(name, is_default) VALUES ('DEFAULT', 1)")
        for lic in CATALOGUE:
            db.execute(
                "INSERT INTO pool(va, alias, purchased) VALUES ('DEFAULT', ?, ?)", (lic.alias, lic.demo if demo else 0)
            )
        db.execute(
            "INSERT INTO event(t, kind, text) VALUES (?, 'init', ?)",
            (now, f"Smart account '{account}' created" + (" with a demo deposit" if demo else "")),
        )
        db.close()
        os.replace(tmp, path / "ssm.db")  # never publish a half-made database
        return cls.open(path)

    @classmethod
    def open(cls, path: Path) -> Ssm:
        f = path / "ssm.db"
        if not f.exists():
            raise UsageError(f"No SSM in {path}; create one with 'ccx-ssm init'.")
        try:
            db = sqlite3.connect(f, isolation_level=None, timeout=15)
            db.row_factory = sqlite3.Row
            db.execute("PRAGMA busy_timeout=15000")
            schema = int(db.execute("SELECT value FROM meta WHERE key='schema'").fetchone()[0])
        except (sqlite3.DatabaseError, TypeError, ValueError):
            raise StoreError(f"The SSM database {f} is corrupt or unreadable; it was left untouched.") from None
        if schema > SCHEMA:
            raise StoreError(f"The SSM database {f} has schema {schema}, newer than this ccxcli understands.")
        return cls(path, db)

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def tx(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: all of it or nothing."""
        try:
            self.db.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as e:
            raise StoreError(f"The SSM database is busy ({e}); try again.") from None
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        else:
            self.db.execute("COMMIT")

    # -- meta ------------------------------------------------------------------------
    @property
    def meta(self) -> dict[str, str]:
        if self._meta is None:
            self._meta = {r[0]: r[1] for r in self.db.execute("SELECT key, value FROM meta")}
        return self._meta

    @property
    def account(self) -> str:
        return self.meta["account"]

    def names(self) -> list[str]:
        """Certificate common name and subject alternative names (on-prem SSMs)."""
        out = [self.meta["cn"]] if self.meta.get("cn") else []
        return out + list(json.loads(self.meta.get("sans", "[]")))

    @property
    def on_prem(self) -> bool:
        return self.meta.get("on_prem") == "1"

    def public_pem(self) -> bytes:
        return (self.path / "public.pem").read_bytes()

    def private_pem(self) -> bytes:
        return (self.path / "key.pem").read_bytes()

    def event(self, t: int, kind: str, text: str) -> None:
        self.db.execute("INSERT INTO event(t, kind, text) VALUES (?, ?, ?)", (t, kind, text))

    # -- virtual accounts ---------------------------------------------------------------
    def va_list(self) -> list[dict[str, Any]]:
        return [
            {
                "name": r["name"],
                "default": bool(r["is_default"]),
                "instances": self.db.execute("SELECT COUNT(*) FROM instance WHERE va=?", (r["name"],)).fetchone()[0],
            }
            for r in self.db.execute("SELECT * FROM va ORDER BY name")
        ]

    def va(self, name: str | None) -> str:
        """The virtual account's exact name (case-insensitive match), default if None."""
        if name is None:
            return str(self.db.execute("SELECT name FROM va WHERE is_default=1").fetchone()[0])
        r = self.db.execute("SELECT name FROM va WHERE lower(name)=lower(?)", (name,)).fetchone()
        if r is None:
            known = ", ".join(v["name"] for v in self.va_list())
            raise UsageError(f"No virtual account '{name}'. Known: {known}.")
        return str(r[0])

    def va_create(self, name: str, now: int) -> None:
        if not name.strip() or len(name) > 64:
            raise UsageError("A virtual account name must have 1 to 64 characters.")
        with self.tx() as db:
            if db.execute("SELECT 1 FROM va WHERE lower(name)=lower(?)", (name,)).fetchone():
                raise RuleError(f"Virtual account '{name}' already exists.")
            db.execute("INSERT INTO va(name) VALUES (?)", (name,))
            db.executemany("INSERT INTO pool(va, alias) VALUES (?, ?)", [(name, lic.alias) for lic in CATALOGUE])
            self.event(now, "va", f"Virtual account '{name}' created")

    def va_delete(self, name: str, now: int) -> None:
        with self.tx() as db:
            name = self.va(name)
            r = db.execute("SELECT is_default FROM va WHERE name=?", (name,)).fetchone()
            if r[0]:
                raise RuleError(f"'{name}' is the default virtual account and cannot be deleted.")
            busy = db.execute("SELECT COUNT(*) FROM instance WHERE va=?", (name,)).fetchone()[0]
            held = db.execute("SELECT SUM(purchased) FROM pool WHERE va=?", (name,)).fetchone()[0] or 0
            if busy or held:
                raise RuleError(
                    f"Virtual account '{name}' still holds {busy} product instances and {held} licenses; "
                    "transfer them first."
                )
            db.execute("DELETE FROM pool WHERE va=?", (name,))
            db.execute("DELETE FROM token WHERE va=?", (name,))
            db.execute("DELETE FROM va WHERE name=?", (name,))
            self.event(now, "va", f"Virtual account '{name}' deleted")

    # -- pool ------------------------------------------------------------------------
    def pool(self, va: str) -> dict[str, dict[str, int]]:
        return {
            r["alias"]: {"purchased": r["purchased"], "used": r["used"], "reserved": r["reserved"]}
            for r in self.db.execute("SELECT * FROM pool WHERE va=?", (va,))
        }

    def license_rows(self, va: str) -> list[dict[str, Any]]:
        return rows(self.pool(va))

    def version(self, va: str) -> int:
        r = self.db.execute("SELECT version FROM va WHERE name=?", (va,)).fetchone()
        return int(r[0]) if r else -1

    def bump(self, va: str) -> None:
        self.db.execute("UPDATE va SET version = version + 1 WHERE name=?", (va,))

    def license_add(self, va: str, alias: str, qty: int, now: int) -> None:
        if qty <= 0:
            raise UsageError("The quantity to deposit must be a positive number.")
        with self.tx() as db:
            va = self.va(va)
            db.execute("UPDATE pool SET purchased = purchased + ? WHERE va=? AND alias=?", (qty, va, alias))
            self.bump(va)
            self.event(now, "license", f"{qty} {alias} deposited in '{va}'")

    def license_transfer(self, src: str, dst: str, alias: str, qty: int, now: int) -> None:
        if qty <= 0:
            raise UsageError("The quantity to transfer must be a positive number.")
        with self.tx() as db:
            src, dst = self.va(src), self.va(dst)
            if src == dst:
                raise UsageError("Source and destination virtual accounts are the same.")
            avail = next(r["available"] for r in self.license_rows(src) if r["alias"] == alias)
            if qty > avail:
                raise RuleError(f"Only {avail} {alias} are available in '{src}'; cannot transfer {qty}.")
            db.execute("UPDATE pool SET purchased = purchased - ? WHERE va=? AND alias=?", (qty, src, alias))
            db.execute("UPDATE pool SET purchased = purchased + ? WHERE va=? AND alias=?", (qty, dst, alias))
            self.bump(src)
            self.bump(dst)
            self.event(now, "license", f"{qty} {alias} transferred from '{src}' to '{dst}'")

    def set_usage(self, inst: sqlite3.Row, use: dict[str, int]) -> None:
        """Replace an instance's reported usage in its pool (inside a transaction)."""
        old = json.loads(inst["usage"])
        for alias in set(old) | set(use):
            delta = use.get(alias, 0) - old.get(alias, 0)
            if delta:
                self.db.execute("UPDATE pool SET used = used + ? WHERE va=? AND alias=?", (delta, inst["va"], alias))
        if old != use:
            self.db.execute("UPDATE instance SET usage=? WHERE id=?", (json.dumps(use, sort_keys=True), inst["id"]))
            self.bump(inst["va"])

    def judge(self, va: str, reported: dict[str, int]) -> dict[str, int]:
        return judge(self.pool(va), reported)
