"""`utils remotesyslog`: where a node's licensing events and alerts are sent (the settings;
`session/forward.py` delivers them, `core/syslog.py` writes each message)."""

from __future__ import annotations

from ccxcli.core import syslog
from ccxcli.errors import UsageError
from ccxcli.runtime import Outcome
from ccxcli.session.context import Ctx

TYPE_CHECKING = False
if TYPE_CHECKING:
    from ccxcli.cli.grammar import Args


def set_protocol(ctx: Ctx, a: Args) -> Outcome:
    cfg = syslog.configured(ctx.node)
    cfg["protocol"] = a.text("protocol")
    cfg.pop("error", None)
    return Outcome(f"Remote syslog protocol set to {cfg['protocol'].upper()}.", {"syslog": _shown(ctx)})


def set_server(ctx: Ctx, a: Args) -> Outcome:
    from ccxcli.values import host_name, whole

    cfg = syslog.configured(ctx.node)
    cfg["host"] = host_name(a.text("host"), "The syslog server")
    port = a.get("port")
    if port is None:
        cfg.pop("port", None)
    else:
        cfg["port"] = whole(port, "--port", 1, 65535)
    cfg.pop("error", None)
    shown = _shown(ctx)
    return Outcome(f"Remote syslog server set to {shown['server']} ({cfg['protocol'].upper()}).", {"syslog": shown})


def set_ca(ctx: Ctx, a: Args) -> Outcome:
    from ccxcli.codetext import read_file

    pem = read_file(a.text("file"), limit=100_000, what="a PEM certificate", root=ctx.rt.file_root)
    if "-----BEGIN CERTIFICATE-----" not in pem:
        raise UsageError(f"{a.text('file')} holds no PEM certificate (-----BEGIN CERTIFICATE-----).")
    import ssl

    try:
        ssl.create_default_context(cadata=pem)
    except ssl.SSLError:
        raise UsageError(f"{a.text('file')} is not a certificate this node can trust.") from None
    syslog.configured(ctx.node)["ca"] = pem
    return Outcome("Remote syslog TLS CA certificate installed.", {"syslog": _shown(ctx)})


def _shown(ctx: Ctx) -> dict[str, object]:
    cfg = ctx.node.get("syslog")
    if cfg is None:
        return {"protocol": "udp", "server": None, "pending": 0, "error": None, "ca": False}
    server = f"{cfg['host']}:{cfg.get('port', syslog.PORTS[cfg['protocol']])}" if "host" in cfg else None
    return {
        "protocol": cfg["protocol"],
        "server": server,
        "pending": len(syslog.pending(ctx.node)),
        "error": cfg.get("error"),
        "ca": "ca" in cfg,
    }


def show(ctx: Ctx, a: Args) -> Outcome:
    s = _shown(ctx)
    lines = [
        f"Protocol: {str(s['protocol']).upper()}",
        f"Server: {s['server'] or 'not set'}",
        f"TLS CA certificate: {'installed' if s['ca'] else 'the system CAs'}",
        f"Events waiting to be sent: {s['pending']}",
    ]
    if s["error"]:
        lines.append(f"Last delivery failed: {s['error']}")
    return Outcome("\n".join(lines), {"syslog": s})
