"""The SSM stand-in's store: one SQLite database per SSM folder.

Every change runs in one transaction (`ssm/core/txn.py`). The pool
table keeps, per virtual account and license, purchased, used (as last reported by
registered instances) and reserved counts; `va.version` moves whenever a pool's verdict
(the licenses it is short of) changes: what a node's next report could learn.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ccxcli.core.catalogue import CATALOGUE
from ccxcli.errors import RuleError, StoreError, UsageError, os_problem, sqlite_problem
from ccxcli.faults import kill_point
from ccxcli.runtime import tunables
from ccxcli.ssm.core.pool import judge, rows
from ccxcli.ssm.core.pool import verdict as pool_verdict
from ccxcli.ssm.core.rows import LicenseRow, VaRow
from ccxcli.ssm.core.schema import COMMAND_LINE, MAX_PURCHASED, SCHEMA, build, migrate, version, write_ahead
from ccxcli.ssm.core.txn import Transactions

ACCESS_LEVELS = ("PUBLIC", "PRIVATE")  # a virtual account's commerce access level
MAX_MESSAGES = 20_000  # answers kept for messages sent again after a crash (the newest ones)


def default_domain(account: str) -> str:
    """`Demo Smart Account` → `demo-smart-account.example.com` (Cisco's domains are the
    company's internet domain; `example.com` is never anybody's)."""
    slug = "-".join("".join(c if c.isascii() and c.isalnum() else " " for c in account.lower()).split())
    return f"{slug or 'account'}.example.com"


ROLL = "key-roll.pem"  # a key roll under way: the new private and public keys, one file


def finish_key_roll(path: Path) -> None:
    """Put the pair of a key roll in place (key.pem, then public.pem), then forget the roll;
    done again from the start when a kill cut it short."""
    from ccxcli.store.files import read_bounded, write_atomic

    pair = read_bounded(path / ROLL, "SSM key roll", 20_000)
    cut = pair.find(b"-----BEGIN PUBLIC KEY-----")
    if cut <= 0:
        raise StoreError(f"{path / ROLL} is not a key roll ccxcli wrote; remove it to keep the current key.")
    write_atomic(path / "key.pem", pair[:cut])
    kill_point("key-rolled")
    write_atomic(path / "public.pem", pair[cut:])
    (path / ROLL).unlink()


class SsmDb(Transactions):
    def __init__(self, path: Path, db: sqlite3.Connection) -> None:
        super().__init__(db)
        self.path = path
        self._meta: dict[str, str] | None = None
        self._moved: dict[str, int] = {}  # virtual accounts whose pool this transaction moved, and when
        # of those, the ones whose verdict was judged since their last move, with the pool judged
        self._judged: dict[str, dict[str, dict[str, int]]] = {}
        self.closed = False
        # who the events of this connection's changes are logged for (the Event Log's User): the
        # command line unless a served SSM's request or a node's message says otherwise
        self.actor: str | Callable[[], str] = COMMAND_LINE

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
        export_allowed: bool | None = None,
        extra_meta: dict[str, str] | None = None,
    ) -> SsmDb:
        """A new SSM folder. The demo account is permitted Export-Controlled functionality;
        others only when `export_allowed`."""
        from ccxcli.store.files import Lock, private_dir

        meta = {
            "export_allowed": "1" if (demo if export_allowed is None else export_allowed) else "0",
            **(extra_meta or {}),
        }

        private_dir(path)
        with Lock(path / ".init.lock"):  # two inits of one folder: one creates, the other is refused
            if (path / "ssm.db").exists():
                raise RuleError(f"An SSM already exists in {path}.")
            try:
                build(path, account, now, demo, on_prem, hostname, sans, meta)
            except OSError as e:
                raise os_problem(e, "create the SSM") from None
        return cls.open(path)

    @classmethod
    def open(cls, path: Path) -> SsmDb:
        f = path / "ssm.db"
        if not f.exists():
            raise UsageError(f"No SSM in {path}; create one with 'ccx-ssm init'.")
        if (path / ROLL).exists():
            finish_key_roll(path)  # a key roll a killed process left half-done
        try:
            wait = tunables().lock_timeout
            db = sqlite3.connect(f, isolation_level=None, timeout=wait)
            db.row_factory = sqlite3.Row
            db.execute(f"PRAGMA busy_timeout={int(wait * 1000)}")
            write_ahead(db)
            schema = version(db)
        except sqlite3.OperationalError as e:
            if "no such table" not in str(e).lower():
                raise sqlite_problem(e) from None
            raise StoreError(
                f"The SSM database {f} is corrupt or not an SSM database; it was left untouched."
            ) from None
        except (sqlite3.DatabaseError, TypeError, ValueError):
            raise StoreError(f"The SSM database {f} is corrupt or unreadable; it was left untouched.") from None
        if schema > SCHEMA:
            raise StoreError(f"The SSM database {f} has schema {schema}, newer than this ccxcli understands.")
        ssm = cls(path, db)
        if schema < SCHEMA:
            ssm._migrate()
        return ssm

    def _migrate(self) -> None:
        """Bring an older database to the current schema (all steps in one transaction)."""
        with self.tx() as db:
            older = version(db)
            migrate(db, older)
            if older < 4:  # the history starts with the pool as it was at the last recorded event
                last = db.execute("SELECT MAX(t) FROM event").fetchone()[0] or 0
                for v in db.execute("SELECT name FROM va").fetchall():
                    self._moved[v[0]] = int(last)
        self._meta = None

    def close(self) -> None:
        self.db.close()
        self.closed = True

    def forget(self) -> None:
        """Forget what was read before (the meta table): another connection may have changed
        it since. (A connection kept for many requests starts each this way.)"""
        self._meta = None

    def _settle(self) -> None:
        self._record()

    def _discard(self) -> None:
        self._moved.clear()
        self._judged.clear()

    # -- messages from nodes: each id is applied once --------------------------------------
    def answered(self, msg_id: str) -> Any:
        """The answer given to message `msg_id` before, or None (inside a transaction)."""
        r = self.db.execute("SELECT answer FROM message WHERE id=?", (msg_id,)).fetchone()
        return json.loads(r[0]) if r else None

    def remember(self, msg_id: str, t: int, answer: object) -> None:
        cur = self.db.execute("INSERT INTO message(id, t, answer) VALUES (?, ?, ?)", (msg_id, t, json.dumps(answer)))
        if cur.lastrowid and cur.lastrowid % 1000 == 0:
            self.db.execute("DELETE FROM message WHERE rowid <= ?", (cur.lastrowid - MAX_MESSAGES,))

    # -- meta ------------------------------------------------------------------------
    @property
    def meta(self) -> dict[str, str]:
        if self._meta is None:
            self._meta = {r[0]: r[1] for r in self.db.execute("SELECT key, value FROM meta")}
        return self._meta

    @property
    def name(self) -> str:
        """The SSM's name in its lab (its folder's name)."""
        return self.path.name

    def check_not_linked(self, what: str) -> None:
        """An on-prem SSM linked to a cloud SSM gets its licenses from it: they are bought,
        moved and reserved there."""
        if self.on_prem and self.meta.get("cloud"):
            raise RuleError(
                f"Cannot {what} on SSM On-Prem '{self.name}': licenses are bought, moved and reserved on Cisco SSM "
                f"('{self.meta['cloud']}') and reach this SSM at its next synchronization."
            )

    @property
    def account(self) -> str:
        return self.meta["account"]

    def names(self) -> list[str]:
        """Certificate common name and subject alternative names (on-prem SSMs)."""
        out = [self.meta["cn"]] if self.meta.get("cn") else []
        return out + list(json.loads(self.meta.get("sans", "[]")))

    @property
    def address(self) -> str:
        """Its IP address on the lab's network (`init --address`; else one made from its name)."""
        import hashlib

        if self.meta.get("address"):
            return self.meta["address"]
        h = hashlib.sha256(("ssm-address|" + self.name).encode()).digest()
        return f"10.254.{h[0]}.{2 + h[1] % 250}"

    def resolves(self) -> list[str]:
        """Every name the lab's network resolves to this SSM: its certificate's names, its
        address, its short host name, its name in the lab and the aliases of `init --alias`.
        Only the certificate's names pass the CN/SAN check."""
        out = self.names() + [self.address, self.name] + list(json.loads(self.meta.get("aliases", "[]")))
        out += [n.split(".")[0] for n in self.names() if "." in n and not n.replace(".", "").isdigit()]
        return list(dict.fromkeys(n.lower() for n in out))

    def new_instance_id(self) -> int:
        """An id no product instance of this SSM ever had (inside a transaction): ids of removed
        instances are never given again, so an event, a node's message or a code that names one
        never comes to mean another (SQLite's own would reuse the highest after its removal)."""
        top = int(self.db.execute("SELECT COALESCE(MAX(id), 0) FROM instance").fetchone()[0])
        n = max(top, int(self.meta.get("instance_seq", "0"))) + 1
        self.set_meta("instance_seq", str(n))
        return n

    def set_meta(self, key: str, value: str) -> None:
        """Inside a transaction."""
        self.db.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (key, value))
        self._meta = None

    @property
    def domain(self) -> str:
        """The smart account's domain, the path key of Cisco's API (`init --domain`; else
        one made from the account name)."""
        return self.meta.get("domain") or default_domain(self.account)

    @property
    def export_allowed(self) -> bool:
        return self.meta.get("export_allowed") == "1"

    @property
    def slr_allowed(self) -> bool:
        return self.meta.get("slr_allowed") == "1"

    @property
    def on_prem(self) -> bool:
        return self.meta.get("on_prem") == "1"

    def public_pem(self) -> bytes:
        from ccxcli.store.files import read_bounded

        return read_bounded(self.path / "public.pem", "SSM public key", 10_000)

    def private_pem(self) -> bytes:
        from ccxcli.store.files import read_bounded

        return read_bounded(self.path / "key.pem", "SSM private key", 10_000)

    def roll_key(self, now: int) -> None:
        """A new signing key, as an SSM that changes its root (Cisco's field notices on root CA
        changes): what it signs from now on (codes, sync files, its served certificate) needs
        the new key's trust on every node. The key a lab's nodes trusted first stays in
        `root.pem`; they trust the new one only once it is added ('sim ssm trust')."""
        from ccxcli.protocol.codes import new_signing_key
        from ccxcli.store.files import write_atomic

        root = self.path / "root.pem"
        if not root.exists():
            write_atomic(root, self.public_pem())
        private_pem, public_pem = new_signing_key()
        # The pair is written first as one file (one atomic write), then put in place: a kill at
        # any point leaves the old pair or, finished by the next open, the new one; never a mix.
        write_atomic(self.path / ROLL, private_pem + public_pem)  # 0600, as every file write_atomic makes
        finish_key_roll(self.path)
        with self.tx():
            self.event(
                now,
                "key",
                "Signing key changed: nodes trust the new key once it is added ('ccx-ssm key "
                "export', then 'sim ssm trust FILE' on each lab)",
            )

    @property
    def maintenance(self) -> int | None:
        """Since when the SSM is down for maintenance (None: it is up)."""
        since = self.meta.get("maintenance")
        return int(since) if since else None

    def set_maintenance(self, on: bool, now: int) -> None:
        with self.tx() as db:
            if on:
                self.set_meta("maintenance", str(now))
            else:
                db.execute("DELETE FROM meta WHERE key='maintenance'")
                self._meta = None
            self.event(
                now,
                "maintenance",
                "Down for maintenance: every request is answered 503"
                if on
                else "Maintenance over: requests are served again",
            )

    def event(self, t: int, kind: str, text: str, *vas: str) -> None:
        """Log an event; `vas`: the virtual accounts it concerns (none: the whole account)."""
        concerns = json.dumps(list(vas), ensure_ascii=False) if vas else ""
        self.db.execute(
            "INSERT INTO event(t, kind, text, vas, actor) VALUES (?, ?, ?, ?, ?)",
            (t, kind, text, concerns, self.actor if isinstance(self.actor, str) else self.actor()),
        )

    # -- virtual accounts ---------------------------------------------------------------
    def va_list(self) -> list[VaRow]:
        return [
            {
                "id": r["rowid"],
                "name": r["name"],
                "default": bool(r["is_default"]),
                "description": r["description"],
                "access": r["access"],
                "instances": self.db.execute("SELECT COUNT(*) FROM instance WHERE va=?", (r["name"],)).fetchone()[0],
            }
            for r in self.db.execute("SELECT rowid, * FROM va ORDER BY name")
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

    def va_create(self, name: str, now: int, description: str = "", access: str = "PUBLIC") -> None:
        """A new virtual account; `access` is its commerce access level, PUBLIC or PRIVATE."""
        from ccxcli.values import plain_text

        plain_text(name, "A virtual account name", 64)
        if description:
            plain_text(description, "A virtual account description", 256)
        if access not in ACCESS_LEVELS:
            raise UsageError(f"The commerce access level must be {' or '.join(ACCESS_LEVELS)}.")
        self.check_not_linked("create virtual accounts")
        with self.tx() as db:
            if db.execute("SELECT 1 FROM va WHERE lower(name)=lower(?)", (name,)).fetchone():
                raise RuleError(f"Virtual account '{name}' already exists.")
            db.execute("INSERT INTO va(name, description, access) VALUES (?, ?, ?)", (name, description, access))
            db.executemany("INSERT INTO pool(va, alias) VALUES (?, ?)", [(name, lic.alias) for lic in CATALOGUE])
            self.event(now, "va", f"Virtual account '{name}' created", name)

    def va_delete(self, name: str, now: int) -> None:
        with self.tx() as db:
            name = self.va(name)
            r = db.execute("SELECT is_default FROM va WHERE name=?", (name,)).fetchone()
            if r[0]:
                raise RuleError(f"'{name}' is the default virtual account and cannot be deleted.")
            busy = db.execute("SELECT COUNT(*) FROM instance WHERE va=?", (name,)).fetchone()[0]
            held = db.execute("SELECT SUM(purchased) FROM pool WHERE va=?", (name,)).fetchone()[0] or 0
            coming = "SELECT COALESCE(SUM(qty), 0) FROM term WHERE va=? AND state='pending'"
            held += db.execute(coming, (name,)).fetchone()[0]
            if busy or held:
                raise RuleError(
                    f"Virtual account '{name}' still holds {busy} product instances and {held} licenses; "
                    "transfer them first."
                )
            users = [r[0] for r in db.execute("SELECT name FROM portal_user WHERE va=? ORDER BY name", (name,))]
            if users:
                raise RuleError(
                    f"Portal users are limited to '{name}' ({', '.join(users)}); remove them first "
                    "('ccx-ssm user remove')."
                )
            db.execute("DELETE FROM pool WHERE va=?", (name,))
            db.execute("DELETE FROM pool_history WHERE va=?", (name,))
            db.execute("DELETE FROM token WHERE va=?", (name,))
            db.execute("DELETE FROM term WHERE va=?", (name,))
            db.execute("DELETE FROM va WHERE name=?", (name,))
            self.event(now, "va", f"Virtual account '{name}' deleted", name)

    # -- pool ------------------------------------------------------------------------
    def pool(self, va: str) -> dict[str, dict[str, int]]:
        return {
            r["alias"]: {"purchased": r["purchased"], "used": r["used"], "reserved": r["reserved"]}
            for r in self.db.execute("SELECT * FROM pool WHERE va=?", (va,))
        }

    def license_rows(self, va: str) -> list[LicenseRow]:
        return rows(self.pool(va))

    def version(self, va: str) -> int:
        r = self.db.execute("SELECT version FROM va WHERE name=?", (va,)).fetchone()
        return int(r[0]) if r else -1

    def untouched(self) -> bool:
        """No product instance, no token and no virtual account but DEFAULT: as it was made."""
        held = self.db.execute("SELECT (SELECT COUNT(*) FROM instance) + (SELECT COUNT(*) FROM token)").fetchone()[0]
        return not held and [v["name"] for v in self.va_list()] == ["DEFAULT"]

    def versions(self) -> dict[str, int]:
        """Every virtual account's pool version (one query: a clock move asks after each event)."""
        return {str(r[0]): int(r[1]) for r in self.db.execute("SELECT name, version FROM va")}

    def uuids_in(self, vas: list[str]) -> list[str]:
        """The node UUIDs of the instances in these virtual accounts."""
        marks = ",".join("?" * len(vas))
        return [str(r[0]) for r in self.db.execute(f"SELECT uuid FROM instance WHERE va IN ({marks})", vas)]

    def bump(self, va: str, now: int) -> None:
        """The pool of `va` moved at `now` (inside a transaction): when the transaction ends, its
        history gets the pool as it is then, and its version moves if its verdict did."""
        self._moved[va] = max(now, self._moved.get(va, now))
        self._judged.pop(va, None)

    def version_now(self, va: str) -> int:
        """The pool's version with this transaction's changes so far judged (what a node's
        answer carries)."""
        self.judged_pool(va)
        return self.version(va)

    def judged_pool(self, va: str) -> dict[str, dict[str, int]]:
        """The pool of `va` as it is now, its verdict judged: it moves the pool's version when
        its verdict (the licenses it is short of, `pool.verdict`) changed, so the nodes of the
        virtual account report again only then and N nodes registering into one pool are worked
        out again a few times, not N times each (issue 36). Read once until the pool's next
        move (`bump`: every change of a pool is followed by one)."""
        pool = self._judged.get(va)
        if pool is not None:
            return pool
        pool = self.pool(va)
        verdict = pool_verdict(pool)
        r = self.db.execute("SELECT verdict FROM va WHERE name=?", (va,)).fetchone()
        if r is not None and r[0] != verdict:
            self.db.execute("UPDATE va SET verdict=?, version = version + 1 WHERE name=?", (verdict, va))
        self._judged[va] = pool
        return pool

    def _record(self) -> None:
        """Add to the history each license of the moved pools that changed since its last row
        (each license's last row found through the index: the history only grows)."""
        moved, self._moved = self._moved, {}
        for va, t in moved.items():
            pool = self.judged_pool(va)
            last = {
                r[0]: tuple(r[1:])
                for r in self.db.execute(
                    "SELECT h.alias, h.purchased, h.in_use, h.reserved, h.reported FROM pool p CROSS "
                    "JOIN pool_history h ON h.va = p.va AND h.alias = p.alias AND h.t = "
                    "(SELECT MAX(t) FROM pool_history WHERE va = p.va AND alias = p.alias) WHERE p.va=?",
                    (va,),
                )
            }
            for r in rows(pool):
                now = (r["purchased"], r["in_use"], r["reserved"], r["reported_usage"])
                if last.get(r["alias"], (0, 0, 0, 0)) != now:
                    self.db.execute(
                        "INSERT OR REPLACE INTO pool_history(va, alias, t, purchased, in_use, reserved, reported) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?)",
                        (va, r["alias"], t, *now),
                    )
        self._judged.clear()

    def license_add(self, va: str | None, alias: str, qty: int, now: int) -> None:
        from ccxcli.values import MAX_QTY

        if not 1 <= qty <= MAX_QTY:
            raise UsageError(f"The quantity to deposit must be from 1 to {MAX_QTY}.")
        self.check_not_linked("deposit licenses")
        with self.tx() as db:
            va = self.va(va)
            have = db.execute("SELECT purchased FROM pool WHERE va=? AND alias=?", (va, alias)).fetchone()[0]
            if have + qty > MAX_PURCHASED:
                raise RuleError(f"'{va}' would hold more than {MAX_PURCHASED} {alias}, the most an account holds.")
            db.execute("UPDATE pool SET purchased = purchased + ? WHERE va=? AND alias=?", (qty, va, alias))
            self.bump(va, now)
            self.event(now, "license", f"{qty} {alias} deposited in '{va}'", va)

    def license_transfer(self, src: str, dst: str, alias: str, qty: int, now: int) -> None:
        from ccxcli.values import MAX_QTY

        if not 1 <= qty <= MAX_QTY:
            raise UsageError(f"The quantity to transfer must be from 1 to {MAX_QTY}.")
        self.check_not_linked("move licenses")
        with self.tx() as db:
            src, dst = self.va(src), self.va(dst)
            if src == dst:
                raise UsageError("Source and destination virtual accounts are the same.")
            avail = next(r["available"] for r in self.license_rows(src) if r["alias"] == alias)
            if qty > avail:
                raise RuleError(f"Only {avail} {alias} are available in '{src}'; cannot transfer {qty}.")
            self._check_perpetual(src, alias, qty)
            have = db.execute("SELECT purchased FROM pool WHERE va=? AND alias=?", (dst, alias)).fetchone()[0]
            if have + qty > MAX_PURCHASED:
                raise RuleError(f"'{dst}' would hold more than {MAX_PURCHASED} {alias}, the most an account holds.")
            db.execute("UPDATE pool SET purchased = purchased - ? WHERE va=? AND alias=?", (qty, src, alias))
            db.execute("UPDATE pool SET purchased = purchased + ? WHERE va=? AND alias=?", (qty, dst, alias))
            self.bump(src, now)
            self.bump(dst, now)
            self.event(now, "license", f"{qty} {alias} transferred from '{src}' to '{dst}'", src, dst)

    def in_term(self, va: str, alias: str) -> int:
        """How many of the pool's purchased licenses belong to a running subscription term."""
        q = "SELECT COALESCE(SUM(qty), 0) FROM term WHERE va=? AND alias=? AND state='active'"
        return int(self.db.execute(q, (va, alias)).fetchone()[0])

    def _check_perpetual(self, va: str, alias: str, qty: int) -> None:
        """Transfers move perpetual licenses only (our rule: a term stays in the virtual account
        it was deposited in)."""
        term = self.in_term(va, alias)
        if not term:
            return
        purchased = self.db.execute("SELECT purchased FROM pool WHERE va=? AND alias=?", (va, alias)).fetchone()[0]
        if qty > purchased - term:
            raise RuleError(
                f"Only {max(0, purchased - term)} of the {alias} in '{va}' are perpetual; the {term} of a "
                "subscription term stay in the virtual account they were deposited in."
            )

    def set_usage(self, inst: sqlite3.Row, use: dict[str, int], now: int) -> None:
        """Replace an instance's reported usage in its pool (inside a transaction)."""
        old = json.loads(inst["usage"])
        for alias in set(old) | set(use):
            delta = use.get(alias, 0) - old.get(alias, 0)
            if delta:
                self.db.execute("UPDATE pool SET used = used + ? WHERE va=? AND alias=?", (delta, inst["va"], alias))
        if old != use:
            self.db.execute("UPDATE instance SET usage=? WHERE id=?", (json.dumps(use, sort_keys=True), inst["id"]))
            self.bump(inst["va"], now)

    def judge(self, va: str, reported: dict[str, int]) -> dict[str, int]:
        return judge(self.judged_pool(va), reported)
