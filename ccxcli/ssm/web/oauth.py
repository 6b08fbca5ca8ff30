"""OAuth2 client credentials as Cisco's API clients get their tokens (`/as/token.oauth2`,
`/oauth2/default/v1/token`) and as SSM On-Prem's monitoring clients do (`/backend/oauth/token`):
the secret of an `api-client` for a bearer token of an hour."""

from __future__ import annotations

import base64
from collections.abc import Awaitable, Callable
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ccxcli.clock import wall_now
from ccxcli.errors import UsageError
from ccxcli.ssm.core import apiclient
from ccxcli.ssm.core.apiclient import BadCredentials
from ccxcli.ssm.web.api import MAX_BODY
from ccxcli.ssm.web.site import Site, TooLarge, guarded, in_ssm, json_object, read_body, refusal, status_of

TOKEN_PATHS = ("/as/token.oauth2", "/oauth2/default/v1/token", "/backend/oauth/token")  # the last: SSM On-Prem's


def _oauth_error(status: int, code: str, text: str) -> JSONResponse:
    headers = {"Cache-Control": "no-store"}
    if status == 401:
        headers["WWW-Authenticate"] = 'Basic realm="ccx-ssm"'
    return JSONResponse({"error": code, "error_description": text}, status_code=status, headers=headers)


def token_endpoint(site: Site) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        """client_credentials (or password, whose user name and password are not checked:
        the lab has no Cisco.com users) from the form body, the query string or HTTP Basic."""
        try:
            raw = await read_body(request, MAX_BODY)
        except UsageError as e:
            return _oauth_error(413 if isinstance(e, TooLarge) else 400, "invalid_request", e.message)
        try:
            if request.headers.get("content-type", "").split(";")[0].strip().lower() == "application/json":
                form = {k: str(v) for k, v in json_object(raw).items() if isinstance(v, (str, int))}  # SSM On-Prem's
            else:
                form = {k: v[-1] for k, v in parse_qs(raw.decode(), max_num_fields=50).items()}
        except (UnicodeDecodeError, ValueError, UsageError):
            return _oauth_error(400, "invalid_request", "The request body could not be read.")
        given = {**dict(request.query_params), **form}
        client_id, secret = given.get("client_id", ""), given.get("client_secret", "")
        scheme, _, value = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() == "basic":
            try:
                client_id, _, secret = base64.b64decode(value.strip(), validate=True).decode().partition(":")
            except (ValueError, UnicodeDecodeError):
                return _oauth_error(401, "invalid_client", "The Basic credentials could not be read.")
        grant = given.get("grant_type", "")
        if not grant:
            return _oauth_error(400, "invalid_request", "grant_type is required (client_credentials).")
        if grant not in ("client_credentials", "password"):
            return _oauth_error(400, "unsupported_grant_type", f"grant_type '{grant[:40]}' is not supported.")
        if not client_id or not secret:
            return _oauth_error(401, "invalid_client", "client_id and client_secret are required.")
        return await guarded(_granted(site, client_id, secret), _refused)

    return endpoint


async def _granted(site: Site, client_id: str, secret: str) -> Response:
    answer = await in_ssm(site, lambda ssm: apiclient.grant(ssm, client_id, secret, wall_now()))
    return JSONResponse(answer, headers={"Cache-Control": "no-store", "Pragma": "no-cache"})


def _refused(e: BaseException) -> Response:
    if isinstance(e, BadCredentials):
        return _oauth_error(401, "invalid_client", e.message)
    r = refusal(e)
    return _oauth_error(status_of(r), "server_error", r.message)


def routes(site: Site) -> list[Route]:
    return [Route(p, token_endpoint(site), methods=["POST"]) for p in TOKEN_PATHS]
