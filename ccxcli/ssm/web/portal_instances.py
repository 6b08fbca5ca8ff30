"""The portal's product instances: the list (searchable, with its CSV), an instance's own page
and its Actions menu (Update Reserved Licenses, Enter Confirmation Code, the Authorization Code
again, Transfer, Remove), each action a page of its own that asks first where CSSM does."""

from __future__ import annotations

from sqlite3 import Row

from starlette.responses import Response

from ccxcli.clock import parse_time
from ccxcli.core.catalogue import BY_ALIAS, TYPES
from ccxcli.errors import UsageError
from ccxcli.ssm.core import reserve, smart
from ccxcli.ssm.core.rows import InstanceRow, ReservationRow
from ccxcli.ssm.web import charts
from ccxcli.ssm.web.portal import (
    AGAIN,
    KINDS,
    SECURITY,
    Handler,
    Page,
    Visit,
    acts,
    chosen_counts,
    instance_of,
    license_choices,
)
from ccxcli.ssm.web.site import Redirect


def _reservations(c: Visit) -> dict[int, ReservationRow]:
    return {r["id"]: r for r in reserve.listing(c.ssm) if r["state"] in ("authorized", "pending confirmation")}


def _matches(row: InstanceRow, q: str) -> bool:
    q = q.lower()
    hay = [str(row["id"]), row["sn"], row["hostname"], row["va"], KINDS.get(row["kind"], row["kind"])]
    return not q or any(q in h.lower() for h in hay)


def instances(c: Visit) -> Page:
    va = c.query("va") or None
    q = c.query("q")
    rows = [
        r
        for r in smart.instance_list(c.ssm, c.va(va) if (va or c.who.va) else None)
        if c.who.sees(r["va"]) and _matches(r, q)
    ]
    return "instances.html", {
        "rows": rows,
        "va": c.va(va) if (va or c.who.va) else None,
        "vas": c.vas(),
        "q": q,
        "inv_default": c.va(None),
        "reservations": _reservations(c),
        "kinds": KINDS,
    }


def instance(c: Visit) -> Page:
    r = instance_of(c)
    row = smart.instance_row(r)
    held = _reservations(c).get(row["id"])
    history = smart.usage_history(c.ssm, row["uuid"])
    periods = [(parse_time(h["from"]), parse_time(h["to"]), h["usage"]) for h in history]
    return "instance.html", {
        "row": row,
        "history": history,
        "usage_chart": charts.usage(periods, {a: lic.name for a, lic in BY_ALIAS.items()}),
        "held": held,
        "kinds": KINDS,
        "type_name": TYPES[row["license_type"]][1] if row["license_type"] in TYPES else "",
        "may_act": c.who.acts(row["va"]),
    }


def instance_remove_page(c: Visit) -> Page:
    r = instance_of(c, act=True)
    return "remove.html", {"row": smart.instance_row(r)}


def instance_remove(c: Visit) -> Redirect:
    r = instance_of(c, act=True)
    if c.data.get("confirmed") != "yes":  # the Remove page is the question; a form without it asks there
        return Redirect(f"/instances/{r['id']}/remove", "Confirm the removal first.")
    code = c.text("return_code") or None
    smart.instance_remove(c.ssm, str(r["id"]), c.now, code, c.data.get("force") == "on")
    return Redirect("/instances", f"Product instance {r['id']} removed; its licenses are back in the pool.")


def instance_transfer_page(c: Visit) -> Page:
    r = instance_of(c, act=True)
    return "transfer.html", {"row": smart.instance_row(r), "vas": [v for v in c.vas() if v["name"] != r["va"]]}


def instance_transfer(c: Visit) -> Redirect:
    r = instance_of(c, act=True)
    dst = c.ssm.va(c.data.get("to", ""))
    acts(c, dst)
    smart.instance_transfer(c.ssm, str(r["id"]), dst, c.now)
    return Redirect(f"/instances/{r['id']}", f"Product instance {r['id']} transferred to '{dst}'.")


def _active(c: Visit, act: bool = True) -> tuple[Row, Row]:
    """The instance of the URL and its active reservation."""
    r = instance_of(c, act=act)
    return r, reserve.find(c.ssm, str(r["id"]))


def update_page(c: Visit) -> Page:
    r, res = _active(c)
    return "update.html", {
        "row": smart.instance_row(r),
        "held": _reservations(c)[r["id"]],
        "rows": license_choices(c.ssm, res["va"], reserve.license_type_of(c.ssm, res)),
    }


def update(c: Visit) -> Page | Redirect:
    """The quantities sent: first a Review (what changes, what the pool can give), as CSSM's
    Update Reserved Licenses has; from it, the new Authorization Code."""
    r, res = _active(c)
    rows = license_choices(c.ssm, res["va"], reserve.license_type_of(c.ssm, res))
    counts = chosen_counts(c.data, rows)
    if c.data.get("reviewed") != "yes":
        held = _reservations(c)[r["id"]]
        changes: list[dict[str, str | int]] = [
            {
                "alias": x["alias"],
                "name": x["name"],
                "now": held["reserved"].get(x["alias"], 0),
                "new": counts.get(x["alias"], 0),
                "free": x["available"] + held["held"].get(x["alias"], 0),  # what this instance may hold at most
            }
            for x in rows
            if counts.get(x["alias"]) or held["reserved"].get(x["alias"])
        ]
        short = [ch for ch in changes if int(ch["new"]) > int(ch["free"])]
        return "update_review.html", {"row": smart.instance_row(r), "changes": changes, "short": short}
    reserve.update(c.ssm, str(r["id"]), counts, c.now)
    return Redirect(
        f"/instances/{r['id']}/authorization-code",
        "Reservation updated: install this Authorization Code on the node, then enter the Confirmation Code it prints.",
    )


def confirm_page(c: Visit) -> Page:
    r, _ = _active(c)
    return "confirm_code.html", {"row": smart.instance_row(r), "held": _reservations(c)[r["id"]]}


def confirm(c: Visit) -> Redirect:
    r, _ = _active(c)
    reserve.confirm(c.ssm, str(r["id"]), c.text("confirmation_code"), c.now)
    return Redirect(f"/instances/{r['id']}", "Reservation update confirmed.")


def rehost_page(c: Visit) -> Page:
    r, _ = _active(c)
    return "rehost.html", {"row": smart.instance_row(r), "held": _reservations(c)[r["id"]]}


def rehost(c: Visit) -> Redirect:
    r, _ = _active(c)
    request = "".join(c.text("request_code").split())
    if not request:
        raise UsageError("Enter the replacement node's Reservation Request Code, or choose its file.")
    reserve.rehost(c.ssm, str(r["id"]), request, c.now)
    new = reserve.find(c.ssm, reserve.new_request(request).sn)["instance"]
    return Redirect(
        f"/instances/{new}/authorization-code",
        f"Licenses rehosted from product instance {r['id']}: install this Authorization Code on the replacement node.",
    )


def code_page(c: Visit) -> Page:
    r, res = _active(c, act=False)
    held = _reservations(c)[r["id"]]
    return "code.html", {
        "row": smart.instance_row(r),
        "held": held,
        "code": reserve.issued_code(c.ssm, str(r["id"])),
        "wizard": c.query("step") == "4",
    }


def code_file(c: Visit) -> Response:
    r, res = _active(c, act=False)
    code = reserve.issued_code(c.ssm, str(r["id"]))
    name = f"AuthorizationCode_SN_{res['sn']}.txt"
    return Response(
        code + "\n",
        media_type="text/plain",
        headers={"Content-Disposition": f'attachment; filename="{name}"', **SECURITY},
    )


AGAIN.update(
    {
        instance_remove: instance_remove_page,
        instance_transfer: instance_transfer_page,
        update: update_page,
        confirm: confirm_page,
        rehost: rehost_page,
    }
)

PAGES: list[tuple[str, str, Handler]] = [
    ("GET", "/instances", instances),
    ("GET", "/instances/{id}", instance),
    ("GET", "/instances/{id}/remove", instance_remove_page),
    ("POST", "/instances/{id}/remove", instance_remove),
    ("GET", "/instances/{id}/transfer", instance_transfer_page),
    ("POST", "/instances/{id}/transfer", instance_transfer),
    ("GET", "/instances/{id}/update", update_page),
    ("POST", "/instances/{id}/update", update),
    ("GET", "/instances/{id}/confirm", confirm_page),
    ("POST", "/instances/{id}/confirm", confirm),
    ("GET", "/instances/{id}/rehost", rehost_page),
    ("POST", "/instances/{id}/rehost", rehost),
    ("GET", "/instances/{id}/authorization-code", code_page),
    ("GET", "/instances/{id}/authorization-code.txt", code_file),
]
