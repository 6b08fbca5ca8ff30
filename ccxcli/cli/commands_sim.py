"""`sim …`: the lab's own controls (not in the real CLI): clock, nodes, the lab, scenarios,
network, agents, faults."""

from __future__ import annotations

from ccxcli.cli.grammar import Command
from ccxcli.cli.tablekit import AGENT_ID, NOTHING, SKILLS, c

SIM: list[Command] = [
    c("sim clock show", "", "Show the virtual time", "basic:clock_show", changes=NOTHING, example="sim clock show"),
    c(
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
    c(
        "sim clock set",
        "<time>",
        "Move time to an ISO time, e.g. 2027-01-01T00:00:00Z",
        "basic:clock_set",
        lab_wide=True,
        changes="the lab's virtual time, as 'advance' (time never moves back).",
        example="sim clock set 2027-01-01T00:00:00Z",
        args={"time": "An ISO time in UTC, 1970 to 9999."},
    ),
    c(
        "sim clock realtime",
        "{state:on|off}",
        "Follow the wall clock from the current offset",
        "basic:clock_realtime",
        lab_wide=True,
        changes="whether the virtual clock follows the wall clock from its current offset.",
        example="sim clock realtime on",
        args={"state": "on follows the wall clock; off freezes the virtual time."},
    ),
    c(
        "sim node create",
        "<name> [--type T] [--ova N] [--classic] [--version V] [--wfo] [--subscriber-of P]",
        "Create an emulated node (OVA profile 100, 300 or 400 agents; Classic version, WFO; a cluster's subscriber)",
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
            "--subscriber-of": (
                "The publisher node: this node becomes the second node of its cluster (Smart Licensing runs "
                "on the publisher; this node's agents count there)."
            ),
        },
    ),
    c("sim node list", "", "List the nodes of the lab", "basic:node_list", changes=NOTHING, example="sim node list"),
    c(
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
    c(
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
    c(
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
    c(
        "sim lab snapshots",
        "",
        "List the lab's snapshots",
        "labs:snapshots_list",
        changes=NOTHING,
        example="sim lab snapshots",
    ),
    c(
        "sim lab export",
        "<name> <file>",
        "Write a snapshot to one file (.tar.gz), to load in another lab",
        "labs:export",
        changes="writes FILE (the snapshot is unchanged).",
        example="sim lab export day-one /tmp/day-one.tar.gz",
        args={"name": "A snapshot of this lab.", "file": "The file to write."},
    ),
    c(
        "sim lab import",
        "<file> [--name NAME]",
        "Add a snapshot from an exported file",
        "labs:import_",
        lab_wide=True,
        changes="adds the file's snapshot to this lab's snapshots (refused if the name is taken); load it next.",
        example="sim lab import /tmp/day-one.tar.gz",
        args={"file": "A file from 'sim lab export'.", "--name": "Import it under this name instead."},
    ),
    c(
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
        },
    ),
    c(
        "sim lab check",
        "<file>",
        "Grade the lab against the file's goals: one line each, exit 1 if one fails",
        "labs:check",
        changes=NOTHING,
        example="sim lab check class.toml",
        args={"file": "A lab file with [[goal]] tables."},
    ),
    c(
        "sim lab schema",
        "",
        "Print the JSON Schema of a lab file (for editors)",
        "labs:schema",
        changes=NOTHING,
        example="sim lab schema",
    ),
    c(
        "sim scenario list",
        "",
        "List the scenario presets: moments of a license's life to rehearse",
        "labs:scenario_list",
        changes=NOTHING,
        example="sim scenario list",
    ),
    c(
        "sim scenario load",
        "<name> [--replace] [--node N]",
        "Replace the lab with a scenario preset, reached by the real rules",
        "labs:scenario_load",
        confirm="This will replace every node and SSM of this lab, and its clock, with the scenario.",
        check="labs:check_scenario",
        lab_wide=True,
        changes=(
            "builds the scenario in a temporary lab by running its steps (node commands and the SSM's side), "
            "then replaces the lab's nodes, SSMs and clock with the result (as 'sim lab load' does); a lab that is "
            "not fresh needs --replace. Asks Continue (y/n)?. With --node N: adds node N in the scenario's state "
            "(its SSM records adopted into virtual account N of SSM cloud) and changes nothing else."
        ),
        example="sim scenario load ooc-report-4 --node s05",
        args={
            "name": "A scenario ('sim scenario list').",
            "--replace": "Replace a lab that is not fresh.",
            "--node": (
                "Load it into this one new node instead, in a virtual account of its own (named as the node) of "
                "SSM cloud, at the lab's time; the rest of the lab is left as it is, and nothing is asked."
            ),
        },
    ),
    c(
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
    c(
        "sim lab slr-tiers",
        "{rule:borrow|strict}",
        "Under SLR, whether a higher tier covers a lower one (a disputed rule)",
        "slr:tiers",
        lab_wide=True,
        changes=(
            "the lab's reading of the disputed rule for every node, now and made later: borrow (the default, as the "
            "seed says) lets standard usage take reserved premium licenses left unused; strict does not."
        ),
        example="sim lab slr-tiers strict",
        args={"rule": "borrow (a higher tier covers a lower one) or strict (each tier covers only itself)."},
    ),
    c(
        "sim network",
        "{link:up|down}",
        "Whether this node can reach its SSM",
        "basic:network",
        changes="whether this node can reach its SSM (down: reports and renewals fail and are retried).",
        example="sim network down",
        args={"link": "up reaches the SSM; down cuts this node off."},
    ),
    c(
        "sim lab cisco-root-ca",
        "{root:identrust|quovadis}",
        "Which root CA Cisco's servers chain to (a root CA change, drilled)",
        "network:cisco_root",
        lab_wide=True,
        changes=(
            "the root certificate authority the certificates of Cisco's servers (smartreceiver.cisco.com, "
            "tools.cisco.com) chain to: nodes reaching Cisco SSM directly, by Smart Transport or through a proxy "
            "fail when they do not trust it."
        ),
        example="sim lab cisco-root-ca identrust",
        args={
            "root": "identrust (IdenTrust Commercial Root CA 1, Cisco's since the QuoVadis decommissioning; the "
            "default) or quovadis (QuoVadis Root CA 2, before it)."
        },
    ),
    c(
        "sim trust-store",
        "{store:current|legacy}",
        "Which Cisco root CAs this node trusts",
        "network:trust_store",
        changes=(
            "the node's trust store: current trusts both Cisco roots (a release or a certificate import that has "
            "the IdenTrust root); legacy trusts only the QuoVadis Root CA 2, as a node on an unfixed release."
        ),
        example="sim trust-store legacy",
        args={"store": "current (both roots) or legacy (QuoVadis Root CA 2 only)."},
    ),
    c(
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
        },
    ),
    c(
        "sim proxy list",
        "",
        "List the HTTP proxies of the lab's network",
        "network:proxy_list",
        changes=NOTHING,
        example="sim proxy list",
    ),
    c(
        "sim proxy remove",
        "<address>",
        "Take an HTTP proxy off the lab's network",
        "network:proxy_remove",
        lab_wide=True,
        changes="removes the proxy: nodes that use it fail to reach Cisco SSM until another is set.",
        example="sim proxy remove proxy.lab:3128",
        args={"address": "HOST:PORT of the proxy."},
    ),
    c(
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
    c(
        "sim agent add",
        "<id> [--skills LIST] [--supervisor]",
        "Add an agent (Unified CM sync)",
        "usage:agent_add",
        changes="adds an agent to the node (as a Unified CM synchronization would).",
        example="sim agent add alice --skills voice,chat",
        args={"id": AGENT_ID, "--skills": SKILLS, "--supervisor": "The agent is a supervisor."},
    ),
    c(
        "sim agent modify",
        "<id> [--skills LIST] [--supervisor on|off]",
        "Change an agent's skills",
        "usage:agent_modify",
        changes="an agent's skills or supervisor role (its license class follows at the next login).",
        example="sim agent modify alice --skills voice",
        args={"id": AGENT_ID, "--skills": SKILLS, "--supervisor": "on or off."},
    ),
    c(
        "sim agent delete",
        "<id>",
        "Delete an agent (Unified CM sync)",
        "usage:agent_delete",
        changes="removes the agent (logged out first).",
        example="sim agent delete alice",
        args={"id": AGENT_ID},
    ),
    c(
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
    c(
        "sim agent logout",
        "[<id>...] [--all]",
        "Log agents out",
        "usage:agent_logout",
        changes="logs agents out: their licenses are free from now.",
        example="sim agent logout --all",
        args={"id": AGENT_ID + " Several may be given.", "--all": "Every agent of the node."},
    ),
    c(
        "sim agent list",
        "",
        "List agents and their license class",
        "usage:agent_list",
        changes=NOTHING,
        example="sim agent list",
    ),
    c(
        "sim ports",
        "{kind:inbound|outbound|ivr} <n>",
        "Set the ports in use now",
        "usage:ports",
        changes="the ports in use now (they count toward usage and License Control).",
        example="sim ports outbound 12",
        args={"kind": "Which ports.", "n": "How many are in use, 0 to 100000."},
    ),
    c(
        "sim ssm trust",
        "<file>",
        "Trust an SSM outside the lab (its public key PEM)",
        "slr:trust",
        lab_wide=True,
        changes="adds an SSM's public key to the lab's trusted keys (codes it signs are accepted).",
        example="sim ssm trust /tmp/other-ssm.pem",
        args={"file": "A PEM public key from 'ccx-ssm key export'."},
    ),
    c(
        "sim fault list",
        "",
        "List the failures that can be injected, and which are on",
        "system:fault_list",
        changes=NOTHING,
        example="sim fault list",
    ),
    c(
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
    c(
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
