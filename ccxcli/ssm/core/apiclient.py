"""Clients of Cisco's Smart Accounts and Licensing API and their OAuth2 access tokens.

A client (`ccx-ssm api-client create`) has an id, a secret shown once and an optional list
of virtual accounts it is limited to. It trades its id and secret for a bearer token
(`client_credentials`, as Cisco's identity service answers it) that expires on the wall
clock. Only SHA-256 hashes of secrets and tokens are stored: a copy of the database lets
nobody call the API.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import sqlite3
from typing import Any, NamedTuple

from ccxcli.clock import iso
from ccxcli.errors import RuleError, UsageError
from ccxcli.ssm.core.db import SsmDb

TOKEN_LIFETIME = 3600  # seconds, as Cisco's identity service gives
MAX_CLIENTS = 1000


class BadCredentials(RuleError):
    """Unknown client, wrong secret, or an access token that is unknown or expired (HTTP 401)."""


class Client(NamedTuple):
    """Who an access token belongs to: the client's id, name and the virtual accounts it
    may see (None: all of them)."""

    id: str
    name: str
    vas: list[str] | None

    def may(self, va: str) -> bool:
        return self.vas is None or va.lower() in (v.lower() for v in self.vas)


def _hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()


def create(ssm: SsmDb, name: str, vas: list[str], now: int) -> tuple[str, str]:
    """A new client: (its id, its secret). The secret is saved (hashed) before it is returned."""
    from ccxcli.values import plain_text

    plain_text(name, "An API client name", 64)
    with ssm.tx() as db:
        if db.execute("SELECT COUNT(*) FROM api_client WHERE revoked=0").fetchone()[0] >= MAX_CLIENTS:
            raise RuleError(f"This SSM already has {MAX_CLIENTS} API clients; revoke some first.")
        limited = sorted({ssm.va(v) for v in vas})
        client_id, secret = secrets.token_hex(16), secrets.token_urlsafe(32)
        db.execute(
            "INSERT INTO api_client(id, name, secret, vas, created) VALUES (?, ?, ?, ?, ?)",
            (client_id, name, _hash(secret), json.dumps(limited), now),
        )
        scope = f" limited to {', '.join(limited)}" if limited else ""
        ssm.event(now, "api", f"API client '{name}' ({client_id}) created{scope}")
    return client_id, secret


def listing(ssm: SsmDb) -> list[dict[str, Any]]:
    return [
        {
            "client_id": r["id"],
            "name": r["name"],
            "virtual_accounts": json.loads(r["vas"]) or None,
            "created": iso(r["created"]),
            "revoked": bool(r["revoked"]),
        }
        for r in ssm.db.execute("SELECT * FROM api_client ORDER BY created, rowid")
    ]


def revoke(ssm: SsmDb, client_id: str, now: int) -> None:
    """The client can no longer get tokens, and the tokens it has stop working."""
    cid = client_id.strip().lower()[:64]
    with ssm.tx() as db:
        r = db.execute("SELECT name, revoked FROM api_client WHERE id=?", (cid,)).fetchone()
        if r is None:
            raise UsageError(f"No API client '{cid}' (see 'ccx-ssm api-client list').")
        if r["revoked"]:
            raise RuleError(f"API client '{r['name']}' is already revoked.")
        db.execute("UPDATE api_client SET revoked=1 WHERE id=?", (cid,))
        db.execute("DELETE FROM api_token WHERE client=?", (cid,))
        ssm.event(now, "api", f"API client '{r['name']}' ({cid}) revoked")


def _client(ssm: SsmDb, client_id: str) -> sqlite3.Row | None:
    row: sqlite3.Row | None = ssm.db.execute(
        "SELECT * FROM api_client WHERE id=? AND revoked=0", (client_id.strip().lower()[:64],)
    ).fetchone()
    return row


def grant(ssm: SsmDb, client_id: str, secret: str, wall: int) -> dict[str, Any]:
    """An access token for a client's id and secret (BadCredentials: unknown client or wrong secret)."""
    with ssm.tx() as db:
        r = _client(ssm, client_id)
        if r is None or not hmac.compare_digest(r["secret"], _hash(secret)):
            raise BadCredentials("Invalid client credentials.")
        db.execute("DELETE FROM api_token WHERE expires <= ?", (wall,))
        token = secrets.token_urlsafe(32)
        db.execute("INSERT INTO api_token VALUES (?, ?, ?)", (_hash(token), r["id"], wall + TOKEN_LIFETIME))
    return {"access_token": token, "token_type": "Bearer", "expires_in": TOKEN_LIFETIME}


def bearer(ssm: SsmDb, token: str, wall: int) -> Client:
    """The client a bearer token belongs to (BadCredentials: unknown or expired token)."""
    row = ssm.db.execute(
        "SELECT c.id, c.name, c.vas, t.expires FROM api_token t JOIN api_client c ON c.id = t.client "
        "WHERE t.hash=? AND c.revoked=0",
        (_hash(token.strip()),),
    ).fetchone()
    if row is None:
        raise BadCredentials("The access token is not valid; get one from /as/token.oauth2.")
    if row["expires"] <= wall:
        raise BadCredentials("The access token has expired; get a new one from /as/token.oauth2.")
    vas = json.loads(row["vas"])
    return Client(row["id"], row["name"], vas or None)
