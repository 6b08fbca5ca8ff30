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


def _c(
    words: str,
    usage: str,
    help: str,
    handler: str,
    confirm: str | None = None,
    check: str | None = None,
    lab_wide: bool = False,
    aliases: tuple[str, ...] = (),
    changes: str = "",
    example: str = "",
    args: dict[str, str] | None = None,
) -> Command:
    return Command(
        tuple(words.split()), usage, help, H + handler, confirm, H + check if check else None, lab_wide,
        tuple(tuple(a.split()) for a in aliases), changes, example, args,
    )  # fmt: skip


# Where each real command is documented. UCCX's own guide (the Command Line Interface chapter
# of the Unified CCX Administration and Operations Guide, and the release notes that add to it)
# has the Specific License Reservation and host-name privacy commands and the `uccx` words;
# the others are VOS platform commands that UCCX shares with Unified CM: their shapes follow the
# CUCM/VOS CLI reference (Command Line Interface Reference Guide for Cisco Unified Communications
# Solutions), which UCCX's guide does not repeat.
UCCX_GUIDE = "Cisco Unified CCX Administration and Operations Guide, Command Line Interface chapter"
VOS_REFERENCE = "the CUCM/VOS CLI reference (Cisco Unified Communications Solutions), not UCCX's own guide"
_UCCX_WORDS = (("license", "smart", "reservation"), ("license", "smart", "hostname"), ("show", "uccx"),
               ("utils", "uccx"))  # fmt: skip


def reference(cmd: Command) -> str | None:
    """`uccx` or `vos` for a command of the real CLI (see above); None for ccxcli's own."""
    if cmd.words[0] in ("appadmin", "sim") or cmd.words[:2] == ("utils", "remotesyslog"):
        return None
    return "uccx" if any(cmd.words[: len(w)] == w for w in _UCCX_WORDS) else "vos"


# Texts several commands share in `help <command>`
NOTHING = "nothing (it only shows)."
AGENT_ID = "The agent's user id: 1-64 printable characters without spaces."
SKILLS = (
    "--skills LIST: comma-separated voice, chat, email, outbound-preview, outbound-predictive, outbound-progressive."
)

RETURN_Q = "This will return all reserved licenses and the node will be unregistered."

# Each command: words, usage, one-line help, handler, [confirmation question, check, lab-wide, other
# spellings], then what `help <command>` says: what it changes, an example (it must parse to the
# command) and each argument (`tests/test_help.py` checks all three for every command).
COMMANDS: list[Command] = [
    _c(
        "help",
        "[<command>...]",
        "List the commands, or help for one",
        "basic:help_",
        changes=NOTHING,
        example="help license smart reservation install",
        args={"command": "Command words, or the start of them."},
    ),
    _c(
        "exit",
        "",
        "Leave the CLI",
        "basic:exit_",
        aliases=("quit",),
        changes="ends the session (a one-shot command does nothing).",
        example="exit",
    ),
    _c(
        "set cli pagination",
        "{state:on|off}",
        "Page long output at the terminal height",
        "system:pagination",
        changes="this session's paging of long output at the terminal height (the shell only).",
        example="set cli pagination off",
        args={"state": "on pages output one screen at a time; off prints it at once."},
    ),
    _c(
        "show cli pagination",
        "",
        "Show whether long output is paged",
        "system:show_pagination",
        changes=NOTHING,
        example="show cli pagination",
    ),
    _c("show myself", "", "Show the current CLI account", "system:show_myself", changes=NOTHING, example="show myself"),
    _c(
        "show status",
        "",
        "Show host name, date, version, uptime, CPU, memory and disks",
        "system:show_status",
        changes=NOTHING,
        example="show status",
    ),
    _c(
        "show version",
        "{side:active|inactive}",
        "Show the active or inactive software version",
        "system:show_version",
        changes=NOTHING,
        example="show version active",
        args={"side": "The running or the other partition."},
    ),
    _c(
        "show uccx version",
        "",
        "Show the active and inactive Unified CCX versions",
        "system:show_uccx_version",
        changes=NOTHING,
        example="show uccx version",
    ),
    _c(
        "show uccx license",
        "",
        "Show the configured Classic licenses (Classic Licensing)",
        "usage:show_uccx_license",
        changes=NOTHING,
        example="show uccx license",
    ),
    _c(
        "show uccx jtapi_client version",
        "",
        "Show the JTAPI client version (synthetic)",
        "system:jtapi_version",
        changes=NOTHING,
        example="show uccx jtapi_client version",
    ),
    _c(
        "utils uccx list license",
        "",
        "List the uploaded Classic license files",
        "usage:list_license",
        changes=NOTHING,
        example="utils uccx list license",
    ),
    _c(
        "utils uccx delete license",
        "<licensefile>",
        "Delete an uploaded Classic license file",
        "usage:delete_license",
        confirm="The license file will be deleted and its licenses are no longer available.",
        changes="removes the Classic license file: its licenses are no longer available (Classic Licensing "
        "nodes only). Asks Continue (y/n)?",
        example="utils uccx delete license UCCX12345678.lic",
        args={"licensefile": "The file name, as 'utils uccx list license' shows it."},
    ),
    _c(
        "show network eth0",
        "[detail]",
        "Show the eth0 interface, DNS and gateway",
        "system:show_network_eth0",
        changes=NOTHING,
        example="show network eth0 detail",
        args={"detail": "Add DNS, gateway and counters."},
    ),
    _c(
        "show network cluster",
        "",
        "Show the nodes of the cluster",
        "system:show_network_cluster",
        changes=NOTHING,
        example="show network cluster",
    ),
    _c(
        "utils service list",
        "",
        "List the services and their state",
        "system:service_list",
        changes=NOTHING,
        example="utils service list",
    ),
    _c(
        "utils ntp status",
        "",
        "Show network time synchronization",
        "system:ntp_status",
        changes=NOTHING,
        example="utils ntp status",
    ),
    _c(
        "utils remotesyslog set protocol",
        "{protocol:udp|tcp|tls}",
        "Set the remote syslog protocol",
        "forwarding:set_protocol",
        changes="the protocol licensing events and alerts are sent with (default udp).",
        example="utils remotesyslog set protocol tcp",
        args={"protocol": "udp (port 514), tcp (514, RFC 6587 octet counting) or tls (6514, RFC 5425)."},
    ),
    _c(
        "utils remotesyslog set server",
        "<host> [--port N]",
        "Set the remote syslog server (synthetic: VOS sets it in Cisco Unified Serviceability)",
        "forwarding:set_server",
        changes=(
            "where this node sends its licensing events and alerts from now on, as RFC 5424 messages (events "
            "logged before are not sent)."
        ),
        example="utils remotesyslog set server 192.0.2.10 --port 514",
        args={"host": "A host name or IP address.", "--port": "1-65535 (default: 514, or 6514 for tls)."},
    ),
    _c(
        "utils remotesyslog set ca",
        "<file>",
        "Trust a CA certificate (PEM) for TLS syslog",
        "forwarding:set_ca",
        changes="the certificate a TLS syslog server's certificate must chain to (default: the system's CAs).",
        example="utils remotesyslog set ca /tmp/syslog-ca.pem",
        args={"file": "A PEM certificate."},
    ),
    _c(
        "utils remotesyslog show",
        "",
        "Show the remote syslog settings and delivery",
        "forwarding:show",
        changes=NOTHING,
        example="utils remotesyslog show",
    ),
    _c(
        "utils system restart",
        "",
        "Restart the node (agents are logged out; services start again)",
        "system:system_restart",
        confirm="The node will restart: its services stop and agents are logged out.",
        changes=("agents are logged out and services start again; licensing state is kept. Asks Continue (y/n)?"),
        example="utils system restart",
    ),
    _c(
        "show hardware",
        "",
        "Show the virtual machine's hardware (synthetic, from the OVA profile)",
        "system:show_hardware",
        changes=NOTHING,
        example="show hardware",
    ),
    _c(
        "utils dbreplication runtimestate",
        "",
        "Show database replication between the cluster's nodes (synthetic)",
        "system:dbreplication",
        changes=NOTHING,
        example="utils dbreplication runtimestate",
    ),
    _c(
        "utils core active list",
        "",
        "List core files (synthetic: there are none)",
        "system:core_list",
        changes=NOTHING,
        example="utils core active list",
    ),
    _c(
        "utils disaster_recovery status",
        "{operation:backup|restore}",
        "Show the last backup or restore (synthetic)",
        "system:drs_status",
        changes=NOTHING,
        example="utils disaster_recovery status backup",
        args={"operation": "The backup or the restore."},
    ),
    _c(
        "show license UDI",
        "",
        "Show the Unique Device Identifier",
        "basic:show_udi",
        changes=NOTHING,
        example="show license UDI",
    ),
    _c(
        "show license status",
        "",
        "Show Smart Licensing status",
        "show:status",
        changes=NOTHING,
        example="show license status",
    ),
    _c(
        "show license summary",
        "",
        "Show status and license usage summary",
        "show:summary",
        changes=NOTHING,
        example="show license summary",
    ),
    _c(
        "show license all",
        "",
        "Show everything about Smart Licensing",
        "show:all_",
        changes=NOTHING,
        example="show license all",
    ),
    _c("show license usage", "", "Show license usage", "show:usage", changes=NOTHING, example="show license usage"),
    _c(
        "show license reservation",
        "",
        "Show Specific License Reservation details",
        "show:reservation",
        changes=NOTHING,
        example="show license reservation",
    ),
    _c(
        "show license techsupport",
        "",
        "Show everything plus recent events",
        "show:techsupport",
        aliases=("show license tech support",),
        changes=NOTHING,
        example="show license techsupport",
    ),
    _c(
        "license smart register idtoken",
        "<token> [force]",
        "Register with the SSM using an ID token",
        "smart:register",
        changes=(
            "registers the node with its SSM: ID certificate for 1 year, authorization for 90 days, usage reported."
        ),
        example="license smart register idtoken MzQ1Njc4OTAtYWJjZC0xMjM0",
        args={
            "token": "A registration token from 'ccx-ssm token create' (or the SSM portal).",
            "force": "Register again although the node is registered.",
        },
    ),
    _c(
        "license smart deregister",
        "",
        "Release all licenses and deregister",
        "smart:deregister",
        confirm="This will deregister the product instance and release all its licenses.",
        check="smart:check_deregister",
        changes=(
            "releases the node's licenses on the SSM and returns it to evaluation or enforcement. Asks Continue (y/n)?"
        ),
        example="license smart deregister",
    ),
    _c(
        "license smart renew auth",
        "",
        "Renew authorization now",
        "smart:renew_auth",
        changes="asks the SSM for a new 90-day authorization now (sends usage).",
        example="license smart renew auth",
    ),
    _c(
        "license smart renew ID",
        "",
        "Renew the registration (ID certificate) now",
        "smart:renew_id",
        changes="asks the SSM for a new 1-year ID certificate now.",
        example="license smart renew ID",
    ),
    _c(
        "license smart transport direct",
        "",
        "Reach Cisco SSM directly (default)",
        "smart:transport_direct",
        changes="how the node reaches its SSM: directly (the default).",
        example="license smart transport direct",
    ),
    _c(
        "license smart transport proxy",
        "<host> <port> [--user U] [--password-file F] [--no-auth]",
        "Reach Cisco SSM through an HTTP proxy",
        "smart:transport_proxy",
        check="smart:check_transport",
        changes=(
            "how the node reaches its SSM: through an HTTP proxy. Asks, as UCCX does, whether the proxy "
            "authenticates, then its user name and password; the options answer instead (scripts)."
        ),
        example="license smart transport proxy proxy.example.com 3128 --no-auth",
        args={
            "host": "The proxy's host name or IP address.",
            "port": "The proxy's TCP port, 1 to 65535.",
            "--user": "An authenticating proxy's user name (with --password-file): no question is asked.",
            "--password-file": "A file whose first line is the proxy's password.",
            "--no-auth": "The proxy does not authenticate: no question is asked.",
        },  # fmt: skip
    ),
    _c(
        "license smart transport gateway",
        "<url>",
        "Use SSM On-Prem: https://<host>/Transportgateway/services/DeviceRequestHandler",
        "smart:transport_gateway",
        changes="how the node reaches its SSM: an SSM On-Prem (transport gateway URL).",
        example=(
            "license smart transport gateway "
            "https://ssm-onprem.example.com/Transportgateway/services/DeviceRequestHandler"
        ),
        args={"url": "https://HOST/Transportgateway/services/DeviceRequestHandler; HOST names an SSM of the lab."},
    ),
    _c(
        "license smart transport ssm-satellite",
        "<url>",
        "Use SSM On-Prem: https://<host>/SmartTransport",
        "smart:transport_satellite",
        changes="how the node reaches its SSM: an SSM On-Prem (satellite URL).",
        example="license smart transport ssm-satellite https://ssm-onprem.example.com/SmartTransport",
        args={"url": "https://HOST/SmartTransport; HOST names an SSM of the lab."},
    ),
    _c(
        "license smart factory reset",
        "",
        "Clear licensing data (keeps evaluation time and SLR sequence)",
        "smart:factory_reset",
        confirm="This will clear all Smart Licensing data of this node.",
        changes=(
            "clears registration, transport and SLR data of the node (evaluation time and SLR "
            "sequence are kept). Asks Continue (y/n)?"
        ),
        example="license smart factory reset",
    ),
    _c(
        "license smart hostname",
        "{privacy:enable|disable}",
        "Host name privacy: enable keeps the host name from Cisco SSM",
        "smart:hostname",
        changes=(
            "the privacy of the host name at registration (UCCX 12.5(1) SU3): enable, the SSM does not get it; "
            "disable (the default), it does (shown there in 'instance list'). Applies to the next registration."
        ),
        example="license smart hostname enable",
        args={"privacy": "enable: do not send the host name; disable: send it."},
    ),
    _c(
        "license smart reservation enable",
        "",
        "Enable Specific License Reservation",
        "slr:enable",
        changes="turns Specific License Reservation on (the node must be unregistered).",
        example="license smart reservation enable",
    ),
    _c(
        "license smart reservation disable",
        "",
        "Disable Specific License Reservation",
        "slr:disable",
        changes="turns Specific License Reservation off (no request pending, nothing installed).",
        example="license smart reservation disable",
    ),
    _c(
        "license smart reservation request",
        "[specific]",
        "Print the Reservation Request Code",
        "slr:request",
        changes=(
            "records a new request (its key is kept) and prints its Reservation Request Code; a "
            "pending request is printed again unchanged."
        ),
        example="license smart reservation request specific",
        args={"specific": "Specific reservation (the only kind on UCCX; the word may be left out)."},
    ),
    _c(
        "license smart reservation cancel",
        "",
        "Cancel a reservation request not yet installed",
        "slr:cancel",
        changes="drops the pending request; its code can no longer be installed.",
        example="license smart reservation cancel",
    ),
    _c(
        "license smart reservation install",
        "<code>...",
        "Install an Authorization Code (quoted, or unquoted: the rest of the line)",
        "slr:install",
        changes=(
            "installs the reservation: the node becomes REGISTERED_SLR and AUTHORIZED - RESERVED; an "
            "update prints a Confirmation Code for the SSM."
        ),
        example='license smart reservation install "<specificPLR>...</specificPLR>"',
        args={
            "code": (
                "The Authorization Code from 'ccx-ssm reservation authorize'. The code as printed by the "
                "other side, on one line: quoted, or unquoted as the rest of the line (up to 256 kB); - "
                "reads it from standard input, @FILE from a file."
            )
        },
    ),
    _c(
        "license smart reservation install-file",
        "<path>",
        "Install an Authorization Code from a file",
        "slr:install_file",
        changes="as 'install', reading the Authorization Code from a file.",
        example="license smart reservation install-file /tmp/auth.txt",
        args={"path": "A file holding the code (up to 256 kB); with 'ccx serve', an uploaded file."},
    ),
    _c(
        "license smart reservation return",
        "",
        "Return the reservation; prints the Reservation Return Code",
        "slr:return_",
        confirm=RETURN_Q,
        check="slr:check_return",
        changes=(
            "drops the reservation (the node goes back to evaluation or enforcement) and prints the "
            "Reservation Return Code for the SSM. Asks Continue (y/n)?"
        ),
        example="license smart reservation return",
    ),
    _c(
        "license smart reservation return-authorization",
        "<code>...",
        "Return code for an Authorization Code never installed",
        "slr:return_authorization",
        aliases=("license smart reservation return authorization", "license smart reservation return - authorization"),
        changes=(
            "nothing on the node; prints the Reservation Return Code that releases the code's licenses on the SSM."
        ),
        example='license smart reservation return-authorization "<specificPLR>...</specificPLR>"',
        args={
            "code": (
                "An Authorization Code issued for this node and never installed. The code as printed by "
                "the other side, on one line: quoted, or unquoted as the rest of the line (up to 256 kB); "
                "- reads it from standard input, @FILE from a file."
            )
        },
    ),
    _c(
        "appadmin license type",
        "{type:perpetual-premium|perpetual-enhanced|flex|ip-ivr|hcs-flex|nps|nfr}",
        "Choose the license type (only while unregistered)",
        "usage:license_type",
        changes="the node's license type (only while unregistered and without a reservation).",
        example="appadmin license type perpetual-premium",
        args={"type": "The license type."},
    ),
    _c(
        "appadmin license control",
        "[--agent-seats N] [--premium-seats N] [--standard-seats N] [--outbound-ports N] [--ivr-ports N] "
        "[--overage on|off]",
        "License Control: limits and overage allowance",
        "usage:license_control",
        changes=(
            "the License Control limits of the node's license type (the fields shown depend on the "
            "type); with no option it shows them."
        ),
        example="appadmin license control --premium-seats 10 --overage off",
        args={
            "--agent-seats": "Perpetual: agents logged in at once, 0 to 100000.",
            "--premium-seats": "Flex: premium agents logged in at once, 0 to 100000.",
            "--standard-seats": "Flex: standard agents logged in at once, 0 to 100000.",
            "--outbound-ports": "Outbound IVR ports, 0 to 100000.",
            "--ivr-ports": "IP IVR: inbound IVR ports, 0 to 100000.",
            "--overage": "on allows logins past the limits (counted as overage), off refuses them.",
        },
    ),
    _c(
        "appadmin license consumption",
        "[--from T] [--to T] [--interval 15m|1h|1d] [--chart]",
        "License Consumption report per 15-minute interval (or per hour, per day)",
        "usage:consumption",
        changes=NOTHING,
        example="appadmin license consumption --from 2026-09-01T00:00:00Z --interval 1d --chart",
        args={
            "--from": "Start of the report, an ISO time (default: 24 hours before --to).",
            "--to": "End of the report, an ISO time (default: now).",
            "--interval": (
                "15m (default: the intervals the node reports), 1h or 1d: each row the peak of its "
                "intervals and the last usage reported in it; up to 2,000 rows (1d: over 5 years)."
            ),
            "--chart": "Add a text chart of the peaks.",
        },
    ),
    _c(
        "appadmin license migrate smart",
        "",
        "Move a Classic Licensing node to Smart Licensing (one way)",
        "usage:migrate",
        confirm="Migration to Smart Licensing cannot be undone.",
        check="usage:check_migrate",
        changes=(
            "moves a Classic Licensing node to Smart Licensing, for good (needs version 12.5 or "
            "later). Asks Continue (y/n)?"
        ),
        example="appadmin license migrate smart",
    ),
    _c(
        "appadmin license classic show",
        "",
        "Show the License MAC and installed Classic licenses",
        "usage:classic_show",
        changes=NOTHING,
        example="appadmin license classic show",
    ),
    _c(
        "appadmin license classic install",
        "<file>",
        "Install a classic license file (from 'ccx-ssm pak fulfil' or 'dbc convert')",
        "usage:classic_install",
        changes="adds the classic licenses of the file to the node (Classic Licensing nodes only).",
        example="appadmin license classic install /tmp/classic.lic",
        args={"file": "A license file from 'ccx-ssm pak fulfil' or 'ccx-ssm dbc convert'."},
    ),
    _c("appadmin alerts", "", "Landing-page / RTMT alerts", "usage:alerts", changes=NOTHING, example="appadmin alerts"),
    _c(
        "appadmin events",
        "[--last N]",
        "Licensing event log (syslog lines)",
        "usage:events",
        changes=NOTHING,
        example="appadmin events --last 20",
        args={"--last": "How many events, 0 to 100000."},
    ),
    _c("sim clock show", "", "Show the virtual time", "basic:clock_show", changes=NOTHING, example="sim clock show"),
    _c(
        "sim clock advance",
        "<duration>",
        "Move time forward: 15m, 8h, 90d, 1y",
        "basic:clock_advance",
        lab_wide=True,
        changes=(
            "the lab's virtual time, for every node and SSM: due reports, renewals and expiries happen on the way."
        ),
        example="sim clock advance 90d",
        args={"duration": "Numbers with units s, m, h, d, w, y, combinable (1d12h); at most 1000y."},
    ),
    _c(
        "sim clock set",
        "<time>",
        "Move time to an ISO time, e.g. 2027-01-01T00:00:00Z",
        "basic:clock_set",
        lab_wide=True,
        changes="the lab's virtual time, as 'advance' (time never moves back).",
        example="sim clock set 2027-01-01T00:00:00Z",
        args={"time": "An ISO time in UTC, 1970 to 9999."},
    ),
    _c(
        "sim clock realtime",
        "{state:on|off}",
        "Follow the wall clock from the current offset",
        "basic:clock_realtime",
        lab_wide=True,
        changes="whether the virtual clock follows the wall clock from its current offset.",
        example="sim clock realtime on",
        args={"state": "on follows the wall clock; off freezes the virtual time."},
    ),
    _c(
        "sim node create",
        "<name> [--type T] [--ova N] [--classic] [--version V] [--wfo]",
        ("Create an emulated node (OVA profile 100, 300 or 400 agents; a Classic node's version, WFO)"),
        "basic:node_create",
        lab_wide=True,
        changes="adds an emulated node to the lab (unregistered, evaluation starting now).",
        example="sim node create b --type flex --ova 300",
        args={
            "name": "1-32 lowercase letters, digits and dashes, starting with a letter.",
            "--type": (
                "License type (default flex): perpetual-premium, perpetual-enhanced, flex, ip-ivr, hcs-flex, nps, nfr."
            ),
            "--ova": "OVA profile: 100, 300 or 400 agents (default 400).",
            "--classic": "A node still on Classic Licensing.",
            "--version": "The UCCX version: dotted numbers, e.g. 12.5.1 or 11.6.2.10000-41 (default: current).",
            "--wfo": "The node uses Workforce Optimization (classic nodes).",
        },
    ),
    _c("sim node list", "", "List the nodes of the lab", "basic:node_list", changes=NOTHING, example="sim node list"),
    _c(
        "sim lab reset",
        "",
        "Start over: a fresh lab (node uccx, SSM cloud with demo licenses, clock at now)",
        "basic:lab_reset",
        confirm=(
            "This will delete every node and SSM of this lab (registrations, reservations, codes) and "
            "create a fresh lab."
        ),
        lab_wide=True,
        changes=(
            "deletes every node and SSM of the lab and creates the embedded default again (the SSH "
            "host key, uploaded files and a running 'ccx serve' stay). Works on a lab whose files are "
            "corrupt. Asks Continue (y/n)?"
        ),
        example="sim lab reset",
    ),
    _c(
        "sim lab save",
        "<name>",
        "Save the lab as a snapshot: its nodes, SSMs and clock together",
        "labs:save",
        lab_wide=True,
        changes=(
            "writes snapshot NAME into the lab home's snapshots/ folder (replacing one of that name once the "
            "new one is complete); the lab itself is unchanged."
        ),
        example="sim lab save day-one",
        args={"name": "1-32 lowercase letters, digits and dashes, starting with a letter."},
    ),
    _c(
        "sim lab load",
        "<name>",
        "Make the lab the saved one again: nodes, SSMs and clock as they were saved",
        "labs:load",
        confirm="This will replace every node and SSM of this lab, and its clock, with the snapshot.",
        check="labs:check_load",
        lab_wide=True,
        changes=(
            "replaces the lab's nodes, SSMs and clock with the snapshot's (the snapshots, the SSH host key and "
            "uploaded files stay). Asks Continue (y/n)?"
        ),
        example="sim lab load day-one",
        args={"name": "A snapshot of this lab ('sim lab snapshots')."},
    ),
    _c(
        "sim lab snapshots",
        "",
        "List the lab's snapshots",
        "labs:snapshots_list",
        changes=NOTHING,
        example="sim lab snapshots",
    ),
    _c(
        "sim lab export",
        "<name> <file>",
        "Write a snapshot to one file (.tar.gz), to load in another lab",
        "labs:export",
        changes="writes FILE (the snapshot is unchanged).",
        example="sim lab export day-one /tmp/day-one.tar.gz",
        args={"name": "A snapshot of this lab.", "file": "The file to write."},
    ),
    _c(
        "sim lab import",
        "<file> [--name NAME]",
        "Add a snapshot from an exported file",
        "labs:import_",
        lab_wide=True,
        changes="adds the file's snapshot to this lab's snapshots (refused if the name is taken); load it next.",
        example="sim lab import /tmp/day-one.tar.gz",
        args={"file": "A file from 'sim lab export'.", "--name": "Import it under this name instead."},
    ),
    _c(
        "sim lab apply",
        "<file> [--replace]",
        "Build the lab a TOML file describes: SSMs, virtual accounts, tokens, users, nodes",
        "labs:apply",
        confirm="This will replace every node and SSM of this lab, and its clock, with the file's lab.",
        check="labs:check_apply",
        lab_wide=True,
        changes=(
            "builds the file's lab in a temporary lab by the real rules (nodes' commands, the SSM's side), then "
            "replaces the lab's nodes, SSMs and clock with it (as 'sim lab load' does) and writes the file's SSH "
            "users for 'ccx serve'. A file with an error is refused naming its line; a lab that is not fresh "
            "needs --replace. Asks Continue (y/n)?"
        ),
        example="sim lab apply class.toml",
        args={
            "file": "A lab file (TOML; 'sim lab schema' prints its JSON Schema).",
            "--replace": "Replace a lab that is not fresh.",
        },  # fmt: skip
    ),
    _c(
        "sim lab check",
        "<file>",
        "Grade the lab against the file's goals: one line each, exit 1 if one fails",
        "labs:check",
        changes=NOTHING,
        example="sim lab check class.toml",
        args={"file": "A lab file with [[goal]] tables."},
    ),
    _c(
        "sim lab schema",
        "",
        "Print the JSON Schema of a lab file (for editors)",
        "labs:schema",
        changes=NOTHING,
        example="sim lab schema",
    ),
    _c(
        "sim scenario list",
        "",
        "List the scenario presets: moments of a license's life to rehearse",
        "labs:scenario_list",
        changes=NOTHING,
        example="sim scenario list",
    ),
    _c(
        "sim scenario load",
        "<name> [--replace]",
        "Replace the lab with a scenario preset, reached by the real rules",
        "labs:scenario_load",
        confirm="This will replace every node and SSM of this lab, and its clock, with the scenario.",
        check="labs:check_scenario",
        lab_wide=True,
        changes=(
            "builds the scenario in a temporary lab by running its steps (node commands and the SSM's side), "
            "then replaces the lab's nodes, SSMs and clock with the result (as 'sim lab load' does); a lab that is "
            "not fresh needs --replace. Asks Continue (y/n)?"
        ),
        example="sim scenario load ooc-report-4",
        args={"name": "A scenario ('sim scenario list').", "--replace": "Replace a lab that is not fresh."},
    ),
    _c(
        "sim node delete",
        "<name>",
        "Delete a node",
        "basic:node_delete",
        confirm="This will delete the node and its state.",
        check="basic:check_node_delete",
        lab_wide=True,
        changes=(
            "removes the node and its state from the lab (refused while an SSM holds its "
            "reservation). Asks Continue (y/n)?"
        ),
        example="sim node delete b",
        args={"name": "A node of the lab."},
    ),
    _c(
        "sim network",
        "{link:up|down}",
        "Whether this node can reach its SSM",
        "basic:network",
        changes="whether this node can reach its SSM (down: reports and renewals fail and are retried).",
        example="sim network down",
        args={"link": "up reaches the SSM; down cuts this node off."},
    ),
    _c(
        "sim proxy add",
        "<address> [--user U] [--password-file F]",
        "Put an HTTP proxy on the lab's network",
        "network:proxy_add",
        lab_wide=True,
        changes=(
            "adds a proxy nodes with 'license smart transport proxy HOST PORT' go through to this lab's cloud SSM: "
            "another host, another port or wrong credentials fail as on a network. Its password is kept as a hash."
        ),
        example="sim proxy add proxy.lab:3128 --user alice --password-file /tmp/proxy-password",
        args={
            "address": "HOST:PORT of the proxy.",
            "--user": "The user name it asks for (407 without it).",
            "--password-file": "A file whose first line is the password.",
        },  # fmt: skip
    ),
    _c(
        "sim proxy list",
        "",
        "List the HTTP proxies of the lab's network",
        "network:proxy_list",
        changes=NOTHING,
        example="sim proxy list",
    ),
    _c(
        "sim proxy remove",
        "<address>",
        "Take an HTTP proxy off the lab's network",
        "network:proxy_remove",
        lab_wide=True,
        changes="removes the proxy: nodes that use it fail to reach Cisco SSM until another is set.",
        example="sim proxy remove proxy.lab:3128",
        args={"address": "HOST:PORT of the proxy."},
    ),
    _c(
        "sim ssm cisco",
        "<target>",
        "Where the direct and proxy transports reach Cisco SSM",
        "network:cisco",
        lab_wide=True,
        changes=(
            "lab: this lab's cloud SSM, in-process (the default); an https URL: a served SSM, reached over HTTPS "
            "(through the node's HTTP proxy with the proxy transport, as a CONNECT tunnel)."
        ),
        example="sim ssm cisco https://localhost:8443/Transportgateway/services/DeviceRequestHandler",
        args={"target": "lab, or the https URL of a served SSM ('ccx-ssm serve')."},
    ),
    _c(
        "sim agent add",
        "<id> [--skills LIST] [--supervisor]",
        "Add an agent (Unified CM sync)",
        "usage:agent_add",
        changes="adds an agent to the node (as a Unified CM synchronization would).",
        example="sim agent add alice --skills voice,chat",
        args={"id": AGENT_ID, "--skills": SKILLS, "--supervisor": "The agent is a supervisor."},
    ),
    _c(
        "sim agent modify",
        "<id> [--skills LIST] [--supervisor on|off]",
        "Change an agent's skills",
        "usage:agent_modify",
        changes="an agent's skills or supervisor role (its license class follows at the next login).",
        example="sim agent modify alice --skills voice",
        args={"id": AGENT_ID, "--skills": SKILLS, "--supervisor": "on or off."},
    ),
    _c(
        "sim agent delete",
        "<id>",
        "Delete an agent (Unified CM sync)",
        "usage:agent_delete",
        changes="removes the agent (logged out first).",
        example="sim agent delete alice",
        args={"id": AGENT_ID},
    ),
    _c(
        "sim agent login",
        "[<id>...] [--count N] [--premium]",
        "Log agents in (or N new ones)",
        "usage:agent_login",
        changes=("logs agents in: they use licenses from now (refused past License Control or the OVA profile)."),
        example="sim agent login --count 30",
        args={
            "id": AGENT_ID + " Several may be given.",
            "--count": "Log in N agents, adding new ones as needed, 1 to 10000.",
            "--premium": "With --count: the new agents have premium skills.",
        },
    ),
    _c(
        "sim agent logout",
        "[<id>...] [--all]",
        "Log agents out",
        "usage:agent_logout",
        changes="logs agents out: their licenses are free from now.",
        example="sim agent logout --all",
        args={"id": AGENT_ID + " Several may be given.", "--all": "Every agent of the node."},
    ),
    _c(
        "sim agent list",
        "",
        "List agents and their license class",
        "usage:agent_list",
        changes=NOTHING,
        example="sim agent list",
    ),
    _c(
        "sim ports",
        "{kind:inbound|outbound|ivr} <n>",
        "Set the ports in use now",
        "usage:ports",
        changes="the ports in use now (they count toward usage and License Control).",
        example="sim ports outbound 12",
        args={"kind": "Which ports.", "n": "How many are in use, 0 to 100000."},
    ),
    _c(
        "sim ssm trust",
        "<file>",
        "Trust an SSM outside the lab (its public key PEM)",
        "slr:trust",
        lab_wide=True,
        changes="adds an SSM's public key to the lab's trusted keys (codes it signs are accepted).",
        example="sim ssm trust /tmp/other-ssm.pem",
        args={"file": "A PEM public key from 'ccx-ssm key export'."},
    ),
    _c(
        "sim fault list",
        "",
        "List the failures that can be injected, and which are on",
        "system:fault_list",
        changes=NOTHING,
        example="sim fault list",
    ),
    _c(
        "sim fault clock-skew",
        "<offset>",
        "Put this node's clock off the network's (NTP lost)",
        "system:clock_skew",
        changes=(
            "how far this node's own clock is off (the lab's clock does not move): beyond an hour the SSM's time "
            "checks fail (exit 4, the seed's renewal alerts) and 'utils ntp status' shows it; 0 puts it back in sync."
        ),
        example="sim fault clock-skew +2h",
        args={"offset": "+DURATION (ahead), -DURATION (behind) or 0: 30m, 2h, 3d."},
    ),
    _c(
        "sim fault",
        "{fault:license-computation|agent-init|ssm-error|ssm-slow} {state:on|off}",
        "Turn an injected failure on or off",
        "system:fault_set",
        changes="turns an injected failure on or off for this node.",
        example="sim fault ssm-error on",
        args={
            "fault": (
                "The failure: license computation fails, the Smart Agent does not start, the SSM answers "
                "with an error, the SSM times out."
            ),
            "state": "Inject it, or stop.",
        },
    ),
]

_TREE: Node | None = None


def tree() -> Node:
    global _TREE
    if _TREE is None:
        _TREE = build_tree(COMMANDS, GROUP_HELP)
    return _TREE
