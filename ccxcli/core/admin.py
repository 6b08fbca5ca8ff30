"""Administrative rules on a node (pure): what the Administration portal and the
licensing commands may change, and when. Handlers call these; they hold no rules."""

from __future__ import annotations

from ccxcli.core import engine
from ccxcli.core.catalogue import CONTROL_FIELDS, SKILL_NAMES, TYPE_SKILLS, TYPES
from ccxcli.core.consumption import Counts, control_limits, deficit, usage
from ccxcli.errors import RuleError, UsageError

TYPE_CHECKING = False  # `typing` is not imported at run time: it costs a one-shot command start-up
if TYPE_CHECKING:
    from ccxcli.core.state import Agent, ClassicFile, ControlChanges, ControlLimit, NodeState, PortKind, Transport

CONTROL_KEYS: tuple[ControlLimit, ...] = (
    "agent_seats",
    "premium_seats",
    "standard_seats",
    "outbound_ports",
    "ivr_ports",
)


def check_sync(node: NodeState, what: str) -> None:
    """Enforcement blocks Unified CM synchronization (agent add, modify, delete)."""
    if node["enforce"] is not None:
        reason = node["enforce"]["reason"]
        cure = {
            "OOC_EXPIRY": "buy licenses",
            "AUTH_EXPIRY": "renew the authorization",
            "EVAL_EXPIRY": "register the product",
        }[reason]
        raise RuleError(
            f"Cannot {what}: the system is in Enforcement Mode ({reason}) and Unified CM "
            f"synchronization is blocked; {cure} to leave it."
        )


def check_admission(node: NodeState, proposed: Counts, what: str, now: int) -> None:
    """Refuse a login or port seizure that SLR, Classic licenses or License Control do not allow."""
    if node["classic"] and node.get("classic_license"):
        counted = {a: n for a, n in proposed.items() if a not in ("server", "lab-server")}  # not in license files
        _refuse_short(
            deficit(counted, node["classic_license"]["counts"]),
            f"Refused: {what} would exceed the installed Classic licenses",
            ".",
        )
        return
    if engine.slr_installed(node):
        _refuse_short(
            deficit(proposed, engine.entitled_reserved(node, now), engine.slr_borrows(node)),
            f"Refused: {what} would exceed the reserved licenses",
            "; over-consumption is not allowed under Specific License Reservation.",
        )
        return
    limits = control_limits(node)
    if limits:
        _refuse_short(
            deficit({a: n for a, n in proposed.items() if a in limits}, limits),
            f"Refused by License Control: {what} would exceed the configured limit",
            "; raise the limit or allow overage.",
        )


def _refuse_short(short: Counts, head: str, tail: str) -> None:
    """RuleError `HEAD (alias short by N, ...)TAIL` when anything is short."""
    if short:
        raise RuleError(f"{head} (" + ", ".join(f"{a} short by {n}" for a, n in sorted(short.items())) + f"){tail}")


def check_features(ltype: str, agents: dict[str, Agent], what: str) -> None:
    """Refuse agents that use features the license type does not include."""
    allowed = TYPE_SKILLS[ltype]
    if allowed is None:
        return
    name = TYPES[ltype][1]
    if not allowed and agents:
        raise RuleError(f"Refused: {what}: {name} has no agents (it licenses IVR ports only).")
    for aid, ag in sorted(agents.items()):
        extra = [s for s in ag["skills"] if s not in allowed]
        if extra:
            features = ", ".join(SKILL_NAMES[s] for s in extra)
            raise RuleError(
                f"Refused: {what}: {name} includes {' and '.join(SKILL_NAMES[s] for s in sorted(allowed))} only; "
                f"agent {aid} has {features}. Change the agent's skills or the license type."
            )


def check_ova(node: NodeState, logged_in: int, what: str) -> None:
    """Agents sign in up to the maximum the node's OVA profile allows (seed)."""
    from ccxcli.core.identity import ova

    limit = ova(node)
    if logged_in > limit["max_agents"]:
        raise RuleError(
            f"Refused: {what}: {logged_in} agents would be logged in; the OVA profile of this node "
            f"({limit['profile']} agents) allows at most {limit['max_agents']}."
        )


def apply_agents(node: NodeState, t: int, changes: dict[str, Agent], what: str) -> None:
    """Add, change or log agents in or out: the features of the license type, the OVA's
    maximum, SLR and License Control decide, then the usage is recorded. Only increases of
    usage need admission (logging out is always allowed)."""
    trial = node.copy()
    trial["agents"] = {**node["agents"], **changes}
    check_features(node["license_type"], {a: g for a, g in changes.items() if g.get("in")}, what)
    logged_in = sum(1 for g in trial["agents"].values() if g.get("in"))
    if logged_in > sum(1 for g in node["agents"].values() if g.get("in")):
        check_ova(node, logged_in, what)
    proposed, current = usage(trial), usage(node)
    if any(proposed.get(k, 0) > current.get(k, 0) for k in proposed):
        check_admission(node, proposed, what, t)
    node["agents"].update(changes)
    engine.usage_changed(node, t)


def set_ports(node: NodeState, t: int, kind: PortKind, n: int) -> None:
    trial = node.copy()
    trial["ports"] = node["ports"].copy()
    trial["ports"][kind] = n
    if n > node["ports"][kind]:
        check_admission(node, usage(trial), f"seizing {n} {kind} ports", t)
    node["ports"][kind] = n
    engine.usage_changed(node, t)


def set_license_type(node: NodeState, t: int, ltype: str) -> None:
    if engine.registration_status(node) != engine.UNREGISTERED or node["slr"]["enabled"]:
        raise RuleError(
            "The license type can be changed only while unregistered and without a reservation; deregister first."
        )
    check_features(
        ltype,
        {a: g for a, g in node["agents"].items() if g.get("in")},
        f"agents logged in cannot keep working on {TYPES[ltype][1]}",
    )
    changed = node["license_type"] != ltype
    node["license_type"] = ltype
    if changed:
        node["control"] = {"overage": node["control"].get("overage", True)}  # the fields differ per type
    node["peak"] = usage(node)
    engine.usage_changed(node, t)
    engine.log(node, t, f"License type set to {ltype}")


def set_license_control(node: NodeState, t: int, changes: ControlChanges) -> None:
    """License Control: limits and overage allowance (SPEC §3.4)."""
    if not changes:
        return
    if node["license_type"] in ("nps", "nfr"):
        raise RuleError("License Control is not applicable to Non Production System and Not For Resale licenses.")
    fields = CONTROL_FIELDS[node["license_type"]]
    wrong = [k for k in changes if k != "overage" and k not in fields]
    if wrong:
        raise UsageError(
            f"--{wrong[0].replace('_', '-')} does not apply to {TYPES[node['license_type']][1]}; its License Control "
            f"fields are: {', '.join('--' + f.replace('_', '-') for f in fields)}."
        )
    if engine.slr_installed(node) or node["slr"]["enabled"]:
        raise RuleError("License Control is not applicable while Specific License Reservation is enabled.")
    node["control"].update(changes)
    engine.log(node, t, "License Control changed: " + ", ".join(f"{k}={v}" for k, v in changes.items()))


SMART_FROM = (12, 5)  # Smart Licensing comes with Unified CCX 12.5(1)


def check_can_migrate(node: NodeState) -> str | None:
    """Refuse a migration the seed does not allow (a version before 12.5); the warning to
    show before asking, when the node uses WFO."""
    from ccxcli.core.identity import version, version_tuple

    if not node["classic"]:
        raise RuleError("This node already uses Smart Licensing.")
    v = version(node)
    if version_tuple(v)[:2] < SMART_FROM:
        path = "upgrade to Unified CCX 11.6, then to 12.5(1)" if version_tuple(v)[0] < 11 else "upgrade to 12.5(1)"
        raise RuleError(f"Smart Licensing needs Unified CCX 12.5(1) or later; this node runs {v}: {path} first.")
    if node.get("wfo"):
        return "Warning: Cisco WFO does not support Smart Licensing; to keep using WFO, stay on Classic Licensing."
    return None


def migrate_to_smart(node: NodeState, t: int) -> None:
    """One-way move from Classic to Smart Licensing; the evaluation period starts."""
    check_can_migrate(node)
    node["classic"] = False
    engine.sync_eval(node, t)
    engine.log(node, t, "Migrated from Classic Licensing to Smart Licensing; evaluation period started")


def check_can_register(node: NodeState, force: bool) -> None:
    if node["classic"]:
        raise RuleError("This node uses Classic Licensing; run 'appadmin license migrate smart' first.")
    if node["slr"]["enabled"]:
        raise RuleError(
            "Specific License Reservation is enabled; disable it before registering "
            "('license smart reservation disable')."
        )
    if node["reg"]["status"] != engine.UNREGISTERED and not force:
        raise RuleError(
            "The product is already registered; use 'license smart register idtoken <token> force' to register again."
        )


def check_registered(node: NodeState, what: str) -> None:
    """Deregistration and renewals need a registration, and are not for SLR."""
    if engine.slr_installed(node):
        raise RuleError(
            f"{what} is not allowed under Specific License Reservation; "
            "return the reservation first ('license smart reservation return')."
        )
    if node["reg"]["status"] == engine.UNREGISTERED:
        raise RuleError(f"{what} is not possible: the product is not registered.")


def check_transport_change(node: NodeState) -> None:
    if node["reg"]["status"] != engine.UNREGISTERED:
        raise RuleError("Transport settings cannot change while registered; deregister first.")


def set_transport(node: NodeState, t: int, transport: Transport, text: str) -> None:
    check_transport_change(node)
    node["transport"] = transport
    engine.log(node, t, f"Transport set to {text}")


def factory_reset(node: NodeState, t: int) -> str:
    """Clear licensing data except the evaluation time used and the SLR sequence, secret
    and newest installed code's timestamp (so old codes stay refused and every code
    authorized for this node can still be returned). Returns the registration status it had."""
    from ccxcli.core.reservation import forget_for_reset

    was = engine.registration_status(node)
    if node["reg"]["status"] != engine.UNREGISTERED:
        engine.apply_deregister(node, t, "Factory reset")
    node["slr"] = forget_for_reset(node)
    node.pop("proof", None)  # the registration secret: a reset node proves nothing of its past registrations
    node["transport"] = {"mode": "direct"}
    node["send_hostname"] = True
    node["control"] = {"overage": True}
    for key in list(node["alerts"]):
        engine.clear_alert(node, t, key)
    if node["eval"]["expired"]:
        engine.enforce(node, t, "EVAL_EXPIRY")
    engine.sync_eval(node, t)
    engine.log(
        node,
        t,
        "Licensing factory reset: registration, reservation and settings cleared; "
        "evaluation time and SLR sequence kept",
    )
    return was


def check_node_deletable(node: NodeState, held: list[str]) -> None:
    """`held`: what SSMs of the lab still hold for this node (instances, reservations)."""
    status = engine.registration_status(node)
    if status in (engine.REGISTERED, engine.REGISTERED_SLR, engine.REGISTRATION_EXPIRED):
        raise RuleError(f"Node '{node['name']}' is registered or holds a reservation; deregister or return it first.")
    if status == engine.RESERVATION_IN_PROGRESS:
        raise RuleError(f"Node '{node['name']}' has a reservation request pending; cancel it first.")
    if held:
        raise RuleError(
            f"Node '{node['name']}' cannot be deleted: {'; '.join(held)}. Return it with the node "
            "('license smart reservation return-authorization <code>'), or release it on the SSM "
            "('ccx-ssm instance remove <id> --force')."
        )


def classic_file_name(node: NodeState) -> str | None:
    """The name the installed classic license file is listed under (`utils uccx list license`)."""
    lic = node.get("classic_license")
    return f"UCCX{lic['serial']}.lic" if lic else None


def delete_classic(node: NodeState, t: int, name: str) -> dict[str, int]:
    """Delete the uploaded classic license file `name`; the licenses it held."""
    if not node["classic"]:
        raise RuleError("This node uses Smart Licensing; there is no Classic license file to delete.")
    have = classic_file_name(node)
    if have is None:
        raise RuleError("No Classic license file is uploaded on this node.")
    if name.lower() != have.lower():
        raise RuleError(f"No license file '{name}' is uploaded; 'utils uccx list license' lists {have}.")
    counts = dict(node.pop("classic_license")["counts"])
    engine.log(
        node,
        t,
        f"Classic license file {have} deleted: "
        + (", ".join(f"{a}={n}" for a, n in sorted(counts.items())) or "no licenses"),
        4,
    )
    return counts


def install_classic(node: NodeState, t: int, fields: ClassicFile) -> None:
    """Install a verified classic license file (it replaces the one installed before)."""
    from ccxcli.core.identity import license_mac

    if not node["classic"]:
        raise RuleError("This node uses Smart Licensing; classic license files are for Classic Licensing nodes.")
    if fields["mac"] != license_mac(node):
        raise RuleError(
            f"This classic license file is for License MAC {fields['mac'] or None}; this node's is {license_mac(node)}."
        )
    current = node.get("classic_license")
    if current and fields["issued"] < current["issued"]:
        raise RuleError("A newer classic license file is installed already; this one was issued before it.")
    node["classic_license"] = {
        "serial": fields["serial"][:16],
        "issued": fields["issued"][:32],
        "counts": dict(fields["counts"]),
        "installed": t,
    }
    engine.log(
        node,
        t,
        "Classic license file installed: "
        + (", ".join(f"{a}={n}" for a, n in sorted(fields["counts"].items())) or "no licenses"),
    )
