"""`ccx-ssm serve`: the application (device endpoints, portal, API) and the HTTPS server."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from pathlib import Path
from typing import TextIO

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ccxcli.ssm.core.served_cert import served
from ccxcli.ssm.web import (
    api,
    cssm,
    cssm_slr,
    cssm_tokens,
    oauth,
    onprem_api,
    portal,
    portal_instances,
    portal_licenses,
    portal_sync,
    portal_wizard,
)
from ccxcli.ssm.web.gateway import FastLane, Gateway
from ccxcli.ssm.web.site import Site
from ccxcli.urls import GATEWAY_PATH, SATELLITE_PATH

MAX_CONNECTIONS = 1000  # open at once (`--max-connections`); a request on one more is answered 503
REQUEST_TIMEOUT = 30.0  # seconds a client has to send a whole request (`--request-timeout`)
NOTIFY_EVERY = 60.0  # seconds: the SSM's email notifications are checked this often, and after each change
NOTIFY_AFTER = 0.25  # seconds after a change: the rest of a burst (a class's nodes reporting) is checked with it


class Poke:
    """After each POST (anything that may change the SSM), wake the notifier."""

    def __init__(self, app: ASGIApp, site: Site) -> None:
        self.app, self.site = app, site

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)
        if scope["type"] == "http" and scope.get("method") == "POST" and self.site.wake is not None:
            self.site.wake.set()


class HangUpOnTooLarge:
    """A 413 answer (a body over its limit, `site.read_body`) says `Connection: close`: the
    server then hangs up instead of reading the rest of a body it has refused."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] == 413:
                message = {**message, "headers": [*message.get("headers", []), (b"connection", b"close")]}
            await send(message)

        await self.app(scope, receive, sending if scope["type"] == "http" else send)


def bounded_http(seconds: float) -> type[asyncio.Protocol]:
    """uvicorn's HTTP/1.1 protocol (h11), with a bound on the time a client takes to send a whole
    request, headers and body, counted from the connection's start or the previous answer: a
    client that is slower (a slowloris, a stalled upload) is hung up on. uvicorn has no such
    bound of its own; its keep-alive timer runs only between requests."""
    import h11
    from uvicorn.protocols.http.h11_impl import H11Protocol

    class Bounded(H11Protocol):
        _deadline: asyncio.TimerHandle | None = None

        def _arm(self) -> None:
            self._disarm()
            self._deadline = self.loop.call_later(seconds, self._too_slow)

        def _disarm(self) -> None:
            if self._deadline is not None:
                self._deadline.cancel()
                self._deadline = None

        def _too_slow(self) -> None:
            self._deadline = None
            if self.conn.their_state is not h11.DONE and not self.transport.is_closing():
                self.transport.close()

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._arm()

        def handle_events(self) -> None:
            super().handle_events()
            if self.conn.their_state is not h11.IDLE and self.conn.their_state is not h11.SEND_BODY:
                self._disarm()  # the request is all here (or the connection is ending)

        def on_response_complete(self) -> None:
            super().on_response_complete()
            if not self.transport.is_closing():
                self._arm()  # the next request on this connection has the same time

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            super().connection_lost(exc)

    return Bounded


async def notifier(site: Site) -> None:
    """The served SSM's email notifications: after each change (once for the changes of
    NOTIFY_AFTER seconds: not once per node message), and every NOTIFY_EVERY seconds for what
    time alone raises (a day's summary, an instance that stopped reporting)."""
    site.wake = asyncio.Event()
    while True:
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(site.wake.wait(), NOTIFY_EVERY)
            await asyncio.sleep(NOTIFY_AFTER)
        site.wake.clear()
        await run_in_threadpool(site.notify)


def app(site: Site) -> Starlette:
    gateway = Gateway(site, (GATEWAY_PATH, SATELLITE_PATH))
    routes = [Route(p, gateway.answer, methods=["POST"]) for p in gateway.paths]
    application = Starlette(
        routes=[
            *routes,
            *oauth.routes(site),
            *cssm.routes(site),
            *cssm_slr.routes(site),
            *cssm_tokens.routes(site),
            *onprem_api.routes(site),
            *api.routes(site),
            *portal.routes(site),
            *portal.routes(site, portal_instances.PAGES),
            *portal.routes(site, portal_licenses.PAGES),
            *portal.routes(site, portal_wizard.PAGES),
            *portal.routes(site, portal_sync.PAGES),
        ],
        middleware=[
            Middleware(HangUpOnTooLarge),
            Middleware(CollapseSlashes),
            Middleware(Poke, site=site),
            Middleware(FastLane, gateway=gateway),  # node messages skip the router
        ],
        exception_handlers={404: not_there, 405: not_there},
    )
    application.state.site = site
    return application


async def serve(
    site: Site,
    host: str,
    port: int,
    out: TextIO,
    stop_after: float = 0,
    max_connections: int = MAX_CONNECTIONS,
    request_timeout: float = REQUEST_TIMEOUT,
) -> None:
    import socket

    import uvicorn

    with site.ssm(requests=False) as ssm:
        names = ssm.names()
        label = f"SSM '{site.folder.name}' ({ssm.account}{', on-prem' if ssm.on_prem else ''})"
    cert = served(site.folder, names)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # inherited by accepted connections (Linux)
    sock.bind((host, port))
    sock.listen(128)
    sock.set_inheritable(True)
    bound = sock.getsockname()
    config = uvicorn.Config(
        app(site),
        ssl_keyfile=str(site.folder / "key.pem"),
        ssl_certfile=str(cert),
        log_level="warning",
        access_log=False,
        lifespan="off",
        timeout_keep_alive=30,
        timeout_graceful_shutdown=3,  # open browser connections do not hold a stop up
        # connections open at once: a request on one more is answered 503 (uvicorn's limit)
        limit_concurrency=max_connections,
        http=bounded_http(request_timeout),
        server_header=False,
    )
    server = uvicorn.Server(config)
    # Our handlers, installed before the ready line (a stop request is never lost); uvicorn's
    # would re-raise the signal after a clean stop and end the process with it.
    setattr(server, "capture_signals", contextlib.nullcontext)  # noqa: B010
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, lambda: setattr(server, "should_exit", True))
    if stop_after > 0:
        loop.call_later(stop_after, lambda: setattr(server, "should_exit", True))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    notifying = asyncio.create_task(notifier(site))
    while not server.started and not task.done():
        await asyncio.sleep(0.01)
    if server.started:
        shown = f"[{bound[0]}]" if family == socket.AF_INET6 else bound[0]
        cn = (names or ["localhost"])[0]
        out.write(
            f"{label} serving https://{shown}:{bound[1]}/ (certificate for {', '.join(names or ['localhost'])};"
            f" nodes: https://{cn}:{bound[1]}{GATEWAY_PATH})\n"
        )
        out.flush()
    await task
    notifying.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await notifying
    await run_in_threadpool(site.notify)  # what the last requests made due
    out.write("Stopped.\n")
    out.flush()


def run(
    folder: Path,
    host: str,
    port: int,
    password: str | None,
    out: TextIO,
    stop_after: float = 0,
    max_connections: int = MAX_CONNECTIONS,
    request_timeout: float = REQUEST_TIMEOUT,
) -> int:
    site = Site(folder, password)
    asyncio.run(serve(site, host, port, out, stop_after, max_connections, request_timeout))
    return 0


# Every prefix a script or device might call on Cisco (the Smart Accounts API, OAuth2, the
# software APIs, SSM On-Prem's backend, the transport gateway, Smart Receiver, Call Home): an
# unknown path there is answered in JSON, never the portal's plain text.
JSON_PATHS = (
    "/services/",
    "/api/",
    "/as/",
    "/oauth2/",
    "/software/",
    "/backend/",
    "/Transportgateway/",
    "/SmartTransport/",
    "/licservice/",
    "/its/",
)


async def not_there(request: Request, exc: Exception) -> Response:
    """404 and 405 under the API paths in the envelope Cisco's clients read; elsewhere plain."""
    from starlette.exceptions import HTTPException
    from starlette.responses import PlainTextResponse

    code = exc.status_code if isinstance(exc, HTTPException) else 500
    if request.url.path.startswith(JSON_PATHS):
        what = "No such endpoint" if code == 404 else f"Method {request.method} is not allowed here"
        return cssm.error(code, f"{what}: {request.url.path[:200]}.")
    return PlainTextResponse("Not Found" if code == 404 else "Method Not Allowed", status_code=code)


class CollapseSlashes:
    """Cisco's gateway takes `//services/api//…`: repeated slashes in a path are one."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and "//" in scope["path"]:
            path = "/" + "/".join(p for p in scope["path"].split("/") if p)
            scope = {**scope, "path": path, "raw_path": path.encode()}
        await self.app(scope, receive, send)
