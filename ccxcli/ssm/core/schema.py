"""The SSM database's schema: the tables a new database is made with (`DDL`) and the
migrations that bring a database made by an earlier version to it (`MIGRATIONS`), each step
run in one transaction with the others. `db` makes and opens databases with them.

A database's schema is SQLite's own `PRAGMA user_version` (from schema 10); databases of
schemas 1 to 9 kept it in the `meta` table (`version`)."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

from ccxcli.core.catalogue import CATALOGUE

SCHEMA = 12
COMMAND_LINE = "command line"  # who a change outside any request or node message is logged for
MAX_PURCHASED = 1_000_000_000  # per license and virtual account; input is bounded well below

# Schema 3: steady usage history, SSM On-Prem links, the Classic inventory (PAKs, fulfilments).
_V3 = """
ALTER TABLE instance ADD COLUMN via TEXT NOT NULL DEFAULT '';
CREATE TABLE usage_history(uuid TEXT NOT NULL, t_from INTEGER NOT NULL, t_to INTEGER NOT NULL, usage TEXT NOT NULL);
CREATE INDEX usage_history_uuid ON usage_history(uuid, t_to);
CREATE TABLE onprem(name TEXT PRIMARY KEY, pubkey TEXT NOT NULL, vas TEXT NOT NULL, mode TEXT NOT NULL,
                    seq INTEGER NOT NULL DEFAULT 0, last_sync INTEGER);
CREATE TABLE pak(pak TEXT PRIMARY KEY, created INTEGER NOT NULL, va TEXT);
CREATE TABLE pak_line(pak TEXT NOT NULL, alias TEXT NOT NULL, qty INTEGER NOT NULL,
                      assigned INTEGER NOT NULL DEFAULT 0, PRIMARY KEY(pak, alias),
                      CHECK(qty >= 0 AND assigned >= 0 AND assigned <= qty));
CREATE TABLE fulfilment(id INTEGER PRIMARY KEY, pak TEXT NOT NULL, mac TEXT NOT NULL, alias TEXT NOT NULL,
                        qty INTEGER NOT NULL, converted INTEGER NOT NULL DEFAULT 0, t INTEGER NOT NULL,
                        CHECK(qty >= 0 AND converted >= 0 AND converted <= qty));
CREATE INDEX fulfilment_mac ON fulfilment(mac);
"""

# Schema 4: the pool's history (what `license chart` draws): one row per license whenever a
# change moved it, as the pool showed it after the change.
_V4 = """
CREATE TABLE pool_history(va TEXT NOT NULL, alias TEXT NOT NULL, t INTEGER NOT NULL, purchased INTEGER NOT NULL,
                          in_use INTEGER NOT NULL, reserved INTEGER NOT NULL, PRIMARY KEY(va, alias, t));
"""

# Schema 5: clients of Cisco's API (`api-client create`) and the access tokens they were
# given (`/as/token.oauth2`); secrets and tokens are kept as SHA-256 hashes only.
_V5 = """
CREATE TABLE api_client(id TEXT PRIMARY KEY, name TEXT NOT NULL, secret TEXT NOT NULL, vas TEXT NOT NULL,
                        created INTEGER NOT NULL, revoked INTEGER NOT NULL DEFAULT 0);
CREATE TABLE api_token(hash TEXT PRIMARY KEY, client TEXT NOT NULL, expires INTEGER NOT NULL);
CREATE INDEX api_token_expires ON api_token(expires);
"""

# the virtual accounts an event concerns (a JSON list, '' for the account as a whole) and the
# portal's users (a role, an optional virtual account they are limited to, a scrypt hash)
_V6 = """
ALTER TABLE event ADD COLUMN vas TEXT NOT NULL DEFAULT '';
CREATE TABLE portal_user(name TEXT PRIMARY KEY COLLATE NOCASE, role TEXT NOT NULL, va TEXT,
                         salt TEXT NOT NULL, hash TEXT NOT NULL, created INTEGER NOT NULL);
"""

# email notifications, saved before they are sent (`notify`)
_V7 = """
CREATE TABLE mail(id INTEGER PRIMARY KEY, t INTEGER NOT NULL, recipients TEXT NOT NULL, subject TEXT NOT NULL,
                  body TEXT NOT NULL, sent INTEGER NOT NULL DEFAULT 0, error TEXT);
"""

# the secret a node gave at registration, proving its later messages to a served SSM
# (`protocol/proof.py`); '' for instances registered before (their messages are taken unproven)
_V8 = """
ALTER TABLE instance ADD COLUMN proof TEXT NOT NULL DEFAULT '';
"""

# a virtual account's description and commerce access level (PUBLIC or PRIVATE), as Cisco's
# API creates and lists them
_V9 = """
ALTER TABLE va ADD COLUMN description TEXT NOT NULL DEFAULT '';
ALTER TABLE va ADD COLUMN access TEXT NOT NULL DEFAULT 'PUBLIC';
"""

# The current schema, for new databases. Existing ones are brought to it by MIGRATIONS.
# Schema 11: who did what (the Event Log's User): a portal user, an API client, a node, the command line.
# The pool's history also keeps what instances reported (in use is capped at what is free): a
# chart shows when demand went over the pool.
_V11 = """
ALTER TABLE event ADD COLUMN actor TEXT NOT NULL DEFAULT '';
ALTER TABLE pool_history ADD COLUMN reported INTEGER NOT NULL DEFAULT 0;
UPDATE pool_history SET reported = in_use;
"""

# Schema 12: subscription terms. A term's licenses count in `pool.purchased` from its start
# to its end (`state`: pending, active, ended, as `terms.settle` moved it); each issued
# Authorization Code keeps the terms its entitlements carry. Reserved licenses may outlive
# their term (the SSM cannot take them back from an air-gapped node): the pool keeps them
# reserved until the reservation is updated or returned, so `reserved` may exceed `purchased`.
_POOL = f"""
CREATE TABLE {{table}}(va TEXT NOT NULL, alias TEXT NOT NULL, purchased INTEGER NOT NULL DEFAULT 0,
                  used INTEGER NOT NULL DEFAULT 0, reserved INTEGER NOT NULL DEFAULT 0,
                  PRIMARY KEY(va, alias),
                  CHECK(purchased >= 0 AND used >= 0 AND reserved >= 0 AND purchased <= {MAX_PURCHASED}));
"""
_V12 = """
CREATE TABLE term(id INTEGER PRIMARY KEY AUTOINCREMENT, sub TEXT NOT NULL UNIQUE, va TEXT NOT NULL, alias TEXT NOT NULL,
                  qty INTEGER NOT NULL, starts INTEGER NOT NULL, ends INTEGER NOT NULL,
                  state TEXT NOT NULL DEFAULT 'pending', CHECK(qty > 0 AND ends > starts));
CREATE INDEX term_va ON term(va, alias);
ALTER TABLE issued ADD COLUMN terms TEXT NOT NULL DEFAULT '[]';
ALTER TABLE va ADD COLUMN verdict TEXT NOT NULL DEFAULT '[]';
"""

DDL = (
    """
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE va(name TEXT PRIMARY KEY, is_default INTEGER NOT NULL DEFAULT 0,
                version INTEGER NOT NULL DEFAULT 0, short INTEGER NOT NULL DEFAULT 0);
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
                         returned INTEGER, confirmed_ts INTEGER, bad_confirms INTEGER NOT NULL DEFAULT 0);
CREATE INDEX reservation_uuid ON reservation(uuid);
CREATE TABLE issued(reservation INTEGER NOT NULL, ts INTEGER NOT NULL, counts TEXT NOT NULL,
                    code TEXT NOT NULL, PRIMARY KEY(reservation, ts));
CREATE TABLE message(id TEXT PRIMARY KEY, t INTEGER NOT NULL, answer TEXT NOT NULL);
CREATE TABLE event(id INTEGER PRIMARY KEY, t INTEGER NOT NULL, kind TEXT NOT NULL, text TEXT NOT NULL);
"""
    + _V3
    + _V4
    + _V5
    + _V6
    + _V7
    + _V8
    + _V9
    + _V11
    + _POOL.format(table="pool")
    + _V12
)


# MIGRATIONS[n] brings a database of schema n to n + 1, inside one transaction.
MIGRATIONS: dict[int, str] = {
    1: f"""
ALTER TABLE reservation ADD COLUMN confirmed_ts INTEGER;
ALTER TABLE reservation ADD COLUMN bad_confirms INTEGER NOT NULL DEFAULT 0;
UPDATE reservation SET confirmed_ts = ts;
CREATE TABLE issued(reservation INTEGER NOT NULL, ts INTEGER NOT NULL, counts TEXT NOT NULL,
                    code TEXT NOT NULL, PRIMARY KEY(reservation, ts));
CREATE TABLE message(id TEXT PRIMARY KEY, t INTEGER NOT NULL, answer TEXT NOT NULL);
CREATE TABLE pool2(va TEXT NOT NULL, alias TEXT NOT NULL, purchased INTEGER NOT NULL DEFAULT 0,
                   used INTEGER NOT NULL DEFAULT 0, reserved INTEGER NOT NULL DEFAULT 0,
                   PRIMARY KEY(va, alias),
                   CHECK(purchased >= 0 AND used >= 0 AND reserved >= 0 AND reserved <= purchased
                         AND purchased <= {MAX_PURCHASED}));
INSERT INTO pool2 SELECT va, alias, MIN(purchased, {MAX_PURCHASED}), used, reserved FROM pool;
DROP TABLE pool;
ALTER TABLE pool2 RENAME TO pool;
""",
    # accounts made before permission existed behaved as permitted: they stay so
    2: _V3 + "UPDATE meta SET value='1' WHERE key='export_allowed';",
    3: _V4,
    4: _V5,
    5: _V6,
    6: _V7,
    7: _V8,
    8: _V9,
    9: "DELETE FROM meta WHERE key='schema';",  # from now on: PRAGMA user_version
    10: _V11,
    11: _POOL.format(table="pool3")
    + """
INSERT INTO pool3 SELECT va, alias, purchased, used, reserved FROM pool;
DROP TABLE pool;
ALTER TABLE pool3 RENAME TO pool;
"""
    + _V12,
}


def version(db: sqlite3.Connection) -> int:
    """The database's schema (`PRAGMA user_version`; 0 there: a database of schema 1 to 9,
    which kept it in its meta table). TypeError or ValueError when it has neither."""
    found = int(db.execute("PRAGMA user_version").fetchone()[0])
    if found:
        return found
    return int(db.execute("SELECT value FROM meta WHERE key='schema'").fetchone()[0])


def statements(script: str) -> list[str]:
    """A migration's SQL, statement by statement, as SQLite itself reads them (a `;` inside
    a string or a comment does not end one: `sqlite3.complete_statement`)."""
    out: list[str] = []
    part = ""
    for piece in script.split(";"):
        part += piece + ";"
        if sqlite3.complete_statement(part):
            if part.strip(" \n\t;"):
                out.append(part.strip())
            part = ""
    if part.strip(" \n\t;"):
        raise ValueError(f"An incomplete SQL statement in a migration: {part.strip()[:60]}")
    return out


def migrate(db: sqlite3.Connection, schema: int) -> None:
    """Bring a database of `schema` to `SCHEMA`, inside the transaction the caller holds."""
    while schema < SCHEMA:
        for statement in statements(MIGRATIONS[schema]):
            db.execute(statement)
        schema += 1
    db.execute(f"PRAGMA user_version={SCHEMA}")


def foreign(path: str) -> str | None:
    """Why an SSM database file brought from elsewhere (an imported snapshot) is not one ccxcli
    made, or None: it holds a trigger or a view (ccxcli makes neither, and a trigger would run
    at the SSM's next change, wiping its licenses, say), or it cannot be read."""
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            extra = conn.execute("SELECT type, name FROM sqlite_master WHERE type IN ('trigger', 'view')").fetchall()
        finally:
            conn.close()
    except sqlite3.Error:
        return "has no readable database."
    if extra:
        return f"has a {extra[0][0]} '{str(extra[0][1])[:40]}', which ccxcli never makes."
    return None


def write_ahead(db: sqlite3.Connection) -> None:
    """Write-ahead logging: readers never wait for a writer, and a commit is one append (no
    fsync of the database at each one: `synchronous=NORMAL`, which WAL keeps consistent
    through a crash or a SIGKILL at any point; only a power cut may lose the last commits).
    A database still in rollback mode switches the first time nobody else holds it."""
    db.execute("PRAGMA synchronous=NORMAL")
    if db.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
        try:
            db.execute("PRAGMA journal_mode=WAL")
        except sqlite3.OperationalError:
            pass  # another connection holds it: a later opening switches it


def _fresh_db(path: Path) -> Path:
    """A new private, empty database file created exclusively under an unpredictable
    name (so a concurrent `init` or a planted link cannot interfere)."""
    import secrets

    from ccxcli.store.files import create_private

    tmp = path / f".ssm.db.{secrets.token_hex(6)}.new"
    create_private(tmp)
    return tmp


def build(
    path: Path,
    account: str,
    now: int,
    demo: bool,
    on_prem: bool,
    hostname: str | None,
    sans: tuple[str, ...],
    extra: dict[str, str],
) -> None:
    """Write the keys, then the database, and publish the database last (under the init lock)."""
    from ccxcli.protocol.codes import new_signing_key
    from ccxcli.store.files import create_private

    private_pem, public_pem = new_signing_key()
    for name, data in (("key.pem", private_pem), ("public.pem", public_pem)):
        target = path / name
        if target.is_symlink() or target.exists():
            target.unlink()  # left by an init that died before publishing its database; a link is replaced
        create_private(target, data)
    tmp = _fresh_db(path)
    try:
        db = sqlite3.connect(tmp, isolation_level=None)
        db.executescript(DDL)
        db.execute(f"PRAGMA user_version={SCHEMA}")
        meta = {
            "account": account,
            "on_prem": "1" if on_prem else "0",
            "cn": hostname or "",
            "sans": json.dumps(list(sans)),
            "created": str(now),
            "slr_allowed": "1",
            **extra,
        }
        db.executemany("INSERT INTO meta VALUES (?, ?)", meta.items())
        db.execute("INSERT INTO va(name, is_default) VALUES ('DEFAULT', 1)")
        for lic in CATALOGUE:
            db.execute(
                "INSERT INTO pool(va, alias, purchased) VALUES ('DEFAULT', ?, ?)", (lic.alias, lic.demo if demo else 0)
            )
        db.execute(
            "INSERT INTO pool_history(va, alias, t, purchased, in_use, reserved) "
            "SELECT va, alias, ?, purchased, 0, 0 FROM pool WHERE purchased > 0",
            (now,),
        )
        db.execute(
            "INSERT INTO event(t, kind, text, actor) VALUES (?, 'init', ?, ?)",
            (now, f"Smart account '{account}' created" + (" with a demo deposit" if demo else ""), COMMAND_LINE),
        )
        db.close()
        os.replace(tmp, path / "ssm.db")  # never publish a half-made database
    finally:
        try:
            tmp.unlink()
        except OSError:
            pass
