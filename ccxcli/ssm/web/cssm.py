"""Cisco's Smart Accounts and Licensing API, as scripts written for Cisco call it: OAuth2
client credentials (`/as/token.oauth2`, `/oauth2/default/v1/token`) and the paths under
`/services/api/smart-accounts-and-licensing/v1|v2/`, keyed by the smart account's domain.

Every answer is JSON with Cisco's envelope: `status` and `statusMessage` (per item too, in
the families that take several requests at once). The rules are the SSM core's; this
module only reads Cisco's shapes and writes them back. The README lists what is covered.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qs

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ccxcli.errors import CcxError, RuleError, UsageError
from ccxcli.ssm.core.apiclient import BadCredentials, Client
from ccxcli.ssm.core.db import Ssm
from ccxcli.ssm.web.api import MAX_BODY, counts_from, number
from ccxcli.ssm.web.site import API_WORDS, Site, TooLarge, json_object, read_body, refusal, status_of

PREFIX = "/services/api/smart-accounts-and-licensing"
TOKEN_PATHS = ("/as/token.oauth2", "/oauth2/default/v1/token", "/backend/oauth/token")  # the last: SSM On-Prem's
Body = dict[str, Any]
Handler = Callable[[Site, Ssm, Client, Request, Body], dict[str, Any]]
MAX_ITEMS = 100  # requests in one call of a family that takes several
MAX_PAGE = 1000


class NotFound(CcxError):
    """No such smart account domain or virtual account (HTTP 404)."""


class Forbidden(CcxError):
    """A call a client limited to some virtual accounts may not make (HTTP 403)."""


def error(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"status": "ERROR", "statusMessage": message}, status_code=status, headers=headers)


def _http_status(e: CcxError) -> int:
    if isinstance(e, NotFound):
        return 404
    if isinstance(e, Forbidden):
        return 403
    return status_of(e)


# --- OAuth2 -----------------------------------------------------------------------------------


def _oauth_error(status: int, code: str, text: str) -> JSONResponse:
    headers = {"Cache-Control": "no-store"}
    if status == 401:
        headers["WWW-Authenticate"] = 'Basic realm="ccx-ssm"'
    return JSONResponse({"error": code, "error_description": text}, status_code=status, headers=headers)


def token_endpoint(site: Site) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        """client_credentials (or password, whose user name and password are not checked:
        the lab has no Cisco.com users) from the form body, the query string or HTTP Basic."""
        try:
            raw = await read_body(request, MAX_BODY)
        except UsageError as e:
            return _oauth_error(413 if isinstance(e, TooLarge) else 400, "invalid_request", e.message)
        try:
            if request.headers.get("content-type", "").split(";")[0].strip().lower() == "application/json":
                form = {k: str(v) for k, v in json_object(raw).items() if isinstance(v, (str, int))}  # SSM On-Prem's
            else:
                form = {k: v[-1] for k, v in parse_qs(raw.decode(), max_num_fields=50).items()}
        except (UnicodeDecodeError, ValueError, UsageError):
            return _oauth_error(400, "invalid_request", "The request body could not be read.")
        given = {**dict(request.query_params), **form}
        client_id, secret = given.get("client_id", ""), given.get("client_secret", "")
        scheme, _, value = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() == "basic":
            try:
                client_id, _, secret = base64.b64decode(value.strip(), validate=True).decode().partition(":")
            except (ValueError, UnicodeDecodeError):
                return _oauth_error(401, "invalid_client", "The Basic credentials could not be read.")
        grant = given.get("grant_type", "")
        if not grant:
            return _oauth_error(400, "invalid_request", "grant_type is required (client_credentials).")
        if grant not in ("client_credentials", "password"):
            return _oauth_error(400, "unsupported_grant_type", f"grant_type '{grant[:40]}' is not supported.")
        if not client_id or not secret:
            return _oauth_error(401, "invalid_client", "client_id and client_secret are required.")
        try:
            answer = await run_in_threadpool(_grant, site, client_id, secret)
        except BadCredentials as e:
            return _oauth_error(401, "invalid_client", e.message)
        except BaseException as e:  # noqa: BLE001 - one answer for every refusal
            if isinstance(e, (KeyboardInterrupt, SystemExit)):
                raise
            r = refusal(e)
            return _oauth_error(status_of(r), "server_error", r.message)
        return JSONResponse(answer, headers={"Cache-Control": "no-store", "Pragma": "no-cache"})

    return endpoint


def _grant(site: Site, client_id: str, secret: str) -> dict[str, Any]:
    from ccxcli.ssm.core import apiclient

    with site.ssm() as ssm:
        return apiclient.grant(ssm, client_id, secret, int(time.time()))


# --- the API's endpoints --------------------------------------------------------------------------


def _endpoint(site: Site, fn: Handler) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return error(401, "Authorization: Bearer ACCESS_TOKEN is required (from /as/token.oauth2).",
                         {"WWW-Authenticate": 'Bearer realm="ccx-ssm"'})  # fmt: skip
        body: Body = {}
        if request.method == "POST":
            try:
                body = json_object(await read_body(request, MAX_BODY))
            except UsageError as e:
                return error(413 if isinstance(e, TooLarge) else 400, e.message)
        try:
            result, status = await run_in_threadpool(_call, site, fn, token.strip(), request, body)
        except BaseException as e:  # noqa: BLE001 - one answer for every refusal
            if isinstance(e, (KeyboardInterrupt, SystemExit)):
                raise
            if isinstance(e, BadCredentials):
                return error(401, e.message, {"WWW-Authenticate": 'Bearer error="invalid_token"'})
            r = refusal(e, API_WORDS)
            return error(_http_status(r), r.message)
        return JSONResponse(result, status_code=status)

    return endpoint


def _call(site: Site, fn: Handler, token: str, request: Request, body: Body) -> tuple[dict[str, Any], int]:
    from ccxcli.ssm.core import apiclient

    with site.ssm() as ssm:
        client = apiclient.bearer(ssm, token, int(time.time()))
        version = request.path_params.get("version")
        if (
            "version" in request.path_params
            and version not in ("v1", "v2")
            and not (version == "v3" and fn is remove_devices)
        ):
            raise NotFound(f"No API version '{str(version)[:20]}' here (v1 and v2 are served; v3 for devices/remove).")
        domain = request.path_params.get("domain")
        if domain is not None and domain.lower() != ssm.domain.lower():
            raise NotFound(f"No smart account with domain '{domain[:100]}' here (this one is '{ssm.domain}').")
        result = fn(site, ssm, client, request, body)
        return result, int(result.pop("_http", 200))


def _va(ssm: Ssm, client: Client, name: str) -> str:
    """A virtual account named in the path or the body that the client may see. One it may
    not see is answered exactly as one that does not exist, and the accounts a refusal names
    are the client's own: a limited client learns nothing of the others."""
    try:
        va = ssm.va(name)
    except UsageError:
        va = None
    if va is None or not client.may(va):
        known = ", ".join(v["name"] for v in ssm.va_list() if client.may(v["name"]))
        raise NotFound(f"No virtual account '{str(name)[:64]}'. Known: {known or 'none'}.")
    return va


def _same_va(va: str, inst_va: str, ident: str) -> None:
    """An instance of another virtual account is answered as an unknown one (the caller's
    virtual account is the one it may see; where the instance is stays unsaid)."""
    if inst_va != va:
        from ccxcli.ssm.core.smart import unknown_instance

        raise unknown_instance(str(ident))


def _visible(ssm: Ssm, client: Client, body: Body) -> list[str]:
    """The body's `virtualAccounts` (none given, or an empty list: every one the client may see)."""
    asked = body.get("virtualAccounts")
    if asked is None or asked == []:  # scripts send the empty list to mean every virtual account
        return [v["name"] for v in ssm.va_list() if client.may(v["name"])]
    if not isinstance(asked, list) or not all(isinstance(v, str) for v in asked):
        raise UsageError("'virtualAccounts' must be a list of virtual account names.")
    return list(dict.fromkeys(_va(ssm, client, v) for v in asked[:MAX_ITEMS]))


def _page(body: Body, rows: list[dict[str, Any]], key: str) -> dict[str, Any]:
    limit = number(body.get("limit", 50))
    offset = number(body.get("offset", 0))
    if limit is None or not 1 <= limit <= MAX_PAGE:
        raise UsageError(f"'limit' must be a whole number from 1 to {MAX_PAGE}.")
    if offset is None or offset < 0:
        raise UsageError("'offset' must be a whole number, 0 or more.")
    return _listed(key, rows, rows[offset : offset + limit])


def _listed(key: str, rows: list[dict[str, Any]], shown: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """A listing's envelope: every row counted (`totalRecords`), the `shown` ones (all) under `key`."""
    return {"status": "SUCCESS", "statusMessage": f"{len(rows)} found.", "totalRecords": len(rows),
            key: rows if shown is None else shown}  # fmt: skip


def accounts(site: Site, ssm: Ssm, client: Client, request: Request, body: Body) -> dict[str, Any]:
    if client.vas is None:
        roles = [{"role": "Smart Account Administrator"}]
    else:
        roles = [{"role": "Virtual Account Administrator", "virtualAccount": v} for v in client.vas]
    return {"status": "SUCCESS", "statusMessage": "1 found.",
            "accounts": [{"accountName": ssm.account, "accountDomain": ssm.domain, "accountStatus": "Active",
                          "accountType": "CUSTOMER", "roles": roles}]}  # fmt: skip


def accounts_search(site: Site, ssm: Ssm, client: Client, request: Request, body: Body) -> dict[str, Any]:
    """`GET …/accounts/search?domain=D`: the smart account of that domain (this SSM has one)."""
    domain = request.query_params.get("domain", "")
    found = [{"domain": ssm.domain, "name": ssm.account, "id": _account_id(ssm), "type": "CUSTOMER",
              "status": "ACTIVE"}] if not domain or domain.lower() == ssm.domain.lower() else []  # fmt: skip
    return _listed("accounts", found)


def _account_id(ssm: Ssm) -> int:
    """A stable number for the smart account (ours: made from its domain)."""
    import zlib

    return zlib.crc32(ssm.domain.lower().encode()) % 10_000_000


def _customer(request: Request) -> None:
    if request.path_params.get("type", "customer").lower() != "customer":
        raise NotFound(f"No account type '{str(request.path_params.get('type'))[:20]}' here (CUSTOMER).")


def _va_info(v: dict[str, Any]) -> dict[str, Any]:
    return {"name": v["name"], "description": v["description"], "isDefault": "true" if v["default"] else "false",
            "virtualAccountId": v["id"], "commerceAccessLevel": v["access"]}  # fmt: skip


def virtual_accounts(site: Site, ssm: Ssm, client: Client, request: Request, body: Body) -> dict[str, Any]:
    _customer(request)
    vas = [_va_info(v) for v in ssm.va_list() if client.may(v["name"])]
    return {"status": "SUCCESS", "statusMessage": f"{len(vas)} found.", "accountName": ssm.account,
            "accountDomain": ssm.domain, "virtualAccounts": vas}  # fmt: skip


def _whole_account(client: Client, what: str) -> None:
    if client.vas is not None:
        raise Forbidden(f"This API client is limited to {', '.join(client.vas)}: it cannot {what}.")


def _text(body: Body, key: str, default: str = "") -> str:
    value = body.get(key, default)
    if not isinstance(value, str):
        raise UsageError(f"'{key}' must be text.")
    return value.strip()


def va_create(site: Site, ssm: Ssm, client: Client, request: Request, body: Body) -> dict[str, Any]:
    """`{name, description, isDefault: "false", commerceAccessLevel}` (as public scripts send it)."""
    _customer(request)
    _whole_account(client, "create virtual accounts")
    if _text(body, "isDefault", "false").lower() != "false":
        raise UsageError("A new virtual account cannot be the default one ('isDefault' must be \"false\").")
    name = _text(body, "name")
    ssm.va_create(name, site.now(), _text(body, "description"), _text(body, "commerceAccessLevel", "PUBLIC").upper())
    info = next(_va_info(v) for v in ssm.va_list() if v["name"] == name)
    return {"status": "SUCCESS", "statusMessage": f"Virtual account '{name}' created.", "virtualAccount": info,
            "_http": 201}  # fmt: skip


def va_delete(site: Site, ssm: Ssm, client: Client, request: Request, body: Body) -> dict[str, Any]:
    """An empty virtual account (no licenses, instances or limited users) is deleted."""
    _whole_account(client, "delete virtual accounts")
    va = _va(ssm, client, request.path_params["va"])
    ssm.va_delete(va, site.now())
    return {"status": "SUCCESS", "statusMessage": f"Virtual account '{va}' deleted."}


_TOKEN_STATUS = {"active": "VALID", "expired": "EXPIRED", "revoked": "REVOKED", "used up": "USED"}


def tokens(site: Site, ssm: Ssm, client: Client, request: Request, body: Body) -> dict[str, Any]:
    from ccxcli.ssm.core import smart

    va = _va(ssm, client, request.path_params["va"])
    mine = [t for t in smart.token_list(ssm, site.now()) if t["va"] == va][::-1]  # newest first
    # valid tokens first (a stable sort keeps newest first within each): scripts take tokens[0],
    # and create one only when the list is empty
    mine.sort(key=lambda t: t["state"] != "active")
    return {"status": "SUCCESS", "statusMessage": f"{len(mine)} found.", "tokens": [_token_info(t) for t in mine]}


def _token_info(t: dict[str, Any]) -> dict[str, Any]:
    return {"token": t["token"], "description": t["description"], "expirationDate": t["expires"],
            "createdBy": "ccx-ssm", "creationDate": t["created"], "virtualAccount": t["va"],
            "exportControlled": "Allowed" if t["export_controlled"] else "Not Allowed",
            "status": _TOKEN_STATUS.get(t["state"], t["state"].upper()), "maxUses": t["max_uses"],
            "uses": t["uses"]}  # fmt: skip


def token_create(site: Site, ssm: Ssm, client: Client, request: Request, body: Body) -> dict[str, Any]:
    from ccxcli.ssm.core import smart

    va = _va(ssm, client, request.path_params["va"])
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


def token_revoke(site: Site, ssm: Ssm, client: Client, request: Request, body: Body) -> dict[str, Any]:
    from ccxcli.ssm.core import smart

    va = _va(ssm, client, request.path_params["va"])
    items = body.get("tokens")
    if not isinstance(items, list) or not items:
        raise UsageError("'tokens' must be a list of tokens (strings, or objects with 'token').")
    known = {t["token"]: t["va"] for t in smart.token_list(ssm, site.now())}
    out = []
    for item in items[:MAX_ITEMS]:
        tok = item.get("token") if isinstance(item, dict) else item
        if not isinstance(tok, str):
            out.append({"token": None, "status": "ERROR", "statusMessage": "A token must be text."})
            continue

        def act(tok: str = tok) -> None:
            _revoke_in(ssm, site, known, va, tok)

        out.append(_one(act, {"token": tok}, "Token revoked."))
    return _envelope(out, "tokens", "SUCCESS")


def _revoke_in(ssm: Ssm, site: Site, known: dict[str, str], va: str, token: str) -> None:
    from ccxcli.ssm.core import smart

    if known.get(token.strip()) not in (None, va):
        raise RuleError(f"The token belongs to another virtual account, not '{va}'.")
    smart.token_revoke(ssm, token.strip(), site.now())


def _one(action: Callable[[], Any], item: dict[str, Any], done: str, ok: str = "SUCCESS") -> dict[str, Any]:
    """One request of a call that takes several: its own result, its own refusal."""
    try:
        extra = action()
    except BaseException as e:  # noqa: BLE001 - each item answers for itself
        if isinstance(e, (KeyboardInterrupt, SystemExit)):
            raise
        r = refusal(e, API_WORDS)
        return {**item, "status": "ERROR", "statusMessage": r.message, "_http": _http_status(r)}
    return {**item, **(extra or {}), "status": ok, "statusMessage": done}


def _envelope(items: list[dict[str, Any]], key: str, ok: str) -> dict[str, Any]:
    """All items done: `ok`; none: ERROR with the first refusal's HTTP status; else PARTIAL."""
    codes = [i.pop("_http", None) for i in items]
    failed = [c for c in codes if c is not None]
    if not failed:
        return {"status": ok, "statusMessage": f"{len(items)} of {len(items)} done.", key: items}
    if len(failed) == len(items):
        return {"status": "ERROR", "statusMessage": items[0]["statusMessage"], key: items, "_http": failed[0]}
    return {"status": "PARTIAL", "statusMessage": f"{len(items) - len(failed)} of {len(items)} done.", key: items}


def licenses(site: Site, ssm: Ssm, client: Client, request: Request, body: Body) -> dict[str, Any]:
    from ccxcli.core.catalogue import BY_ALIAS

    rows = []
    for va in _visible(ssm, client, body):
        for r in ssm.license_rows(va):
            if not (r["purchased"] or r["reported_usage"] or r["reserved"]):
                continue
            lic = BY_ALIAS[r["alias"]]
            rows.append({"license": lic.name, "entitlementTag": lic.tag, "quantity": r["purchased"],
                         "inUse": r["in_use"], "available": r["available"], "reserved": r["reserved"],
                         "balance": r["balance"], "pendingQuantity": 0, "ahaApps": False, "isPortable": False,
                         "status": "In Compliance" if r["balance"] >= 0 else "Insufficient Licenses",
                         "licenseType": "PERPETUAL", "virtualAccount": va, "billingType": "PREPAID",
                         "licenseSubstitutions": [],
                         "licenseDetails": [{"licenseType": "PERPETUAL", "quantity": r["purchased"],
                                             "startDate": None, "endDate": None, "subscriptionId": None,
                                             "status": "ACTIVE"}]})  # fmt: skip
    return _page(body, rows, "licenses")


PRODUCT = {"productName": "Cisco Unified Contact Center Express", "productType": "UCCX",
           "productDescription": "Unified Contact Center Express (emulated by ccxcli)",
           "productTagName": "regid.2017-11.com.cisco.UCCX,12.5_ccxcli"}  # fmt: skip


def devices(site: Site, ssm: Ssm, client: Client, request: Request, body: Body) -> dict[str, Any]:
    from ccxcli.core.catalogue import BY_ALIAS
    from ccxcli.ssm.core import reserve, smart

    held = {r["sn"]: r for r in reserve.listing(ssm) if r["state"] in ("authorized", "pending confirmation")}
    rows = []
    for va in _visible(ssm, client, body):
        for d in smart.instance_list(ssm, va):
            slr = held.get(d["sn"]) if d["kind"] == "slr" else None
            counts = slr["reserved"] if slr else d["usage"]
            rows.append({"sudi": {"udiPid": "UCCX", "udiSerialNumber": d["sn"], "uuid": d["uuid"]},
                         **PRODUCT, "productInstanceId": d["id"], "hostName": d["hostname"],
                         "virtualAccount": va, "status": "ACTIVE", "lastContactDate": d["last_contact"],
                         "registrationDate": d["registered"],
                         "reservationType": "SPECIFIC" if d["kind"] == "slr" else None,
                         "reservationStatus": slr["state"].upper().replace(" ", "_") if slr else None,
                         "licenses": [{"license": BY_ALIAS[a].name, "entitlementTag": BY_ALIAS[a].tag,
                                       "quantity": n} for a, n in sorted(counts.items()) if n]})  # fmt: skip
    return _page(body, rows, "devices")


def va_devices(site: Site, ssm: Ssm, client: Client, request: Request, body: Body) -> dict[str, Any]:
    """`GET …/virtual-accounts/{va}/devices[?limit&offset]`: that virtual account's product instances."""
    va = _va(ssm, client, request.path_params["va"])
    return devices(site, ssm, client, request, {"virtualAccounts": [va], **dict(request.query_params)})


def _requests(body: Body, *keys: str) -> list[Any]:
    for key in keys:
        items = body.get(key)
        if items is not None:
            if not isinstance(items, list) or not items or len(items) > MAX_ITEMS:
                raise UsageError(f"'{key}' must be a list of 1 to {MAX_ITEMS} requests.")
            return items
    raise UsageError(f"The body needs '{keys[0]}': a list of requests.")


def reserve_licenses(site: Site, ssm: Ssm, client: Client, request: Request, body: Body) -> dict[str, Any]:
    """`reservationRequests: [{reservationCode, reservationType, licenses}]`: one
    Authorization Code per request, each reserved on its own."""
    from ccxcli.ssm.core import reserve

    va = _va(ssm, client, request.path_params["va"])
    out = []
    for item in _requests(body, "reservationRequests"):
        code = item.get("reservationCode") if isinstance(item, dict) else None
        shown = {"reservationCode": code.strip() if isinstance(code, str) else None}

        def act(item: Any = item, code: Any = code) -> dict[str, Any]:
            if not isinstance(item, dict) or not isinstance(code, str) or not code.strip():
                raise UsageError("Each reservation request needs a 'reservationCode'.")
            kind = str(item.get("reservationType", "SPECIFIC")).upper()
            if kind != "SPECIFIC":
                raise UsageError(f"reservationType '{kind[:20]}': only SPECIFIC reservations exist for UCCX.")
            auth = reserve.authorize(ssm, va, code.strip(), counts_from(item.get("licenses")), site.now())
            return {"authorizationCode": auth}

        out.append(_one(act, shown, "Licenses reserved.", ok="COMPLETE"))
    return _envelope(out, "authorizationCodes", "COMPLETE")


def _instance_of(item: Any) -> str:
    """The product instance a request names: `sudi.udiSerialNumber`, `serialNumber` or
    `productInstanceId`."""
    if isinstance(item, dict):
        sudi = item.get("sudi")
        for v in (sudi.get("udiSerialNumber") if isinstance(sudi, dict) else None, item.get("serialNumber"),
                  item.get("productInstanceId")):  # fmt: skip
            if isinstance(v, (str, int)) and not isinstance(v, bool) and str(v).strip():
                return str(v).strip()
    raise UsageError("Each request needs the product instance: 'sudi': {'udiSerialNumber': SN}.")


def _in_va(ssm: Ssm, va: str, ident: str) -> None:
    from ccxcli.ssm.core import reserve

    r = reserve.find(ssm, ident)
    _same_va(va, r["va"], ident)


def update_licenses(site: Site, ssm: Ssm, client: Client, request: Request, body: Body) -> dict[str, Any]:
    """`reservationUpdateRequests: [{sudi, productTagName, licenses: [{entitlementTag, quantity,
    precedence}]}]` as public scripts for Cisco's API send it (`updateRequests` too): a new
    Authorization Code per product instance (`authorizationCodes[i].authorizationCode`); the pool
    holds the higher counts until its Confirmation Code comes back."""
    from ccxcli.ssm.core import reserve

    va = _va(ssm, client, request.path_params["va"])
    out = []
    for item in _requests(body, "reservationUpdateRequests", "updateRequests", "reservationRequests"):

        def act(item: Any = item) -> dict[str, Any]:
            ident = _instance_of(item)
            _in_va(ssm, va, ident)
            return {"authorizationCode": reserve.update(ssm, ident, counts_from(item.get("licenses")), site.now())}

        out.append(_one(act, _shown(item), "Reservation updated; install the code, then send its Confirmation Code.",
                        ok="COMPLETE"))  # fmt: skip
    return _envelope(out, "authorizationCodes", "COMPLETE")


def _shown(item: Any) -> dict[str, Any]:
    try:
        return {"udiSerialNumber": _instance_of(item)}
    except UsageError:
        return {"udiSerialNumber": None}


def confirm_licenses(site: Site, ssm: Ssm, client: Client, request: Request, body: Body) -> dict[str, Any]:
    """`reservationConfirmationRequests: [{sudi, productTagName, confirmationCode}]` as public
    scripts send it (`confirmationRequests` too): the node installed its update."""
    from ccxcli.ssm.core import reserve

    va = _va(ssm, client, request.path_params["va"])
    out = []
    for item in _requests(body, "reservationConfirmationRequests", "confirmationRequests", "confirmRequests"):

        def act(item: Any = item) -> None:
            ident = _instance_of(item)
            code = item.get("confirmationCode")
            if not isinstance(code, str) or not code.strip():
                raise UsageError("Each request needs its 'confirmationCode'.")
            _in_va(ssm, va, ident)
            reserve.confirm(ssm, ident, code.strip(), site.now())

        out.append(_one(act, _shown(item), "Confirmation Code accepted.", ok="COMPLETE"))
    return _envelope(out, "confirmations", "COMPLETE")


def remove_devices(site: Site, ssm: Ssm, client: Client, request: Request, body: Body) -> dict[str, Any]:
    """`productInstacesRemoveRequests` (v2, Cisco's own spelling) or `productInstancesRemoveRequests`
    (v3): `[{sudi, productTagName, returnCode}]`, as public scripts send it (`productInstances`
    with `reservationReturnCode` too): each removed, `status` SUCCESS; one holding a reservation
    needs its Reservation Return Code."""
    from ccxcli.ssm.core import smart

    va = _va(ssm, client, request.path_params["va"])
    out = []
    keys = ("productInstacesRemoveRequests", "productInstancesRemoveRequests", "productInstances", "devices")
    for item in _requests(body, *keys):

        def act(item: Any = item) -> None:
            ident = _instance_of(item)
            inst = smart.instance(ssm, ident)
            _same_va(va, inst["va"], ident)
            code = item.get("reservationReturnCode", item.get("returnCode"))
            if code is not None and not isinstance(code, str):
                raise UsageError("'reservationReturnCode' must be text.")
            smart.instance_remove(ssm, str(inst["id"]), site.now(), code.strip() if code else None)

        out.append(_one(act, _shown(item), "Product instance removed."))
    return _envelope(out, "productInstances", "SUCCESS")


def transfer_licenses(site: Site, ssm: Ssm, client: Client, request: Request, body: Body) -> dict[str, Any]:
    """`licenses: [{license (or entitlementTag), licenseType, quantity, targetVirtualAccount,
    precedence}]` (as public scripts send it): each moved on its own from this virtual account."""
    va = _va(ssm, client, request.path_params["va"])
    out = []
    for item in _requests(body, "licenses"):
        shown = {k: item.get(k) for k in ("license", "entitlementTag", "quantity", "targetVirtualAccount")
                 if isinstance(item, dict) and k in item}  # fmt: skip

        def act(item: Any = item) -> None:
            if not isinstance(item, dict):
                raise UsageError("Each entry of 'licenses' must be an object.")
            kind = item.get("licenseType", "PERPETUAL")
            if not isinstance(kind, str) or kind.strip().upper() != "PERPETUAL":
                raise UsageError(f"licenseType '{str(kind)[:20]}': this account's licenses are PERPETUAL.")
            target = _va(ssm, client, _text(item, "targetVirtualAccount"))
            counts = counts_from([item])
            if len(counts) != 1:
                raise UsageError("Each entry of 'licenses' moves one license: 'license' and a 'quantity' of 1 or more.")
            ((alias, qty),) = counts.items()
            ssm.license_transfer(va, target, alias, qty, site.now())

        out.append(_one(act, shown, "Licenses transferred."))
    return _envelope(out, "licenses", "SUCCESS")


def transfer_devices(site: Site, ssm: Ssm, client: Client, request: Request, body: Body) -> dict[str, Any]:
    """`productInstances: [{sudi, productTagName, targetVirtualAccount}]` (`devices` too; a
    `targetVirtualAccount` beside the list is every item's default): each product instance moves
    from this virtual account, one with a reservation together with what it holds."""
    from ccxcli.ssm.core import smart

    va = _va(ssm, client, request.path_params["va"])
    default = body.get("targetVirtualAccount")
    out = []
    for item in _requests(body, "productInstances", "devices", "productInstanceTransferRequests"):

        def act(item: Any = item) -> dict[str, Any]:
            ident = _instance_of(item)
            inst = smart.instance(ssm, ident)
            _same_va(va, inst["va"], ident)
            named = item.get("targetVirtualAccount", default)
            if not isinstance(named, str) or not named.strip():
                raise UsageError("Each request needs its 'targetVirtualAccount' (or one beside the list).")
            target = _va(ssm, client, named.strip())
            smart.instance_transfer(ssm, str(inst["id"]), target, site.now())
            return {"targetVirtualAccount": target}

        out.append(_one(act, _shown(item), "Product instance transferred."))
    return _envelope(out, "productInstances", "SUCCESS")


def license_subscriptions(site: Site, ssm: Ssm, client: Client, request: Request, body: Body) -> dict[str, Any]:
    """`{virtualAccounts, limit, offset}`: what each virtual account holds of each license, as
    subscriptions (the lab's licenses have no terms: no id and no dates)."""
    from ccxcli.core.catalogue import BY_ALIAS

    rows = []
    for va in _visible(ssm, client, body):
        for r in ssm.license_rows(va):
            if r["purchased"]:
                lic = BY_ALIAS[r["alias"]]
                rows.append({"subscriptionId": None, "virtualAccount": va, "license": lic.name,
                             "entitlementTag": lic.tag, "quantity": r["purchased"], "inUse": r["in_use"],
                             "startDate": None, "endDate": None, "status": "ACTIVE"})  # fmt: skip
    return _page(body, rows, "subscriptions")


def dlc_convert(site: Site, ssm: Ssm, client: Client, request: Request, body: Body) -> dict[str, Any]:
    """`devices: [{licenseMac, licenses?}]`: Device Based Conversion (`ccx-ssm dbc convert`) into
    this virtual account, each on its own; a partial one answers the classic license file for
    what remains, made and saved before it is answered."""
    from ccxcli.core.catalogue import BY_ALIAS
    from ccxcli.ssm.core import classic

    va = _va(ssm, client, request.path_params["va"])
    out = []
    for item in _requests(body, "devices", "dlcRequests"):
        mac = item.get("licenseMac") if isinstance(item, dict) else None

        def act(item: Any = item, mac: Any = mac) -> dict[str, Any]:
            if not isinstance(mac, str):
                raise UsageError("Each request needs the node's 'licenseMac'.")
            asked = counts_from(item["licenses"]) if item.get("licenses") is not None else None
            done, rest = classic.convert(ssm, mac, va, asked, site.now())
            return {"licenses": [{"license": BY_ALIAS[a].name, "entitlementTag": BY_ALIAS[a].tag, "quantity": n}
                                 for a, n in sorted(done.items())], "classicLicenseFile": rest}  # fmt: skip

        out.append(_one(act, {"licenseMac": mac if isinstance(mac, str) else None}, "Converted."))
    return _envelope(out, "devices", "SUCCESS")


# --- SSM On-Prem's own API, as monitoring tools poll it ------------------------------------------
# (The shapes public monitoring code reads: the Centreon plugin for SSM On-Prem posts `{limit: -1}`
# with a bearer token from `/backend/oauth/token`, reads `licenses[].{license, status, inUse,
# available, quantity}` and `alerts[].{messageType, severity, source}`.)


def _on_prem_account(ssm: Ssm, request: Request) -> None:
    if not ssm.on_prem:
        raise NotFound("This SSM is not an SSM On-Prem: its monitoring API is served by an on-prem's 'ccx-ssm serve'.")
    name = request.path_params["account"]
    if name.lower() != ssm.account.lower():
        raise NotFound(f"No account '{name[:100]}' on this SSM On-Prem (its account is '{ssm.account}').")


def on_prem_licenses(site: Site, ssm: Ssm, client: Client, request: Request, body: Body) -> dict[str, Any]:
    """Every license of the account the client may see, its virtual accounts added up."""
    from ccxcli.core.catalogue import BY_ALIAS

    _on_prem_account(ssm, request)
    total: dict[str, dict[str, int]] = {}
    for va in _visible(ssm, client, {}):
        for r in ssm.license_rows(va):
            t = total.setdefault(r["alias"], {"quantity": 0, "inUse": 0, "available": 0, "reserved": 0, "balance": 0})
            for key, col in (("quantity", "purchased"), ("inUse", "in_use"), ("available", "available"),
                             ("reserved", "reserved"), ("balance", "balance")):  # fmt: skip
                t[key] += r[col]
    rows = [{"license": BY_ALIAS[a].name, "entitlementTag": BY_ALIAS[a].tag, **{k: v for k, v in t.items()
             if k != "balance"}, "status": "In Compliance" if t["balance"] >= 0 else "Insufficient Licenses"}
            for a, t in sorted(total.items()) if t["quantity"] or t["inUse"] or t["reserved"]]  # fmt: skip
    return _listed("licenses", rows)


def on_prem_alerts(site: Site, ssm: Ssm, client: Client, request: Request, body: Body) -> dict[str, Any]:
    """The account's alerts the client may see: `messageType`, `severity` (Major or Minor), `source`."""
    from ccxcli.ssm.core import smart

    _on_prem_account(ssm, request)
    rows = [{"messageType": a["type"], "severity": a["severity"].capitalize(),
             "source": a["va"] if a["va"] not in ("", "-") else ssm.account, "message": a["message"]}
            for a in smart.alerts(ssm, site.now()) if a["va"] in ("", "-") or client.may(a["va"])]  # fmt: skip
    return _listed("alerts", rows)


A = PREFIX + "/{version}/accounts"
D = A + "/{domain}"
V = D + "/virtual-accounts/{va}"
ROUTES: list[tuple[str, str, Handler]] = [
    ("GET", A, accounts),
    ("GET", A + "/search", accounts_search),
    ("GET", D + "/{type}/virtual-accounts", virtual_accounts),  # CUSTOMER, in any case
    ("POST", D + "/{type}/virtual-accounts", va_create),
    ("DELETE", V, va_delete),
    ("POST", V + "/licenses/transfer", transfer_licenses),
    ("POST", V + "/devices/transfer", transfer_devices),
    ("POST", D + "/license-subscriptions", license_subscriptions),
    ("POST", V + "/dlc_convert", dlc_convert),
    ("GET", V + "/devices", va_devices),
    ("GET", V + "/tokens", tokens),
    ("POST", V + "/tokens", token_create),
    ("POST", V + "/tokens/revoke", token_revoke),
    ("POST", D + "/licenses", licenses),
    ("POST", D + "/devices", devices),
    ("POST", V + "/reserve-licenses", reserve_licenses),
    ("POST", V + "/update-licenses", update_licenses),
    ("POST", V + "/confirm-licenses", confirm_licenses),
    ("POST", V + "/devices/remove", remove_devices),  # v2 and v3 (Cisco's path for v3)
    ("POST", "/api/v1/accounts/{account}/licenses", on_prem_licenses),  # SSM On-Prem's own
    ("POST", "/api/v1/accounts/{account}/alerts", on_prem_alerts),
]


def routes(site: Site) -> list[Route]:
    out = [Route(p, token_endpoint(site), methods=["POST"]) for p in TOKEN_PATHS]
    for method, path, fn in ROUTES:
        out.append(Route(path, _endpoint(site, fn), methods=[method]))
    return out


# Every prefix a script or device might call on Cisco (the Smart Accounts API, OAuth2, the
# software APIs, SSM On-Prem's backend, the transport gateway, Smart Receiver, Call Home): an
# unknown path there is answered in JSON, never the portal's plain text.
JSON_PATHS = ("/services/", "/api/", "/as/", "/oauth2/", "/software/", "/backend/", "/Transportgateway/",
              "/SmartTransport/", "/licservice/", "/its/")  # fmt: skip


async def not_there(request: Request, exc: Exception) -> Response:
    """404 and 405 under the API paths in the envelope Cisco's clients read; elsewhere plain."""
    from starlette.exceptions import HTTPException
    from starlette.responses import PlainTextResponse

    code = exc.status_code if isinstance(exc, HTTPException) else 500
    if request.url.path.startswith(JSON_PATHS):
        what = "No such endpoint" if code == 404 else f"Method {request.method} is not allowed here"
        return error(code, f"{what}: {request.url.path[:200]}.")
    return PlainTextResponse("Not Found" if code == 404 else "Method Not Allowed", status_code=code)


class CollapseSlashes:
    """Cisco's gateway takes `//services/api//…`: repeated slashes in a path are one."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and "//" in scope["path"]:
            path = "/" + "/".join(p for p in scope["path"].split("/") if p)
            scope = {**scope, "path": path, "raw_path": path.encode()}
        await self.app(scope, receive, send)
