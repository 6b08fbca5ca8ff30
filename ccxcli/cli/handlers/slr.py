"""license smart reservation … and sim ssm trust."""

from __future__ import annotations

from ccxcli.codetext import read_code, read_file
from ccxcli.core import reservation as R
from ccxcli.errors import RuleError
from ccxcli.runtime import Result
from ccxcli.session.context import Ctx

TYPE_CHECKING = False  # `typing` is not imported at run time: it costs a one-shot command start-up
if TYPE_CHECKING:
    from typing import Any

    from ccxcli.cli.grammar import Args
    from ccxcli.core.state import Node

MAX_TRUSTED = 100


def enable(ctx: Ctx, a: Args) -> Result:
    changed = R.enable(ctx.node, ctx.now)
    return Result(
        "License reservation mode is enabled successfully." if changed else "License reservation is already enabled.",
        {"reservation": "ENABLED"},
    )


def disable(ctx: Ctx, a: Args) -> Result:
    R.disable(ctx.node, ctx.now)
    return Result("License reservation mode is disabled successfully.", {"reservation": "DISABLED"})


def request(ctx: Ctx, a: Args) -> Result:
    node = ctx.node
    pending = R.pending_request(node)
    if pending is None:
        from ccxcli.protocol import codes

        seq, piid = R.next_request(node, codes.new_secret())
        key = codes.reservation_key(R.key_material(node, piid))
        code = codes.make_request(
            node["sn"], node["uuid"], codes.public_bytes(key), bytes.fromhex(piid), node["license_type"]
        )
        R.request(node, ctx.now, code, seq, piid)
        pending = R.pending_request(node)
    assert pending is not None
    return Result(
        pending["code"],
        {"request_code": pending["code"], "registration": "RESERVATION_IN_PROGRESS"},
        label="Enter this Reservation Request Code in Cisco Smart Software Manager (Reserve Licenses):",
        carry=True,
    )


def cancel(ctx: Ctx, a: Args) -> Result:
    R.cancel(ctx.node, ctx.now)
    return Result("License reservation request is cancelled successfully.", {"reservation": "ENABLED"})


def trusted_keys(ctx: Ctx) -> list[bytes]:
    return ctx.lab.trusted_keys()


def _verified(ctx: Ctx, code: str) -> tuple[Any, bytes]:
    """The parsed code and the SSM key that signed it, once it is known to be for this node
    and signed by a trusted SSM. A code for another node says so before its signature is
    looked at."""
    from ccxcli.protocol.codes import parse_authorization, verify_authorization

    auth = parse_authorization(code)
    R.check_code_for_node(ctx.node, auth.udi)
    return auth, verify_authorization(auth, trusted_keys(ctx))


def _install(ctx: Ctx, code: str) -> Result:
    from ccxcli.cli.handlers.smart import agent_ready
    from ccxcli.protocol import codes

    node = ctx.node
    auth, signer = _verified(ctx, code)
    agent_ready(ctx)  # installing reads the code's entitlement tags
    conf = ""
    installed = node["slr"].get("installed")
    if R.is_update(node) and installed is not None and installed["piid"] == auth.piid:
        key = codes.reservation_key(R.key_material(node, auth.piid))
        conf = codes.node_confirmation(key, signer, auth)
    conf_out = R.install(node, ctx.now, auth.piid, auth.timestamp, auth.counts, auth.udi, conf)
    covers = R.coverage(node, auth.counts)
    if conf_out is None:
        return Result(
            "Authorization code installed successfully.\n" + covers,
            {"installed": True, "reserved": auth.counts, "registration": "REGISTERED_SLR", "covers": covers},
        )
    return Result(
        conf_out,
        {"confirmation_code": conf_out, "reserved": auth.counts, "updated": True},
        label="Authorization code installed successfully. Enter this Confirmation Code in Cisco Smart "
        "Software Manager to complete the reservation update:",
        carry=True,
    )


def _code_words(words: list[str]) -> str:
    """A code given as one quoted argument, or unquoted as the rest of the line: an
    Authorization Code holds single spaces (in its display names), which the words keep
    between them; the signature check refuses a code whose spacing was changed."""
    return " ".join(words)


def install(ctx: Ctx, a: Args) -> Result:
    return _install(ctx, read_code(_code_words(a.many("code")), ctx.rt.inp, root=ctx.rt.file_root))


def install_file(ctx: Ctx, a: Args) -> Result:
    """A local path, or VOS's `sftp://HOST[:PORT]/PATH` form naming a file put on this lab's
    own SSH server (`ccx serve`)."""
    path = a.text("path")
    if path.lower().startswith("sftp://"):
        import os

        from ccxcli.uploads import UPLOAD, sftp_path

        # the URL names a file of this lab's upload folder (sftp_path refuses any other)
        upload = os.path.join(ctx.rt.home, UPLOAD)
        return _install(ctx, read_file(str(sftp_path(path, ctx.rt.home)), root=upload))
    return _install(ctx, read_file(path, root=ctx.rt.file_root))


def _return_result(ctx: Ctx, node: Node, piid: str, material: dict[str, str], extra: dict[str, object]) -> Result:
    from ccxcli.protocol import codes

    code = codes.make_return(codes.reservation_key(material), piid, ctx.now)
    node["slr"]["return_code"] = code
    return Result(
        code,
        {"return_code": code, **extra},
        label="Enter this Reservation Return Code in Cisco Smart Software Manager to return the licenses:",
        carry=True,
    )


def check_return(ctx: Ctx, a: Args) -> None:
    R.check_can_return(ctx.node)


def return_(ctx: Ctx, a: Args) -> Result:
    node = ctx.node
    piid, material = R.take_return(node, ctx.now)
    return _return_result(ctx, node, piid, material, {"registration": "UNREGISTERED"})


def return_authorization(ctx: Ctx, a: Args) -> Result:
    node = ctx.node
    auth, _ = _verified(ctx, read_code(_code_words(a.many("code")), ctx.rt.inp, root=ctx.rt.file_root))
    material = R.key_for_uninstalled(node, ctx.now, auth.piid, auth.udi)
    return _return_result(ctx, node, auth.piid, material, {})


def trust(ctx: Ctx, a: Args) -> Result:
    from ccxcli.protocol.codes import canonical_public_pem

    pem = read_file(a.text("file"), limit=10_000, what="a public key", root=ctx.rt.file_root)
    trusted = ctx.lab.data.setdefault("trusted", [])
    text = canonical_public_pem(pem.encode())
    if text not in trusted:
        if len(trusted) >= MAX_TRUSTED:
            raise RuleError(f"This lab already trusts {MAX_TRUSTED} SSM keys, the most it keeps; no key was added.")
        trusted.append(text)
    return Result(f"SSM key from {a.text('file')} is now trusted by every node of this lab.", {"trusted": len(trusted)})
