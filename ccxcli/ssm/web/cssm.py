"""Cisco's Smart Accounts and Licensing API, as scripts written for Cisco call it: the paths
under `/services/api/smart-accounts-and-licensing/v1|v2/`, keyed by the smart account's
domain, with a bearer token from OAuth2 (`oauth`).

Every answer is JSON with Cisco's envelope: `status` and `statusMessage` (per item too, in
the families that take several requests at once). The rules are the SSM core's; this
module only reads Cisco's shapes and writes them back. docs/how-to/apis.md lists what is covered.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import NamedTuple

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ccxcli.clock import wall_now
from ccxcli.errors import CcxError, UsageError
from ccxcli.ssm.core import subscriptions
from ccxcli.ssm.core.apiclient import BadCredentials, Client
from ccxcli.ssm.core.db import SsmDb
from ccxcli.ssm.core.rows import TermRow, VaRow
from ccxcli.ssm.web.api import MAX_BODY, counts_from, number
from ccxcli.ssm.web.site import (
    API_WORDS,
    Answer,
    Json,
    Site,
    guarded,
    in_ssm,
    json_object,
    read_body,
    refusal,
    status_of,
)

PREFIX = "/services/api/smart-accounts-and-licensing"
TOKEN_PATHS = ("/as/token.oauth2", "/oauth2/default/v1/token", "/backend/oauth/token")  # the last: SSM On-Prem's
Body = dict[str, object]  # a request's JSON body: anything a client sent
Handler = Callable[[Site, SsmDb, Client, Request, Body], "Json | Answer"]
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


# --- the API's endpoints --------------------------------------------------------------------------


V12 = ("v1", "v2")  # the API versions served (devices/remove: v3 too, Cisco's path for it)


def endpoint(site: Site, fn: Handler, versions: tuple[str, ...] = V12) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return error(
                401,
                "Authorization: Bearer ACCESS_TOKEN is required (from /as/token.oauth2).",
                {"WWW-Authenticate": 'Bearer realm="ccx-ssm"'},
            )
        return await guarded(_answer(site, fn, versions, token.strip(), request), _refused)

    return endpoint


async def _answer(site: Site, fn: Handler, versions: tuple[str, ...], token: str, request: Request) -> Response:
    body: Body = json_object(await read_body(request, MAX_BODY)) if request.method == "POST" else {}
    out = await in_ssm(site, lambda ssm: _call(site, ssm, fn, versions, token, request, body))
    return JSONResponse(out.body, status_code=out.status)


def _refused(e: BaseException) -> Response:
    """Cisco's envelope: `status: ERROR` and the refusal in `statusMessage`."""
    if isinstance(e, BadCredentials):
        return error(401, e.message, {"WWW-Authenticate": 'Bearer error="invalid_token"'})
    r = refusal(e, API_WORDS)
    return error(_http_status(r), r.message)


def _call(
    site: Site, ssm: SsmDb, fn: Handler, versions: tuple[str, ...], token: str, request: Request, body: Body
) -> Answer:
    from ccxcli.ssm.core import apiclient

    client = apiclient.bearer(ssm, token, wall_now())
    ssm.actor = f"API client {client.name}"
    version = request.path_params.get("version")
    if "version" in request.path_params and version not in versions:
        raise NotFound(f"No API version '{str(version)[:20]}' here ({' and '.join(versions)} are served).")
    domain = request.path_params.get("domain")
    if domain is not None and domain.lower() != ssm.domain.lower():
        raise NotFound(f"No smart account with domain '{domain[:100]}' here (this one is '{ssm.domain}').")
    out = fn(site, ssm, client, request, body)
    return out if isinstance(out, Answer) else Answer(out)


def va_of(ssm: SsmDb, client: Client, name: str) -> str:
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


def same_va(va: str, inst_va: str, ident: str) -> None:
    """An instance of another virtual account is answered as an unknown one (the caller's
    virtual account is the one it may see; where the instance is stays unsaid)."""
    if inst_va != va:
        from ccxcli.ssm.core.smart import unknown_instance

        raise unknown_instance(str(ident))


def visible(ssm: SsmDb, client: Client, body: Body) -> list[str]:
    """The body's `virtualAccounts` (none given, or an empty list: every one the client may see)."""
    asked = body.get("virtualAccounts")
    if asked is None or asked == []:  # scripts send the empty list to mean every virtual account
        return [v["name"] for v in ssm.va_list() if client.may(v["name"])]
    if not isinstance(asked, list) or not all(isinstance(v, str) for v in asked):
        raise UsageError("'virtualAccounts' must be a list of virtual account names.")
    return list(dict.fromkeys(va_of(ssm, client, v) for v in asked[:MAX_ITEMS]))


def _page(body: Body, rows: Sequence[Mapping[str, object]], key: str) -> Json:
    limit = number(body.get("limit", 50))
    offset = number(body.get("offset", 0))
    if limit is None or not 1 <= limit <= MAX_PAGE:
        raise UsageError(f"'limit' must be a whole number from 1 to {MAX_PAGE}.")
    if offset is None or offset < 0:
        raise UsageError("'offset' must be a whole number, 0 or more.")
    return listed(key, rows, rows[offset : offset + limit])


def listed(key: str, rows: Sequence[Mapping[str, object]], shown: Sequence[Mapping[str, object]] | None = None) -> Json:
    """A listing's envelope: every row counted (`totalRecords`), the `shown` ones (all) under `key`."""
    return {
        "status": "SUCCESS",
        "statusMessage": f"{len(rows)} found.",
        "totalRecords": len(rows),
        key: rows if shown is None else shown,
    }


def accounts(site: Site, ssm: SsmDb, client: Client, request: Request, body: Body) -> Json:
    if client.vas is None:
        roles = [{"role": "Smart Account Administrator"}]
    else:
        roles = [{"role": "Virtual Account Administrator", "virtualAccount": v} for v in client.vas]
    return {
        "status": "SUCCESS",
        "statusMessage": "1 found.",
        "accounts": [
            {
                "accountName": ssm.account,
                "accountDomain": ssm.domain,
                "accountStatus": "Active",
                "accountType": "CUSTOMER",
                "roles": roles,
            }
        ],
    }


def accounts_search(site: Site, ssm: SsmDb, client: Client, request: Request, body: Body) -> Json:
    """`GET …/accounts/search?domain=D`: the smart account of that domain (this SSM has one)."""
    domain = request.query_params.get("domain", "")
    found = (
        [{"domain": ssm.domain, "name": ssm.account, "id": _account_id(ssm), "type": "CUSTOMER", "status": "ACTIVE"}]
        if not domain or domain.lower() == ssm.domain.lower()
        else []
    )
    return listed("accounts", found)


def _account_id(ssm: SsmDb) -> int:
    """A stable number for the smart account (ours: made from its domain)."""
    import zlib

    return zlib.crc32(ssm.domain.lower().encode()) % 10_000_000


def _customer(request: Request) -> None:
    if request.path_params.get("type", "customer").lower() != "customer":
        raise NotFound(f"No account type '{str(request.path_params.get('type'))[:20]}' here (CUSTOMER).")


def _va_info(v: VaRow) -> Json:
    return {
        "name": v["name"],
        "description": v["description"],
        "isDefault": "true" if v["default"] else "false",
        "virtualAccountId": v["id"],
        "commerceAccessLevel": v["access"],
    }


def virtual_accounts(site: Site, ssm: SsmDb, client: Client, request: Request, body: Body) -> Json:
    _customer(request)
    vas = [_va_info(v) for v in ssm.va_list() if client.may(v["name"])]
    return {
        "status": "SUCCESS",
        "statusMessage": f"{len(vas)} found.",
        "accountName": ssm.account,
        "accountDomain": ssm.domain,
        "virtualAccounts": vas,
    }


def _whole_account(client: Client, what: str) -> None:
    if client.vas is not None:
        raise Forbidden(f"This API client is limited to {', '.join(client.vas)}: it cannot {what}.")


def _text(body: Body, key: str, default: str = "") -> str:
    value = body.get(key, default)
    if not isinstance(value, str):
        raise UsageError(f"'{key}' must be text.")
    return value.strip()


def va_create(site: Site, ssm: SsmDb, client: Client, request: Request, body: Body) -> Answer:
    """`{name, description, isDefault: "false", commerceAccessLevel}` (as public scripts send it)."""
    _customer(request)
    _whole_account(client, "create virtual accounts")
    if _text(body, "isDefault", "false").lower() != "false":
        raise UsageError("A new virtual account cannot be the default one ('isDefault' must be \"false\").")
    name = _text(body, "name")
    ssm.va_create(name, site.now(), _text(body, "description"), _text(body, "commerceAccessLevel", "PUBLIC").upper())
    info = next(_va_info(v) for v in ssm.va_list() if v["name"] == name)
    return Answer(
        {"status": "SUCCESS", "statusMessage": f"Virtual account '{name}' created.", "virtualAccount": info}, 201
    )


def va_delete(site: Site, ssm: SsmDb, client: Client, request: Request, body: Body) -> Json:
    """An empty virtual account (no licenses, instances or limited users) is deleted."""
    _whole_account(client, "delete virtual accounts")
    va = va_of(ssm, client, request.path_params["va"])
    ssm.va_delete(va, site.now())
    return {"status": "SUCCESS", "statusMessage": f"Virtual account '{va}' deleted."}


class Item(NamedTuple):
    """One request's result in a call that takes several, and its HTTP status if it was refused."""

    shown: Json
    refused: int | None = None


def one(action: Callable[[], Json | None], item: Json, done: str, ok: str = "SUCCESS") -> Item:
    """One request of a call that takes several: its own result, its own refusal."""
    try:
        extra = action()
    except BaseException as e:  # each item answers for itself
        if isinstance(e, (KeyboardInterrupt, SystemExit)):
            raise
        r = refusal(e, API_WORDS)
        return Item({**item, "status": "ERROR", "statusMessage": r.message}, _http_status(r))
    return Item({**item, **(extra or {}), "status": ok, "statusMessage": done})


def envelope(items: list[Item], key: str, ok: str) -> Answer:
    """All items done: `ok`; none: ERROR with the first refusal's HTTP status; else PARTIAL."""
    shown = [i.shown for i in items]
    failed = [i.refused for i in items if i.refused is not None]
    if not failed:
        return Answer({"status": ok, "statusMessage": f"{len(items)} of {len(items)} done.", key: shown})
    if len(failed) == len(items):
        return Answer({"status": "ERROR", "statusMessage": shown[0]["statusMessage"], key: shown}, failed[0])
    return Answer(
        {"status": "PARTIAL", "statusMessage": f"{len(items) - len(failed)} of {len(items)} done.", key: shown}
    )


def licenses(site: Site, ssm: SsmDb, client: Client, request: Request, body: Body) -> Json:
    from ccxcli.core.catalogue import BY_ALIAS

    rows = []
    for va in visible(ssm, client, body):
        terms = _terms_of(ssm, va)
        for r in ssm.license_rows(va):
            if not (r["purchased"] or r["reported_usage"] or r["reserved"] or terms.get(r["alias"])):
                continue
            lic = BY_ALIAS[r["alias"]]
            rows.append(
                {
                    "license": lic.name,
                    "entitlementTag": lic.tag,
                    "quantity": r["purchased"],
                    "inUse": r["in_use"],
                    "available": r["available"],
                    "reserved": r["reserved"],
                    "balance": r["balance"],
                    "pendingQuantity": 0,
                    "ahaApps": False,
                    "isPortable": False,
                    "status": "In Compliance" if r["balance"] >= 0 else "Insufficient Licenses",
                    "licenseType": "PERPETUAL",
                    "virtualAccount": va,
                    "billingType": "PREPAID",
                    "licenseSubstitutions": [],
                    "licenseDetails": _details(r["purchased"], terms.get(r["alias"], [])),
                }
            )
            if terms.get(r["alias"]):
                rows[-1]["licenseType"] = "TERM" if r["purchased"] == _in_term(terms[r["alias"]]) else "MIXED"
    return _page(body, rows, "licenses")


def _in_term(subs: list[TermRow]) -> int:
    return sum(t["quantity"] for t in subs if t["status"] == "ACTIVE")


def _details(purchased: int, subs: list[TermRow]) -> list[Json]:
    """A license's `licenseDetails`: its perpetual part, then each subscription not ended."""
    out: list[Json] = []
    perpetual = purchased - _in_term(subs)
    if perpetual or not subs:
        out.append(_detail("PERPETUAL", perpetual, None, "ACTIVE"))
    out += [_detail("TERM", t["quantity"], t, t["status"]) for t in subs]
    return out


def _detail(kind: str, quantity: int, term: TermRow | None, status: str) -> Json:
    return {
        "licenseType": kind,
        "quantity": quantity,
        "startDate": term["start_date"] if term else None,
        "endDate": term["end_date"] if term else None,
        "subscriptionId": term["subscription"] if term else None,
        "status": status,
    }


def _terms_of(ssm: SsmDb, va: str) -> dict[str, list[TermRow]]:
    """Per license, the subscription terms of `va` that have not ended."""
    out: dict[str, list[TermRow]] = {}
    for t in subscriptions.listing(ssm, va):
        if t["status"] != "EXPIRED":
            out.setdefault(t["alias"], []).append(t)
    return out


PRODUCT = {
    "productName": "Cisco Unified Contact Center Express",
    "productType": "UCCX",
    "productDescription": "Unified Contact Center Express (emulated by ccxcli)",
    "productTagName": "regid.2017-11.com.cisco.UCCX,12.5_ccxcli",
}


def devices(site: Site, ssm: SsmDb, client: Client, request: Request, body: Body) -> Json:
    from ccxcli.core.catalogue import BY_ALIAS
    from ccxcli.ssm.core import reserve, smart

    held = {r["sn"]: r for r in reserve.listing(ssm) if r["state"] in ("authorized", "pending confirmation")}
    rows = []
    for va in visible(ssm, client, body):
        for d in smart.instance_list(ssm, va):
            slr = held.get(d["sn"]) if d["kind"] == "slr" else None
            counts = slr["reserved"] if slr else d["usage"]
            rows.append(
                {
                    "sudi": {"udiPid": "UCCX", "udiSerialNumber": d["sn"], "uuid": d["uuid"]},
                    **PRODUCT,
                    "productInstanceId": d["id"],
                    "hostName": d["hostname"],
                    "virtualAccount": va,
                    "status": "ACTIVE",
                    "lastContactDate": d["last_contact"],
                    "registrationDate": d["registered"],
                    "reservationType": "SPECIFIC" if d["kind"] == "slr" else None,
                    "reservationStatus": slr["state"].upper().replace(" ", "_") if slr else None,
                    "licenses": [
                        {"license": BY_ALIAS[a].name, "entitlementTag": BY_ALIAS[a].tag, "quantity": n}
                        for a, n in sorted(counts.items())
                        if n
                    ],
                }
            )
    return _page(body, rows, "devices")


def va_devices(site: Site, ssm: SsmDb, client: Client, request: Request, body: Body) -> Json:
    """`GET …/virtual-accounts/{va}/devices[?limit&offset]`: that virtual account's product instances."""
    va = va_of(ssm, client, request.path_params["va"])
    return devices(site, ssm, client, request, {"virtualAccounts": [va], **dict(request.query_params)})


def fields(item: object) -> Json:
    """A request of a list read as an object (anything else reads as one with no fields)."""
    return item if isinstance(item, dict) else {}


def requests(body: Body, *keys: str) -> list[object]:
    for key in keys:
        items = body.get(key)
        if items is not None:
            if not isinstance(items, list) or not items or len(items) > MAX_ITEMS:
                raise UsageError(f"'{key}' must be a list of 1 to {MAX_ITEMS} requests.")
            return items
    raise UsageError(f"The body needs '{keys[0]}': a list of requests.")


def transfer_licenses(site: Site, ssm: SsmDb, client: Client, request: Request, body: Body) -> Answer:
    """`licenses: [{license (or entitlementTag), licenseType, quantity, targetVirtualAccount,
    precedence}]` (as public scripts send it): each moved on its own from this virtual account."""
    va = va_of(ssm, client, request.path_params["va"])
    out: list[Item] = []
    for item in requests(body, "licenses"):
        shown = {
            k: item.get(k)
            for k in ("license", "entitlementTag", "quantity", "targetVirtualAccount")
            if isinstance(item, dict) and k in item
        }

        def act(item: object = item) -> None:
            if not isinstance(item, dict):
                raise UsageError("Each entry of 'licenses' must be an object.")
            kind = item.get("licenseType", "PERPETUAL")
            if not isinstance(kind, str) or kind.strip().upper() != "PERPETUAL":
                raise UsageError(
                    f"licenseType '{str(kind)[:20]}': only PERPETUAL licenses are transferred "
                    "(a TERM stays in its virtual account)."
                )
            target = va_of(ssm, client, _text(item, "targetVirtualAccount"))
            counts = counts_from([item])
            if len(counts) != 1:
                raise UsageError("Each entry of 'licenses' moves one license: 'license' and a 'quantity' of 1 or more.")
            ((alias, qty),) = counts.items()
            ssm.license_transfer(va, target, alias, qty, site.now())

        out.append(one(act, shown, "Licenses transferred."))
    return envelope(out, "licenses", "SUCCESS")


def license_subscriptions(site: Site, ssm: SsmDb, client: Client, request: Request, body: Body) -> Json:
    """`{virtualAccounts, limit, offset}`: what each virtual account holds of each license, as
    subscriptions: its perpetual licenses (no id, no dates), then each subscription term not
    ended (its id and dates; `inUse` is the license's, the pool does not split it by term)."""
    from ccxcli.core.catalogue import BY_ALIAS

    rows = []
    for va in visible(ssm, client, body):
        terms = _terms_of(ssm, va)
        for r in ssm.license_rows(va):
            lic = BY_ALIAS[r["alias"]]
            for d in _details(r["purchased"], terms.get(r["alias"], [])):
                if d["quantity"]:
                    rows.append(
                        {
                            "subscriptionId": d["subscriptionId"],
                            "virtualAccount": va,
                            "license": lic.name,
                            "entitlementTag": lic.tag,
                            "quantity": d["quantity"],
                            "inUse": r["in_use"],
                            "startDate": d["startDate"],
                            "endDate": d["endDate"],
                            "status": d["status"],
                        }
                    )
    return _page(body, rows, "subscriptions")


def dlc_convert(site: Site, ssm: SsmDb, client: Client, request: Request, body: Body) -> Answer:
    """`devices: [{licenseMac, licenses?}]`: Device Based Conversion (`ccx-ssm dbc convert`) into
    this virtual account, each on its own; a partial one answers the classic license file for
    what remains, made and saved before it is answered."""
    from ccxcli.core.catalogue import BY_ALIAS
    from ccxcli.ssm.core import classic

    va = va_of(ssm, client, request.path_params["va"])
    out: list[Item] = []
    for item in requests(body, "devices", "dlcRequests"):
        mac = item.get("licenseMac") if isinstance(item, dict) else None

        def act(item: object = item, mac: object = mac) -> Json:
            if not isinstance(mac, str):
                raise UsageError("Each request needs the node's 'licenseMac'.")
            asked = counts_from(fields(item)["licenses"]) if fields(item).get("licenses") is not None else None
            done, rest = classic.convert(ssm, mac, va, asked, site.now())
            return {
                "licenses": [
                    {"license": BY_ALIAS[a].name, "entitlementTag": BY_ALIAS[a].tag, "quantity": n}
                    for a, n in sorted(done.items())
                ],
                "classicLicenseFile": rest,
            }

        out.append(one(act, {"licenseMac": mac if isinstance(mac, str) else None}, "Converted."))
    return envelope(out, "devices", "SUCCESS")


A = PREFIX + "/{version}/accounts"
D = A + "/{domain}"
V = D + "/virtual-accounts/{va}"
ROUTES: Routes = [
    ("GET", A, accounts, V12),
    ("GET", A + "/search", accounts_search, V12),
    ("GET", D + "/{type}/virtual-accounts", virtual_accounts, V12),  # CUSTOMER, in any case
    ("POST", D + "/{type}/virtual-accounts", va_create, V12),
    ("DELETE", V, va_delete, V12),
    ("POST", V + "/licenses/transfer", transfer_licenses, V12),
    ("POST", D + "/license-subscriptions", license_subscriptions, V12),
    ("POST", V + "/dlc_convert", dlc_convert, V12),
    ("GET", V + "/devices", va_devices, V12),
    ("POST", D + "/licenses", licenses, V12),
    ("POST", D + "/devices", devices, V12),
]


Routes = list[tuple[str, str, Handler, tuple[str, ...]]]  # method, path, handler, the API versions it serves


def routes(site: Site, table: Routes | None = None) -> list[Route]:
    """The routes of Cisco's API (or of `table`, handlers of the same kind: bearer token, JSON in and out)."""
    return [
        Route(path, endpoint(site, fn, versions), methods=[method])
        for method, path, fn, versions in (ROUTES if table is None else table)
    ]
