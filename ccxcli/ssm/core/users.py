"""The portal's users: who may log in to the served SSM's portal, with which role, limited to
which virtual account.

The roles are CSSM's, reduced to three:

- `admin` (Smart Account Administrator): everything, every virtual account;
- `user` (Virtual Account User; Smart Account User when not limited): tokens, reservations and
  product instances of the virtual accounts it sees; no virtual accounts, license moves or
  synchronization;
- `viewer` (Virtual Account Viewer): reads only.

A user limited to a virtual account sees only that account's licenses, tokens, product
instances and events, and can act on nothing else. Passwords are kept as scrypt hashes.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from typing import Any, NamedTuple

from ccxcli.clock import iso
from ccxcli.errors import RuleError, UsageError
from ccxcli.ssm.core.db import SsmDb

ROLES = {
    "admin": "Smart Account Administrator",
    "user": "Virtual Account User",
    "viewer": "Virtual Account Viewer",
}
MAX_USERS = 1000
MIN_PASSWORD = 8
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,63}")
_SCRYPT = {"n": 2**14, "r": 8, "p": 1, "dklen": 32}


class User(NamedTuple):
    """A logged-in portal user: the role and the virtual account it is limited to (None: all)."""

    name: str
    role: str
    va: str | None

    @property
    def title(self) -> str:
        if self.role == "user" and self.va is None:
            return "Smart Account User"
        return ROLES[self.role]

    def sees(self, va: str) -> bool:
        return self.va is None or self.va.lower() == va.lower()

    def acts(self, va: str) -> bool:
        """May change what belongs to this virtual account (tokens, reservations, instances)."""
        return self.role != "viewer" and self.sees(va)

    @property
    def manages(self) -> bool:
        """May change the account itself: virtual accounts, license moves, synchronization."""
        return self.role == "admin"


ADMIN = User("admin", "admin", None)  # the served SSM's own password (--password-file) or --no-auth


def _hash(password: str, salt: bytes) -> str:
    return hashlib.scrypt(password.encode("utf-8", "surrogateescape"), salt=salt, **_SCRYPT).hex()


def add(ssm: SsmDb, name: str, role: str, va: str | None, password: str, now: int) -> User:
    if not _NAME.fullmatch(name):
        raise UsageError("A user name is 1 to 64 letters, digits and . _ @ - (starting with a letter or digit).")
    if name.lower() == ADMIN.name:
        raise UsageError("'admin' is the served SSM's own password (--password-file); choose another name.")
    if role not in ROLES:
        raise UsageError(f"Unknown role '{role}'. Roles: {', '.join(ROLES)}.")
    if role == "admin" and va:
        raise UsageError("A Smart Account Administrator sees every virtual account; give --va to user or viewer.")
    if len(password) < MIN_PASSWORD:
        raise UsageError(f"The password must have at least {MIN_PASSWORD} characters.")
    salt = secrets.token_bytes(16)
    digest = _hash(password, salt)
    with ssm.tx() as db:
        scope = ssm.va(va) if va else None
        if db.execute("SELECT 1 FROM portal_user WHERE name=?", (name,)).fetchone():
            raise RuleError(f"Portal user '{name}' already exists; remove it first to change it.")
        if db.execute("SELECT COUNT(*) FROM portal_user").fetchone()[0] >= MAX_USERS:
            raise RuleError(f"This SSM already has {MAX_USERS} portal users.")
        db.execute(
            "INSERT INTO portal_user(name, role, va, salt, hash, created) VALUES (?, ?, ?, ?, ?, ?)",
            (name, role, scope, salt.hex(), digest, now),
        )
        where = f" limited to '{scope}'" if scope else ""
        ssm.event(now, "user", f"Portal user '{name}' added ({ROLES[role]}{where})", *([scope] if scope else []))
    return User(name, role, scope)


def remove(ssm: SsmDb, name: str, now: int) -> None:
    with ssm.tx() as db:
        r = db.execute("SELECT name, va FROM portal_user WHERE name=?", (name,)).fetchone()
        if r is None:
            raise RuleError(f"No portal user '{name}'.")
        db.execute("DELETE FROM portal_user WHERE name=?", (r["name"],))
        ssm.event(now, "user", f"Portal user '{r['name']}' removed", *([r["va"]] if r["va"] else []))


def listing(ssm: SsmDb) -> list[dict[str, Any]]:
    return [
        {
            "name": r["name"],
            "role": r["role"],
            "title": User(r["name"], r["role"], r["va"]).title,
            "virtual_account": r["va"],
            "created": iso(r["created"]),
        }
        for r in ssm.db.execute("SELECT * FROM portal_user ORDER BY name")
    ]


class Credential(NamedTuple):
    """What the database holds to check a user's password: read under the database's lock,
    checked after it is released (scrypt takes tens of milliseconds by design)."""

    user: User | None  # None: no such user (the check does the same work and fails)
    salt: bytes
    digest: str


def lookup(ssm: SsmDb, name: str) -> Credential:
    r = ssm.db.execute("SELECT * FROM portal_user WHERE name=?", (name[:64],)).fetchone() if name else None
    if r is None:
        return Credential(None, b"\0" * 16, "")
    return Credential(User(r["name"], r["role"], r["va"]), bytes.fromhex(r["salt"]), r["hash"])


def verify(cred: Credential, password: str) -> User | None:
    """The user these credentials belong to, or None (the same work either way); no database."""
    digest = _hash(password[:1024], cred.salt)
    if cred.user is None or not hmac.compare_digest(digest, cred.digest):
        return None
    return cred.user


def check(ssm: SsmDb, name: str, password: str) -> User | None:
    """`lookup` then `verify` (where holding the database meanwhile does not matter)."""
    return verify(lookup(ssm, name), password)


def current(ssm: SsmDb, user: User) -> User | None:
    """The user as the database has it now (None: removed since it logged in)."""
    if user == ADMIN:
        return user
    r = ssm.db.execute("SELECT * FROM portal_user WHERE name=?", (user.name,)).fetchone()
    return User(r["name"], r["role"], r["va"]) if r else None
