"""The license catalogue shared by the node and the SSM stand-in (SPEC §3.2).

The real UCCX entitlement tags are not public: these tags are synthetic, shaped like
Cisco's `regid.<yyyy-mm>.com.cisco.<Name>,<version>_<uuid>`.
"""

from __future__ import annotations

from ccxcli.errors import UsageError


class License:
    """One license of the catalogue (a plain class: no `typing` import on the start-up path)."""

    __slots__ = ("alias", "name", "tag", "description", "demo")

    def __init__(self, alias: str, name: str, tag: str, description: str, demo: int) -> None:
        self.alias, self.name, self.tag, self.description = alias, name, tag, description
        self.demo = demo  # quantity deposited in the demo smart account

    def __repr__(self) -> str:
        return f"License({self.alias!r})"


def _tag(name: str, uuid: str) -> str:
    return f"regid.2019-03.com.cisco.{name},1.0_{uuid}"


CATALOGUE: tuple[License, ...] = (
    License(
        "flex-standard",
        "UCCX Flex Standard Agent",
        _tag("UCCX_Flex_Std_Agent", "3b5a1c2e-7d41-4e0a-9f0b-1a2c3d4e5f01"),
        "Unified CCX Flex standard agent",
        40,
    ),
    License(
        "flex-premium",
        "UCCX Flex Premium Agent",
        _tag("UCCX_Flex_Prem_Agent", "3b5a1c2e-7d41-4e0a-9f0b-1a2c3d4e5f02"),
        "Unified CCX Flex premium agent",
        10,
    ),
    License(
        "hcs-flex-standard",
        "UCCX HCS Flex Standard Agent",
        _tag("UCCX_HCS_Flex_Std_Agent", "3b5a1c2e-7d41-4e0a-9f0b-1a2c3d4e5f03"),
        "Unified CCX HCS Flex standard agent",
        40,
    ),
    License(
        "hcs-flex-premium",
        "UCCX HCS Flex Premium Agent",
        _tag("UCCX_HCS_Flex_Prem_Agent", "3b5a1c2e-7d41-4e0a-9f0b-1a2c3d4e5f04"),
        "Unified CCX HCS Flex premium agent",
        10,
    ),
    License(
        "premium-seat",
        "UCCX Premium Agent Seat",
        _tag("UCCX_Premium_Seat", "3b5a1c2e-7d41-4e0a-9f0b-1a2c3d4e5f05"),
        "Unified CCX perpetual premium agent seat",
        50,
    ),
    License(
        "enhanced-seat",
        "UCCX Enhanced Agent Seat",
        _tag("UCCX_Enhanced_Seat", "3b5a1c2e-7d41-4e0a-9f0b-1a2c3d4e5f06"),
        "Unified CCX perpetual enhanced agent seat",
        50,
    ),
    License(
        "outbound-port",
        "UCCX Outbound IVR Port",
        _tag("UCCX_Outbound_Port", "3b5a1c2e-7d41-4e0a-9f0b-1a2c3d4e5f07"),
        "Unified CCX outbound IVR port",
        20,
    ),
    License(
        "ivr-port",
        "UCCX IP IVR Port",
        _tag("UCCX_IVR_Port", "3b5a1c2e-7d41-4e0a-9f0b-1a2c3d4e5f08"),
        "Unified CCX IP IVR port",
        50,
    ),
    License(
        "server",
        "UCCX Server",
        _tag("UCCX_Server", "3b5a1c2e-7d41-4e0a-9f0b-1a2c3d4e5f09"),
        "Unified CCX production server",
        2,
    ),
    License(
        "lab-server",
        "UCCX Lab Server",
        _tag("UCCX_Lab_Server", "3b5a1c2e-7d41-4e0a-9f0b-1a2c3d4e5f0a"),
        "Unified CCX non-production / not-for-resale server",
        2,
    ),
)

BY_ALIAS = {lic.alias: lic for lic in CATALOGUE}
BY_TAG = {lic.tag: lic for lic in CATALOGUE}
ALIASES = tuple(BY_ALIAS)

# License types (SPEC §3.1): type id -> (main type, display name, aliases it reports).
TYPES: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "perpetual-premium": ("Production", "Perpetual Premium", ("premium-seat", "outbound-port", "server")),
    "perpetual-enhanced": ("Production", "Perpetual Enhanced", ("enhanced-seat", "server")),
    "flex": ("Production", "Flex", ("flex-standard", "flex-premium")),
    "ip-ivr": ("Production", "IP IVR", ("ivr-port",)),
    "hcs-flex": ("HCS", "HCS Flex", ("hcs-flex-standard", "hcs-flex-premium")),
    "nps": ("Lab", "Non Production System", ("lab-server",)),
    "nfr": ("Lab", "Not For Resale", ("lab-server",)),
}

PREMIUM_SKILLS = frozenset({"chat", "email", "outbound-predictive", "outbound-progressive"})
SKILLS = ("voice", "chat", "email", "outbound-preview", "outbound-predictive", "outbound-progressive")


def flex_pair(license_type: str) -> tuple[str, str] | None:
    """The (standard, premium) aliases of a Flex-style type, else None."""
    if license_type == "flex":
        return ("flex-standard", "flex-premium")
    if license_type == "hcs-flex":
        return ("hcs-flex-standard", "hcs-flex-premium")
    return None


def lookup(alias: str) -> License:
    """The license for an alias; raise KeyError with the known aliases."""
    try:
        return BY_ALIAS[alias.lower()]
    except KeyError:
        raise KeyError(f"Unknown license '{alias}'; known: {', '.join(ALIASES)}.") from None


def license_alias(alias: str) -> str:
    """The canonical alias of a license given by alias; UsageError naming the known ones."""
    try:
        return lookup(alias).alias
    except KeyError as e:
        raise UsageError(str(e.args[0])) from None


# What agents may use on each license type (the seed's "Features Available for Agents");
# None: every skill. IP IVR has no agents at all.
TYPE_SKILLS: dict[str, frozenset[str] | None] = {
    "perpetual-premium": None,
    "perpetual-enhanced": frozenset({"voice"}),  # Inbound Voice only
    "flex": None,
    "hcs-flex": None,
    "ip-ivr": frozenset(),
    "nps": None,
    "nfr": None,
}
SKILL_NAMES = {
    "voice": "Inbound Voice",
    "chat": "Chat",
    "email": "Email",
    "outbound-preview": "Outbound Direct Preview",
    "outbound-predictive": "Outbound Predictive",
    "outbound-progressive": "Outbound Progressive",
}
# The License Control fields of each license type (the seed's License Control table).
CONTROL_FIELDS: dict[str, tuple[str, ...]] = {
    "perpetual-premium": ("agent_seats", "outbound_ports"),
    "perpetual-enhanced": ("agent_seats",),
    "flex": ("standard_seats", "premium_seats"),
    "hcs-flex": ("standard_seats", "premium_seats"),
    "ip-ivr": ("ivr_ports",),
    "nps": (),
    "nfr": (),
}
