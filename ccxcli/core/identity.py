"""The emulated node's platform identity (pure): version, addresses, OVA profile,
services and uptime on the virtual clock. Synthetic values, derived from the node's UUID
so that every node of a lab has its own and they never change."""

from __future__ import annotations

from ccxcli.core import engine

TYPE_CHECKING = False  # `typing` is not imported at run time: it costs a one-shot command start-up
if TYPE_CHECKING:
    from ccxcli.core.state import NodeState, Ova

DEFAULT_VERSION = "12.5.1.11001-348"  # a Unified CCX 12.5(1) build: the first release with Smart Licensing
OS_VERSION = "7.0.0.0-4"
RESTART = 5 * 60  # services take this long to start again after `utils system restart`
DOMAIN = "lab.example"

# OVA profile -> (agents, vCPUs, memory KB, disk KB). Synthetic sizes of the UCCX OVA templates.
OVA = {
    "100": (100, 2, 10_240_000, 146_800_640),
    "300": (300, 4, 10_240_000, 292_601_856),
    "400": (400, 4, 16_384_000, 292_601_856),
}
DEFAULT_OVA = "400"  # the largest profile: the default lab never trips over it

PLATFORM_SERVICES = ("System SSH", "Cluster Manager", "Name Service Cache")
UCCX_SERVICES = (
    "Cisco AMC Service",
    "Cisco Audit Event Service",
    "Cisco CDP",
    "Cisco CDP Agent",
    "Cisco Certificate Expiry Monitor",
    "Cisco DRF Local",
    "Cisco DRF Master",
    "Cisco Finesse Tomcat",
    "Cisco RIS Data Collector",
    "Cisco Tomcat",
    "Cisco Trace Collection Service",
    "Cisco Unified CCX Administration",
    "Cisco Unified CCX Cluster View Daemon",
    "Cisco Unified CCX Database",
    "Cisco Unified CCX DB Perfmon Counter Service",
    "Cisco Unified CCX Engine",
    "Cisco Unified CCX Notification Service",
    "Cisco Unified CCX Perfmon Counter Service",
    "Cisco Unified CCX SNMP Java Adapter",
    "Cisco Unified CCX Serviceability",
    "Cisco Unified CCX Socket.IO Service",
    "Cisco Unified CCX Voice Subagent",
    "Cisco Unified CCX Websetup",
    "Cisco Unified Intelligence Center Reporting Service",
    "Cisco Unified Intelligence Center Serviceability Service",
    "Host Resources Agent",
    "SNMP Master Agent",
)


def valid_version(text: str) -> bool:
    """`12.5.1`, `11.6.2.10000-41`: dotted numbers, optionally a build after a dash."""
    main, _, build = text.partition("-")
    parts = main.split(".")
    ok = 2 <= len(parts) <= 4 and all(p.isascii() and p.isdigit() and len(p) <= 6 for p in parts)
    return ok and (not build or (build.isascii() and build.isdigit() and len(build) <= 6))


def version_tuple(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in text.partition("-")[0].split("."))


def version(node: NodeState) -> str:
    return str(node.get("version") or DEFAULT_VERSION)


def inactive_version(node: NodeState) -> str:
    return str(node.get("inactive_version") or "NA")


def network(node: NodeState) -> dict[str, str]:
    """Addresses of the node's eth0, derived from its UUID (10.x.y.z, never .0/.1/.255)."""
    u = bytes.fromhex(node["uuid"])
    ip = f"10.{u[-3]}.{u[-2]}.{2 + u[-1] % 250}"
    subnet = ".".join(ip.split(".")[:3])
    return {
        "ip": ip,
        "mask": "255.255.255.0",
        "gateway": f"{subnet}.1",
        "dns": f"{subnet}.253",
        "ntp": f"{subnet}.254",
        "domain": DOMAIN,
        "fqdn": f"{node['hostname']}.{DOMAIN}",
        "mac": "00:50:56:" + ":".join(f"{b:02x}" for b in u[-3:]),
    }


def license_mac(node: NodeState) -> str:
    """The node's License MAC (what Classic licenses are bound to): 12 hex, from its UUID."""
    import hashlib

    return hashlib.sha256(("license-mac|" + node["uuid"]).encode()).hexdigest()[:12]


def ova(node: NodeState) -> Ova:
    profile = str(node.get("ova") or DEFAULT_OVA)
    agents, cpus, memory, disk = OVA[profile]
    return {"profile": profile, "max_agents": agents, "vcpus": cpus, "memory_kb": memory, "disk_kb": disk}


def uptime(node: NodeState, now: int) -> int:
    return max(0, now - int(node.get("booted", node["created"])))


def span_text(seconds: int) -> str:
    """`3 days,  2:01` or `2:01` or `5 min`, as `uptime` writes it."""
    days, rest = divmod(seconds, 86400)
    hours, minutes = rest // 3600, rest % 3600 // 60
    clock = f"{hours:2d}:{minutes:02d}" if hours else f"{minutes} min"
    return f"{days} day{'s' if days != 1 else ''}, {clock}" if days else clock


def services(node: NodeState, now: int) -> list[tuple[str, str]]:
    starting = uptime(node, now) < RESTART and "booted" in node
    rows = [(name, "STARTED") for name in PLATFORM_SERVICES]
    rows += [(name, "STARTING" if starting else "STARTED") for name in UCCX_SERVICES]
    return rows


def restart(node: NodeState, now: int) -> int:
    """`utils system restart`: every agent is logged out; returns how many were logged in."""
    logged = [a for a in node["agents"].values() if a.get("in")]
    for agent in logged:
        agent["in"] = False
    node["booted"] = now
    engine.usage_changed(node, now)
    engine.log(node, now, f"System restarted; {len(logged)} agents logged out; services starting")
    return len(logged)
