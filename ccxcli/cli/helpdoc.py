"""What `help <command>` teaches beyond the one-line help of the command table: each
argument with its range, what the command changes, and an example that parses to it
(`tests/test_help.py` checks all three for every command). Imported only by `help`."""

from __future__ import annotations

from typing import NamedTuple


class Doc(NamedTuple):
    changes: str
    example: str
    args: dict[str, str] = {}


NOTHING = "nothing (it only shows)."
AGENT_ID = "The agent's user id: 1-64 printable characters without spaces."
SKILLS = (
    "--skills LIST: comma-separated voice, chat, email, outbound-preview, outbound-predictive, outbound-progressive."
)
CODE_ARG = (
    "The code as printed by the other side, on one line: quoted, or unquoted as the rest of the line "
    "(up to 256 kB); - reads it from standard input, @FILE from a file."
)

DOCS: dict[str, Doc] = {
    "help": Doc(NOTHING, "help license smart reservation install", {"command": "Command words, or the start of them."}),
    "exit": Doc("ends the session (a one-shot command does nothing).", "exit"),
    "quit": Doc("ends the session (a one-shot command does nothing).", "quit"),
    "set cli pagination": Doc(
        "this session's paging of long output at the terminal height (the shell only).",
        "set cli pagination off",
        {"on|off": "on pages output one screen at a time; off prints it at once."},
    ),
    "show cli pagination": Doc(NOTHING, "show cli pagination"),
    "show myself": Doc(NOTHING, "show myself"),
    "show status": Doc(NOTHING, "show status"),
    "show version": Doc(NOTHING, "show version active", {"active|inactive": "The running or the other partition."}),
    "show uccx version": Doc(NOTHING, "show uccx version"),
    "show network eth0": Doc(NOTHING, "show network eth0 detail", {"detail": "Add DNS, gateway and counters."}),
    "show network cluster": Doc(NOTHING, "show network cluster"),
    "utils service list": Doc(NOTHING, "utils service list"),
    "utils ntp status": Doc(NOTHING, "utils ntp status"),
    "utils system restart": Doc(
        "agents are logged out and services start again; licensing state is kept. Asks Continue (y/n)?",
        "utils system restart",
    ),
    "show license UDI": Doc(NOTHING, "show license UDI"),
    "show license status": Doc(NOTHING, "show license status"),
    "show license summary": Doc(NOTHING, "show license summary"),
    "show license all": Doc(NOTHING, "show license all"),
    "show license usage": Doc(NOTHING, "show license usage"),
    "show license reservation": Doc(NOTHING, "show license reservation"),
    "show license techsupport": Doc(NOTHING, "show license techsupport"),
    "license smart register idtoken": Doc(
        "registers the node with its SSM: ID certificate for 1 year, authorization for 90 days, usage reported.",
        "license smart register idtoken MzQ1Njc4OTAtYWJjZC0xMjM0",
        {
            "token": "A registration token from 'ccx-ssm token create' (or the SSM portal).",
            "force": "Register again although the node is registered.",
        },
    ),
    "license smart deregister": Doc(
        "releases the node's licenses on the SSM and returns it to evaluation or enforcement. Asks Continue (y/n)?",
        "license smart deregister",
    ),
    "license smart renew auth": Doc(
        "asks the SSM for a new 90-day authorization now (sends usage).", "license smart renew auth"
    ),
    "license smart renew ID": Doc("asks the SSM for a new 1-year ID certificate now.", "license smart renew ID"),
    "license smart transport direct": Doc(
        "how the node reaches its SSM: directly (the default).", "license smart transport direct"
    ),
    "license smart transport proxy": Doc(
        "how the node reaches its SSM: through an HTTP proxy.",
        "license smart transport proxy proxy.example.com 3128",
        {"host": "The proxy's host name or IP address.", "port": "The proxy's TCP port, 1 to 65535."},
    ),
    "license smart transport gateway": Doc(
        "how the node reaches its SSM: an SSM On-Prem (transport gateway URL).",
        "license smart transport gateway https://ssm-onprem.example.com/Transportgateway/services/DeviceRequestHandler",
        {"url": "https://HOST/Transportgateway/services/DeviceRequestHandler; HOST names an SSM of the lab."},
    ),
    "license smart transport ssm-satellite": Doc(
        "how the node reaches its SSM: an SSM On-Prem (satellite URL).",
        "license smart transport ssm-satellite https://ssm-onprem.example.com/SmartTransport",
        {"url": "https://HOST/SmartTransport; HOST names an SSM of the lab."},
    ),
    "license smart factory reset": Doc(
        "clears registration, transport and SLR data of the node (evaluation time and SLR sequence are kept). "
        "Asks Continue (y/n)?",
        "license smart factory reset",
    ),
    "license smart hostname": Doc(
        "whether the node's host name is sent to the SSM (shown there in 'instance list').",
        "license smart hostname disable",
        {"enable|disable": "Send the host name, or not."},
    ),
    "license smart reservation enable": Doc(
        "turns Specific License Reservation on (the node must be unregistered).", "license smart reservation enable"
    ),
    "license smart reservation disable": Doc(
        "turns Specific License Reservation off (no request pending, nothing installed).",
        "license smart reservation disable",
    ),
    "license smart reservation request": Doc(
        "records a new request (its key is kept) and prints its Reservation Request Code; a pending request is "
        "printed again unchanged.",
        "license smart reservation request specific",
        {"specific": "Specific reservation (the only kind on UCCX; the word may be left out)."},
    ),
    "license smart reservation cancel": Doc(
        "drops the pending request; its code can no longer be installed.", "license smart reservation cancel"
    ),
    "license smart reservation install": Doc(
        "installs the reservation: the node becomes REGISTERED_SLR and AUTHORIZED - RESERVED; an update prints a "
        "Confirmation Code for the SSM.",
        'license smart reservation install "<specificPLR>...</specificPLR>"',
        {"code": "The Authorization Code from 'ccx-ssm reservation authorize'. " + CODE_ARG},
    ),
    "license smart reservation install-file": Doc(
        "as 'install', reading the Authorization Code from a file.",
        "license smart reservation install-file /tmp/auth.txt",
        {"path": "A file holding the code (up to 256 kB); with 'ccx serve', an uploaded file."},
    ),
    "license smart reservation return": Doc(
        "drops the reservation (the node goes back to evaluation or enforcement) and prints the Reservation "
        "Return Code for the SSM. Asks Continue (y/n)?",
        "license smart reservation return",
    ),
    "license smart reservation return-authorization": Doc(
        "nothing on the node; prints the Reservation Return Code that releases the code's licenses on the SSM.",
        'license smart reservation return-authorization "<specificPLR>...</specificPLR>"',
        {"code": "An Authorization Code issued for this node and never installed. " + CODE_ARG},
    ),
    "appadmin license type": Doc(
        "the node's license type (only while unregistered and without a reservation).",
        "appadmin license type perpetual-premium",
        {"perpetual-premium|perpetual-enhanced|flex|ip-ivr|hcs-flex|nps|nfr": "The license type."},
    ),
    "appadmin license control": Doc(
        "the License Control limits of the node's license type (the fields shown depend on the type); with no "
        "option it shows them.",
        "appadmin license control --premium-seats 10 --overage off",
        {
            "--agent-seats": "Perpetual: agents logged in at once, 0 to 100000.",
            "--premium-seats": "Flex: premium agents logged in at once, 0 to 100000.",
            "--standard-seats": "Flex: standard agents logged in at once, 0 to 100000.",
            "--outbound-ports": "Outbound IVR ports, 0 to 100000.",
            "--ivr-ports": "IP IVR: inbound IVR ports, 0 to 100000.",
            "--overage": "on allows logins past the limits (counted as overage), off refuses them.",
        },
    ),
    "appadmin license consumption": Doc(
        NOTHING,
        "appadmin license consumption --from 2026-09-01T00:00:00Z --interval 1d --chart",
        {
            "--from": "Start of the report, an ISO time (default: 24 hours before --to).",
            "--to": "End of the report, an ISO time (default: now).",
            "--interval": "15m (default: the intervals the node reports), 1h or 1d: each row the peak of its "
            "intervals and the last usage reported in it; up to 2,000 rows (1d: over 5 years).",
            "--chart": "Add a text chart of the peaks.",
        },
    ),
    "appadmin license migrate smart": Doc(
        "moves a Classic Licensing node to Smart Licensing, for good (needs version 12.5 or later). "
        "Asks Continue (y/n)?",
        "appadmin license migrate smart",
    ),
    "appadmin license classic show": Doc(NOTHING, "appadmin license classic show"),
    "appadmin license classic install": Doc(
        "adds the classic licenses of the file to the node (Classic Licensing nodes only).",
        "appadmin license classic install /tmp/classic.lic",
        {"file": "A license file from 'ccx-ssm pak fulfil' or 'ccx-ssm dbc convert'."},
    ),
    "appadmin alerts": Doc(NOTHING, "appadmin alerts"),
    "appadmin events": Doc(NOTHING, "appadmin events --last 20", {"--last": "How many events, 0 to 100000."}),
    "sim clock show": Doc(NOTHING, "sim clock show"),
    "sim clock advance": Doc(
        "the lab's virtual time, for every node and SSM: due reports, renewals and expiries happen on the way.",
        "sim clock advance 90d",
        {"duration": "Numbers with units s, m, h, d, w, y, combinable (1d12h); at most 1000y."},
    ),
    "sim clock set": Doc(
        "the lab's virtual time, as 'advance' (time never moves back).",
        "sim clock set 2027-01-01T00:00:00Z",
        {"time": "An ISO time in UTC, 1970 to 9999."},
    ),
    "sim clock realtime": Doc(
        "whether the virtual clock follows the wall clock from its current offset.",
        "sim clock realtime on",
        {"on|off": "on follows the wall clock; off freezes the virtual time."},
    ),
    "sim node create": Doc(
        "adds an emulated node to the lab (unregistered, evaluation starting now).",
        "sim node create b --type flex --ova 300",
        {
            "name": "1-32 lowercase letters, digits and dashes, starting with a letter.",
            "--type": "License type (default flex): perpetual-premium, perpetual-enhanced, flex, ip-ivr, hcs-flex, "
            "nps, nfr.",
            "--ova": "OVA profile: 100, 300 or 400 agents (default 400).",
            "--classic": "A node still on Classic Licensing.",
            "--version": "The UCCX version: dotted numbers, e.g. 12.5.1 or 11.6.2.10000-41 (default: current).",
            "--wfo": "The node uses Workforce Optimization (classic nodes).",
        },
    ),
    "sim node list": Doc(NOTHING, "sim node list"),
    "sim lab reset": Doc(
        "deletes every node and SSM of the lab and creates the embedded default again (the SSH host key, "
        "uploaded files and a running 'ccx serve' stay). Works on a lab whose files are corrupt. "
        "Asks Continue (y/n)?",
        "sim lab reset",
    ),
    "sim node delete": Doc(
        "removes the node and its state from the lab (refused while an SSM holds its reservation). "
        "Asks Continue (y/n)?",
        "sim node delete b",
        {"name": "A node of the lab."},
    ),
    "sim network": Doc(
        "whether this node can reach its SSM (down: reports and renewals fail and are retried).",
        "sim network down",
        {"up|down": "up reaches the SSM; down cuts this node off."},
    ),
    "sim agent add": Doc(
        "adds an agent to the node (as a Unified CM synchronization would).",
        "sim agent add alice --skills voice,chat",
        {"id": AGENT_ID, "--skills": SKILLS, "--supervisor": "The agent is a supervisor."},
    ),
    "sim agent modify": Doc(
        "an agent's skills or supervisor role (its license class follows at the next login).",
        "sim agent modify alice --skills voice",
        {"id": AGENT_ID, "--skills": SKILLS, "--supervisor": "on or off."},
    ),
    "sim agent delete": Doc("removes the agent (logged out first).", "sim agent delete alice", {"id": AGENT_ID}),
    "sim agent login": Doc(
        "logs agents in: they use licenses from now (refused past License Control or the OVA profile).",
        "sim agent login --count 30",
        {
            "id": AGENT_ID + " Several may be given.",
            "--count": "Log in N agents, adding new ones as needed, 1 to 10000.",
            "--premium": "With --count: the new agents have premium skills.",
        },
    ),
    "sim agent logout": Doc(
        "logs agents out: their licenses are free from now.",
        "sim agent logout --all",
        {"id": AGENT_ID + " Several may be given.", "--all": "Every agent of the node."},
    ),
    "sim agent list": Doc(NOTHING, "sim agent list"),
    "sim ports": Doc(
        "the ports in use now (they count toward usage and License Control).",
        "sim ports outbound 12",
        {"inbound|outbound|ivr": "Which ports.", "n": "How many are in use, 0 to 100000."},
    ),
    "sim ssm trust": Doc(
        "adds an SSM's public key to the lab's trusted keys (codes it signs are accepted).",
        "sim ssm trust /tmp/other-ssm.pem",
        {"file": "A PEM public key from 'ccx-ssm key export'."},
    ),
    "sim fault list": Doc(NOTHING, "sim fault list"),
    "sim fault": Doc(
        "turns an injected failure on or off for this node.",
        "sim fault ssm-error on",
        {
            "license-computation|agent-init|ssm-error|ssm-slow": "The failure: license computation fails, the Smart "
            "Agent does not start, the SSM answers with an error, the SSM times out.",
            "on|off": "Inject it, or stop.",
        },
    ),
}
# The three spellings of one command share its documentation.
for _spelling in ("return authorization", "return - authorization"):
    _doc = DOCS["license smart reservation return-authorization"]
    DOCS[f"license smart reservation {_spelling}"] = _doc._replace(
        example=_doc.example.replace("return-authorization", _spelling)
    )


def arg_label(kind: str, name: str, takes_value: bool, metavar: str) -> str:
    """How `help <command>` names a parameter: `<token>`, `{on|off}`, `[force]`, `--count N`."""
    if kind == "arg":
        return f"<{name}>"
    if kind == "choice":
        return "{" + name + "}"
    if kind == "opt":
        return f"{name} {metavar}" if takes_value else name
    return name
