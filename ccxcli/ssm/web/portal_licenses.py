"""CSSM's Inventory, its General tab (a virtual account: its description, its registration
tokens, its alerts; the Licenses, Product Instances and Event Log tabs are those pages, each
showing the tabs), and a license's own page (from the Licenses tab): its pool over time in a
virtual account as a chart, its use in every virtual account the user sees, the product
instances that use or reserve it, and its history in the Event Log."""

from __future__ import annotations

from ccxcli.core.catalogue import BY_ALIAS
from ccxcli.errors import UsageError
from ccxcli.ssm.core import reserve, smart, subscriptions
from ccxcli.ssm.web import charts
from ccxcli.ssm.web.portal import Handler, Page, Visit, alerts_of, pool_charts, span_of

HISTORY = 50  # events shown on the page (the Event Log has them all)


def inventory(c: Visit) -> Page:
    va = c.va(c.query("va") or None)
    info = next(v for v in c.ssm.va_list() if v["name"] == va)
    rows = c.ssm.license_rows(va)
    return "inventory.html", {
        "va": va,
        "vas": c.vas(),
        "info": info,
        "purchased": sum(r["purchased"] for r in rows),
        "in_use": sum(r["in_use"] for r in rows),
        "reserved": sum(r["reserved"] for r in rows),
        "tokens": [t for t in smart.token_list(c.ssm, c.now) if t["va"] == va][::-1],
        "may_create": c.who.acts(va),
        "alerts": alerts_of(c, va),
    }


def license_page(c: Visit) -> Page:
    alias = c.path("alias")
    lic = BY_ALIAS.get(alias)
    if lic is None:
        raise UsageError(f"No license '{alias[:40]}'. Known: {', '.join(BY_ALIAS)}.")
    va = c.va(c.query("va") or None)
    span = span_of(c)
    drawn = pool_charts(c, va, alias, span)
    by_va = [(v["name"], r) for v in c.vas() for r in c.ssm.license_rows(v["name"]) if r["alias"] == alias]
    held = {r["id"]: r["held"].get(alias, 0) for r in reserve.listing(c.ssm) if r["va"] == va and r["held"]}
    instances = [
        (row, row["usage"].get(alias, 0), held.get(row["id"], 0))
        for row in smart.instance_list(c.ssm, va)
        if row["usage"].get(alias) or held.get(row["id"])
    ]
    rows, total = smart.event_page(c.ssm, 0, HISTORY, va=va, search=alias)
    return "license.html", {
        "lic": lic,
        "va": va,
        "vas": c.vas(),
        "pool_chart": drawn[0][2] if drawn else None,
        "span": span,
        "spans": list(charts.SPANS),
        "by_va": by_va,
        "instances": instances,
        "subs": [t for t in subscriptions.listing(c.ssm, va) if t["alias"] == alias],
        "events": rows,
        "events_total": total,
    }


PAGES: list[tuple[str, str, Handler]] = [("GET", "/inventory", inventory), ("GET", "/license/{alias}", license_page)]
