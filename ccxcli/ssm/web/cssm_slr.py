"""Cisco's API for the SLR family and the moves of a product instance: reserve, update,
confirm, remove (v2 with Cisco's own misspelling, v3) and transfer, in the keys public scripts
written for Cisco send. `cssm` holds what every call of Cisco's API shares."""

from __future__ import annotations

from starlette.requests import Request
from starlette.routing import Route

from ccxcli.errors import UsageError
from ccxcli.ssm.core.apiclient import Client
from ccxcli.ssm.core.db import SsmDb
from ccxcli.ssm.web import cssm
from ccxcli.ssm.web.api import counts_from
from ccxcli.ssm.web.cssm import V12, Body, Item, Routes, V, envelope, fields, one, requests, same_va, va_of
from ccxcli.ssm.web.site import Answer, Json, Site


def reserve_licenses(site: Site, ssm: SsmDb, client: Client, request: Request, body: Body) -> Answer:
    """`reservationRequests: [{reservationCode, reservationType, licenses}]`: one
    Authorization Code per request, each reserved on its own."""
    from ccxcli.ssm.core import reserve

    va = va_of(ssm, client, request.path_params["va"])
    out: list[Item] = []
    for item in requests(body, "reservationRequests"):
        code = item.get("reservationCode") if isinstance(item, dict) else None
        shown: Json = {"reservationCode": code.strip() if isinstance(code, str) else None}

        def act(item: object = item, code: object = code) -> Json:
            if not isinstance(item, dict) or not isinstance(code, str) or not code.strip():
                raise UsageError("Each reservation request needs a 'reservationCode'.")
            kind = str(item.get("reservationType", "SPECIFIC")).upper()
            if kind != "SPECIFIC":
                raise UsageError(f"reservationType '{kind[:20]}': only SPECIFIC reservations exist for UCCX.")
            auth = reserve.authorize(ssm, va, code.strip(), counts_from(item.get("licenses")), site.now())
            return {"authorizationCode": auth}

        out.append(one(act, shown, "Licenses reserved.", ok="COMPLETE"))
    return envelope(out, "authorizationCodes", "COMPLETE")


def _instance_of(item: object) -> str:
    """The product instance a request names: `sudi.udiSerialNumber`, `serialNumber` or
    `productInstanceId`."""
    if isinstance(item, dict):
        sudi = item.get("sudi")
        for v in (
            sudi.get("udiSerialNumber") if isinstance(sudi, dict) else None,
            item.get("serialNumber"),
            item.get("productInstanceId"),
        ):
            if isinstance(v, (str, int)) and not isinstance(v, bool) and str(v).strip():
                return str(v).strip()
    raise UsageError("Each request needs the product instance: 'sudi': {'udiSerialNumber': SN}.")


def _inva_of(ssm: SsmDb, va: str, ident: str) -> None:
    from ccxcli.ssm.core import reserve

    r = reserve.find(ssm, ident)
    same_va(va, r["va"], ident)


def update_licenses(site: Site, ssm: SsmDb, client: Client, request: Request, body: Body) -> Answer:
    """`reservationUpdateRequests: [{sudi, productTagName, licenses: [{entitlementTag, quantity,
    precedence}]}]` as public scripts for Cisco's API send it (`updateRequests` too): a new
    Authorization Code per product instance (`authorizationCodes[i].authorizationCode`); the pool
    holds the higher counts until its Confirmation Code comes back."""
    from ccxcli.ssm.core import reserve

    va = va_of(ssm, client, request.path_params["va"])
    out: list[Item] = []
    for item in requests(body, "reservationUpdateRequests", "updateRequests", "reservationRequests"):

        def act(item: object = item) -> Json:
            ident = _instance_of(item)
            _inva_of(ssm, va, ident)
            return {
                "authorizationCode": reserve.update(ssm, ident, counts_from(fields(item).get("licenses")), site.now())
            }

        out.append(
            one(
                act,
                _shown(item),
                "Reservation updated; install the code, then send its Confirmation Code.",
                ok="COMPLETE",
            )
        )
    return envelope(out, "authorizationCodes", "COMPLETE")


def _shown(item: object) -> Json:
    try:
        return {"udiSerialNumber": _instance_of(item)}
    except UsageError:
        return {"udiSerialNumber": None}


def confirm_licenses(site: Site, ssm: SsmDb, client: Client, request: Request, body: Body) -> Answer:
    """`reservationConfirmationRequests: [{sudi, productTagName, confirmationCode}]` as public
    scripts send it (`confirmationRequests` too): the node installed its update."""
    from ccxcli.ssm.core import reserve

    va = va_of(ssm, client, request.path_params["va"])
    out: list[Item] = []
    for item in requests(body, "reservationConfirmationRequests", "confirmationRequests", "confirmRequests"):

        def act(item: object = item) -> None:
            ident = _instance_of(item)
            code = fields(item).get("confirmationCode")
            if not isinstance(code, str) or not code.strip():
                raise UsageError("Each request needs its 'confirmationCode'.")
            _inva_of(ssm, va, ident)
            reserve.confirm(ssm, ident, code.strip(), site.now())

        out.append(one(act, _shown(item), "Confirmation Code accepted.", ok="COMPLETE"))
    return envelope(out, "confirmations", "COMPLETE")


def remove_devices(site: Site, ssm: SsmDb, client: Client, request: Request, body: Body) -> Answer:
    """`productInstacesRemoveRequests` (v2, Cisco's own spelling) or `productInstancesRemoveRequests`
    (v3): `[{sudi, productTagName, returnCode}]`, as public scripts send it (`productInstances`
    with `reservationReturnCode` too): each removed, `status` SUCCESS; one holding a reservation
    needs its Reservation Return Code."""
    from ccxcli.ssm.core import smart

    va = va_of(ssm, client, request.path_params["va"])
    out: list[Item] = []
    keys = ("productInstacesRemoveRequests", "productInstancesRemoveRequests", "productInstances", "devices")
    for item in requests(body, *keys):

        def act(item: object = item) -> None:
            ident = _instance_of(item)
            inst = smart.instance(ssm, ident)
            same_va(va, inst["va"], ident)
            code = fields(item).get("reservationReturnCode", fields(item).get("returnCode"))
            if code is not None and not isinstance(code, str):
                raise UsageError("'reservationReturnCode' must be text.")
            smart.instance_remove(ssm, str(inst["id"]), site.now(), code.strip() if code else None)

        out.append(one(act, _shown(item), "Product instance removed."))
    return envelope(out, "productInstances", "SUCCESS")


def transfer_devices(site: Site, ssm: SsmDb, client: Client, request: Request, body: Body) -> Answer:
    """`productInstances: [{sudi, productTagName, targetVirtualAccount}]` (`devices` too; a
    `targetVirtualAccount` beside the list is every item's default): each product instance moves
    from this virtual account, one with a reservation together with what it holds."""
    from ccxcli.ssm.core import smart

    va = va_of(ssm, client, request.path_params["va"])
    default = body.get("targetVirtualAccount")
    out: list[Item] = []
    for item in requests(body, "productInstances", "devices", "productInstanceTransferRequests"):

        def act(item: object = item) -> Json:
            ident = _instance_of(item)
            inst = smart.instance(ssm, ident)
            same_va(va, inst["va"], ident)
            named = fields(item).get("targetVirtualAccount", default)
            if not isinstance(named, str) or not named.strip():
                raise UsageError("Each request needs its 'targetVirtualAccount' (or one beside the list).")
            target = va_of(ssm, client, named.strip())
            smart.instance_transfer(ssm, str(inst["id"]), target, site.now())
            return {"targetVirtualAccount": target}

        out.append(one(act, _shown(item), "Product instance transferred."))
    return envelope(out, "productInstances", "SUCCESS")


ROUTES: Routes = [
    ("POST", V + "/reserve-licenses", reserve_licenses, V12),
    ("POST", V + "/update-licenses", update_licenses, V12),
    ("POST", V + "/confirm-licenses", confirm_licenses, V12),
    ("POST", V + "/devices/remove", remove_devices, ("v2", "v3")),  # Cisco's path for v3
    ("POST", V + "/devices/transfer", transfer_devices, V12),
]


def routes(site: Site) -> list[Route]:
    return cssm.routes(site, ROUTES)
