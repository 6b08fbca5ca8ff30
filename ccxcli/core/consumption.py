"""What a node consumes, and whether a usage fits an entitlement (SPEC §3.1, §3.3, §3.4)."""

from __future__ import annotations

from ccxcli.core.catalogue import PREMIUM_SKILLS, flex_pair

TYPE_CHECKING = False  # `typing` is not imported at run time: it costs a one-shot command start-up
if TYPE_CHECKING:
    from ccxcli.core.state import Agent, NodeState

Counts = dict[str, int]


def is_premium(agent: Agent) -> bool:
    """Premium when any premium skill is configured or the agent is a supervisor."""
    return bool(agent.get("supervisor")) or bool(PREMIUM_SKILLS & set(agent.get("skills", ())))


def usage(node: NodeState) -> Counts:
    """The licenses a node consumes now, keyed by alias, for its license type."""
    ltype = node["license_type"]
    logged = [a for a in node["agents"].values() if a.get("in")]
    ports = node["ports"]
    if ltype in ("flex", "hcs-flex"):
        std, prem = flex_pair(ltype)  # type: ignore[misc]
        p = sum(1 for a in logged if is_premium(a))
        return {std: len(logged) - p, prem: p}
    if ltype == "perpetual-premium":
        return {"premium-seat": len(logged), "outbound-port": ports["outbound"], "server": 1}
    if ltype == "perpetual-enhanced":
        return {"enhanced-seat": len(logged), "server": 1}
    if ltype == "ip-ivr":
        return {"ivr-port": ports["ivr"]}
    return {"lab-server": 1}


def deficit(use: Counts, entitled: Counts, borrow: bool = True) -> Counts:
    """Licenses missing for `use` under `entitled`, applying the Flex rule: standard
    usage may take premium licenses left unused, never the reverse (`borrow` False: a tier
    covers only itself, the other reading of the rule under SLR, `engine.slr_borrows`)."""
    short: Counts = {}
    handled: set[str] = set()
    for pair in (flex_pair("flex"), flex_pair("hcs-flex")):
        std, prem = pair  # type: ignore[misc]
        if std not in use and prem not in use:
            continue
        handled |= {std, prem}
        su, pu = use.get(std, 0), use.get(prem, 0)
        se, pe = entitled.get(std, 0), entitled.get(prem, 0)
        prem_short = max(0, pu - pe)
        spare_prem = max(0, pe - pu) if borrow else 0
        std_short = max(0, su - se - spare_prem)
        if prem_short:
            short[prem] = prem_short
        if std_short:
            short[std] = std_short
    for alias, n in use.items():
        if alias not in handled and n > entitled.get(alias, 0):
            short[alias] = n - entitled.get(alias, 0)
    return short


def allocate(use: Counts, entitled: Counts) -> Counts:
    """How many licenses of each alias `use` actually takes from `entitled` (capped),
    standard usage spilling over into unused premium licenses."""
    taken: Counts = {}
    for alias, n in use.items():
        taken[alias] = taken.get(alias, 0) + min(n, entitled.get(alias, 0))
    for pair in (flex_pair("flex"), flex_pair("hcs-flex")):
        std, prem = pair  # type: ignore[misc]
        spill = use.get(std, 0) - min(use.get(std, 0), entitled.get(std, 0))
        spare = entitled.get(prem, 0) - taken.get(prem, 0)
        if spill > 0 and spare > 0:
            taken[prem] = taken.get(prem, 0) + min(spill, spare)
    return {a: n for a, n in taken.items() if n}


UNLIMITED = 10**9  # a License Control field left empty


def control_limits(node: NodeState) -> Counts | None:
    """License Control limits as an entitlement, or None when overage is allowed or
    License Control does not apply (nps, nfr). Only the licenses the type's fields limit
    are in it (the server license of perpetual types is never limited). Of a Flex pair, an
    empty Premium field leaves premium agents unlimited but gives standard agents nothing
    to take (premium is then not in the limits, so the Standard field is a plain cap); an
    empty Standard field leaves standard agents unlimited."""
    c = node["control"]
    ltype = node["license_type"]
    if c.get("overage", True) or ltype in ("nps", "nfr"):
        return None
    lim: Counts = {}
    pair = flex_pair(ltype)
    if pair:
        if c.get("premium_seats") is not None:
            lim[pair[0]] = UNLIMITED if c.get("standard_seats") is None else c["standard_seats"]
            lim[pair[1]] = c["premium_seats"]
        elif c.get("standard_seats") is not None:
            lim[pair[0]] = c["standard_seats"]
    elif ltype == "perpetual-premium":
        if c.get("agent_seats") is not None:
            lim["premium-seat"] = c["agent_seats"]
        if c.get("outbound_ports") is not None:
            lim["outbound-port"] = c["outbound_ports"]
    elif ltype == "perpetual-enhanced":
        if c.get("agent_seats") is not None:
            lim["enhanced-seat"] = c["agent_seats"]
    elif ltype == "ip-ivr" and c.get("ivr_ports") is not None:
        lim["ivr-port"] = c["ivr_ports"]
    return lim
