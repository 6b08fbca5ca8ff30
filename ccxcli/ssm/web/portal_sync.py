"""The portal's Event Log, SSM On-Prem synchronization and notification preferences pages."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from starlette.responses import RedirectResponse, Response

from ccxcli.clock import parse_time
from ccxcli.errors import UsageError
from ccxcli.ssm.core import notify, smart, sync
from ccxcli.ssm.web.api import run_sync
from ccxcli.ssm.web.portal import AGAIN, SECURITY, Handler, Page, Visit, csv_file, manages
from ccxcli.ssm.web.site import Redirect
from ccxcli.values import whole

PAGE = 100  # events on one page of the Event Log
MAX_CSV = 100_000  # events in one CSV export (said in the page when there are more)


def _filters(c: Visit) -> dict[str, Any]:
    """The Event Log's filters from the query: search text and a date range (days, inclusive)."""
    day = 24 * 3600
    start = parse_time(c.query("from"), "From") if c.query("from") else None
    end = parse_time(c.query("to"), "To") + day if c.query("to") else None
    va = c.who.va if c.who.va is not None else (c.va(c.query("va")) if c.query("va") else None)
    return {"va": va, "search": c.query("q"), "start": start, "end": end}


def events(c: Visit) -> Page:
    f = _filters(c)
    page = max(1, min(whole(c.query("page") or "1", "The page", 1, 1_000_000), 1_000_000))
    rows, total = smart.event_page(c.ssm, (page - 1) * PAGE, PAGE, **f)
    pages = max(1, -(-total // PAGE))
    keep = {k: c.query(k) for k in ("q", "from", "to", "va") if c.query(k)}
    return "events.html", {
        "rows": rows,
        "q": c.query("q"),
        "from": c.query("from"),
        "to": c.query("to"),
        "total": total,
        "page": min(page, pages),
        "pages": pages,
        "first": (page - 1) * PAGE + 1,
        "keep": keep,
        "csv_max": MAX_CSV,
        "va": f["va"],
        "inv_default": c.va(None),
    }


def events_csv(c: Visit) -> Response:
    rows, _ = smart.event_page(c.ssm, 0, MAX_CSV, **_filters(c))
    cells = [[e["time"], e["kind"], ", ".join(e["virtual_accounts"]), e["user"], e["message"]] for e in rows]
    return csv_file("event-log.csv", ["Time", "Event", "Virtual Accounts", "User", "Message"], cells)


def sync_page(c: Visit) -> Page:
    if c.ssm.on_prem:
        try:
            st: dict[str, Any] | None = sync.status(c.ssm)
        except UsageError:
            st = None
        return "sync.html", {"on_prem": True, "status": st, "in_lab": c.site.lab_home() is not None, "links": []}
    return "sync.html", {"on_prem": False, "status": None, "in_lab": False, "links": sync.links(c.ssm)}


def sync_now(c: Visit) -> Redirect:
    manages(c)
    done = run_sync(c.site, c.ssm)
    return Redirect("/sync", f"Synchronized with Cisco SSM (request {done['seq']}).")


def sync_export(c: Visit) -> Response:
    manages(c)
    text = sync.make_request(c.ssm, c.now)
    return Response(
        text + "\n",
        media_type="application/json",
        headers={"Content-Disposition": 'attachment; filename="sync-request.json"', **SECURITY},
    )


def sync_import(c: Visit) -> Response | Page | Redirect:
    manages(c)
    text = c.text("file")
    if not text:
        raise UsageError("Paste the synchronization file or choose it.")
    if c.ssm.on_prem:
        done = sync.apply_answer(c.ssm, text, c.now)
        return Redirect("/sync", f"Synchronized with Cisco SSM (request {done['seq']}).")
    answer = sync.handle_request(c.ssm, text, c.now)
    return Response(
        answer + "\n",
        media_type="application/json",
        headers={"Content-Disposition": 'attachment; filename="sync-answer.json"', **SECURITY},
    )


def notifications(c: Visit) -> Page:
    manages(c)
    return "notifications.html", {"status": notify.status(c.ssm)}


def notifications_set(c: Visit) -> Redirect:
    """The preferences as the form has them (addresses one per line or comma-separated)."""
    manages(c)
    emails = [e.strip() for e in c.data.get("emails", "").replace(",", "\n").splitlines() if e.strip()]
    sender = c.data.get("sender", "").strip()
    notify.set_prefs(
        c.ssm,
        c.now,
        emails=emails,
        daily_summary=c.data.get("daily_summary") == "on",
        status=c.data.get("status") == "on",
        smtp=c.data.get("smtp", "").strip(),
        sender=sender or None,
    )
    return Redirect("/notifications", "Notification preferences saved.")


AGAIN[notifications_set] = notifications


def moved(c: Visit) -> Response:
    """Reservations live where CSSM has them now: the Licenses tab and each instance's Actions."""
    return RedirectResponse("/instances?" + urlencode({"q": "Specific License Reservation"}), status_code=303)


PAGES: list[tuple[str, str, Handler]] = [
    ("GET", "/reservations", moved),
    ("GET", "/events", events),
    ("GET", "/events.csv", events_csv),
    ("GET", "/sync", sync_page),
    ("POST", "/sync/now", sync_now),
    ("POST", "/sync/export", sync_export),
    ("POST", "/sync/import", sync_import),
    ("GET", "/notifications", notifications),
    ("POST", "/notifications", notifications_set),
]
