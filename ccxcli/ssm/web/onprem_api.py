"""SSM On-Prem's own API, as monitoring tools poll it: the Centreon plugin for SSM On-Prem
posts `{limit: -1}` with a bearer token from `/backend/oauth/token` (`oauth`), reads
`licenses[].{license, status, inUse, available, quantity}` and
`alerts[].{messageType, severity, source}`. Served by an on-prem's `ccx-ssm serve` only."""

from __future__ import annotations

from starlette.requests import Request
from starlette.routing import Route

from ccxcli.ssm.core.apiclient import Client
from ccxcli.ssm.core.db import SsmDb
from ccxcli.ssm.web import cssm
from ccxcli.ssm.web.cssm import Body, NotFound, listed, visible
from ccxcli.ssm.web.site import Json, Site


def _on_prem_account(ssm: SsmDb, request: Request) -> None:
    if not ssm.on_prem:
        raise NotFound("This SSM is not an SSM On-Prem: its monitoring API is served by an on-prem's 'ccx-ssm serve'.")
    name = request.path_params["account"]
    if name.lower() != ssm.account.lower():
        raise NotFound(f"No account '{name[:100]}' on this SSM On-Prem (its account is '{ssm.account}').")


def on_prem_licenses(site: Site, ssm: SsmDb, client: Client, request: Request, body: Body) -> Json:
    """Every license of the account the client may see, its virtual accounts added up."""
    from ccxcli.core.catalogue import BY_ALIAS

    _on_prem_account(ssm, request)
    total: dict[str, dict[str, int]] = {}
    for va in visible(ssm, client, {}):
        for r in ssm.license_rows(va):
            t = total.setdefault(r["alias"], {"quantity": 0, "inUse": 0, "available": 0, "reserved": 0, "balance": 0})
            for key, n in (
                ("quantity", r["purchased"]),
                ("inUse", r["in_use"]),
                ("available", r["available"]),
                ("reserved", r["reserved"]),
                ("balance", r["balance"]),
            ):
                t[key] += n
    rows = [
        {
            "license": BY_ALIAS[a].name,
            "entitlementTag": BY_ALIAS[a].tag,
            **{k: v for k, v in t.items() if k != "balance"},
            "status": "In Compliance" if t["balance"] >= 0 else "Insufficient Licenses",
        }
        for a, t in sorted(total.items())
        if t["quantity"] or t["inUse"] or t["reserved"]
    ]
    return listed("licenses", rows)


def on_prem_alerts(site: Site, ssm: SsmDb, client: Client, request: Request, body: Body) -> Json:
    """The account's alerts the client may see: `messageType`, `severity` (Major or Minor), `source`."""
    from ccxcli.ssm.core import smart

    _on_prem_account(ssm, request)
    rows = [
        {
            "messageType": a["type"],
            "severity": a["severity"].capitalize(),
            "source": a["va"] if a["va"] not in ("", "-") else ssm.account,
            "message": a["message"],
        }
        for a in smart.alerts(ssm, site.now())
        if a["va"] in ("", "-") or client.may(a["va"])
    ]
    return listed("alerts", rows)


def routes(site: Site) -> list[Route]:
    return cssm.routes(
        site,
        [
            ("POST", "/api/v1/accounts/{account}/licenses", on_prem_licenses, ()),
            ("POST", "/api/v1/accounts/{account}/alerts", on_prem_alerts, ()),
        ],
    )
