"""The licensing commands of the `admin:` CLI: `show license …`, `license smart …`
(registration, transport, SLR) and `appadmin license …` (the administration portal's license
pages)."""

from __future__ import annotations

from ccxcli.cli.grammar import Command
from ccxcli.cli.tablekit import NOTHING, RETURN_Q, c

LICENSE: list[Command] = [
    c(
        "show license UDI",
        "",
        "Show the Unique Device Identifier",
        "basic:show_udi",
        changes=NOTHING,
        example="show license UDI",
    ),
    c(
        "show license status",
        "",
        "Show Smart Licensing status",
        "show:status",
        changes=NOTHING,
        example="show license status",
    ),
    c(
        "show license summary",
        "",
        "Show status and license usage summary",
        "show:summary",
        changes=NOTHING,
        example="show license summary",
    ),
    c(
        "show license all",
        "",
        "Show everything about Smart Licensing",
        "show:all_",
        changes=NOTHING,
        example="show license all",
    ),
    c("show license usage", "", "Show license usage", "show:usage", changes=NOTHING, example="show license usage"),
    c(
        "show license reservation",
        "",
        "Show Specific License Reservation details",
        "show:reservation",
        changes=NOTHING,
        example="show license reservation",
    ),
    c(
        "show license techsupport",
        "",
        "Show everything plus recent events",
        "show:techsupport",
        aliases=("show license tech support",),
        changes=NOTHING,
        example="show license techsupport",
    ),
    c(
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
    c(
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
    c(
        "license smart renew auth",
        "",
        "Renew authorization now",
        "smart:renew_auth",
        changes="asks the SSM for a new 90-day authorization now (sends usage).",
        example="license smart renew auth",
    ),
    c(
        "license smart renew ID",
        "",
        "Renew the registration (ID certificate) now",
        "smart:renew_id",
        changes="asks the SSM for a new 1-year ID certificate now.",
        example="license smart renew ID",
    ),
    c(
        "license smart transport direct",
        "",
        "Reach Cisco SSM directly by Call Home (default)",
        "smart:transport_direct",
        changes=(
            "how the node reaches its SSM: directly, by Call Home "
            "(https://tools.cisco.com/its/service/oddce/services/DDCEService; the default of UCCX 12.5)."
        ),
        example="license smart transport direct",
    ),
    c(
        "license smart transport smart",
        "",
        "Reach Cisco SSM by Smart Transport (newer releases' default)",
        "smart:transport_smart",
        changes="how the node reaches its SSM: Smart Transport to Cisco SSM (https://smartreceiver.cisco.com/licservice/license).",
        example="license smart transport smart",
    ),
    c(
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
        },
    ),
    c(
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
    c(
        "license smart transport ssm-satellite",
        "<url>",
        "Use SSM On-Prem: https://<host>/SmartTransport",
        "smart:transport_satellite",
        changes="how the node reaches its SSM: an SSM On-Prem (satellite URL).",
        example="license smart transport ssm-satellite https://ssm-onprem.example.com/SmartTransport",
        args={"url": "https://HOST/SmartTransport; HOST names an SSM of the lab."},
    ),
    c(
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
    c(
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
    c(
        "license smart reservation enable",
        "",
        "Enable Specific License Reservation",
        "slr:enable",
        changes="turns Specific License Reservation on (the node must be unregistered).",
        example="license smart reservation enable",
    ),
    c(
        "license smart reservation disable",
        "",
        "Disable Specific License Reservation",
        "slr:disable",
        changes="turns Specific License Reservation off (no request pending, nothing installed).",
        example="license smart reservation disable",
    ),
    c(
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
    c(
        "license smart reservation cancel",
        "",
        "Cancel a reservation request not yet installed",
        "slr:cancel",
        changes="drops the pending request; its code can no longer be installed.",
        example="license smart reservation cancel",
    ),
    c(
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
    c(
        "license smart reservation install-file",
        "<path>",
        "Install an Authorization Code from a file",
        "slr:install_file",
        changes="as 'install', reading the Authorization Code from a file.",
        example="license smart reservation install-file /tmp/auth.txt",
        args={"path": "A file holding the code (up to 256 kB); with 'ccx serve', an uploaded file."},
    ),
    c(
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
    c(
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
    c(
        "appadmin license type",
        "{type:perpetual-premium|perpetual-enhanced|flex|ip-ivr|hcs-flex|nps|nfr}",
        "Choose the license type (only while unregistered)",
        "usage:license_type",
        changes="the node's license type (only while unregistered and without a reservation).",
        example="appadmin license type perpetual-premium",
        args={"type": "The license type."},
    ),
    c(
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
    c(
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
    c(
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
    c(
        "appadmin license classic show",
        "",
        "Show the License MAC and installed Classic licenses",
        "usage:classic_show",
        changes=NOTHING,
        example="appadmin license classic show",
    ),
    c(
        "appadmin license classic install",
        "<file>",
        "Install a classic license file (from 'ccx-ssm pak fulfil' or 'dbc convert')",
        "usage:classic_install",
        changes="adds the classic licenses of the file to the node (Classic Licensing nodes only).",
        example="appadmin license classic install /tmp/classic.lic",
        args={"file": "A license file from 'ccx-ssm pak fulfil' or 'ccx-ssm dbc convert'."},
    ),
    c("appadmin alerts", "", "Landing-page / RTMT alerts", "usage:alerts", changes=NOTHING, example="appadmin alerts"),
    c(
        "appadmin events",
        "[--last N]",
        "Licensing event log (syslog lines)",
        "usage:events",
        changes=NOTHING,
        example="appadmin events --last 20",
        args={"--last": "How many events, 0 to 100000."},
    ),
]
