"""license smart reservation … and sim ssm trust."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

from ccxcli.codetext import read_code, read_file
from ccxcli.core import reservation as R
from ccxcli.dispatch import Ctx
from ccxcli.errors import UsageError
from ccxcli.runtime import Result


def enable(ctx: Ctx, a: dict[str, Any]) -> Result:
    changed = R.enable(ctx.node, ctx.now)
    return Result(
        "License reservation is enabled." if changed else "License reservation is already enabled.",
        {"reservation": "ENABLED"},
    )


def disable(ctx: Ctx, a: dict[str, Any]) -> Result:
    R.disable(ctx.node, ctx.now)
    return Result("License reservation is disabled.", {"reservation": "DISABLED"})


def request(ctx: Ctx, a: dict[str, Any]) -> Result:
    node = ctx.node
    pending = R.pending_request(node)
    if pending is None:
        R.check_can_request(node)
        from ccxcli.codes import make_request, new_reservation_key

        key_hex, pub = new_reservation_key()
        nonce = secrets.token_bytes(8)
        code = make_request(node["sn"], node["uuid"], pub, nonce)
        R.request(node, ctx.now, code, nonce.hex(), key_hex)
        pending = R.pending_request(node)
    assert pending is not None
    return Result(pending["code"], {"request_code": pending["code"], "registration": "RESERVATION_IN_PROGRESS"})


def cancel(ctx: Ctx, a: dict[str, Any]) -> Result:
    R.cancel(ctx.node, ctx.now)
    return Result("Reservation request cancelled.", {"reservation": "ENABLED"})


def trusted_keys(ctx: Ctx) -> list[bytes]:
    lab = ctx.lab
    keys = []
    for name in lab.ssm_names():
        try:
            keys.append((lab.ssm_dir(name) / "public.pem").read_bytes())
        except OSError:
            continue
    keys += [k.encode() for k in lab.data.get("trusted", [])]
    return keys


def _verified(ctx: Ctx, code: str) -> Any:
    """The parsed code, once it is known to be for this node and signed by a trusted SSM.
    A code for another node says so before its signature is looked at."""
    from ccxcli.codes import parse_authorization, verify_authorization

    auth = parse_authorization(code)
    R.check_code_for_node(ctx.node, auth.udi)
    verify_authorization(auth, trusted_keys(ctx))
    return auth


def _install(ctx: Ctx, code: str) -> Result:
    from ccxcli.codes import confirmation

    node = ctx.node
    auth = _verified(ctx, code)
    conf = R.install(node, ctx.now, auth.piid, auth.timestamp, auth.counts, auth.udi, confirmation(auth))
    reserved = ", ".join(f"{k} {v}" for k, v in sorted(auth.counts.items()))
    if conf is None:
        return Result(
            f"Reservation Authorization Code installed: {reserved}.",
            {"installed": True, "reserved": auth.counts, "registration": "REGISTERED_SLR"},
        )
    return Result(conf, {"confirmation_code": conf, "reserved": auth.counts, "updated": True})


def install(ctx: Ctx, a: dict[str, Any]) -> Result:
    return _install(ctx, read_code(a["code"]))


def install_file(ctx: Ctx, a: dict[str, Any]) -> Result:
    return _install(ctx, read_file(a["path"]))


def return_(ctx: Ctx, a: dict[str, Any]) -> Result:
    from ccxcli.codes import make_return

    node = ctx.node
    piid, key = R.take_return(node, ctx.now)
    code = make_return(key, piid, ctx.now)
    node["slr"]["return_code"] = code
    return Result(code, {"return_code": code, "registration": "UNREGISTERED"})


def return_authorization(ctx: Ctx, a: dict[str, Any]) -> Result:
    from ccxcli.codes import make_return

    node = ctx.node
    auth = _verified(ctx, read_code(a["code"]))
    key = R.key_for_uninstalled(node, ctx.now, auth.piid, auth.udi)
    ret = make_return(key, auth.piid, ctx.now)
    node["slr"]["return_code"] = ret
    return Result(ret, {"return_code": ret})


def trust(ctx: Ctx, a: dict[str, Any]) -> Result:
    from ccxcli.codes import canonical_public_pem

    try:
        pem = Path(a["file"]).expanduser().read_bytes()[:10000]
    except OSError as e:
        raise UsageError(f"Cannot read {a['file']}: {e.strerror}.") from None
    trusted = ctx.lab.data.setdefault("trusted", [])
    text = canonical_public_pem(pem)
    if text not in trusted:
        trusted.append(text)
    return Result(f"SSM key from {a['file']} is now trusted by every node of this lab.", {"trusted": len(trusted)})
