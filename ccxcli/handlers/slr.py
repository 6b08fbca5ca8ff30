"""license smart reservation … and sim ssm trust."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

from ccxcli.core import reservation as R
from ccxcli.dispatch import Ctx
from ccxcli.errors import RuleError, UsageError
from ccxcli.runtime import Result

R_MAX = 64 * 1024  # an Authorization Code is about 1 kB per license line


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


def _install(ctx: Ctx, code: str) -> Result:
    from ccxcli.codes import check_authorization, confirmation, parse_authorization

    node = ctx.node
    R.check_code_for_node(node, parse_authorization(code).udi)
    auth = check_authorization(code, trusted_keys(ctx))
    conf = R.install(node, ctx.now, auth.piid, auth.timestamp, auth.counts, auth.udi, confirmation(auth))
    reserved = ", ".join(f"{k} {v}" for k, v in sorted(auth.counts.items()))
    if conf is None:
        return Result(
            f"Reservation Authorization Code installed: {reserved}.",
            {"installed": True, "reserved": auth.counts, "registration": "REGISTERED_SLR"},
        )
    return Result(conf, {"confirmation_code": conf, "reserved": auth.counts, "updated": True})


def install(ctx: Ctx, a: dict[str, Any]) -> Result:
    return _install(ctx, _code_arg(a["code"]))


def _code_arg(text: str) -> str:
    """A code argument: the code itself, `-` for stdin, or `@FILE`."""
    if text == "-":
        import sys

        return sys.stdin.read(R_MAX + 1)
    if text.startswith("@"):
        return _read_file(text[1:])
    return text


def _read_file(path: str) -> str:
    try:
        with open(Path(path).expanduser(), encoding="utf-8") as f:
            text = f.read(R_MAX + 1)
    except (OSError, UnicodeDecodeError) as e:
        raise UsageError(f"Cannot read {path}: {getattr(e, 'strerror', None) or 'not a text file'}.") from None
    if len(text) > R_MAX:
        raise RuleError(f"{path} is too large to be an Authorization Code.")
    return text


def install_file(ctx: Ctx, a: dict[str, Any]) -> Result:
    return _install(ctx, _read_file(a["path"]))


def return_(ctx: Ctx, a: dict[str, Any]) -> Result:
    from ccxcli.codes import make_return

    node = ctx.node
    piid, key = R.take_return(node, ctx.now)
    code = make_return(key, piid, ctx.now)
    node["slr"]["return_code"] = code
    return Result(code, {"return_code": code, "registration": "UNREGISTERED"})


def return_authorization(ctx: Ctx, a: dict[str, Any]) -> Result:
    from ccxcli.codes import check_authorization, make_return, parse_authorization

    node = ctx.node
    code = _code_arg(a["code"])
    R.check_code_for_node(node, parse_authorization(code).udi)
    auth = check_authorization(code, trusted_keys(ctx))
    key = R.key_for_uninstalled(node, ctx.now, auth.piid, auth.udi)
    ret = make_return(key, auth.piid, ctx.now)
    node["slr"]["return_code"] = ret
    return Result(ret, {"return_code": ret})


def trust(ctx: Ctx, a: dict[str, Any]) -> Result:
    from ccxcli.codes import load_public

    try:
        pem = Path(a["file"]).expanduser().read_bytes()[:10000]
    except OSError as e:
        raise UsageError(f"Cannot read {a['file']}: {e.strerror}.") from None
    load_public(pem)
    trusted = ctx.lab.data.setdefault("trusted", [])
    text = pem.decode()
    if text not in trusted:
        trusted.append(text)
    return Result(f"SSM key from {a['file']} is now trusted by every node of this lab.", {"trusted": len(trusted)})
