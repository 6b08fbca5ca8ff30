"""The portal's Reserve Licenses wizard (from the Licenses tab), as CSSM's: a Reservation
Request Code, then the licenses, a review, and the Authorization Code; its draft is kept in
the session, each step a page of its own with Back and Cancel, and a refusal comes back on the
step that caused it."""

from __future__ import annotations

import secrets

from ccxcli.core.catalogue import TYPES
from ccxcli.protocol.codes import Request as CodeRequest
from ccxcli.ssm.core import reserve
from ccxcli.ssm.core.rows import VaRow
from ccxcli.ssm.web.portal import MAX_DRAFTS, Handler, Page, Visit, acts, chosen_counts, license_choices
from ccxcli.ssm.web.site import PORTAL_WORDS, Draft, Redirect, refusal

W = "/licenses/reserve/{draft}"


GONE = Redirect("/licenses/reserve", "That reservation was finished or cancelled; start again.")


def _draft(c: Visit) -> Draft | None:
    """The draft of the URL (None: finished, cancelled or never this session's: answer `GONE`)."""
    return c.s.get("drafts", {}).get(c.path("draft"))


def _new_draft(c: Visit, va: str, code: str) -> tuple[str, Draft]:
    drafts = c.s.setdefault("drafts", {})
    while len(drafts) >= MAX_DRAFTS:
        drafts.pop(next(iter(drafts)))
    key = secrets.token_urlsafe(9)
    drafts[key] = {"va": va, "code": code, "entered": {}, "error": None}
    return key, drafts[key]


def _parsed(code: str) -> CodeRequest:
    return reserve.new_request("".join(code.split()))  # a version-1 code is refused on step 1 already


def _type_name(req: CodeRequest) -> str:
    return TYPES[req.license_type][1] if req.license_type else "not stated by the code"


def _step(c: Visit, d: Draft, n: int, ctx: dict[str, object]) -> Page:
    names = {1: "reserve_request.html", 2: "reserve_licenses.html", 3: "reserve_review.html"}
    error, d["error"] = d.get("error"), None
    return names[n], {
        "step": n,
        "draft": c.path("draft") if "draft" in c.request.path_params else "",
        "error": error,
        **ctx,
    }


def reserve_start(c: Visit) -> Page:
    va = c.va(c.query("va") or None)
    acts(c, va)
    return "reserve_request.html", {
        "step": 1,
        "draft": "",
        "error": None,
        "vas": _acting_vas(c),
        "va": va,
        "request_code": "",
    }


def _acting_vas(c: Visit) -> list[VaRow]:
    return [v for v in c.vas() if c.who.acts(v["name"])]


def reserve_request(c: Visit) -> Redirect:
    """Step 1 sent: keep what was entered; go on, or back to step 1 with what was wrong."""
    va = c.va(c.data.get("va") or None)
    acts(c, va)
    draft = c.path("draft") if "draft" in c.request.path_params else None
    d = c.s.get("drafts", {}).get(draft) if draft else None
    if draft is None or d is None:
        draft, d = _new_draft(c, va, "")
    d["va"], d["code"] = va, "".join(c.text("request_code").split())
    try:
        _parsed(d["code"])
    except Exception as e:  # noqa: BLE001 - a refusal comes back on the step
        d["error"] = refusal(e, PORTAL_WORDS).message
        return Redirect(f"/licenses/reserve/{draft}", "")
    return Redirect(f"/licenses/reserve/{draft}/licenses", "")


def reserve_request_again(c: Visit) -> Page | Redirect:
    d = _draft(c)
    if d is None:
        return GONE
    return _step(c, d, 1, {"vas": _acting_vas(c), "va": d["va"], "request_code": d["code"]})


def reserve_licenses(c: Visit) -> Page | Redirect:
    d = _draft(c)
    if d is None:
        return GONE
    req = _parsed(d["code"])
    rows = license_choices(c.ssm, d["va"], req.license_type)
    return _step(
        c, d, 2, {"va": d["va"], "req": req, "type_name": _type_name(req), "rows": rows, "entered": d["entered"]}
    )


def reserve_choose(c: Visit) -> Redirect:
    d = _draft(c)
    if d is None:
        return GONE
    req = _parsed(d["code"])
    rows = license_choices(c.ssm, d["va"], req.license_type)
    d["entered"] = {r["alias"]: c.data.get("qty_" + r["alias"], "").strip()[:12] for r in rows}
    draft = c.path("draft")
    try:
        counts = chosen_counts(c.data, rows)
        reserve.check_type(req.license_type, counts)
    except Exception as e:  # noqa: BLE001 - a refusal comes back on the step
        d["error"] = refusal(e, PORTAL_WORDS).message
        return Redirect(f"/licenses/reserve/{draft}/licenses", "")
    d["counts"] = counts
    return Redirect(f"/licenses/reserve/{draft}/review", "")


def reserve_review(c: Visit) -> Page | Redirect:
    d = _draft(c)
    if d is None:
        return GONE
    if not d.get("counts"):
        return Redirect(f"/licenses/reserve/{c.path('draft')}/licenses", "")
    req = _parsed(d["code"])
    rows = {r["alias"]: r for r in license_choices(c.ssm, d["va"], req.license_type)}
    chosen = [
        {"alias": a, "name": rows[a]["name"], "quantity": n, "available": rows[a]["available"]}
        for a, n in sorted(d["counts"].items())
    ]
    short = [r for r, (a, n) in zip(chosen, sorted(d["counts"].items()), strict=True) if n > rows[a]["available"]]
    return _step(c, d, 3, {"va": d["va"], "req": req, "type_name": _type_name(req), "chosen": chosen, "short": short})


def reserve_authorize(c: Visit) -> Redirect:
    d = _draft(c)
    if d is None:
        return GONE
    draft = c.path("draft")
    acts(c, d["va"])
    try:
        reserve.authorize(c.ssm, d["va"], d["code"], d.get("counts") or {}, c.now)
    except Exception as e:  # noqa: BLE001 - a refusal comes back on the step
        d["error"] = refusal(e, PORTAL_WORDS).message
        return Redirect(f"/licenses/reserve/{draft}/review", "")
    c.s["drafts"].pop(draft, None)
    ident = reserve.find(c.ssm, _parsed(d["code"]).sn)["instance"]
    return Redirect(f"/instances/{ident}/authorization-code?step=4", "Licenses reserved.")


def reserve_cancel(c: Visit) -> Redirect:
    c.s.get("drafts", {}).pop(c.path("draft"), None)
    return Redirect("/licenses", "License reservation cancelled; nothing was reserved.")


PAGES: list[tuple[str, str, Handler]] = [
    ("GET", "/licenses/reserve", reserve_start),
    ("POST", "/licenses/reserve", reserve_request),
    ("GET", W, reserve_request_again),
    ("POST", W, reserve_request),
    ("GET", W + "/licenses", reserve_licenses),
    ("POST", W + "/licenses", reserve_choose),
    ("GET", W + "/review", reserve_review),
    ("POST", W + "/authorize", reserve_authorize),
    ("POST", W + "/cancel", reserve_cancel),
]
