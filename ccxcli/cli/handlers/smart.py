"""license smart register|deregister|renew|transport|factory reset|hostname."""

from __future__ import annotations

from ccxcli.codetext import read_password
from ccxcli.core import admin, engine, transports
from ccxcli.errors import Cancelled, UsageError, printable
from ccxcli.runtime import Outcome
from ccxcli.session.context import Ctx
from ccxcli.urls import url_host
from ccxcli.values import plain_text, whole

TYPE_CHECKING = False  # `typing` is not imported at run time: it costs a one-shot command start-up
if TYPE_CHECKING:
    from ccxcli.cli.grammar import Args
    from ccxcli.core.state import Transport


def register(ctx: Ctx, a: Args) -> Outcome:
    from ccxcli.session import exchange

    node = ctx.node
    admin.check_can_register(node, a.flag("force"))
    ctx.agent_ready()
    token = a.text("token").strip()
    if not token or len(token) > 512 or not token.isprintable():
        raise UsageError("Invalid ID token: copy it again from 'ccx-ssm token create'.")
    exchange.run(ctx.lab, node, "register", ctx.now, token=token, force=a.flag("force"))
    info = node["reg"]  # what the SSM answered, as the node keeps it
    return Outcome(
        f"Registration succeeded: smart account {printable(info.get('smart_account', ''))}, virtual account "
        f"{printable(info.get('virtual_account', ''))}. 'show license status' shows the details.",
        {
            "registration": "REGISTERED",
            "smart_account": info.get("smart_account"),
            "virtual_account": info.get("virtual_account"),
            "instance_id": info.get("instance"),
        },
    )


def check_deregister(ctx: Ctx, a: Args) -> None:
    admin.check_registered(ctx.node, "Deregistration")


def deregister(ctx: Ctx, a: Args) -> Outcome:
    from ccxcli.session import exchange

    node = ctx.node
    admin.check_registered(node, "Deregistration")
    warning = exchange.run(ctx.lab, node, "deregister", ctx.now)
    note = f" Warning: {warning} The instance is still listed on the SSM; remove it there." if warning else ""
    return Outcome(
        "Deregistered: all licenses released; the evaluation period resumes." + note,
        {"registration": "UNREGISTERED", "ssm_notified": warning is None},
    )


def _renew(ctx: Ctx, what: str) -> Outcome:
    from ccxcli.session import exchange

    node = ctx.node
    admin.check_registered(node, "Renewal")
    exchange.run(ctx.lab, node, "renew_auth" if what == "auth" else "renew_id", ctx.now)
    label = "Authorization" if what == "auth" else "Registration (ID certificate)"
    return Outcome(
        f"{label} renewal succeeded.", {"renewed": what, "status": engine.authorization_status(node, ctx.now)}
    )


def renew_auth(ctx: Ctx, a: Args) -> Outcome:
    return _renew(ctx, "auth")


def renew_id(ctx: Ctx, a: Args) -> Outcome:
    return _renew(ctx, "id")


def _set_transport(ctx: Ctx, transport: Transport, text: str) -> Outcome:
    admin.check_transport_change(ctx.node)
    ctx.agent_ready()
    admin.set_transport(ctx.node, ctx.now, transport, text)
    shown = {k: v for k, v in transport.items() if k != "password"}
    return Outcome(f"Transport settings updated successfully. (Transport: {printable(text)})", {"transport": shown})


def transport_direct(ctx: Ctx, a: Args) -> Outcome:
    return _set_transport(ctx, {"mode": "direct"}, f"direct (Cisco SSM, Call Home {transports.CALLHOME_URL})")


def transport_smart(ctx: Ctx, a: Args) -> Outcome:
    return _set_transport(ctx, {"mode": "smart"}, f"Smart Transport (Cisco SSM, {transports.SMART_URL})")


def check_transport(ctx: Ctx, a: Args) -> None:
    admin.check_transport_change(ctx.node)


def transport_proxy(ctx: Ctx, a: Args) -> Outcome:
    """Asks its questions before the lab is opened (the lab lock is never held while
    waiting for an answer); `check_transport` has refused a registered node already."""
    port = whole(a.text("port"), "The proxy port", 1, 65535)
    host = plain_text(a.text("host"), "The proxy host", 253)
    if any(c.isspace() or c in "/@" for c in host):
        raise UsageError(f"Invalid proxy host '{host[:60]}'.")
    tr: Transport = {"mode": "proxy", "host": host, "port": port}
    user, pw_file, no_auth = a.get("user"), a.get("password_file"), a.flag("no_auth")
    if (user is None) != (pw_file is None) or (no_auth and user is not None):
        raise UsageError("Give --user with --password-file for an authenticating proxy, or --no-auth.")
    if user is not None:
        password: str | None = read_password(str(pw_file), root=ctx.rt.file_root)
    elif not no_auth:  # UCCX's questions, asked only when no option answers them
        user, password = _ask_proxy_credentials(ctx)
    if user is not None and password is not None:
        tr["user"], tr["password"] = plain_text(user.strip(), "The proxy user name", 128), password[:256]
    return _set_transport(ctx, tr, f"proxy {host}:{port}{' with authentication' if 'user' in tr else ''}")


def _ask_proxy_credentials(ctx: Ctx) -> tuple[str | None, str | None]:
    """The user name and password of an authenticating proxy, asked at the terminal (None,
    None: the proxy does not authenticate). Without a terminal the question is refused, as
    `Continue (y/n)?` is: an unanswered question never becomes a silent no."""
    ask = ctx.rt.ask
    if ask is None:
        raise UsageError(
            "This command asks whether the proxy authenticates and there is no terminal to answer; "
            "add --no-auth, or --user U --password-file F."
        )
    answer = ask("Do you want to enable Authentication based proxy ? y/n")
    if answer is None:
        raise Cancelled("Cancelled; nothing was changed.")
    if answer.strip().lower() not in ("y", "yes"):
        return None, None
    user = ask("User Name :")
    password = ask("Password:", secret=True)
    if not user or password is None:
        raise UsageError("A user name and a password are needed for an authentication based proxy.")
    return user, password


def transport_gateway(ctx: Ctx, a: Args) -> Outcome:
    url = a.text("url")
    url_host(url, "gateway")
    return _set_transport(ctx, {"mode": "gateway", "url": url}, f"SSM On-Prem gateway {url}")


def transport_satellite(ctx: Ctx, a: Args) -> Outcome:
    url_host(a.text("url"), "ssm-satellite")
    return _set_transport(
        ctx, {"mode": "ssm-satellite", "url": a.text("url")}, f"SSM On-Prem satellite {a.text('url')}"
    )


def factory_reset(ctx: Ctx, a: Args) -> Outcome:
    was = admin.factory_reset(ctx.node, ctx.now)
    note = "" if was == engine.UNREGISTERED else " The SSM was not told; remove the product instance there."
    return Outcome("Smart Licensing data cleared." + note, {"registration": "UNREGISTERED", "previous": was})


def hostname(ctx: Ctx, a: Args) -> Outcome:
    """UCCX's privacy setting (12.5(1) SU3 release notes): `enable` turns the privacy of the
    host name on, so the SSM does not get it; `disable` turns it off (the default)."""
    private = a.text("privacy") == "enable"
    ctx.node["send_hostname"] = not private
    engine.log(
        ctx.node,
        ctx.now,
        f"Host name privacy {'enabled' if private else 'disabled'}: the host name "
        f"{'is not' if private else 'is'} sent to Cisco SSM",
    )
    text = (
        "Host name privacy enabled: the host name is not sent to Cisco SSM at registration."
        if private
        else "Host name privacy disabled: the host name is sent to Cisco SSM at registration."
    )
    return Outcome(text, {"hostname_privacy": private, "send_hostname": not private})
