"""The one declarative table of the node's `admin:` commands (SPEC §2.3–2.5).

It drives dispatch, `?` help, TAB completion, `help`, the files in `completions/` and
the README's command list; tests fail when any of those drift from it.
"""

from __future__ import annotations

from ccxcli.cli.grammar import Command, Node, build_tree

H = "ccxcli.cli.handlers."

GROUP_HELP: dict[tuple[str, ...], str] = {
    ("show",): "Show information about the system",
    ("show", "license"): "Show Smart Licensing information",
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
    ("sim", "lab"): "The whole lab",
    ("sim", "agent"): "Agents (stands for Unified CM synchronization) and their logins",
    ("sim", "ssm"): "SSM stand-ins the node trusts",
}


def _c(
    words: str,
    usage: str,
    help: str,
    handler: str,
    confirm: str | None = None,
    check: str | None = None,
    lab_wide: bool = False,
) -> Command:
    return Command(tuple(words.split()), usage, help, H + handler, confirm, H + check if check else None, lab_wide)


RETURN_Q = "This will return all reserved licenses and the node will be unregistered."

COMMANDS: list[Command] = [
    _c("help", "[<command>...]", "List the commands, or help for one", "basic:help_"),
    _c("exit", "", "Leave the CLI", "basic:exit_"),
    _c("quit", "", "Leave the CLI", "basic:exit_"),
    _c("set cli pagination", "{on|off}", "Page long output at the terminal height", "system:pagination"),
    _c("show cli pagination", "", "Show whether long output is paged", "system:show_pagination"),
    _c("show myself", "", "Show the current CLI account", "system:show_myself"),
    _c("show status", "", "Show host name, date, version, uptime, CPU, memory and disks", "system:show_status"),
    _c("show version", "{active|inactive}", "Show the active or inactive software version", "system:show_version"),
    _c("show uccx version", "", "Show the active and inactive Unified CCX versions", "system:show_uccx_version"),
    _c("show network eth0", "[detail]", "Show the eth0 interface, DNS and gateway", "system:show_network_eth0"),
    _c("show network cluster", "", "Show the nodes of the cluster", "system:show_network_cluster"),
    _c("utils service list", "", "List the services and their state", "system:service_list"),
    _c("utils ntp status", "", "Show network time synchronization", "system:ntp_status"),
    _c(
        "utils system restart",
        "",
        "Restart the node (agents are logged out; services start again)",
        "system:system_restart",
        "The node will restart: its services stop and agents are logged out.",
    ),
    _c("show license UDI", "", "Show the Unique Device Identifier", "basic:show_udi"),
    _c("show license status", "", "Show Smart Licensing status", "show:status"),
    _c("show license summary", "", "Show status and license usage summary", "show:summary"),
    _c("show license all", "", "Show everything about Smart Licensing", "show:all_"),
    _c("show license usage", "", "Show license usage", "show:usage"),
    _c("show license reservation", "", "Show Specific License Reservation details", "show:reservation"),
    _c("show license techsupport", "", "Show everything plus recent events", "show:techsupport"),
    _c(
        "license smart register idtoken", "<token> [force]", "Register with the SSM using an ID token", "smart:register"
    ),
    _c(
        "license smart deregister",
        "",
        "Release all licenses and deregister",
        "smart:deregister",
        "This will deregister the product instance and release all its licenses.",
        "smart:check_deregister",
    ),
    _c("license smart renew auth", "", "Renew authorization now", "smart:renew_auth"),
    _c("license smart renew ID", "", "Renew the registration (ID certificate) now", "smart:renew_id"),
    _c("license smart transport direct", "", "Reach Cisco SSM directly (default)", "smart:transport_direct"),
    _c(
        "license smart transport proxy",
        "<host> <port>",
        "Reach Cisco SSM through an HTTP proxy",
        "smart:transport_proxy",
        check="smart:check_transport",
    ),
    _c(
        "license smart transport gateway",
        "<url>",
        "Use SSM On-Prem: https://<host>/Transportgateway/services/DeviceRequestHandler",
        "smart:transport_gateway",
    ),
    _c(
        "license smart transport ssm-satellite",
        "<url>",
        "Use SSM On-Prem: https://<host>/SmartTransport",
        "smart:transport_satellite",
    ),
    _c(
        "license smart factory reset",
        "",
        "Clear licensing data (keeps evaluation time and SLR sequence)",
        "smart:factory_reset",
        "This will clear all Smart Licensing data of this node.",
    ),
    _c("license smart hostname", "{enable|disable}", "Send the host name to Cisco SSM or not", "smart:hostname"),
    _c("license smart reservation enable", "", "Enable Specific License Reservation", "slr:enable"),
    _c("license smart reservation disable", "", "Disable Specific License Reservation", "slr:disable"),
    _c("license smart reservation request", "[specific]", "Print the Reservation Request Code", "slr:request"),
    _c("license smart reservation cancel", "", "Cancel a reservation request not yet installed", "slr:cancel"),
    _c(
        "license smart reservation install",
        "<code>...",
        "Install an Authorization Code (quoted, or unquoted: the rest of the line)",
        "slr:install",
    ),
    _c(
        "license smart reservation install-file",
        "<path>",
        "Install an Authorization Code from a file",
        "slr:install_file",
    ),
    _c(
        "license smart reservation return",
        "",
        "Return the reservation; prints the Reservation Return Code",
        "slr:return_",
        RETURN_Q,
        "slr:check_return",
    ),
    _c(
        "license smart reservation return-authorization",
        "<code>...",
        "Return code for an Authorization Code never installed",
        "slr:return_authorization",
    ),
    _c(
        "license smart reservation return authorization",
        "<code>...",
        "Return code for an Authorization Code never installed",
        "slr:return_authorization",
    ),
    _c(
        "license smart reservation return - authorization",
        "<code>...",
        "Return code for an Authorization Code never installed",
        "slr:return_authorization",
    ),
    _c(
        "appadmin license type",
        "{perpetual-premium|perpetual-enhanced|flex|ip-ivr|hcs-flex|nps|nfr}",
        "Choose the license type (only while unregistered)",
        "usage:license_type",
    ),
    _c(
        "appadmin license control",
        "[--agent-seats N] [--premium-seats N] [--standard-seats N] [--outbound-ports N] [--ivr-ports N] "
        "[--overage on|off]",
        "License Control: limits and overage allowance",
        "usage:license_control",
    ),
    _c(
        "appadmin license consumption",
        "[--from T] [--to T] [--interval 15m|1h|1d] [--chart]",
        "License Consumption report per 15-minute interval (or per hour, per day)",
        "usage:consumption",
    ),
    _c(
        "appadmin license migrate smart",
        "",
        "Move a Classic Licensing node to Smart Licensing (one way)",
        "usage:migrate",
        "Migration to Smart Licensing cannot be undone.",
        "usage:check_migrate",
    ),
    _c(
        "appadmin license classic show", "", "Show the License MAC and installed Classic licenses", "usage:classic_show"
    ),
    _c(
        "appadmin license classic install",
        "<file>",
        "Install a classic license file (from 'ccx-ssm pak fulfil' or 'dbc convert')",
        "usage:classic_install",
    ),
    _c("appadmin alerts", "", "Landing-page / RTMT alerts", "usage:alerts"),
    _c("appadmin events", "[--last N]", "Licensing event log (syslog lines)", "usage:events"),
    _c("sim clock show", "", "Show the virtual time", "basic:clock_show"),
    _c("sim clock advance", "<duration>", "Move time forward: 15m, 8h, 90d, 1y", "basic:clock_advance", lab_wide=True),
    _c(
        "sim clock set",
        "<time>",
        "Move time to an ISO time, e.g. 2027-01-01T00:00:00Z",
        "basic:clock_set",
        lab_wide=True,
    ),
    _c(
        "sim clock realtime",
        "{on|off}",
        "Follow the wall clock from the current offset",
        "basic:clock_realtime",
        lab_wide=True,
    ),
    _c(
        "sim node create",
        "<name> [--type T] [--ova N] [--classic] [--version V] [--wfo]",
        "Create an emulated node (OVA profile 100, 300 or 400 agents; a Classic node's version, WFO)",
        "basic:node_create",
        lab_wide=True,
    ),
    _c("sim node list", "", "List the nodes of the lab", "basic:node_list"),
    _c(
        "sim lab reset",
        "",
        "Start over: a fresh lab (node uccx, SSM cloud with demo licenses, clock at now)",
        "basic:lab_reset",
        "This will delete every node and SSM of this lab (registrations, reservations, codes) and create a fresh lab.",
        lab_wide=True,
    ),
    _c(
        "sim node delete",
        "<name>",
        "Delete a node",
        "basic:node_delete",
        "This will delete the node and its state.",
        "basic:check_node_delete",
        lab_wide=True,
    ),
    _c("sim network", "{up|down}", "Whether this node can reach its SSM", "basic:network"),
    _c("sim agent add", "<id> [--skills LIST] [--supervisor]", "Add an agent (Unified CM sync)", "usage:agent_add"),
    _c(
        "sim agent modify",
        "<id> [--skills LIST] [--supervisor on|off]",
        "Change an agent's skills",
        "usage:agent_modify",
    ),
    _c("sim agent delete", "<id>", "Delete an agent (Unified CM sync)", "usage:agent_delete"),
    _c("sim agent login", "[<id>...] [--count N] [--premium]", "Log agents in (or N new ones)", "usage:agent_login"),
    _c("sim agent logout", "[<id>...] [--all]", "Log agents out", "usage:agent_logout"),
    _c("sim agent list", "", "List agents and their license class", "usage:agent_list"),
    _c("sim ports", "{inbound|outbound|ivr} <n>", "Set the ports in use now", "usage:ports"),
    _c("sim ssm trust", "<file>", "Trust an SSM outside the lab (its public key PEM)", "slr:trust", lab_wide=True),
    _c("sim fault list", "", "List the failures that can be injected, and which are on", "system:fault_list"),
    _c(
        "sim fault",
        "{license-computation|agent-init|ssm-error|ssm-slow} {on|off}",
        "Turn an injected failure on or off",
        "system:fault_set",
    ),
]

_TREE: Node | None = None


def tree() -> Node:
    global _TREE
    if _TREE is None:
        _TREE = build_tree(COMMANDS, GROUP_HELP)
    return _TREE
