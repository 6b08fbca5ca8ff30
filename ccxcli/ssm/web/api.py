"""The JSON API (`/api/v1/…`): the portal's actions for scripts. Where Cisco's public Smart
Accounts and Licensing API names an operation (tokens, licenses, reserve-licenses), the
paths and field names follow it; everything else uses the same style. Every answer is
JSON; a refusal is `{"status": "ERROR", "statusMessage": …, "error": {kind, message}}` with
HTTP 400 (bad request), 401, 404, 409 (refused by a licensing rule) or 503 (store busy)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ccxcli.errors import UsageError
from ccxcli.ssm.core.db import SsmDb
from ccxcli.ssm.web.site import Site, api_error, guarded, in_ssm, json_object, read_body
from ccxcli.store.lab import ssm_dir

MAX_BODY = 512 * 1024
Body = dict[str, object]  # a request's JSON body: anything a client sent
Handler = Callable[[Site, SsmDb, Request, Body], object]


def _endpoint(site: Site, fn: Handler, method: str) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        if not site.api_allowed(request):
            return JSONResponse(
                {
                    "status": "ERROR",
                    "statusMessage": "Authentication required: Authorization: Bearer PASSWORD.",
                    "error": {"kind": "auth", "message": "Authentication required."},
                },
                status_code=401,
                headers={"WWW-Authenticate": 'Basic realm="ccx-ssm"'},
            )
        return await guarded(_answer(site, fn, method, request), api_error)

    return endpoint


async def _answer(site: Site, fn: Handler, method: str, request: Request) -> Response:
    body: Body = {}
    if method == "POST":
        # JSON only: a browser cannot send it from another site without asking first (CORS)
        if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
            raise UsageError("Send the request body as application/json.")
        body = json_object(await read_body(request, MAX_BODY))
    # the password proves no user: its changes are the API's as a whole
    return JSONResponse(await in_ssm(site, lambda ssm: fn(site, ssm, request, body), actor="ccxcli API"))


def _str(body: Body, key: str, default: str | None = None) -> str:
    v = body.get(key, default)
    if not isinstance(v, str):
        raise UsageError(f"'{key}' must be a string.")
    return v


def _int(body: Body, key: str, default: int | None = None) -> int | None:
    v = body.get(key, default)
    if v is not None and (not isinstance(v, int) or isinstance(v, bool)):
        raise UsageError(f"'{key}' must be a whole number.")
    return v


def counts_from(items: Any) -> dict[str, int]:
    """Cisco's `licenses: [{entitlementTag | license, quantity}]` as counts per alias: a
    license by its tag, its name or its alias; a quantity as a number or digits in a string
    (as Cisco's gateway takes them)."""
    from ccxcli.core.catalogue import BY_TAG, CATALOGUE
    from ccxcli.ssm.core.reserve import parse_counts

    by_name = {lic.name.lower(): lic for lic in CATALOGUE}
    if not isinstance(items, list) or not items:
        raise UsageError("'licenses' must be a list of {entitlementTag or license, quantity}.")
    specs = []
    for item in items[:64]:
        if not isinstance(item, dict):
            raise UsageError("Each entry of 'licenses' must be an object.")
        name = item.get("license") or item.get("entitlementTag")
        qty = number(item.get("quantity"))
        if not isinstance(name, str) or qty is None:
            raise UsageError("Each license needs 'entitlementTag' (or 'license') and a whole 'quantity'.")
        lic = BY_TAG.get(name.strip()) or by_name.get(name.strip().lower())
        specs.append(f"{lic.alias if lic else name}={qty}")
    return parse_counts(specs)


def number(v: object) -> int | None:
    """A whole number sent as a number or as digits in a string; None for anything else."""
    if isinstance(v, bool):
        return None
    if isinstance(v, int):
        return v
    if isinstance(v, str) and v.strip().isascii() and v.strip().lstrip("-").isdigit() and len(v.strip()) < 19:
        return int(v.strip())
    return None


def _check_account(ssm: SsmDb, request: Request) -> None:
    given = request.path_params.get("account")
    if given is not None and given.lower() != ssm.account.lower():
        raise UsageError(f"No smart account '{given}' here; this SSM's account is '{ssm.account}'.")


# --- handlers -------------------------------------------------------------------------------


def account(site: Site, ssm: SsmDb, request: Request, body: Body) -> object:
    return {
        "name": ssm.account,
        "onPrem": ssm.on_prem,
        "exportControlledAllowed": ssm.export_allowed,
        "slrAllowed": ssm.slr_allowed,
        "names": ssm.names(),
    }


def va_list(site: Site, ssm: SsmDb, request: Request, body: Body) -> object:
    _check_account(ssm, request)
    return {
        "virtualAccounts": [
            {"name": r["name"], "isDefault": bool(r["default"]), "instances": r["instances"]} for r in ssm.va_list()
        ]
    }


def va_create(site: Site, ssm: SsmDb, request: Request, body: Body) -> object:
    _check_account(ssm, request)
    name = _str(body, "name")
    ssm.va_create(name, site.now())
    return {"status": "SUCCESS", "name": name}


def va_delete(site: Site, ssm: SsmDb, request: Request, body: Body) -> object:
    _check_account(ssm, request)
    name = request.path_params["va"]
    ssm.va_delete(name, site.now())
    return {"status": "SUCCESS", "deleted": name}


def licenses(site: Site, ssm: SsmDb, request: Request, body: Body) -> object:
    from ccxcli.core.catalogue import BY_ALIAS

    _check_account(ssm, request)
    va = ssm.va(request.path_params["va"])
    return {
        "virtualAccount": va,
        "licenses": [
            {
                "license": r["alias"],
                "entitlementTag": BY_ALIAS[r["alias"]].tag,
                "description": BY_ALIAS[r["alias"]].name,
                "quantity": r["purchased"],
                "inUse": r["in_use"],
                "reserved": r["reserved"],
                "available": r["available"],
                "balance": r["balance"],
                "status": "In Compliance" if r["balance"] >= 0 else "Insufficient Licenses",
            }
            for r in ssm.license_rows(va)
        ],
    }


def license_transfer(site: Site, ssm: SsmDb, request: Request, body: Body) -> object:
    from ccxcli.core.catalogue import license_alias

    _check_account(ssm, request)
    src = ssm.va(request.path_params["va"])
    alias = license_alias(_str(body, "license"))
    qty = _int(body, "quantity")
    if qty is None:
        raise UsageError("'quantity' is required: how many licenses to transfer.")
    dst = _str(body, "to")
    ssm.license_transfer(src, dst, alias, qty, site.now())
    return {"status": "SUCCESS", "license": alias, "quantity": qty, "from": src, "to": ssm.va(dst)}


def tokens(site: Site, ssm: SsmDb, request: Request, body: Body) -> object:
    from ccxcli.ssm.core import smart

    _check_account(ssm, request)
    va = ssm.va(request.path_params["va"])
    return {"tokens": [t for t in smart.token_list(ssm, site.now()) if t["va"] == va]}


def token_create(site: Site, ssm: SsmDb, request: Request, body: Body) -> object:
    from ccxcli.ssm.core import smart

    _check_account(ssm, request)
    va = ssm.va(request.path_params["va"])
    days = _int(body, "expiresAfterDays", 30)
    export = body.get("exportControlled", False)
    if not isinstance(export, bool):
        raise UsageError("'exportControlled' must be true or false.")
    now = site.now()
    token = smart.token_create(ssm, va, now, days or 0, _int(body, "maxUses"), _str(body, "description", ""), export)
    info = next(t for t in smart.token_list(ssm, now) if t["token"] == token)
    return {
        "status": "SUCCESS",
        "statusMessage": "Token created.",
        "tokenInfo": {
            "token": token,
            "expirationDate": info["expires"],
            "description": info["description"],
            "exportControlled": export,
            "virtualAccount": va,
            "maxUses": info["max_uses"],
        },
    }


def token_revoke(site: Site, ssm: SsmDb, request: Request, body: Body) -> object:
    from ccxcli.ssm.core import smart

    _check_account(ssm, request)
    items = body.get("tokens")
    if not isinstance(items, list) or not items or not all(isinstance(t, str) for t in items):
        raise UsageError("'tokens' must be a list of tokens.")
    for t in items[:100]:
        smart.token_revoke(ssm, t, site.now())
    return {"status": "SUCCESS", "revoked": items[:100]}


def devices(site: Site, ssm: SsmDb, request: Request, body: Body) -> object:
    from ccxcli.ssm.core import smart

    _check_account(ssm, request)
    return {"devices": smart.instance_list(ssm, request.path_params["va"])}


def instance(site: Site, ssm: SsmDb, request: Request, body: Body) -> object:
    from ccxcli.ssm.core import smart

    return smart.instance_detail(ssm, request.path_params["id"])


def instance_remove(site: Site, ssm: SsmDb, request: Request, body: Body) -> object:
    from ccxcli.ssm.core import smart

    ident = request.path_params["id"]
    code = body.get("returnCode")
    if code is not None and not isinstance(code, str):
        raise UsageError("'returnCode' must be a string.")
    force = body.get("force", False)
    if not isinstance(force, bool):
        raise UsageError("'force' must be true or false.")
    smart.instance_remove(ssm, ident, site.now(), code.strip() if code else None, force)
    return {"status": "SUCCESS", "removed": ident}


def instance_transfer(site: Site, ssm: SsmDb, request: Request, body: Body) -> object:
    from ccxcli.ssm.core import smart

    ident, to = request.path_params["id"], _str(body, "to")
    smart.instance_transfer(ssm, ident, to, site.now())
    return {"status": "SUCCESS", "transferred": ident, "to": ssm.va(to)}


def reserve_licenses(site: Site, ssm: SsmDb, request: Request, body: Body) -> object:
    """Cisco's shape: {reservationRequests: [{reservationCode, reservationType: SPECIFIC, licenses}]}."""
    from ccxcli.ssm.core import reserve

    _check_account(ssm, request)
    va = ssm.va(request.path_params["va"])
    reqs = body.get("reservationRequests")
    if not isinstance(reqs, list) or len(reqs) != 1 or not isinstance(reqs[0], dict):
        raise UsageError("'reservationRequests' must hold one request.")
    one = reqs[0]
    if one.get("reservationType", "SPECIFIC") != "SPECIFIC":
        raise UsageError("Only SPECIFIC reservations exist for UCCX.")
    code = reserve.authorize(
        ssm, va, _str(one, "reservationCode").strip(), counts_from(one.get("licenses")), site.now()
    )
    done = {"authorizationCode": code, "status": "COMPLETE", "reservationCode": one["reservationCode"].strip()}
    return {"status": "COMPLETE", "authorizationCodes": [done]}


def reservations(site: Site, ssm: SsmDb, request: Request, body: Body) -> object:
    from ccxcli.ssm.core import reserve

    return {"reservations": reserve.listing(ssm)}


def reservation_code(site: Site, ssm: SsmDb, request: Request, body: Body) -> object:
    from ccxcli.ssm.core import reserve

    return {"authorizationCode": reserve.issued_code(ssm, request.path_params["id"])}


def reservation_update(site: Site, ssm: SsmDb, request: Request, body: Body) -> object:
    from ccxcli.ssm.core import reserve

    code = reserve.update(ssm, request.path_params["id"], counts_from(body.get("licenses")), site.now())
    return {"status": "COMPLETE", "authorizationCode": code}


def reservation_confirm(site: Site, ssm: SsmDb, request: Request, body: Body) -> object:
    from ccxcli.ssm.core import reserve

    reserve.confirm(ssm, request.path_params["id"], _str(body, "confirmationCode").strip(), site.now())
    return {"status": "SUCCESS"}


def reservation_return(site: Site, ssm: SsmDb, request: Request, body: Body) -> object:
    from ccxcli.ssm.core import reserve

    done = reserve.give_back(ssm, _str(body, "returnCode").strip(), site.now())
    return {"status": "SUCCESS", **done}


def events(site: Site, ssm: SsmDb, request: Request, body: Body) -> object:
    from ccxcli.ssm.core import smart
    from ccxcli.values import whole

    last = whole(request.query_params.get("last", "50"), "last", 0, 10_000)
    return {"events": smart.events(ssm, last)}


def alerts(site: Site, ssm: SsmDb, request: Request, body: Body) -> object:
    from ccxcli.ssm.core import smart

    return {"alerts": smart.alerts(ssm, site.now())}


def sync_status(site: Site, ssm: SsmDb, request: Request, body: Body) -> object:
    from ccxcli.ssm.core import sync

    return sync.status(ssm) if ssm.on_prem else {"onPrem": sync.links(ssm)}


def sync_now(site: Site, ssm: SsmDb, request: Request, body: Body) -> object:
    return run_sync(site, ssm)


def run_sync(site: Site, ssm: SsmDb) -> dict[str, Any]:
    """A connected SSM On-Prem of a lab synchronizes with the lab's cloud SSM now."""
    from ccxcli.ssm.core import sync

    home = site.lab_home()
    if not ssm.on_prem or home is None:
        raise UsageError("Only an SSM On-Prem of a lab synchronizes from here (files: 'ccx-ssm sync export').")
    ssm.close()
    return sync.run(site.folder, lambda name: ssm_dir(home, name), site.now())


A = "/api/v1/accounts/{account}/virtual-accounts"
ROUTES: list[tuple[str, str, Handler]] = [
    ("GET", "/api/v1/account", account),
    ("GET", A, va_list),
    ("POST", A, va_create),
    ("POST", A + "/{va}/delete", va_delete),
    ("GET", A + "/{va}/licenses", licenses),
    ("POST", A + "/{va}/licenses/transfer", license_transfer),
    ("GET", A + "/{va}/tokens", tokens),
    ("POST", A + "/{va}/tokens", token_create),
    ("POST", A + "/{va}/tokens/revoke", token_revoke),
    ("GET", A + "/{va}/devices", devices),
    ("POST", A + "/{va}/reserve-licenses", reserve_licenses),
    ("GET", "/api/v1/instances/{id}", instance),
    ("POST", "/api/v1/instances/{id}/remove", instance_remove),
    ("POST", "/api/v1/instances/{id}/transfer", instance_transfer),
    ("GET", "/api/v1/reservations", reservations),
    ("GET", "/api/v1/reservations/{id}/code", reservation_code),
    ("POST", "/api/v1/reservations/{id}/update", reservation_update),
    ("POST", "/api/v1/reservations/{id}/confirm", reservation_confirm),
    ("POST", "/api/v1/reservations/return", reservation_return),
    ("GET", "/api/v1/events", events),
    ("GET", "/api/v1/alerts", alerts),
    ("GET", "/api/v1/sync", sync_status),
    ("POST", "/api/v1/sync", sync_now),
]


def routes(site: Site) -> list[Route]:
    return [Route(path, _endpoint(site, fn, method), methods=[method]) for method, path, fn in ROUTES]
