"""Remote syslog (pure): which of a node's events are still to be sent, and each as an RFC
5424 message (facility local7; the lab time as TIMESTAMP, the wall clock in structured
data). Sending is the session layer's (`session/forward.py`)."""

from __future__ import annotations

from ccxcli.clock import iso

TYPE_CHECKING = False
if TYPE_CHECKING:
    from ccxcli.core.state import Event, NodeState, Syslog

FACILITY = 23  # local7
PORTS = {"udp": 514, "tcp": 514, "tls": 6514}
ENTERPRISE = 32473  # the example enterprise number of RFC 5612


def configured(node: NodeState) -> Syslog:
    """The node's remote syslog settings, made (protocol udp, nothing sent yet) on first use:
    events logged before a server is set are not sent."""
    cfg = node.get("syslog")
    if cfg is None:
        ev = node["events"]
        last = ev[-1][0] if ev else 0
        cfg = {"protocol": "udp", "after": last, "count_at": sum(1 for e in ev if e[0] == last)}
        node["syslog"] = cfg
    return cfg


def pending(node: NodeState) -> list[Event]:
    """The events not sent yet (none when no server is set)."""
    cfg = node.get("syslog")
    if cfg is None or "host" not in cfg:
        return []
    out, at = [], 0
    for e in node["events"]:
        if e[0] > cfg["after"]:
            out.append(e)
        elif e[0] == cfg["after"]:
            at += 1
            if at > cfg["count_at"]:
                out.append(e)
    return out


def mark_sent(node: NodeState, events: list[Event]) -> None:
    cfg = node["syslog"]
    if not events:
        return
    last = max(e[0] for e in events)
    if last > cfg["after"]:
        cfg["after"], cfg["count_at"] = last, 0
    cfg["count_at"] += sum(1 for e in events if e[0] == last)
    cfg.pop("error", None)


def _sd(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("]", "\\]")


def message(node: NodeState, event: Event, wall: int) -> bytes:
    """One event as RFC 5424: `<PRI>1 LABTIME HOST ccx - MSGID [ccx@32473 …] TEXT`."""
    t, severity, text = event
    msgid = "ALERT" if text.startswith("ALERT ") else "LICENSING"
    host = "".join(c for c in node["hostname"] if "!" <= c <= "~")[:255] or "-"
    sd = f'[ccx@{ENTERPRISE} labTime="{iso(t)}" wallTime="{iso(wall)}" node="{_sd(node["name"])}" sn="{node["sn"]}"]'
    clean = "".join(c if c.isprintable() else " " for c in text)
    return f"<{FACILITY * 8 + int(severity)}>1 {iso(t)} {host} ccx - {msgid} {sd} {clean}".encode()
