"""What every request of the served SSM shares: the SSM folder, its time, the password,
the portal's sessions and CSRF tokens, and how refusals become answers."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import secrets
import threading
from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import NotRequired, TypedDict, TypeVar
from urllib.parse import parse_qs

from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response

from ccxcli.clock import wall_now
from ccxcli.errors import CcxError, InstanceGone, RuleError, StoreError, UsageError, classify, worded
from ccxcli.runtime import tunables
from ccxcli.ssm.core.db import ROLL, SsmDb
from ccxcli.ssm.core.device import check_open
from ccxcli.ssm.core.txn import Busy
from ccxcli.ssm.core.users import User
from ccxcli.store.lab import lab_of, ssm_now

COOKIE = "ccxssm"  # the prefix of the portal's cookie name; each served SSM has its own name
SESSION_LIFETIME = 12 * 3600
MAX_FORM = 512 * 1024  # a form holds at most a code or a synchronization file
MAX_FIELDS = 200
MAX_SESSIONS = 10_000
PER_USER = 20  # sessions one portal user holds at once (browsers, tabs, scripts)
T = TypeVar("T")
Json = dict[str, object]  # a JSON object read from a client or written to one
SERVED = "ccx-ssm serve"  # who a served SSM's change is logged for before its request says who it is


# --- the one boundary of every route: the portal's pages, ccxcli's API, Cisco's API -------------------


def _on_the_loop() -> bool:
    """Whether this thread runs the event loop (its work must never wait for a lock)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


@dataclass(frozen=True)
class Redirect:
    """A form's answer: go to `url` (303: POST, redirect, GET) and say `notice` there."""

    url: str
    notice: str = ""


@dataclass(frozen=True)
class Answer:
    """A JSON answer and its HTTP status (201: something was created; a call whose every item
    was refused answers with the first refusal's status)."""

    body: dict[str, object]
    status: int = 200


async def guarded(steps: Awaitable[Response], refuse: Callable[[BaseException], Response]) -> Response:
    """What a route answers: `steps`' response, or whatever they raised as the route's own
    refusal (`refuse`: a page, ccxcli's JSON or Cisco's envelope), never a traceback."""
    try:
        return await steps
    except BaseException as e:  # one answer for every refusal
        if isinstance(e, (KeyboardInterrupt, SystemExit)):
            raise
        return refuse(e)


async def in_ssm(site: Site, work: Callable[[SsmDb], T], actor: str = SERVED) -> T:
    """`work(ssm)` on a worker thread with this request's SSM open (a page renders there: it
    reads from the SSM while it is open). Its changes are logged for `actor` (the Event Log's
    User) unless `work` names who it is once it knows (a portal user, an API client)."""
    return await run_in_threadpool(_in_ssm, site, work, actor)


def _in_ssm(site: Site, work: Callable[[SsmDb], T], actor: str) -> T:
    with site.ssm() as ssm:
        ssm.actor = actor
        return work(ssm)


class Draft(TypedDict):
    """A Reserve Licenses wizard's draft, kept in the session between its steps."""

    va: str
    code: str  # the Reservation Request Code as entered
    entered: dict[str, str]  # the quantities as typed, by alias
    error: str | None  # the refusal its next step shows
    counts: NotRequired[dict[str, int]]  # the quantities chosen, once they were accepted


class PortalSession(TypedDict):
    """A portal session: its CSRF token, when it ends (wall time), its user, the notice the
    next page shows and the wizards it has open."""

    csrf: str
    until: float
    user: User
    flash: NotRequired[str]
    created: NotRequired[str]  # the token just made, shown on the page the redirect leads to
    drafts: NotRequired[dict[str, Draft]]


class Throttle:
    """Failed portal logins, per user name and per client address: the first `FREE` failures
    in `WINDOW` seconds cost nothing; each one after doubles the wait before the next attempt
    is even checked (1 s, 2 s, 4 s… at most `MOST`), and a success clears its user name. The
    waits run on a monotonic clock (real time: the lab's virtual clock does not slow an
    attacker down). At most `KEYS` entries are kept, the oldest dropped first."""

    FREE, WINDOW, MOST, KEYS = 5, 900.0, 300.0, 10_000

    def __init__(self) -> None:
        self._fails: dict[str, tuple[int, float, float]] = {}  # key -> (failures, first, until)

    def wait(self, keys: list[str], now: float) -> float:
        """Seconds before these keys may try again (0: now)."""
        return max([0.0] + [until - now for k in keys if (e := self._fails.get(k)) and (until := e[2]) > now])

    def failed(self, keys: list[str], now: float) -> None:
        for k in keys:
            n, first, _ = self._fails.pop(k, (0, now, 0.0))
            if now - first > self.WINDOW:
                n, first = 0, now
            n += 1
            self._fails[k] = (n, first, now + min(self.MOST, 2.0 ** (n - self.FREE)) if n >= self.FREE else 0.0)
        while len(self._fails) > self.KEYS:
            del self._fails[next(iter(self._fails))]

    def succeeded(self, key: str) -> None:
        self._fails.pop(key, None)


class Site:
    def __init__(self, folder: Path, password: str | None) -> None:
        self.folder = folder
        self.password = password
        self.sessions: dict[str, PortalSession] = {}
        self.wake: asyncio.Event | None = None  # an asyncio.Event set after each change: notifications are checked then
        self.writer = threading.Lock()  # the write transactions of this process, one at a time
        self._local = threading.local()  # each worker thread's own connection to the database
        self.logins = Throttle()
        # cookies are not kept apart by port: an SSM On-Prem and a cloud SSM served side by side
        # on one host need names of their own, or logging in to one logs out of the other
        self.cookie = f"{COOKIE}-{hashlib.sha256(str(folder.resolve()).encode()).hexdigest()[:12]}"

    # -- the SSM ------------------------------------------------------------------
    @contextmanager
    def ssm(self, requests: bool = True) -> Iterator[SsmDb]:
        """The SSM for one request, on this thread's own connection (readers never wait: the
        database keeps a write-ahead log; writers queue on `writer`); refused while it is down
        for maintenance, unless not for a request (`requests`). On the event loop's thread the
        connection never waits for a writer (`SsmDb.never_wait`): its work raises Busy instead."""
        ssm = self._connection()
        ssm.forget()  # a command may have changed the meta table since this connection's last request
        try:
            if requests:
                check_open(ssm)  # down for maintenance: every page and API call answers 503
            yield ssm
        except Busy:
            raise  # nothing was done; the connection is sound
        except StoreError:
            self._drop()  # a connection that failed is not kept
            raise

    def _connection(self) -> SsmDb:
        """This thread's connection, opened anew when the database file is not the one it
        opened (a snapshot loaded, a lab reset) or a key roll was left half-done."""
        f = self.folder / "ssm.db"
        try:
            st = f.stat()
            ident: tuple[int, int] | None = (st.st_dev, st.st_ino)
        except OSError:
            ident = None
        kept = getattr(self._local, "ssm", None)
        if kept is not None and (kept.closed or self._local.ident != ident or (self.folder / ROLL).exists()):
            self._drop()
            kept = None
        if kept is None:
            kept = SsmDb.open(self.folder)
            kept.writer = self.writer
            if _on_the_loop():
                kept.never_wait()
            self._local.ssm, self._local.ident = kept, ident
        return kept

    def _drop(self) -> None:
        kept = getattr(self._local, "ssm", None)
        self._local.ssm = None
        if kept is not None and not kept.closed:
            kept.close()

    def now(self) -> int:
        return ssm_now(self.folder)

    def notify(self) -> None:
        """What time does (`due.time_passed`: an SSM On-Prem 90 days without synchronization
        removed, subscription terms started and ended), the email notifications due now
        (`ssm.core.notify`) queued and sent."""
        from ccxcli.ssm.core import due, notify

        try:
            with self.ssm(requests=False) as ssm:
                due.time_passed(ssm, self.now())
                notify.run(ssm, self.now())
        except CcxError as e:  # busy or unreadable: the next round queues what is due
            import sys

            sys.stderr.write(f"ccx-ssm serve: notifications not sent: {e.message}\n")

    def lab_home(self) -> Path | None:
        return lab_of(self.folder)

    # -- sessions -----------------------------------------------------------------
    def session(self, request: Request) -> PortalSession | None:
        sid = request.cookies.get(self.cookie, "")
        s = self.sessions.get(sid)
        if s is None or s["until"] < wall_now():
            self.sessions.pop(sid, None)
            return None
        return s

    def new_session(self, user: User, anonymous: bool = False) -> tuple[str, PortalSession]:
        """A session for `user`. A user holds at most `PER_USER` sessions (its own oldest goes
        first): logging in over and over never logs anyone else out. With `MAX_SESSIONS` open
        and unexpired, a new login is refused (503) rather than ending another user's session.
        (`anonymous`: a --no-auth portal's visitor, a session for its CSRF token only: no cap of its own.)"""
        now = wall_now()
        if len(self.sessions) >= MAX_SESSIONS:
            self.sessions = {k: v for k, v in self.sessions.items() if v["until"] >= now}
        mine = [] if anonymous else [k for k, v in self.sessions.items() if v["user"] == user]
        for k in mine[: max(0, len(mine) - PER_USER + 1)]:
            self.sessions.pop(k)
        if len(self.sessions) >= MAX_SESSIONS:
            raise StoreError(f"The portal has {MAX_SESSIONS} sessions open; try again once some have ended.")
        sid = secrets.token_urlsafe(32)
        s: PortalSession = {"csrf": secrets.token_urlsafe(32), "until": now + SESSION_LIFETIME, "user": user}
        self.sessions[sid] = s
        return sid, s

    def password_ok(self, given: str) -> bool:
        return self.password is not None and hmac.compare_digest(given.encode(), self.password.encode())

    def api_allowed(self, request: Request) -> bool:
        """The JSON API: `Authorization: Bearer PASSWORD` or Basic with any user name."""
        if self.password is None:
            return True
        auth = request.headers.get("authorization", "")
        scheme, _, value = auth.partition(" ")
        if scheme.lower() == "bearer":
            return self.password_ok(value.strip())
        if scheme.lower() == "basic":
            try:
                _, _, given = base64.b64decode(value.strip(), validate=True).decode().partition(":")
            except (ValueError, UnicodeDecodeError):
                return False
            return self.password_ok(given)
        return False


class TooLarge(UsageError):
    """A request body over its limit (HTTP 413), refused while it arrives."""


async def read_body(request: Request, limit: int) -> bytes:
    """The request's body, read no further than `limit` bytes: one declared larger (its
    Content-Length) is refused before a byte of it is read, and a chunked one as soon as it
    passes the limit, so no client makes the server hold more than `limit` for it."""
    too_large = TooLarge(f"The request body is too large (at most {limit // 1024} KiB).")
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.strip().isdigit() or int(declared) > limit):
        raise too_large
    chunks: list[bytes] = []
    size = 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise too_large
            chunks.append(chunk)
    except ClientDisconnect:  # gone before its body was all here (or hung up on as too slow)
        raise UsageError("The client went away before its request was complete.") from None
    return b"".join(chunks)


def json_object(raw: bytes) -> Json:
    """A JSON object from a request body; anything else (not JSON, nested too deeply for the
    parser, not an object) is one usage refusal: a 400 answer, never a server error."""
    try:
        parsed = json.loads(raw or b"{}")
    except ValueError:
        raise UsageError("The request body is not valid JSON.") from None
    except RecursionError:
        raise UsageError("The request body is nested too deeply.") from None
    if not isinstance(parsed, dict):
        raise UsageError("The request body must be a JSON object.")
    return parsed


async def form(request: Request) -> dict[str, str]:
    """A form's fields as single values: `application/x-www-form-urlencoded`, or
    `multipart/form-data` when it carries a file (a code the administrator brought from an
    air-gapped node), whose text is the field's value."""
    body = await read_body(request, MAX_FORM)
    ctype = request.headers.get("content-type", "")
    if ctype.lower().startswith("multipart/form-data"):
        return _multipart(ctype, body)
    try:
        pairs = parse_qs(body.decode(), keep_blank_values=True, strict_parsing=False, max_num_fields=MAX_FIELDS)
    except (UnicodeDecodeError, ValueError):
        raise UsageError("The form could not be read.") from None
    return {k: v[-1] for k, v in pairs.items()}


def _multipart(ctype: str, body: bytes) -> dict[str, str]:
    from email.message import EmailMessage
    from email.parser import BytesParser
    from email.policy import HTTP

    head = f"Content-Type: {ctype}\r\nMIME-Version: 1.0\r\n\r\n".encode("latin-1", "replace")
    msg = BytesParser(policy=HTTP).parsebytes(head + body)
    parts = list(msg.iter_parts()) if isinstance(msg, EmailMessage) and msg.is_multipart() else []
    if not parts or len(parts) > MAX_FIELDS:
        raise UsageError("The form could not be read.")
    out: dict[str, str] = {}
    for part in parts:
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            raise UsageError("The form could not be read.")
        payload = part.get_payload(decode=True)
        try:
            out[name] = (payload if isinstance(payload, bytes) else b"").decode("utf-8")
        except UnicodeDecodeError:
            filename = part.get_filename() or name
            raise UsageError(f"The file '{filename}' is not text; choose the code file the node wrote.") from None
    return out


def status_of(e: CcxError) -> int:
    if isinstance(e, InstanceGone):
        return 404
    if isinstance(e, TooLarge):
        return 413
    if isinstance(e, RuleError):
        return 409
    if isinstance(e, UsageError):
        return 400
    if isinstance(e, StoreError):
        return 503
    return 502


def kind_of(e: CcxError) -> str:
    if isinstance(e, InstanceGone):
        return "gone"
    if isinstance(e, RuleError):
        return "rule"
    if isinstance(e, UsageError):
        return "usage"
    return "store"


# The SSM core's action placeholders (`errors.CLI_WORDS`) as the portal and Cisco's API say them.
PORTAL_WORDS = {
    "update": "Update Reserved Licenses",
    "return_code": "its Reservation Return Code",
    "force": "the SSM administrator's 'ccx-ssm instance remove --force'",
}
API_WORDS = {
    "update": "update-licenses (reservationUpdateRequests)",
    "return_code": "its Reservation Return Code ('returnCode' in the request)",
    "force": "the SSM's administrator, who may release them without it",
}


def refusal(e: BaseException, words: Mapping[str, str] | None = None) -> CcxError:
    """What an exception means for an answer, in the words of where it is shown (`words`; the
    command line's by default); a bug is one line, never a traceback."""
    found = classify(e)
    if found is not None:
        return type(found)(worded(found.message, words))
    import sys
    import traceback

    sys.stderr.write(f"ccx-ssm serve: internal error: {type(e).__name__}: {e}\n")
    if tunables().debug:  # the server's Env (each request runs in its context)
        traceback.print_exception(e, file=sys.stderr)
    return StoreError(f"Internal error ({type(e).__name__}); the request changed nothing that was not saved.")


def api_error(e: BaseException) -> JSONResponse:
    r = refusal(e)
    return JSONResponse(
        {"status": "ERROR", "statusMessage": r.message, "error": {"kind": kind_of(r), "message": r.message}},
        status_code=status_of(r),
    )
