"""The first commands an administrator types on a VOS node, answering from the node's
emulated identity: show myself, show status, show version, show network, show uccx
version, utils service list, utils ntp status, utils system restart, show cli pagination.

Shapes follow public transcripts of VOS sessions (CUCM/UCCX/VVB CLI references and TAC
documents); every value is the emulated node's: its host name, an address derived from its
UUID, its UCCX version, and times and uptime on the lab's virtual clock.
"""

from __future__ import annotations

import time

from ccxcli.core import identity
from ccxcli.core.failures import MAX_SKEW, set_skew, skew, span
from ccxcli.errors import UsageError
from ccxcli.runtime import Outcome
from ccxcli.session.context import Ctx

TYPE_CHECKING = False  # `typing` is not imported at run time: it costs a one-shot command start-up
if TYPE_CHECKING:
    from ccxcli.cli.grammar import Args
    from ccxcli.core.state import NodeState


def _date(t: int) -> str:
    return time.strftime("%a %b %d, %Y %H:%M:%S", time.gmtime(t))


def show_myself(ctx: Ctx, a: Args) -> Outcome:
    return Outcome(*myself(ctx.node))


def myself(node: NodeState) -> tuple[str, dict[str, object]]:
    rows = {"machine_name": node["hostname"], "account_name": "admin", "privilege_level": 4}
    text = (
        f"Machine Name    : {node['hostname']}\n"
        "account name    : admin\n"
        "privilege level : 4\n"
        "command count disabled\n"
        "logging setting : disabled"
    )
    return text, rows


def show_status(ctx: Ctx, a: Args) -> Outcome:
    return Outcome(*status(ctx.node, ctx.now))


def status(node: NodeState, now: int) -> tuple[str, dict[str, object]]:
    up = identity.uptime(node, now)
    ova = identity.ova(node)
    data = {
        "hostname": node["hostname"],
        "date": _date(now),
        "product_version": identity.version(node),
        "uptime_seconds": up,
        "ova": ova,
    }
    text = "\n".join(
        [
            f"Host Name          : {node['hostname']}",
            f"Date               : {_date(now)}",
            "Time Zone          : Coordinated Universal Time (Etc/UTC)",
            "Locale             : en_US.UTF-8",
            f"Product Ver        : {identity.version(node)}",
            f"Unified OS Version : {identity.OS_VERSION}",
            "",
            "Uptime:",
            f" {time.strftime('%H:%M:%S', time.gmtime(now))} up {identity.span_text(up)},  1 user,  "
            "load average: 0.08, 0.05, 0.01",
            "",
            "CPU Idle:   97.49%  System:   01.25%    User:   01.25%",
            "IOWAIT:     00.00%  IRQ:      00.00%    Soft:   00.00%",
            "",
            f"Memory Total:       {ova['memory_kb']}K",
            f"        Free:       {ova['memory_kb'] * 3 // 10}K",
            f"        Used:       {ova['memory_kb'] * 7 // 10}K",
            "",
            "                   Total            Free            Used",
            _disk("Disk/active", ova["disk_kb"], 6),
            _disk("Disk/inactive", ova["disk_kb"], 9),
            _disk("Disk/logging", ova["disk_kb"] * 2, 7),
            "",
            f"OVA Profile     : {ova['profile']} agents (maximum {ova['max_agents']} agents logged in)",
        ]
    )
    return text, data


def _disk(name: str, total: int, free_tenths: int) -> str:
    free = total * free_tenths // 10
    return f"{name:<16}{total:>10}K     {free:>10}K     {total - free:>10}K"


def show_version(ctx: Ctx, a: Args) -> Outcome:
    node = ctx.node
    which = a.text("side")
    version = identity.version(node) if which == "active" else identity.inactive_version(node)
    label = which.capitalize()
    text = (
        f"{label} Master Version: {version}\n"
        f"{label} Version Installed Software Options:\n"
        "No Installed Software Options Found."
    )
    return Outcome(text, {which: version})


def show_uccx_version(ctx: Ctx, a: Args) -> Outcome:
    node = ctx.node
    active, inactive = identity.version(node), identity.inactive_version(node)
    return Outcome(
        f"Active UCCX Version: {active}\nInactive UCCX Version: {inactive}", {"active": active, "inactive": inactive}
    )


def show_network_eth0(ctx: Ctx, a: Args) -> Outcome:
    return Outcome(*eth0(ctx.node, bool(a.flag("detail"))))


def eth0(node: NodeState, detail: bool) -> tuple[str, dict[str, object]]:
    net = identity.network(node)
    lines = [
        "Ethernet 0",
        "DHCP     : disabled    Status   : up",
        f"IP Address   : {net['ip']:<15} IP Mask   : 255.255.255.000",
        "Link Detected: yes             Mode      : Auto disabled, Full, 10000 Mbits/s",
        "Duplicate IP : no",
        "",
        "DNS",
        f"Primary   : {net['dns']:<15} Secondary : Not Configured",
        "Options   : timeout:5 attempts:2",
        f"Domain    : {net['domain']}",
        f"Gateway   : {net['gateway']} on Ethernet 0",
    ]
    if detail:
        lines += [
            "",
            "Queue Length : 1000      MTU : 1500",
            f"MAC Address  : {net['mac']}",
            "RX stats:",
            "bytes:  8421337       packets:  61244     errors:  0      dropped:  0      overrun:  0",
            "TX stats:",
            "bytes:  5120466       packets:  40213     errors:  0      dropped:  0      overrun:  0",
        ]
    data: dict[str, object] = dict(net)
    return "\n".join(lines), data


def show_network_cluster(ctx: Ctx, a: Args) -> Outcome:
    rows = _cluster(ctx)
    text = "\n".join(
        f"{r['ip']} {r['fqdn']} {r['hostname']} {'Publisher' if i == 0 else 'Subscriber'} authenticated"
        for i, r in enumerate(rows)
    )
    return Outcome(text, {"nodes": rows})


def service_list(ctx: Ctx, a: Args) -> Outcome:
    return Outcome(*services(ctx.node, ctx.now))


def services(node: NodeState, now: int) -> tuple[str, dict[str, object]]:
    rows = identity.services(node, now)
    lines = ["Requesting service status, please wait..."]
    lines += [f"{name} [{state}]" for name, state in rows[:3]]
    lines += ["Service Manager is running", "Getting list of all services", ">> Return code = 0"]
    lines += [f"{name}[{state}]" for name, state in rows[3:]]
    return "\n".join(lines), {"services": [{"name": n, "state": s} for n, s in rows]}


def ntp_status(ctx: Ctx, a: Args) -> Outcome:
    return Outcome(*ntp(ctx.node, ctx.now))


def ntp(node: NodeState, now: int) -> tuple[str, dict[str, object]]:
    """`utils ntp status`; with a clock skew (`sim fault clock-skew`), the offset from the
    server and `unsynchronised`, the node's own time beside the network's."""
    net = identity.network(node)
    off = skew(node)
    stamp = time.strftime("%a %b %d %H:%M:%S UTC %Y", time.gmtime(now + off))
    if off:
        peer = f" {net['ntp']:<15} .GPS.            1 u   32   64    0    0.412  {-off * 1000:>+11.3f}   0.023"
        state = [
            "unsynchronised",
            "  time server re-starting",
            "   polling server every 64 s",
            "",
            f"The clock is {span(off)} {'ahead of' if off > 0 else 'behind'} the NTP server "
            f"({'beyond' if abs(off) > MAX_SKEW else 'within'} what Cisco SSM accepts).",
        ]
    else:
        peer = f"*{net['ntp']:<15} .GPS.            1 u   32   64  377    0.412    0.051   0.023"
        state = [
            f"synchronised to NTP server ({net['ntp']}) at stratum 2",
            "   time correct to within 12 ms",
            "   polling server every 64 s",
        ]
    text = "\n".join(
        [
            "ntpd (pid 2140) is running...",
            "",
            "     remote           refid      st t when poll reach   delay   offset  jitter",
            "==============================================================================",
            peer,
            "",
            *state,
            "",
            f"Current time in UTC is : {stamp}",
            f"Current time in Etc/UTC is : {stamp}",
        ]
    )
    return text, {"server": net["ntp"], "synchronised": not off, "now": stamp, "offset_seconds": off}


def system_restart(ctx: Ctx, a: Args) -> Outcome:
    """Restart the node's services on the virtual clock: agents are logged out, services
    are STARTING for a few virtual minutes, licensing state is kept. The shell ends, as an
    SSH session to a restarting appliance does."""
    from ccxcli.core.failures import agent_init

    node, now = ctx.node, ctx.now
    logged_out = identity.restart(node, now)
    agent_init(node, now)  # the Smart Agent starts again: a simulated failure raises its alert
    text = (
        "Appliance is being Restarted ...\n"
        f"Warning: Restart could take up to {identity.RESTART // 60} minutes.\n"
        "Shutting down Service Manager will take some time..\n"
        " Service Manager shutting down services... Please Wait\n"
        "Operation succeeded\n"
        "restart now."
    )
    return Outcome(
        text,
        {"restarted": True, "agents_logged_out": logged_out, "services_ready_at": node["booted"] + identity.RESTART},
        leave=ctx.rt.mode == "shell",
    )


def pagination(ctx: Ctx, a: Args) -> Outcome:
    on = a.text("state") == "on"
    ctx.rt.pagination = on and ctx.rt.mode == "shell"
    return Outcome(f"Automatic pagination is turned {'on' if on else 'off'}", {"pagination": "on" if on else "off"})


def show_pagination(ctx: Ctx, a: Args) -> Outcome:
    on = ctx.rt.pagination
    return Outcome(f"Automatic Pagination : {'On' if on else 'Off'}.", {"pagination": "on" if on else "off"})


def fault_list(ctx: Ctx, a: Args) -> Outcome:
    from ccxcli.core.failures import FAULTS, active

    node = ctx.node
    rows = [{"fault": name, "on": active(node, name), "effect": text} for name, text in FAULTS.items()]
    off = skew(node)
    rows.append(
        {
            "fault": "clock-skew",
            "on": bool(off),
            "seconds": off,
            "effect": f"the node's clock is {span(off)} {'ahead' if off > 0 else 'behind'}"
            if off
            else "the node's clock is in sync (sim fault clock-skew ±DURATION)",
        }
    )
    text = "\n".join(f"{r['fault']:<20} {'ON ' if r['on'] else 'off'}  {r['effect']}" for r in rows)
    return Outcome(text, {"faults": rows})


def clock_skew(ctx: Ctx, a: Args) -> Outcome:
    from ccxcli.clock import parse_duration

    text = a.text("offset").strip()
    sign = -1 if text.startswith("-") else 1
    seconds = 0 if text.lstrip("+-") == "0" else sign * parse_duration(text.lstrip("+-"))
    if abs(seconds) > 10 * 365 * 86400:
        raise UsageError("A clock skew of more than 10 years is not one NTP would leave.")
    set_skew(ctx.node, ctx.now, seconds)
    if not seconds:
        return Outcome("Simulated fault clock-skew is off: the node's clock is in sync.", {"clock_skew": 0})
    bad = abs(seconds) > MAX_SKEW
    return Outcome(
        f"Simulated fault clock-skew is on: the node's clock is {span(seconds)} "
        f"{'ahead of' if seconds > 0 else 'behind'} the network's"
        + ("; the SSM's time checks fail." if bad else f" (within the {MAX_SKEW // 60} minutes the SSM accepts)."),
        {"clock_skew": seconds, "fails": bad},
    )


def fault_set(ctx: Ctx, a: Args) -> Outcome:
    from ccxcli.core.failures import effect, set_fault

    name = a.text("fault").replace("_", "-")
    on = a.text("state") == "on"
    set_fault(ctx.node, ctx.now, name, on)
    return Outcome(f"Simulated fault {name} is {'on' if on else 'off'}: {effect(name, on)}.", {"fault": name, "on": on})


# --- the health checks public UCCX scripts send before licensing work ------------------------------------
# Synthetic answers in the shapes of VOS transcripts, from the emulated node's identity: what a
# script reads (a replication state of 2, no core files, a finished backup) is the healthy case.


def show_hardware(ctx: Ctx, a: Args) -> Outcome:
    node = ctx.node
    ova = identity.ova(node)
    data = {
        "platform": "VMware Virtual Machine",
        "vcpus": ova["vcpus"],
        "memory_mb": ova["memory_kb"] // 1024,
        "disk_gb": ova["disk_kb"] // 1024 // 1024,
        "ova": ova["profile"],
        "serial": f"VMware-{node['uuid'][:16]}",
    }
    text = "\n".join(
        [
            "HW Platform       : VMware Virtual Machine",
            "Processors        : " + str(ova["vcpus"]),
            "Type              : Intel(R) Xeon(R) CPU",
            "CPU Speed         : 2600",
            f"Memory            : {data['memory_mb']} MBytes",
            "Object ID         : 1.3.6.1.4.1.9.1.1348",
            f"OS Version        : UCOS {identity.OS_VERSION}.el7",
            f"Serial Number     : {data['serial']}",
            "",
            f"Partition 1 (active) : {data['disk_gb']} GB disk, OVA profile {ova['profile']} agents",
            "",
            "This machine is a ccxcli emulation: the figures come from its OVA profile.",
        ]
    )
    return Outcome(text, data)


def dbreplication(ctx: Ctx, a: Args) -> Outcome:
    rows = _cluster(ctx)
    stamp = time.strftime("%Y-%m-%d-%H-%M", time.gmtime(ctx.now))
    lines = [
        "",
        f"Server Time: {_date(ctx.now)}",
        "",
        f"Cluster Replication State: Only available on the PUB; replication checked at {stamp}",
        "",
        f"DB Version: ccm{identity.version(ctx.node).split('-')[0].replace('.', '_')}",
        f"Repltimeout set to: 300s, PROCESS option set to: {max(1, len(rows))}",
        "",
        "Cluster Detailed View from PUB (" + str(len(rows)) + " Servers):",
        "",
        "                                      PING      DB/RPC/   REPL.    Replication    REPLICATION SETUP",
        "SERVER-NAME         IP ADDRESS        (msec)    DbMon?    QUEUE    Group ID       (RTMT) & Details",
        "-----------         ----------        ------    -------   -----    -----------    ------------------",
    ]
    lines += [
        f"{r['hostname']:<19} {r['ip']:<17} 0.042     Y/Y/Y     0        (g_{i + 2})          (2) Setup Completed"
        for i, r in enumerate(rows)
    ]
    data = {"servers": [dict(r, replication_state=2, setup="Setup Completed") for r in rows]}
    return Outcome("\n".join(lines), data)


def _cluster(ctx: Ctx) -> list[dict[str, str]]:
    """The lab's nodes as the cluster's servers (a corrupt node is left out of the list)."""
    out = []
    for name in ctx.lab.node_names():
        try:
            other = ctx.lab.load(name)
        except Exception:  # noqa: BLE001 - a corrupt node is left out of the list, not the command
            continue
        net = identity.network(other)
        out.append({"ip": net["ip"], "fqdn": net["fqdn"], "hostname": other["hostname"], "node": name})
    return out


def core_list(ctx: Ctx, a: Args) -> Outcome:
    return Outcome("No core files found", {"cores": []})


def drs_status(ctx: Ctx, a: Args) -> Outcome:
    op = a.text("operation")
    if op == "restore":
        return Outcome(
            "Status: No restore is in progress; no restore has run on this node.", {"operation": op, "status": None}
        )
    node = ctx.node
    at = max(node["created"], ctx.now - ctx.now % 86400 - 3600)  # the nightly 23:00 backup, or the node's first
    when = _date(at)
    lines = [
        "Status: SUCCESS :Backup Completed...",
        "",
        f"Tar Filename: {time.strftime('%Y-%m-%d-%H-%M-%S', time.gmtime(at))}.tar",
        "Storage Location: NETWORK",
        f"Operation: backup, Percentage Complete: 100, Date: {when}",
        "",
        "Feature    Server             Component                 Status   Result   Time",
        "UCCX       " + f"{node['hostname']:<18} " + "CCX_DB                    100      SUCCESS  " + when,
        "UCCX       " + f"{node['hostname']:<18} " + "CCX_LICENSING             100      SUCCESS  " + when,
    ]
    return Outcome("\n".join(lines), {"operation": op, "status": "SUCCESS", "percentage": 100, "date": when})


def jtapi_version(ctx: Ctx, a: Args) -> Outcome:
    version = "14.0.1.30000-2"
    return Outcome(
        f"JTAPI Client Version : {version}\nThe JTAPI client matches Unified CM 14.0(1) (synthetic).",
        {"jtapi_client_version": version},
    )
