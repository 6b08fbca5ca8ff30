"""The one declarative table of the node's `admin:` commands (SPEC §2.3–2.5).

It drives dispatch, `?` help, TAB completion, `help`, the files in `completions/` and
the command reference (docs/reference/ccx.md); tests fail when any of those drift from it.
"""

from __future__ import annotations

from ccxcli.cli.commands_license import LICENSE
from ccxcli.cli.commands_platform import PLATFORM
from ccxcli.cli.commands_sim import SIM
from ccxcli.cli.grammar import Command, TreeNode, build_tree

GROUP_HELP: dict[tuple[str, ...], str] = {
    ("show",): "Show information about the system",
    ("show", "license"): "Show Smart Licensing information",
    ("show", "license", "tech"): "Technical support information",
    ("license",): "Smart Licensing commands",
    ("license", "smart"): "Smart Licensing operations",
    ("license", "smart", "register"): "Register with Cisco SSM",
    ("license", "smart", "renew"): "Renew authorization or registration now",
    ("license", "smart", "transport"): "How the node reaches Cisco SSM",
    ("license", "smart", "factory"): "Factory reset of licensing data",
    ("license", "smart", "reservation"): "Specific License Reservation (SLR)",
    ("license", "smart", "reservation", "return", "-"): "Return an authorization code never installed",
    ("set",): "Set session parameters",
    ("set", "cli"): "CLI session settings",
    ("show", "network"): "Show network settings",
    ("show", "cli"): "Show CLI session settings",
    ("show", "uccx"): "Show Unified CCX information",
    ("show", "uccx", "jtapi_client"): "The JTAPI client",
    ("utils", "uccx"): "Unified CCX utilities",
    ("utils", "uccx", "list"): "List Unified CCX items",
    ("utils", "uccx", "delete"): "Delete Unified CCX items",
    ("utils", "dbreplication"): "Database replication",
    ("utils", "core"): "Core files",
    ("utils", "core", "active"): "Core files of the active partition",
    ("utils", "disaster_recovery"): "Disaster Recovery System (backup and restore)",
    ("utils",): "Utilities: services, time, system",
    ("utils", "service"): "Platform and Unified CCX services",
    ("utils", "ntp"): "Network time",
    ("utils", "system"): "The appliance",
    ("appadmin",): "Unified CCX Administration portal features (not in the real CLI)",
    ("appadmin", "license"): "License Management pages",
    ("appadmin", "license", "migrate"): "Migrate from Classic Licensing",
    ("appadmin", "license", "classic"): "Classic Licensing: License MAC and license files",
    ("sim",): "Simulation controls (not in the real CLI)",
    ("sim", "clock"): "The lab's virtual clock",
    ("sim", "node"): "Emulated UCCX nodes of the lab",
    ("sim", "lab"): "The whole lab: reset, snapshots",
    ("utils", "remotesyslog"): "Remote syslog: where licensing events and alerts are sent",
    ("utils", "remotesyslog", "set"): "Remote syslog settings",
    ("sim", "scenario"): "Scenario presets: moments of a license's life to rehearse",
    ("sim", "agent"): "Agents (stands for Unified CM synchronization) and their logins",
    ("sim", "ssm"): "SSM stand-ins the node trusts, and where Cisco SSM is",
    ("sim", "proxy"): "HTTP proxies of the lab's network",
}


# Where each real command is documented. UCCX's own guide (the Command Line Interface chapter
# of the Unified CCX Administration and Operations Guide, and the release notes that add to it)
# has the Specific License Reservation and host-name privacy commands and the `uccx` words;
# the others are VOS platform commands that UCCX shares with Unified CM: their shapes follow the
# CUCM/VOS CLI reference (Command Line Interface Reference Guide for Cisco Unified Communications
# Solutions), which UCCX's guide does not repeat.
UCCX_GUIDE = "Cisco Unified CCX Administration and Operations Guide, Command Line Interface chapter"
VOS_REFERENCE = "the CUCM/VOS CLI reference (Cisco Unified Communications Solutions), not UCCX's own guide"
_UCCX_WORDS = (
    ("license", "smart", "reservation"),
    ("license", "smart", "hostname"),
    ("show", "uccx"),
    ("utils", "uccx"),
)


def reference(cmd: Command) -> str | None:
    """`uccx` or `vos` for a command of the real CLI (see above); None for ccxcli's own."""
    if cmd.words[0] in ("appadmin", "sim") or cmd.words[:2] == ("utils", "remotesyslog"):
        return None
    return "uccx" if any(cmd.words[: len(w)] == w for w in _UCCX_WORDS) else "vos"


COMMANDS: list[Command] = [*PLATFORM, *LICENSE, *SIM]

_TREE: TreeNode | None = None


def tree() -> TreeNode:
    global _TREE
    if _TREE is None:
        _TREE = build_tree(COMMANDS, GROUP_HELP)
    return _TREE
