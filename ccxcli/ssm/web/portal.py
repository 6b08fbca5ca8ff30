"""The Smart Software Manager portal: server-rendered pages (Jinja2, every text escaped),
forms with a CSRF token each, users with a role and an optional virtual account.

Laid out as CSSM administrators know it: the Licenses tab starts **License Reservation…**;
each product instance has an **Actions** menu (Update Reserved Licenses, Enter Confirmation
Code, Remove, Transfer). Every form that changes something answers with a redirect (POST,
redirect, GET: a refresh or Back never sends it again) and a one-line notice; Remove,
Revoke and Delete ask first. The Reserve Licenses wizard keeps its draft in the session,
each step is a page of its own with Back and Cancel, and a refusal comes back on the step
that caused it. Codes can be pasted or uploaded as the file the node wrote, and every code
shown has a Copy button."""

from __future__ import annotations

import csv
import hmac
import io
import math
import re
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from sqlite3 import Row
from urllib.parse import quote, urlsplit

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from ccxcli.core.catalogue import BY_ALIAS, TYPES, license_alias
from ccxcli.errors import CcxError, UsageError
from ccxcli.ssm.core import chart, smart, subscriptions, users
from ccxcli.ssm.core.db import SsmDb
from ccxcli.ssm.core.rows import AlertRow, LicenseRow, VaRow
from ccxcli.ssm.core.users import ADMIN, User
from ccxcli.ssm.web import charts
from ccxcli.ssm.web.site import (
    PORTAL_WORDS,
    SESSION_LIFETIME,
    PortalSession,
    Redirect,
    Site,
    form,
    guarded,
    in_ssm,
    refusal,
    status_of,
)
from ccxcli.values import MAX_COUNT, whole

ENV = Environment(
    loader=PackageLoader("ccxcli.ssm.web", "templates"),
    autoescape=select_autoescape(["html"]),
    undefined=StrictUndefined,
)  # a misspelt or missing value is an error, never an empty string
ENV.filters["when"] = lambda iso: (iso or "").replace("T", " ").replace("Z", " UTC")
ENV.filters["license_name"] = lambda alias: BY_ALIAS[alias].name if alias in BY_ALIAS else alias
# a count in a message ("flex-standard 20", as the command line writes it) by the license's name, as pages name it
_COUNTED = re.compile(r"\b(" + "|".join(sorted(map(re.escape, BY_ALIAS), key=len, reverse=True)) + r")(?=[ =]\d)")
ENV.filters["named"] = lambda text: _COUNTED.sub(lambda m: BY_ALIAS[m.group(1)].name, text)
Page = tuple[str, dict[str, object]]  # a template and its values
MAX_DRAFTS = 20  # Reserve Licenses wizards open at once in one session

KINDS = {"smart": "Smart Licensing", "slr": "Specific License Reservation", "mirror": "Synchronized from SSM On-Prem"}


@dataclass
class Visit:
    """One request as a page sees it: the SSM, the form, the session and who is logged in."""

    site: Site
    ssm: SsmDb
    request: Request
    data: dict[str, str]
    s: PortalSession
    who: User
    now: int  # the SSM's time, read once per request (lab.json in a lab)

    def query(self, name: str) -> str:
        return self.request.query_params.get(name, "").strip()[:200]

    def path(self, name: str) -> str:
        return str(self.request.path_params[name])

    def text(self, name: str) -> str:
        """A code from its upload (`NAME_file`) if one was chosen, else as pasted."""
        return (self.data.get(name + "_file") or self.data.get(name) or "").strip()

    def vas(self) -> list[VaRow]:
        return [v for v in self.ssm.va_list() if self.who.sees(v["name"])]

    def va(self, name: str | None) -> str:
        """The virtual account asked for, if this user sees it; else the user's own (or the default)."""
        if self.who.va is not None:
            return self.ssm.va(self.who.va)
        return self.ssm.va(name or None)

    def form_va(self, name: str | None) -> str:
        """The virtual account a form names: one this user does not see is refused as unknown
        (a form forged for another account never acts on the user's own instead)."""
        if name and self.who.va is not None and name.strip().lower() != self.who.va.lower():
            raise UsageError(f"No virtual account '{name.strip()[:64]}'. Known: {self.who.va}.")
        return self.va(name)


Handler = Callable[[Visit], "Page | Redirect | Response"]
# a form's handler -> the page that shows that form: a refusal shows it again, filled in as sent
AGAIN: dict[Handler, Handler] = {}


class Denied(Exception):
    """The logged-in user's role or virtual account does not allow this (HTTP 403)."""


class CsrfFailed(Exception):
    MESSAGE = "The form expired or did not come from this portal (CSRF check failed); nothing was changed."


class LoggedOut(Exception):
    """The session's user was removed since it logged in."""


SECURITY = {
    "Content-Security-Policy": "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
    "img-src 'self' data:",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


def render(
    request: Request, site: Site, s: PortalSession | None, name: str, ctx: Mapping[str, object], status: int = 200
) -> HTMLResponse:
    flash = s.pop("flash", None) if s else None
    who = s.get("user") if s else None
    values: dict[str, object] = {
        "csrf": s["csrf"] if s else "",
        "flash": flash,
        "auth": site.password is not None,
        "path": request.url.path,
        "who": who,
        "brand": None,
        "error": None,
        "refused": None,  # why the form sent was refused: the form is shown again, as it was filled in
        "entered": {},
    }
    html = ENV.get_template(name).render({**values, **ctx})
    return HTMLResponse(html, status_code=status, headers=SECURITY)


def endpoint(site: Site, fn: Handler, method: str) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        s = site.session(request)
        new_cookie = None
        if s is None:
            if site.password is not None:
                return _to_login(request)
            try:
                new_cookie, s = site.new_session(ADMIN, anonymous=True)  # --no-auth: for the CSRF token only
            except CcxError as e:
                return _login_page(request, "/", e.message, status_of(e))
        session = s
        response = await guarded(
            _visit(site, fn, method, request, session), lambda e: _refused(request, site, session, e)
        )
        if new_cookie:
            _set_cookie(site, response, new_cookie)
        return response

    return endpoint


async def _visit(site: Site, fn: Handler, method: str, request: Request, s: PortalSession) -> Response:
    data: dict[str, str] = {}
    if method == "POST":
        data = await form(request)
        if not hmac.compare_digest(data.get("csrf", "").encode(), s["csrf"].encode()):
            raise CsrfFailed()
    out = await in_ssm(site, lambda ssm: _page(site, ssm, fn, request, data, s))
    if isinstance(out, Redirect):
        if out.notice:
            s["flash"] = out.notice
        return RedirectResponse(out.url, status_code=303)
    return out


def _page(
    site: Site, ssm: SsmDb, fn: Handler, request: Request, data: dict[str, str], s: PortalSession
) -> Response | Redirect:
    """Run the handler and render its page while the SSM is open (pages read from it)."""
    who = users.current(ssm, s["user"])
    if who is None:
        raise LoggedOut()
    ssm.actor = who.name if site.password is not None else "portal (no login)"
    visit = Visit(site, ssm, request, data, s, who, site.now())
    try:
        out = fn(visit)
    except CcxError as e:
        again = AGAIN.get(fn)
        if again is None:
            raise
        # refused: the form again, as it was filled in, with why (the wizard's way), not a dead end
        r = refusal(e, PORTAL_WORDS)
        try:
            page = again(visit)
        except CcxError:  # the form's page is gone too (its instance removed): the refusal alone
            raise e from None
        if not isinstance(page, tuple):
            raise
        shown = {"brand": _brand(ssm), **page[1], "refused": r.message, "entered": data}
        return render(request, site, s, page[0], shown, status_of(r))
    if isinstance(out, (Response, Redirect)):
        return out
    return render(request, site, s, out[0], {"brand": _brand(ssm), **out[1]})


def _refused(request: Request, site: Site, s: PortalSession, e: BaseException) -> Response:
    """A refusal is a page (403 for a role or a failed CSRF check), never a traceback."""
    if isinstance(e, LoggedOut):
        site.sessions.pop(request.cookies.get(site.cookie, ""), None)
        return _to_login(request)
    if isinstance(e, CsrfFailed):
        return render(request, site, s, "error.html", {"message": CsrfFailed.MESSAGE}, 403)
    if isinstance(e, Denied):
        return render(request, site, s, "error.html", {"message": str(e)}, 403)
    r = refusal(e, PORTAL_WORDS)
    return render(request, site, s, "error.html", {"message": r.message}, status_of(r))


def _to_login(request: Request) -> Response:
    return RedirectResponse("/login?next=" + quote(request.url.path), status_code=303)


def _set_cookie(site: Site, response: Response, sid: str) -> None:
    response.set_cookie(site.cookie, sid, max_age=SESSION_LIFETIME, httponly=True, secure=True, samesite="strict")


def _brand(ssm: SsmDb) -> str:
    """Which SSM this is, in the header: two served side by side are told apart at a glance."""
    if ssm.on_prem:
        return f"SSM On-Prem {ssm.names()[0]}" if ssm.names() else "SSM On-Prem"
    return "Smart Software Manager"


# --- who may do what --------------------------------------------------------------------------------


def manages(c: Visit) -> None:
    if not c.who.manages:
        raise Denied(
            f"{c.who.title} '{c.who.name}' cannot change the smart account; a Smart Account Administrator can."
        )


def acts(c: Visit, va: str) -> None:
    if not c.who.acts(va):
        what = "only views" if c.who.role == "viewer" else "cannot act on"
        raise Denied(f"{c.who.title} '{c.who.name}' {what} virtual account '{va}'; nothing was changed.")


def instance_of(c: Visit, act: bool = False) -> Row:
    """The product instance of the URL, if this user sees it (one it does not see is unknown)."""
    ident = c.path("id")
    r = smart.instance(c.ssm, ident)
    if not c.who.sees(r["va"]):  # as unknown as one that does not exist
        raise smart.unknown_instance(ident)
    if act:
        acts(c, r["va"])
    return r


def confirmed_or_ask(c: Visit, title: str, question: str, keep: dict[str, str], action: str, back: str) -> Page | None:
    """None when the form says it was confirmed; else the page that asks first (Cancel: `back`)."""
    if c.data.get("confirmed") == "yes":
        return None
    return "confirm.html", {"title": title, "question": question, "keep": keep, "action": action, "back": back}


def license_choices(ssm: SsmDb, va: str, license_type: str | None) -> list[LicenseRow]:
    """The licenses the wizard offers: those of the node's license type (all when the
    request code does not say), with what is available."""
    usable = TYPES[license_type][2] if license_type else tuple(BY_ALIAS)
    return [r for r in ssm.license_rows(va) if r["alias"] in usable]


def chosen_counts(data: dict[str, str], rows: list[LicenseRow]) -> dict[str, int]:
    counts = {}
    for r in rows:
        text = data.get("qty_" + r["alias"], "").strip()
        if text:
            n = whole(text, f"The quantity of {r['name']}", 0, MAX_COUNT)
            if n:
                counts[r["alias"]] = n
    if not counts:
        raise UsageError("Enter a quantity for at least one license.")
    return counts


# --- login -----------------------------------------------------------------------------------------


def _safe_next(url: str) -> str:
    return url if url.startswith("/") and not url.startswith("//") else "/"


def _login_page(request: Request, nxt: str, error: str | None, status: int = 200) -> HTMLResponse:
    html = ENV.get_template("login.html").render(
        next=nxt,
        error=error,
        auth=True,
        csrf="",
        flash=None,
        path="/login",
        who=None,
        brand=None,
        bare=True,
        refused=None,
    )
    return HTMLResponse(html, status_code=status, headers=SECURITY)


async def login(request: Request) -> Response:
    site: Site = request.app.state.site
    nxt = _safe_next(request.query_params.get("next", "/"))
    if site.password is None:
        return RedirectResponse(nxt, status_code=303)
    if request.method == "GET":
        return _login_page(request, nxt, None)
    if _cross_site(request):  # login CSRF: another site logging the browser in as its own user
        return _login_page(request, nxt, "A login from another site is refused.", 403)
    try:
        data = await form(request)
    except UsageError:
        data = {}
    name = data.get("username", "").strip()
    keys = ["user:" + name.lower()[:64], "address:" + (request.client.host if request.client else "")]
    wait = site.logins.wait(keys, time.monotonic())
    if wait > 0:  # refused before any password is checked: a guesser gets no answer and costs no scrypt
        return _login_page(request, nxt, f"Too many failed logins; try again in {math.ceil(wait)} s.", 429)
    try:
        user = await run_in_threadpool(_who, site, name, data.get("password", ""))
    except CcxError as e:  # the SSM down for maintenance or unreadable: said on the login page
        return _login_page(request, nxt, e.message, status_of(e))
    if user is None:
        site.logins.failed(keys, time.monotonic())
        return _login_page(request, nxt, "Wrong user name or password.", 401)
    site.logins.succeeded(keys[0])
    try:
        sid, _ = site.new_session(user)
    except CcxError as e:
        return _login_page(request, nxt, e.message, status_of(e))
    response = RedirectResponse(_safe_next(data.get("next", "/")), status_code=303)
    _set_cookie(site, response, sid)
    return response


def _cross_site(request: Request) -> bool:
    """A POST a browser sent from another origin: Sec-Fetch-Site says so (browsers send it even
    where the page's Referrer-Policy makes their Origin "null"), else a real Origin that is not
    this host. Scripts that send neither are not browsers and are not refused."""
    fetch_site = request.headers.get("sec-fetch-site")
    if fetch_site is not None:
        return fetch_site not in ("same-origin", "none")
    origin = request.headers.get("origin")
    if origin is not None and origin != "null":
        return urlsplit(origin).netloc.lower() != request.headers.get("host", "").lower()
    return False


def _who(site: Site, name: str, password: str) -> User | None:
    """The served SSM's own password is the administrator's (user name empty or 'admin');
    anyone else is a portal user of the SSM's database."""
    if name.lower() in ("", ADMIN.name):
        return ADMIN if site.password_ok(password) else None
    with site.ssm() as ssm:
        cred = users.lookup(ssm, name)
    return users.verify(cred, password)  # scrypt after the database is let go: node messages never wait for it


def logout(c: Visit) -> Redirect:
    c.site.sessions.pop(c.request.cookies.get(c.site.cookie, ""), None)
    return Redirect("/login" if c.site.password else "/", "Logged out.")


# --- overview, virtual accounts, licenses -------------------------------------------------------------


def alerts_of(c: Visit, va: str | None = None) -> list[AlertRow]:
    return [
        a
        for a in smart.alerts(c.ssm, c.now)
        if (a["va"] in ("-", "") and c.who.va is None)
        or (a["va"] not in ("-", "") and c.who.sees(a["va"]) and va in (None, a["va"]))
    ]


def _license_rows(c: Visit, va: str) -> list[LicenseRow]:
    return c.ssm.license_rows(va)


def overview(c: Visit) -> Page:
    va = c.va(None)
    return "overview.html", {
        "ssm": c.ssm,
        "vas": c.vas(),
        "va": va,
        "rows": _license_rows(c, va),
        "alerts": alerts_of(c),
        "instances": len([r for r in smart.instance_list(c.ssm) if c.who.sees(r["va"])]),
    }


def vas(c: Visit) -> Page:
    return "vas.html", {"ssm": c.ssm, "vas": c.vas(), "licenses": [(a, lic.name) for a, lic in BY_ALIAS.items()]}


def va_create(c: Visit) -> Redirect:
    manages(c)
    name = c.data.get("name", "").strip()
    c.ssm.va_create(name, c.now)
    return Redirect("/virtual-accounts", f"Virtual account '{name}' created.")


def va_delete(c: Visit) -> Page | Redirect:
    manages(c)
    name = c.ssm.va(c.data.get("name", ""))
    ask = confirmed_or_ask(
        c,
        "Delete Virtual Account",
        f"Delete virtual account '{name}'? Its tokens are deleted too.",
        {"name": name},
        "/virtual-accounts/delete",
        "/virtual-accounts",
    )
    if ask:
        return ask
    c.ssm.va_delete(name, c.now)
    return Redirect("/virtual-accounts", f"Virtual account '{name}' deleted.")


def license_transfer(c: Visit) -> Redirect:
    manages(c)
    alias = license_alias(c.data.get("license", ""))
    qty = whole(c.data.get("quantity", ""), "The quantity", 1, 1_000_000)
    c.ssm.license_transfer(c.data.get("from", ""), c.data.get("to", ""), alias, qty, c.now)
    return Redirect("/virtual-accounts", f"{qty} {alias} moved from '{c.data.get('from')}' to '{c.data.get('to')}'.")


def licenses(c: Visit) -> Page:
    va = c.va(c.query("va") or None)
    span = span_of(c)
    return "licenses.html", {
        "va": va,
        "vas": c.vas(),
        "rows": _license_rows(c, va),
        "alerts": alerts_of(c, va),
        "may_reserve": c.who.acts(va) and c.ssm.slr_allowed and not c.ssm.on_prem,
        "subs": subscriptions.listing(c.ssm, va),
        "charts": pool_charts(c, va, None, span),
        "span": span,
        "spans": list(charts.SPANS),
    }


def span_of(c: Visit) -> str:
    span = c.query("span") or "7d"
    return span if span in charts.SPANS else "7d"


def pool_charts(c: Visit, va: str, alias: str | None, span: str) -> list[tuple[str, str, charts.Chart]]:
    """The pool of `va` over `span` (up to now), per license it held or used (or `alias`)."""
    seconds, interval = charts.SPANS[span]
    drawn = chart.pool_chart(c.ssm, va, alias, max(0, c.now - seconds), c.now, interval)
    return [(d["alias"], d["name"], charts.pool(d["name"], d["intervals"])) for d in drawn]


def licenses_csv(c: Visit) -> Response:
    va = c.va(c.query("va") or None)
    cols = ["License", "Entitlement Tag", "Purchased", "In Use", "Reserved", "Available", "Balance"]
    rows = [
        [r["name"], BY_ALIAS[r["alias"]].tag, r["purchased"], r["in_use"], r["reserved"], r["available"], r["balance"]]
        for r in _license_rows(c, va)
    ]
    return csv_file(f"licenses-{va}.csv", cols, rows)


def _as_text(v: object) -> object:
    """A cell a spreadsheet would run as a formula (one starting with = + - @ | %, blanks before
    it or not, or with a tab or carriage return) kept as text."""
    if isinstance(v, str) and (v[:1] in ("\t", "\r") or v.lstrip(" \t\r\n")[:1] in ("=", "+", "-", "@", "|", "%")):
        return "'" + v
    return v


def csv_file(name: str, cols: list[str], rows: Sequence[Sequence[object]]) -> Response:
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\r\n")
    w.writerow(cols)
    for row in rows:
        w.writerow([_as_text(v) for v in row])
    safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in name)
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{safe}"', **SECURITY},
    )


# --- tokens --------------------------------------------------------------------------------------------


def tokens(c: Visit) -> Page:
    rows = [t for t in smart.token_list(c.ssm, c.now) if c.who.sees(t["va"])]
    return "tokens.html", {
        "rows": rows,
        "vas": c.vas(),
        "created": c.s.pop("created", None),
        "export_allowed": c.ssm.export_allowed,
        "may_create": any(c.who.acts(v["name"]) for v in c.vas()),
    }


def token_create(c: Visit) -> Redirect:
    va = c.form_va(c.data.get("va") or None)
    acts(c, va)
    days = whole(c.data.get("expires_days") or "30", "Expire After (days)", 1, 365)
    max_uses = whole(c.data["max_uses"], "Max. Number of Uses", 1, 1_000_000) if c.data.get("max_uses") else None
    token = smart.token_create(
        c.ssm, va, c.now, days, max_uses, c.data.get("description", ""), c.data.get("export_controlled") == "on"
    )
    c.s["created"] = token  # shown once, on the page the redirect leads to
    return Redirect("/tokens", f"Token created for '{va}'.")


def token_revoke(c: Visit) -> Page | Redirect:
    token = c.data.get("token", "").strip()
    va = smart.token_va(c.ssm, token)
    if va is None or not c.who.sees(va):
        raise UsageError("No such registration token.")
    acts(c, va)
    ask = confirmed_or_ask(
        c,
        "Revoke Token",
        f"Revoke the token {token[:10]}… of '{va}'? Product instances can no longer register with it.",
        {"token": token},
        "/tokens/revoke",
        "/tokens",
    )
    if ask:
        return ask
    smart.token_revoke(c.ssm, token, c.now)
    return Redirect("/tokens", "Token revoked.")


AGAIN.update({va_create: vas, va_delete: vas, license_transfer: vas, token_create: tokens, token_revoke: tokens})

PAGES: list[tuple[str, str, Handler]] = [
    ("GET", "/", overview),
    ("POST", "/logout", logout),
    ("GET", "/virtual-accounts", vas),
    ("POST", "/virtual-accounts/create", va_create),
    ("POST", "/virtual-accounts/delete", va_delete),
    ("POST", "/licenses/transfer", license_transfer),
    ("GET", "/licenses", licenses),
    ("GET", "/licenses.csv", licenses_csv),
    ("GET", "/tokens", tokens),
    ("POST", "/tokens/create", token_create),
    ("POST", "/tokens/revoke", token_revoke),
]


def routes(site: Site, pages: list[tuple[str, str, Handler]] | None = None) -> list[Route]:
    """The portal's pages (or `pages`, handlers of the same kind), with the login page."""
    if pages is not None:
        return [Route(path, endpoint(site, fn, method), methods=[method]) for method, path, fn in pages]
    return [Route("/login", login, methods=["GET", "POST"]), *routes(site, PAGES)]
