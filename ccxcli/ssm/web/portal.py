"""The Smart Software Manager portal: server-rendered pages (Jinja2, every text escaped),
forms with a CSRF token each, a password unless served on loopback with `--no-auth`.

A form that changes something answers with a redirect to the page it belongs to and a
one-line notice; a refusal shows its one-line message and changes nothing. The Reserve
Licenses wizard carries what was entered from step to step in the form itself and checks
it again at every step."""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from ccxcli.errors import UsageError
from ccxcli.ssm.core.db import Ssm
from ccxcli.ssm.web.site import COOKIE, SESSION_LIFETIME, Site, form, refusal, status_of

if TYPE_CHECKING:
    from ccxcli.protocol.codes import Request as CodeRequest

ENV = Environment(loader=PackageLoader("ccxcli.ssm.web", "templates"), autoescape=select_autoescape(["html"]))
Page = tuple[str, dict[str, Any]]
Handler = Callable[[Site, Ssm, Request, dict[str, str]], "Page | Response"]


class Flash(Exception):
    """A form's success: go to `url` and say `message` there."""

    def __init__(self, url: str, message: str) -> None:
        super().__init__(message)
        self.url, self.message = url, message


def render(request: Request, site: Site, s: dict[str, Any] | None, name: str, ctx: dict[str, Any],
           status: int = 200) -> HTMLResponse:  # fmt: skip
    flash = s.pop("flash", None) if s else None
    html = ENV.get_template(name).render(
        csrf=s["csrf"] if s else "", flash=flash, auth=site.password is not None, path=request.url.path, **ctx
    )
    return HTMLResponse(html, status_code=status, headers=_SECURITY)


_SECURITY = {
    "Content-Security-Policy": "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


def _endpoint(site: Site, fn: Handler, method: str) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        s = site.session(request)
        new_cookie = None
        if s is None:
            if site.password is not None:
                return RedirectResponse("/login?next=" + quote(request.url.path), status_code=303)
            new_cookie, s = site.new_session()  # --no-auth: a session for the CSRF token only
        data: dict[str, str] = {}
        try:
            if method == "POST":
                data = await form(request)
                if not hmac.compare_digest(data.get("csrf", "").encode(), s["csrf"].encode()):
                    raise Forbidden()
            response = await run_in_threadpool(_call, site, fn, request, data, s)
        except Flash as f:
            s["flash"] = f.message
            response = RedirectResponse(f.url, status_code=303)
        except Forbidden:
            response = render(request, site, s, "error.html", {"message": Forbidden.MESSAGE}, 403)
        except BaseException as e:  # noqa: BLE001 - a refusal is a page, never a traceback
            if isinstance(e, (KeyboardInterrupt, SystemExit)):
                raise
            r = refusal(e)
            response = render(request, site, s, "error.html", {"message": r.message}, status_of(r))
        if new_cookie:
            _set_cookie(response, new_cookie)
        return response

    return endpoint


class Forbidden(Exception):
    MESSAGE = "The form expired or did not come from this portal (CSRF check failed); nothing was changed."


def _set_cookie(response: Response, sid: str) -> None:
    response.set_cookie(COOKIE, sid, max_age=SESSION_LIFETIME, httponly=True, secure=True, samesite="strict")


def _call(site: Site, fn: Handler, request: Request, data: dict[str, str], s: dict[str, Any]) -> Response:
    """Run the handler and render its page while the SSM is open (pages read from it)."""
    with site.ssm() as ssm:
        out = fn(site, ssm, request, data)
        return out if isinstance(out, Response) else render(request, site, s, out[0], out[1])


# --- login ----------------------------------------------------------------------------------------


def _safe_next(url: str) -> str:
    return url if url.startswith("/") and not url.startswith("//") else "/"


async def login(request: Request) -> Response:
    site: Site = request.app.state.site
    nxt = _safe_next(request.query_params.get("next", "/"))
    if site.password is None:
        return RedirectResponse(nxt, status_code=303)
    if request.method == "GET":
        html = ENV.get_template("login.html").render(
            next=nxt, error=None, auth=True, csrf="", flash=None, path="/login"
        )
        return HTMLResponse(html, headers=_SECURITY)
    try:
        data = await form(request)
    except UsageError:
        data = {}
    if not site.password_ok(data.get("password", "")):
        html = ENV.get_template("login.html").render(next=nxt, error="Wrong password.", auth=True, csrf="",
                                                      flash=None, path="/login")  # fmt: skip
        return HTMLResponse(html, status_code=401, headers=_SECURITY)
    sid, _ = site.new_session()
    response = RedirectResponse(_safe_next(data.get("next", "/")), status_code=303)
    _set_cookie(response, sid)
    return response


def logout(site: Site, ssm: Ssm, request: Request, data: dict[str, str]) -> Page:
    site.sessions.pop(request.cookies.get(COOKIE, ""), None)
    raise Flash("/login" if site.password else "/", "Logged out.")


# --- pages ------------------------------------------------------------------------------------------


def overview(site: Site, ssm: Ssm, request: Request, data: dict[str, str]) -> Page:
    from ccxcli.ssm.core import smart

    va = ssm.va(None)
    return "overview.html", {
        "ssm": ssm,
        "vas": ssm.va_list(),
        "va": va,
        "rows": ssm.license_rows(va),
        "alerts": smart.alerts(ssm, site.now()),
        "instances": len(smart.instance_list(ssm)),
    }


def vas(site: Site, ssm: Ssm, request: Request, data: dict[str, str]) -> Page:
    from ccxcli.core.catalogue import BY_ALIAS

    return "vas.html", {"ssm": ssm, "vas": ssm.va_list(), "aliases": list(BY_ALIAS)}


def va_create(site: Site, ssm: Ssm, request: Request, data: dict[str, str]) -> Page:
    name = data.get("name", "").strip()
    ssm.va_create(name, site.now())
    raise Flash("/virtual-accounts", f"Virtual account '{name}' created.")


def va_delete(site: Site, ssm: Ssm, request: Request, data: dict[str, str]) -> Page:
    name = data.get("name", "")
    ssm.va_delete(name, site.now())
    raise Flash("/virtual-accounts", f"Virtual account '{name}' deleted.")


def license_transfer(site: Site, ssm: Ssm, request: Request, data: dict[str, str]) -> Page:
    from ccxcli.core.catalogue import license_alias
    from ccxcli.values import whole

    alias = license_alias(data.get("license", ""))
    qty = whole(data.get("quantity", ""), "The quantity", 1, 1_000_000)
    ssm.license_transfer(data.get("from", ""), data.get("to", ""), alias, qty, site.now())
    raise Flash("/virtual-accounts", f"{qty} {alias} moved from '{data.get('from')}' to '{data.get('to')}'.")


def licenses(site: Site, ssm: Ssm, request: Request, data: dict[str, str]) -> Page:
    from ccxcli.ssm.core import smart

    va = ssm.va(request.query_params.get("va"))
    alerts = [a for a in smart.alerts(ssm, site.now()) if a["va"] in (va, "-", "")]
    return "licenses.html", {"va": va, "vas": ssm.va_list(), "rows": ssm.license_rows(va), "alerts": alerts}


def instances(site: Site, ssm: Ssm, request: Request, data: dict[str, str]) -> Page:
    from ccxcli.ssm.core import smart

    va = request.query_params.get("va") or None
    return "instances.html", {"rows": smart.instance_list(ssm, va), "va": va, "vas": ssm.va_list()}


def instance(site: Site, ssm: Ssm, request: Request, data: dict[str, str]) -> Page:
    from ccxcli.ssm.core import smart

    row = smart.instance_row(smart.instance(ssm, request.path_params["id"]))
    return "instance.html", {"row": row, "history": smart.usage_history(ssm, row["uuid"]), "vas": ssm.va_list()}


def instance_remove(site: Site, ssm: Ssm, request: Request, data: dict[str, str]) -> Page:
    from ccxcli.ssm.core import smart

    ident = request.path_params["id"]
    code = data.get("return_code", "").strip() or None
    smart.instance_remove(ssm, ident, site.now(), code, data.get("force") == "on")
    raise Flash("/instances", f"Product instance {ident} removed; its licenses are back in the pool.")


def instance_transfer(site: Site, ssm: Ssm, request: Request, data: dict[str, str]) -> Page:
    from ccxcli.ssm.core import smart

    ident = request.path_params["id"]
    smart.instance_transfer(ssm, ident, data.get("to", ""), site.now())
    raise Flash(f"/instances/{ident}", f"Product instance {ident} transferred to '{ssm.va(data.get('to'))}'.")


def tokens(site: Site, ssm: Ssm, request: Request, data: dict[str, str]) -> Page:
    from ccxcli.ssm.core import smart

    return "tokens.html", {"rows": smart.token_list(ssm, site.now()), "vas": ssm.va_list(), "created": None,
                           "export_allowed": ssm.export_allowed}  # fmt: skip


def token_create(site: Site, ssm: Ssm, request: Request, data: dict[str, str]) -> Page:
    from ccxcli.ssm.core import smart
    from ccxcli.values import whole

    now = site.now()
    days = whole(data.get("expires_days") or "30", "Expire After (days)", 1, 365)
    max_uses = whole(data["max_uses"], "Max. Number of Uses", 1, 1_000_000) if data.get("max_uses") else None
    token = smart.token_create(ssm, data.get("va") or None, now, days, max_uses, data.get("description", ""),
                               data.get("export_controlled") == "on")  # fmt: skip
    return "tokens.html", {"rows": smart.token_list(ssm, now), "vas": ssm.va_list(), "created": token,
                           "export_allowed": ssm.export_allowed}  # fmt: skip


def token_revoke(site: Site, ssm: Ssm, request: Request, data: dict[str, str]) -> Page:
    from ccxcli.ssm.core import smart

    smart.token_revoke(ssm, data.get("token", ""), site.now())
    raise Flash("/tokens", "Token revoked.")


def reservations(site: Site, ssm: Ssm, request: Request, data: dict[str, str]) -> Page:
    from ccxcli.ssm.core import reserve

    return "reservations.html", {"rows": reserve.listing(ssm)}


# --- the Reserve Licenses wizard -----------------------------------------------------------------


def _request_code(data: dict[str, str]) -> tuple[str, CodeRequest]:
    from ccxcli.protocol.codes import parse_request

    code = "".join(data.get("request_code", "").split())
    return code, parse_request(code)


def _choices(ssm: Ssm, va: str, license_type: str | None) -> list[dict[str, Any]]:
    """The licenses the wizard offers: those of the node's license type (all when the
    request code does not say), with what is available."""
    from ccxcli.core.catalogue import BY_ALIAS, TYPES

    usable = TYPES[license_type][2] if license_type else tuple(BY_ALIAS)
    return [dict(r, name=BY_ALIAS[r["alias"]].name) for r in ssm.license_rows(va) if r["alias"] in usable]


def _counts(data: dict[str, str], rows: list[dict[str, Any]]) -> dict[str, int]:
    from ccxcli.values import MAX_COUNT, whole

    counts = {}
    for r in rows:
        text = data.get("qty_" + r["alias"], "").strip()
        if text:
            n = whole(text, f"The quantity of {r['alias']}", 0, MAX_COUNT)
            if n:
                counts[r["alias"]] = n
    if not counts:
        raise UsageError("Enter a quantity for at least one license.")
    return counts


def reserve_start(site: Site, ssm: Ssm, request: Request, data: dict[str, str]) -> Page:
    return "reserve_request.html", {"vas": ssm.va_list(), "va": ssm.va(None), "request_code": ""}


def reserve_licenses(site: Site, ssm: Ssm, request: Request, data: dict[str, str]) -> Page:
    code, req = _request_code(data)
    va = ssm.va(data.get("va") or None)
    return "reserve_licenses.html", {"va": va, "request_code": code, "req": req, "type_name": _type_name(req),
                                     "rows": _choices(ssm, va, req.license_type), "counts": {}}  # fmt: skip


def reserve_review(site: Site, ssm: Ssm, request: Request, data: dict[str, str]) -> Page:
    from ccxcli.ssm.core.reserve import check_type

    code, req = _request_code(data)
    va = ssm.va(data.get("va") or None)
    rows = _choices(ssm, va, req.license_type)
    counts = _counts(data, rows)
    check_type(req.license_type, counts)
    short = [f"{a}: {n} requested, {r['available']} available" for r in rows
             for a, n in counts.items() if a == r["alias"] and n > r["available"]]  # fmt: skip
    return "reserve_review.html", {"va": va, "request_code": code, "req": req, "type_name": _type_name(req),
                                   "counts": counts, "short": short}  # fmt: skip


def reserve_authorize(site: Site, ssm: Ssm, request: Request, data: dict[str, str]) -> Page:
    from ccxcli.ssm.core import reserve

    code, req = _request_code(data)
    va = ssm.va(data.get("va") or None)
    counts = _counts(data, _choices(ssm, va, req.license_type))
    auth = reserve.authorize(ssm, va, code, counts, site.now())
    ident = str(reserve.find(ssm, req.sn)["instance"])
    return "reserve_done.html", {"code": auth, "ident": ident, "sn": req.sn, "counts": counts, "update": False}


def _type_name(req: CodeRequest) -> str:
    from ccxcli.core.catalogue import TYPES

    return TYPES[req.license_type][1] if req.license_type else "not stated by the code"


def reservation(site: Site, ssm: Ssm, request: Request, data: dict[str, str]) -> Page:
    from ccxcli.ssm.core import reserve

    ident = request.path_params["id"]
    r = reserve.find(ssm, ident)
    row = next(x for x in reserve.listing(ssm) if x["id"] == r["instance"])
    return "reservation.html", {"row": row, "ident": ident,
                                "rows": _choices(ssm, r["va"], reserve.license_type_of(ssm, r))}  # fmt: skip


def reservation_update(site: Site, ssm: Ssm, request: Request, data: dict[str, str]) -> Page:
    from ccxcli.ssm.core import reserve

    ident = request.path_params["id"]
    r = reserve.find(ssm, ident)
    counts = _counts(data, _choices(ssm, r["va"], reserve.license_type_of(ssm, r)))
    auth = reserve.update(ssm, ident, counts, site.now())
    return "reserve_done.html", {"code": auth, "ident": str(r["instance"]), "sn": r["sn"], "counts": counts,
                                 "update": True}  # fmt: skip


def reservation_confirm(site: Site, ssm: Ssm, request: Request, data: dict[str, str]) -> Page:
    from ccxcli.ssm.core import reserve

    ident = request.path_params["id"]
    reserve.confirm(ssm, ident, data.get("confirmation_code", "").strip(), site.now())
    raise Flash(f"/reservations/{ident}", "Reservation update confirmed.")


def reservation_return(site: Site, ssm: Ssm, request: Request, data: dict[str, str]) -> Page:
    from ccxcli.ssm.core import reserve

    done = reserve.give_back(ssm, "".join(data.get("return_code", "").split()), site.now())
    raise Flash("/reservations", f"Reserved licenses of SN {done['sn']} returned to '{done['va']}'.")


def code_file(site: Site, ssm: Ssm, request: Request, data: dict[str, str]) -> Response:
    from ccxcli.ssm.core import reserve

    ident = request.path_params["id"]
    r = reserve.find(ssm, ident)
    code = reserve.issued_code(ssm, ident)
    return Response(code + "\n", media_type="text/plain", headers={
        "Content-Disposition": f'attachment; filename="AuthorizationCode_SN_{r["sn"]}.txt"', **_SECURITY})  # fmt: skip


def events(site: Site, ssm: Ssm, request: Request, data: dict[str, str]) -> Page:
    from ccxcli.ssm.core import smart

    return "events.html", {"rows": list(reversed(smart.events(ssm, 500)))}


def sync_page(site: Site, ssm: Ssm, request: Request, data: dict[str, str]) -> Page:
    from ccxcli.ssm.core import sync

    if ssm.on_prem:
        try:
            st: dict[str, Any] | None = sync.status(ssm)
        except UsageError:
            st = None
        return "sync.html", {"on_prem": True, "status": st, "in_lab": site.lab_home() is not None, "links": []}
    return "sync.html", {"on_prem": False, "status": None, "in_lab": False, "links": sync.links(ssm)}


def sync_now(site: Site, ssm: Ssm, request: Request, data: dict[str, str]) -> Page:
    from ccxcli.ssm.web.api import run_sync

    done = run_sync(site, ssm)
    raise Flash("/sync", f"Synchronized with Cisco SSM (request {done['seq']}).")


def sync_export(site: Site, ssm: Ssm, request: Request, data: dict[str, str]) -> Response:
    from ccxcli.ssm.core import sync

    text = sync.make_request(ssm, site.now())
    return Response(text + "\n", media_type="application/json", headers={
        "Content-Disposition": 'attachment; filename="sync-request.json"', **_SECURITY})  # fmt: skip


def sync_import(site: Site, ssm: Ssm, request: Request, data: dict[str, str]) -> Response | Page:
    from ccxcli.ssm.core import sync

    text = data.get("file", "").strip()
    if not text:
        raise UsageError("Paste the synchronization file.")
    if ssm.on_prem:
        done = sync.apply_answer(ssm, text, site.now())
        raise Flash("/sync", f"Synchronized with Cisco SSM (request {done['seq']}).")
    answer = sync.handle_request(ssm, text, site.now())
    return Response(answer + "\n", media_type="application/json", headers={
        "Content-Disposition": 'attachment; filename="sync-answer.json"', **_SECURITY})  # fmt: skip


PAGES: list[tuple[str, str, Handler]] = [
    ("GET", "/", overview),
    ("POST", "/logout", logout),
    ("GET", "/virtual-accounts", vas),
    ("POST", "/virtual-accounts/create", va_create),
    ("POST", "/virtual-accounts/delete", va_delete),
    ("POST", "/licenses/transfer", license_transfer),
    ("GET", "/licenses", licenses),
    ("GET", "/instances", instances),
    ("GET", "/instances/{id}", instance),
    ("POST", "/instances/{id}/remove", instance_remove),
    ("POST", "/instances/{id}/transfer", instance_transfer),
    ("GET", "/tokens", tokens),
    ("POST", "/tokens/create", token_create),
    ("POST", "/tokens/revoke", token_revoke),
    ("GET", "/reservations", reservations),
    ("GET", "/reservations/new", reserve_start),
    ("POST", "/reservations/new/licenses", reserve_licenses),
    ("POST", "/reservations/new/review", reserve_review),
    ("POST", "/reservations/new/authorize", reserve_authorize),
    ("POST", "/reservations/return", reservation_return),
    ("GET", "/reservations/{id}", reservation),
    ("POST", "/reservations/{id}/update", reservation_update),
    ("POST", "/reservations/{id}/confirm", reservation_confirm),
    ("GET", "/reservations/{id}/authorization-code.txt", code_file),
    ("GET", "/events", events),
    ("GET", "/sync", sync_page),
    ("POST", "/sync/now", sync_now),
    ("POST", "/sync/export", sync_export),
    ("POST", "/sync/import", sync_import),
]


def routes(site: Site) -> list[Route]:
    out = [Route("/login", login, methods=["GET", "POST"])]
    return out + [Route(path, _endpoint(site, fn, method), methods=[method]) for method, path, fn in PAGES]
