"""Cisco's API for registration tokens: a virtual account's tokens (valid ones first, as
scripts take `tokens[0]`), a new one, and revoking several at once (each item answers for itself)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.routing import Route

from ccxcli.errors import RuleError, UsageError
from ccxcli.ssm.core.apiclient import Client
from ccxcli.ssm.core.db import SsmDb
from ccxcli.ssm.core.rows import TokenRow
from ccxcli.ssm.web import cssm
from ccxcli.ssm.web.api import number
from ccxcli.ssm.web.cssm import MAX_ITEMS, V12, Body, Item, Routes, V, envelope, one, va_of
from ccxcli.ssm.web.site import Answer, Json, Site

_TOKEN_STATUS = {"active": "VALID", "expired": "EXPIRED", "revoked": "REVOKED", "used up": "USED"}


def tokens(site: Site, ssm: SsmDb, client: Client, request: Request, body: Body) -> Json:
    from ccxcli.ssm.core import smart

    va = va_of(ssm, client, request.path_params["va"])
    mine = [t for t in smart.token_list(ssm, site.now()) if t["va"] == va][::-1]  # newest first
    # valid tokens first (a stable sort keeps newest first within each): scripts take tokens[0],
    # and create one only when the list is empty
    mine.sort(key=lambda t: t["state"] != "active")
    return {"status": "SUCCESS", "statusMessage": f"{len(mine)} found.", "tokens": [_token_info(t) for t in mine]}


def _token_info(t: TokenRow) -> Json:
    return {
        "token": t["token"],
        "description": t["description"],
        "expirationDate": t["expires"],
        "createdBy": "ccx-ssm",
        "creationDate": t["created"],
        "virtualAccount": t["va"],
        "exportControlled": "Allowed" if t["export_controlled"] else "Not Allowed",
        "status": _TOKEN_STATUS.get(t["state"], t["state"].upper()),
        "maxUses": t["max_uses"],
        "uses": t["uses"],
    }


def token_create(site: Site, ssm: SsmDb, client: Client, request: Request, body: Body) -> Json:
    from ccxcli.ssm.core import smart

    va = va_of(ssm, client, request.path_params["va"])
    days = number(body.get("expiresAfterDays", 30))
    if days is None:
        raise UsageError("'expiresAfterDays' must be a whole number of days.")
    export = body.get("exportControlled", False)
    if isinstance(export, str):
        if export.strip().lower() not in ("allowed", "not allowed", "true", "false"):
            raise UsageError("'exportControlled' must be 'Allowed' or 'Not Allowed'.")
        export = export.strip().lower() in ("allowed", "true")
    if not isinstance(export, bool):
        raise UsageError("'exportControlled' must be 'Allowed' or 'Not Allowed'.")
    description = body.get("description", "")
    if not isinstance(description, str):
        raise UsageError("'description' must be text.")
    uses = body.get("maxUses")
    max_uses = None if uses is None else number(uses)
    if uses is not None and max_uses is None:
        raise UsageError("'maxUses' must be a whole number.")
    now = site.now()
    token = smart.token_create(ssm, va, now, days, max_uses, description, export)
    info = next(t for t in smart.token_list(ssm, now) if t["token"] == token)
    return {"status": "SUCCESS", "statusMessage": "Token created.", "tokenInfo": _token_info(info)}


def token_revoke(site: Site, ssm: SsmDb, client: Client, request: Request, body: Body) -> Answer:
    from ccxcli.ssm.core import smart

    va = va_of(ssm, client, request.path_params["va"])
    items = body.get("tokens")
    if not isinstance(items, list) or not items:
        raise UsageError("'tokens' must be a list of tokens (strings, or objects with 'token').")
    known = {t["token"]: t["va"] for t in smart.token_list(ssm, site.now())}
    out: list[Item] = []
    for item in items[:MAX_ITEMS]:
        tok = item.get("token") if isinstance(item, dict) else item
        if not isinstance(tok, str):
            out.append(Item({"token": None, "status": "ERROR", "statusMessage": "A token must be text."}, 400))
            continue

        def act(tok: str = tok) -> None:
            _revoke_in(ssm, site, known, va, tok)

        out.append(one(act, {"token": tok}, "Token revoked."))
    return envelope(out, "tokens", "SUCCESS")


def _revoke_in(ssm: SsmDb, site: Site, known: dict[str, str], va: str, token: str) -> None:
    from ccxcli.ssm.core import smart

    if known.get(token.strip()) not in (None, va):
        raise RuleError(f"The token belongs to another virtual account, not '{va}'.")
    smart.token_revoke(ssm, token.strip(), site.now())


ROUTES: Routes = [
    ("GET", V + "/tokens", tokens, V12),
    ("POST", V + "/tokens", token_create, V12),
    ("POST", V + "/tokens/revoke", token_revoke, V12),
]


def routes(site: Site) -> list[Route]:
    return cssm.routes(site, ROUTES)
