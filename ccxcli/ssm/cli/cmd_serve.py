"""ccx-ssm serve: the SSM over HTTPS (device endpoints, portal, JSON API)."""

from __future__ import annotations

from ccxcli.errors import UsageError
from ccxcli.ssm.cli.app import SsmRun, command, open_ssm, password_from, ssm_folder
from ccxcli.ssm.cli.cmdkit import Option


@command(
    "serve",
    "Serve this SSM over HTTPS: nodes of other labs, the Smart Software Manager portal, the JSON API.",
    changes="nothing by itself (writes the TLS certificate tls-cert.pem into the SSM folder); what is done "
    "through it changes the SSM as the commands do.",
    example="ccx-ssm serve --listen 127.0.0.1:8443 --password-file ~/.ssm-password",
    params=(
        Option(
            "--listen",
            "Address to listen on, HOST:PORT (port 0 picks one).",
            default="127.0.0.1:8443",
            metavar="HOST:PORT",
        ),
        Option("--allow-remote", "Allow a non-loopback address.", kind="flag", default=False),
        Option("--password-file", "File whose first line is the portal and API password.", metavar="FILE"),
        Option("--no-auth", "No password (loopback addresses only).", kind="flag", default=False),
        Option(
            "--stop-after",
            "Stop by itself after this many seconds (tests, demos).",
            kind="int",
            default=0,
            lo=0,
            hi=86400 * 365,
            metavar="SECONDS",
        ),
        Option(
            "--max-connections",
            "Connections open at once; a request on one more is answered 503.",
            kind="int",
            default=1000,
            lo=2,
            hi=100_000,
            metavar="N",
        ),
        Option(
            "--request-timeout",
            "Seconds a client has to send a whole request (headers and body); a slower one is hung up on.",
            kind="int",
            default=30,
            lo=1,
            hi=3600,
            metavar="SECONDS",
        ),
    ),
)
def serve(
    rt: SsmRun,
    listen: str,
    allow_remote: bool,
    password_file: str | None,
    no_auth: bool,
    stop_after: int,
    max_connections: int,
    request_timeout: int,
) -> None:
    from ccxcli.values import is_loopback, parse_listen

    host, port = parse_listen(listen, allow_remote, "127.0.0.1:8443")
    if no_auth and password_file:
        raise UsageError("Give --password-file or --no-auth, not both.")
    if no_auth and not is_loopback(host):
        raise UsageError("--no-auth is allowed on a loopback address only; give --password-file FILE.")
    if not no_auth and not password_file:
        raise UsageError("The portal needs a password: give --password-file FILE (or --no-auth on a loopback address).")
    password = password_from(password_file) if password_file else None
    ssm, _ = open_ssm(rt)  # the embedded default lab exists first; a missing SSM is refused here
    ssm.close()
    try:
        from ccxcli.ssm.web.server import run
    except ImportError as e:
        raise UsageError(f"'ccx-ssm serve' needs starlette, uvicorn and jinja2 ({e.name} is missing).") from None
    run(ssm_folder(rt), host, port, password, rt.out, stop_after, max_connections, request_timeout)
