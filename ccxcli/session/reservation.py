"""Specific License Reservation on a node, one function per step a command makes: the
reservation rules (`core/reservation`) joined with the codes that carry them
(`protocol/codes`). A code is recorded on the node before it is returned, so the session
saves it before the command prints it."""

from __future__ import annotations

from ccxcli.core import reservation as R
from ccxcli.errors import RuleError
from ccxcli.session.context import Ctx

TYPE_CHECKING = False  # `typing` is not imported at run time: it costs a one-shot command start-up
if TYPE_CHECKING:
    from ccxcli.core.state import NodeState
    from ccxcli.protocol.codes import Authorization

MAX_TRUSTED = 100  # SSM keys a lab trusts at most


def request(node: NodeState, now: int) -> str:
    """The Reservation Request Code: the one pending, or a new one with a fresh key."""
    pending = R.pending_request(node)
    if pending is not None:
        return pending["code"]
    from ccxcli.protocol import codes  # cryptography: only for the commands that make or read a code

    seq, piid = R.next_request(node, codes.new_secret())
    key = codes.reservation_key(R.key_material(node, piid))
    code = codes.make_request(
        node["sn"], node["uuid"], codes.public_bytes(key), bytes.fromhex(piid), node["license_type"]
    )
    R.request(node, now, code, seq, piid)
    return code


def verified(ctx: Ctx, code: str) -> tuple[Authorization, bytes]:
    """The parsed Authorization Code and the SSM key that signed it, once it is known to be
    for this node and signed by an SSM the lab trusts. A code for another node says so
    before its signature is looked at."""
    from ccxcli.protocol.codes import parse_authorization, verify_authorization

    auth = parse_authorization(code)
    R.check_code_for_node(ctx.node, auth.udi)
    return auth, verify_authorization(auth, ctx.lab.trusted_keys())


def install(ctx: Ctx, code: str) -> tuple[Authorization, str | None]:
    """Install an Authorization Code; returns it and, for an update of the installed
    reservation, the Confirmation Code the SSM needs."""
    from ccxcli.protocol import codes

    node = ctx.node
    auth, signer = verified(ctx, code)
    ctx.agent_ready()  # installing reads the code's entitlement tags
    conf = ""
    installed = node["slr"].get("installed")
    if R.is_update(node) and installed is not None and installed["piid"] == auth.piid:
        key = codes.reservation_key(R.key_material(node, auth.piid))
        conf = codes.node_confirmation(key, signer, auth)
    return auth, R.install(node, ctx.now, auth.piid, auth.timestamp, auth.counts, auth.udi, conf, list(auth.terms))


def _return_code(node: NodeState, now: int, piid: str, material: dict[str, str]) -> str:
    from ccxcli.protocol import codes

    code = codes.make_return(codes.reservation_key(material), piid, now)
    node["slr"]["return_code"] = code
    return code


def return_all(node: NodeState, now: int) -> str:
    """Return the installed reservation: the Reservation Return Code (the node is unregistered)."""
    piid, material = R.take_return(node, now)
    return _return_code(node, now, piid, material)


def return_uninstalled(ctx: Ctx, code: str) -> str:
    """The Return Code for an Authorization Code that was never installed."""
    node = ctx.node
    auth, _ = verified(ctx, code)
    material = R.key_for_uninstalled(node, ctx.now, auth.piid, auth.udi)
    return _return_code(node, ctx.now, auth.piid, material)


def trust(ctx: Ctx, pem: str) -> int:
    """Add an SSM's public key to the keys every node of the lab trusts; returns how many it trusts."""
    from ccxcli.protocol.codes import canonical_public_pem

    text = canonical_public_pem(pem.encode())
    trusted = ctx.lab.added_keys()
    if text not in trusted:
        if len(trusted) >= MAX_TRUSTED:
            raise RuleError(f"This lab already trusts {MAX_TRUSTED} SSM keys, the most it keeps; no key was added.")
        trusted.append(text)
        ctx.lab.set_added_keys(trusted)
    return len(trusted)
