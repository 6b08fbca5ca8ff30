"""What every request of the served SSM shares: the SSM folder, its time, the password,
the portal's sessions and CSRF tokens, and how refusals become answers."""

from __future__ import annotations

import base64
import hmac
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import JSONResponse

from ccxcli.errors import CcxError, InstanceGone, RuleError, StoreError, UsageError, classify
from ccxcli.store.lab import lab_of, ssm_now

COOKIE = "ccxssm"
SESSION_LIFETIME = 12 * 3600
MAX_FORM = 512 * 1024  # a form holds at most a code or a synchronization file
MAX_SESSIONS = 10_000


class Site:
    def __init__(self, folder: Path, password: str | None) -> None:
        self.folder = folder
        self.password = password
        self.sessions: dict[str, dict[str, Any]] = {}  # id -> {csrf, until}
        self.db_lock = threading.Lock()

    # -- the SSM ------------------------------------------------------------------
    @contextmanager
    def ssm(self) -> Iterator[Any]:
        """The SSM opened for one request (each request has its own SQLite connection)."""
        from ccxcli.ssm.core.db import Ssm

        with self.db_lock:  # one request at a time on the database: no thread sleeps in SQLite's busy wait
            ssm = Ssm.open(self.folder)
            try:
                yield ssm
            finally:
                ssm.close()

    def now(self) -> int:
        return ssm_now(self.folder)

    def lab_home(self) -> Path | None:
        return lab_of(self.folder)

    # -- sessions -----------------------------------------------------------------
    def session(self, request: Request) -> dict[str, Any] | None:
        sid = request.cookies.get(COOKIE, "")
        s = self.sessions.get(sid)
        if s is None or s["until"] < time.time():
            self.sessions.pop(sid, None)
            return None
        return s

    def new_session(self) -> tuple[str, dict[str, Any]]:
        if len(self.sessions) >= MAX_SESSIONS:
            now = time.time()
            self.sessions = {k: v for k, v in self.sessions.items() if v["until"] >= now}
            while len(self.sessions) >= MAX_SESSIONS:
                self.sessions.pop(next(iter(self.sessions)))
        sid = secrets.token_urlsafe(32)
        s = {"csrf": secrets.token_urlsafe(32), "until": time.time() + SESSION_LIFETIME}
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


async def form(request: Request) -> dict[str, str]:
    """An `application/x-www-form-urlencoded` body as single values (the portal's forms)."""
    body = await request.body()
    if len(body) > MAX_FORM:
        raise UsageError("The form is too large.")
    try:
        pairs = parse_qs(body.decode(), keep_blank_values=True, strict_parsing=False, max_num_fields=200)
    except (UnicodeDecodeError, ValueError):
        raise UsageError("The form could not be read.") from None
    return {k: v[-1] for k, v in pairs.items()}


def status_of(e: CcxError) -> int:
    if isinstance(e, InstanceGone):
        return 404
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


def refusal(e: BaseException) -> CcxError:
    """What an exception means for an answer; a bug is one line, never a traceback."""
    found = classify(e)
    if found is not None:
        return found
    import os
    import sys
    import traceback

    sys.stderr.write(f"ccx-ssm serve: internal error: {type(e).__name__}: {e}\n")
    if os.environ.get("CCX_DEBUG"):
        traceback.print_exception(e, file=sys.stderr)
    return StoreError(f"Internal error ({type(e).__name__}); the request changed nothing that was not saved.")


def api_error(e: BaseException) -> JSONResponse:
    r = refusal(e)
    return JSONResponse(
        {"status": "ERROR", "statusMessage": r.message, "error": {"kind": kind_of(r), "message": r.message}},
        status_code=status_of(r),
    )
