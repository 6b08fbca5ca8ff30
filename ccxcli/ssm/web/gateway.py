"""A node's messages to a served SSM (the device endpoints): read no further than their limit,
checked, and applied on the event loop in batches. The messages that arrived together are
applied one after the other, each all or nothing, and made durable by one commit before any
of them is answered: the commit was a quarter of a message's cost (benchmarks/README.md)."""

from __future__ import annotations

import asyncio
import sqlite3

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from ccxcli.errors import CcxError, StoreError, UsageError
from ccxcli.ssm.core.db import SsmDb
from ccxcli.ssm.core.device import handle
from ccxcli.ssm.core.txn import Busy
from ccxcli.ssm.web.site import Site, TooLarge, guarded, json_object, kind_of, read_body, refusal

MAX_MESSAGE = 256 * 1024  # one node message: a registration or a usage report
# Turns of the event loop a batch stays open: the messages read meanwhile join it. Each turn
# costs a poll of the sockets, microseconds; with 8 nodes reporting at once, batches of 4-5
# instead of 2 (benchmarks/README.md).
BATCH_TURNS = 3
# The most messages one batch applies (about 10 ms of the loop's time): when more wait (a class
# of hundreds of nodes reporting at once), the rest make the next batch, and the loop answers
# other requests between them.
MAX_BATCH = 64
Outcome = tuple[object, "BaseException | None"]  # a message's answer, or what refused it


class Malformed(UsageError):
    """A node's message that is not `{"op": TEXT, "args": …}` (HTTP 400)."""


class FastLane:
    """A node's message goes to the gateway straight from the app's own middleware, past the
    router's search among the portal's and the APIs' routes: it is the served SSM's most
    frequent request. Anything else, and a message on another path, goes on (the router has
    the same gateway's routes)."""

    def __init__(self, app: ASGIApp, gateway: Gateway) -> None:
        self.app, self.gateway = app, gateway

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST" and scope["path"] in self.gateway.paths:
            response = await self.gateway.answer(Request(scope, receive))
            await response(scope, receive, send)
        else:
            await self.app(scope, receive, send)


class Gateway:
    """The node messages that wait for the event loop's next batch, in the order they came (a
    node waits for each answer, so its own messages keep their order)."""

    def __init__(self, site: Site, paths: tuple[str, ...]) -> None:
        self.site, self.paths = site, paths
        self._waiting: list[tuple[str, object, asyncio.Future[object]]] = []

    async def answer(self, request: Request) -> Response:
        """A node's message: `{"op", "args"}` → `{"ok": true, "result"}` or a refusal with its kind."""
        return await guarded(self._message(request), refused)

    async def _message(self, request: Request) -> Response:
        try:
            doc = json_object(await read_body(request, MAX_MESSAGE))
        except TooLarge:
            raise
        except UsageError:
            raise Malformed("Malformed device message.") from None
        op = doc.get("op")
        if not isinstance(op, str):
            raise Malformed("Malformed device message.")
        return JSONResponse({"ok": True, "result": await self.apply(op, doc.get("args"))})

    async def apply(self, op: str, args: object) -> object:
        """The answer to one message, once the batch it joined is committed. When another
        process or thread holds the database, the batch did nothing (Busy) and the message is
        applied alone on a worker thread, which waits: the loop never does."""
        loop = asyncio.get_running_loop()
        done: asyncio.Future[object] = loop.create_future()
        self._waiting.append((op, args, done))
        if len(self._waiting) == 1:
            self._open(loop, BATCH_TURNS)
        try:
            return await done
        except StoreError as e:  # Busy, or the database found busy while opening it: nothing was done
            if not isinstance(e, Busy) and "busy" not in e.message:
                raise
        return await run_in_threadpool(_alone, self.site, op, args)

    def _open(self, loop: asyncio.AbstractEventLoop, turns: int) -> None:
        """Keep the batch open for `turns` more turns of the loop, then apply it."""
        if turns:
            loop.call_soon(self._open, loop, turns - 1)
        else:
            self._batch()

    def _batch(self) -> None:
        waiting, self._waiting = self._waiting[:MAX_BATCH], self._waiting[MAX_BATCH:]
        if self._waiting:
            asyncio.get_running_loop().call_soon(self._batch)
        outcomes: list[Outcome] = []
        try:
            with self.site.ssm() as ssm, ssm.batch():
                outcomes = [_outcome(ssm, op, args) for op, args, _ in waiting]
        except (CcxError, sqlite3.Error) as e:  # nothing of the batch was committed: each gets the refusal
            outcomes = [(None, e)] * len(waiting)
        finally:  # every message is answered, whatever ended the batch
            stopped: Outcome = (None, StoreError("The SSM stopped before the message was applied."))
            for k, (_, _, done) in enumerate(waiting):
                answer, error = outcomes[k] if k < len(outcomes) else stopped
                if done.done():
                    continue
                if error is None:
                    done.set_result(answer)
                else:
                    done.set_exception(error)


def _outcome(ssm: SsmDb, op: str, args: object) -> Outcome:
    try:
        return handle(ssm, op, args, served=True), None
    except BaseException as e:  # this message's refusal: its own savepoint was undone, the others stand
        if isinstance(e, (KeyboardInterrupt, SystemExit)):
            raise
        return None, e


def _alone(site: Site, op: str, args: object) -> object:
    with site.ssm() as ssm:
        return handle(ssm, op, args, served=True)


def refused(e: BaseException) -> Response:
    """Every refusal is an answer the node understands: a message it sent wrong (400, 413), or
    the SSM's refusal with its kind (200; 503 while the store is busy or down)."""
    if isinstance(e, (TooLarge, Malformed)):
        return JSONResponse(
            {"ok": False, "error": {"kind": "usage", "message": e.message}}, 413 if isinstance(e, TooLarge) else 400
        )
    r = refusal(e)
    kind = kind_of(r)
    return JSONResponse(
        {"ok": False, "error": {"kind": kind, "message": r.message}}, status_code=503 if kind == "store" else 200
    )
