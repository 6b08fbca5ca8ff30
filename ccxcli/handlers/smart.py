"""license smart register|deregister|renew|transport|factory reset|hostname."""

from __future__ import annotations

from typing import Any

from ccxcli.core import admin, engine
from ccxcli.dispatch import Ctx
from ccxcli.errors import CcxError, CommError, InstanceGone, UsageError
from ccxcli.link import url_host
from ccxcli.runtime import Result


def register(ctx: Ctx, a: dict[str, Any]) -> Result:
    node = ctx.node
    admin.check_can_register(node, a["force"])
    info = ctx.link().register(node, a["token"], ctx.now, a["force"])
    engine.apply_register(node, ctx.now, info)
    return Result(
        f"Registration succeeded: smart account {info['smart_account']}, virtual account "
        f"{info['virtual_account']}. Use 'show license status' to check the progress and result.",
        {
            "registration": "REGISTERED",
            "smart_account": info["smart_account"],
            "virtual_account": info["virtual_account"],
            "instance_id": info["instance"],
        },
    )


def deregister(ctx: Ctx, a: dict[str, Any]) -> Result:
    node = ctx.node
    admin.check_registered(node, "Deregistration")
    note = ""
    try:
        ctx.link().deregister(node, ctx.now)
    except CommError as e:
        note = f" Warning: {e.message} The instance is still listed on the SSM; remove it there."
    engine.apply_deregister(node, ctx.now)
    return Result(
        "Deregistered: all licenses released; the evaluation period resumes." + note,
        {"registration": "UNREGISTERED", "ssm_notified": not note},
    )


def _renew(ctx: Ctx, what: str) -> Result:
    node = ctx.node
    admin.check_registered(node, "Renewal")
    apply = engine.apply_auth_renew if what == "auth" else engine.apply_id_renew
    try:
        ctx.link().renew(node, ctx.now, what)
    except InstanceGone:
        engine.apply_deregister(node, ctx.now, "The product instance was removed from the SSM; registration lost")
        ctx.lab.commit()  # what the SSM said is a fact, not a refusal
        raise
    except CcxError:
        apply(node, ctx.now, False, manual=True)
        ctx.lab.commit()  # the failed attempt is part of the node's history
        raise
    apply(node, ctx.now, True, manual=True)
    label = "Authorization" if what == "auth" else "Registration (ID certificate)"
    return Result(
        f"{label} renewal succeeded.", {"renewed": what, "status": engine.authorization_status(node, ctx.now)}
    )


def renew_auth(ctx: Ctx, a: dict[str, Any]) -> Result:
    return _renew(ctx, "auth")


def renew_id(ctx: Ctx, a: dict[str, Any]) -> Result:
    return _renew(ctx, "id")


def _set_transport(ctx: Ctx, transport: dict[str, Any], text: str) -> Result:
    admin.set_transport(ctx.node, ctx.now, transport, text)
    shown = {k: v for k, v in transport.items() if k != "password"}
    return Result(f"Transport set to {text}.", {"transport": shown})


def transport_direct(ctx: Ctx, a: dict[str, Any]) -> Result:
    return _set_transport(ctx, {"mode": "direct"}, "direct (Cisco SSM)")


def transport_proxy(ctx: Ctx, a: dict[str, Any]) -> Result:
    port = a["port"]
    if not port.isdigit() or not 1 <= int(port) <= 65535:
        raise UsageError(f"Invalid port '{port}': a number from 1 to 65535.")
    host = a["host"]
    if not host or len(host) > 253 or any(c.isspace() or c in "/@" for c in host):
        raise UsageError(f"Invalid proxy host '{host[:60]}'.")
    tr: dict[str, Any] = {"mode": "proxy", "host": host, "port": int(port)}
    ask = ctx.rt.ask
    answer = ask("Do you want to enable Authentication based proxy ? y/n") if ask else None
    if answer and answer.strip().lower() in ("y", "yes"):
        user = ask("Enter the user name:") if ask else None
        password = ask("Enter the password:", secret=True) if ask else None
        if not user or password is None:
            raise UsageError("A user name and a password are needed for an authentication based proxy.")
        tr.update(user=user.strip(), password=password)
    return _set_transport(ctx, tr, f"proxy {host}:{port}{' with authentication' if 'user' in tr else ''}")


def transport_gateway(ctx: Ctx, a: dict[str, Any]) -> Result:
    url_host(a["url"], "gateway")
    return _set_transport(ctx, {"mode": "gateway", "url": a["url"]}, f"SSM On-Prem gateway {a['url']}")


def transport_satellite(ctx: Ctx, a: dict[str, Any]) -> Result:
    url_host(a["url"], "ssm-satellite")
    return _set_transport(ctx, {"mode": "ssm-satellite", "url": a["url"]}, f"SSM On-Prem satellite {a['url']}")


def factory_reset(ctx: Ctx, a: dict[str, Any]) -> Result:
    was = admin.factory_reset(ctx.node, ctx.now)
    note = "" if was == engine.UNREGISTERED else " The SSM was not told; remove the product instance there."
    return Result("Smart Licensing data cleared." + note, {"registration": "UNREGISTERED", "previous": was})


def hostname(ctx: Ctx, a: dict[str, Any]) -> Result:
    on = a["enable|disable"] == "enable"
    ctx.node["send_hostname"] = on
    engine.log(ctx.node, ctx.now, f"Sending the host name to Cisco SSM {'enabled' if on else 'disabled'}")
    return Result(f"Host name {'will' if on else 'will not'} be sent to Cisco SSM.", {"send_hostname": on})
