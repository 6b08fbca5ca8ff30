"""license smart reservation … and sim ssm trust."""

from __future__ import annotations

from ccxcli.codetext import read_code, read_file
from ccxcli.core import reservation as R
from ccxcli.runtime import Outcome
from ccxcli.session import reservation as slr
from ccxcli.session.context import Ctx

TYPE_CHECKING = False  # `typing` is not imported at run time: it costs a one-shot command start-up
if TYPE_CHECKING:
    from ccxcli.cli.grammar import Args


def enable(ctx: Ctx, a: Args) -> Outcome:
    changed = R.enable(ctx.node, ctx.now)
    return Outcome(
        "License reservation mode is enabled successfully." if changed else "License reservation is already enabled.",
        {"reservation": "ENABLED"},
    )


def disable(ctx: Ctx, a: Args) -> Outcome:
    R.disable(ctx.node, ctx.now)
    return Outcome("License reservation mode is disabled successfully.", {"reservation": "DISABLED"})


def request(ctx: Ctx, a: Args) -> Outcome:
    code = slr.request(ctx.node, ctx.now)
    return Outcome(
        code,
        {"request_code": code, "registration": "RESERVATION_IN_PROGRESS"},
        label="Enter this Reservation Request Code in Cisco Smart Software Manager (Reserve Licenses):",
        carry=True,
    )


def cancel(ctx: Ctx, a: Args) -> Outcome:
    R.cancel(ctx.node, ctx.now)
    return Outcome("License reservation request is cancelled successfully.", {"reservation": "ENABLED"})


def _install(ctx: Ctx, code: str) -> Outcome:
    auth, conf = slr.install(ctx, code)
    if conf is None:
        covers = R.coverage(ctx.node, auth.counts)
        return Outcome(
            "Authorization code installed successfully.\n" + covers,
            {"installed": True, "reserved": auth.counts, "registration": "REGISTERED_SLR", "covers": covers},
        )
    return Outcome(
        conf,
        {"confirmation_code": conf, "reserved": auth.counts, "updated": True},
        label="Authorization code installed successfully. Enter this Confirmation Code in Cisco Smart "
        "Software Manager to complete the reservation update:",
        carry=True,
    )


def _code_words(words: list[str]) -> str:
    """A code given as one quoted argument, or unquoted as the rest of the line: an
    Authorization Code holds single spaces (in its display names), which the words keep
    between them; the signature check refuses a code whose spacing was changed."""
    return " ".join(words)


def install(ctx: Ctx, a: Args) -> Outcome:
    return _install(ctx, read_code(_code_words(a.many("code")), ctx.rt.inp, root=ctx.rt.file_root))


def install_file(ctx: Ctx, a: Args) -> Outcome:
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


def _return_result(code: str, extra: dict[str, object]) -> Outcome:
    return Outcome(
        code,
        {"return_code": code, **extra},
        label="Enter this Reservation Return Code in Cisco Smart Software Manager to return the licenses:",
        carry=True,
    )


def check_return(ctx: Ctx, a: Args) -> None:
    R.check_can_return(ctx.node)


def return_(ctx: Ctx, a: Args) -> Outcome:
    return _return_result(slr.return_all(ctx.node, ctx.now), {"registration": "UNREGISTERED"})


def return_authorization(ctx: Ctx, a: Args) -> Outcome:
    code = read_code(_code_words(a.many("code")), ctx.rt.inp, root=ctx.rt.file_root)
    return _return_result(slr.return_uninstalled(ctx, code), {})


def trust(ctx: Ctx, a: Args) -> Outcome:
    pem = read_file(a.text("file"), limit=10_000, what="a public key", root=ctx.rt.file_root)
    count = slr.trust(ctx, pem)
    return Outcome(f"SSM key from {a.text('file')} is now trusted by every node of this lab.", {"trusted": count})


TIERS = {
    "borrow": "a higher tier covers a lower one (the seed's reading)",
    "strict": "each tier covers only itself (Cisco, as a community answer quotes it)",
}


def tiers(ctx: Ctx, a: Args) -> Outcome:
    """The lab's reading of the disputed SLR rule, for every node now and every node made later."""
    rule = a.text("rule")
    ctx.lab.data["slr_tiers"] = rule
    names = ctx.lab.node_names()
    for name in names:
        node = ctx.node_named(name)
        node["slr"]["strict_tiers"] = rule == "strict"
    return Outcome(
        f"Under Specific License Reservation, {TIERS[rule]}: every node of this lab ({len(names)}).",
        {"slr_tiers": rule, "nodes": names},
    )
