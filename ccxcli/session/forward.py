"""What leaves the box after a command's changes are saved: remote syslog, and the email
notifications of the lab's SSMs the command reached (`notify_ssms`).

Remote syslog delivery: after a command's changes are saved, the new events of each node
it touched go to the node's syslog server (UDP datagrams; TCP or TLS with RFC 6587 octet
counting), then the node records how far they went. A server that cannot be reached never
fails the command: the events wait (the reason is shown by `utils remotesyslog show`) and go
with the next command that reaches it. A process killed between sending and recording may
send a message twice, never lose one."""

from __future__ import annotations

from ccxcli.clock import wall_now
from ccxcli.core import syslog
from ccxcli.errors import CcxError
from ccxcli.session import scratch

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from ccxcli.core.state import Syslog
    from ccxcli.store.lab import LabStore

TIMEOUT = 3.0
MAX_BATCH = 5000  # messages per delivery (the rest go with the next command)


def deliver(lab: LabStore) -> bool:
    """Send what the loaded nodes logged since their last delivery; whether a node changed."""
    changed = False
    for node in lab.loaded().values():
        events = syslog.pending(node)[:MAX_BATCH]
        if not events:
            continue
        cfg = node["syslog"]
        wall = wall_now()
        try:
            send(cfg, [syslog.message(node, e, wall) for e in events])
        except OSError as e:
            problem = f"{type(e).__name__}: {e.strerror or e}"[:200]
            changed = changed or cfg.get("error") != problem
            cfg["error"] = problem
            continue
        syslog.mark_sent(node, events)
        changed = True
    return changed


def notify_ssms(lab: LabStore) -> None:
    """What time does on the SSMs of the lab this command opened (`due.time_passed`: an SSM
    On-Prem that has not synchronized for 90 days is removed, subscription terms start and
    end), and the email notifications due are queued and sent (`ccxcli.ssm.core.notify`); a
    mail server that cannot be reached never fails the command."""
    opened = scratch.of(lab).ssms
    if not opened:
        return
    from ccxcli.ssm.core import due, notify  # sqlite3 and the SSM core: only for commands that reached an SSM

    now = lab.clock.now()
    for ssm in list(opened.values()):
        try:
            due.time_passed(ssm, now)
            notify.run(ssm, now)
        except CcxError:  # the SSM busy or unreadable: what is due is queued by the next command
            continue


def send(cfg: Syslog, messages: list[bytes]) -> None:
    """Send the messages; OSError (ssl.SSLError included) when the server cannot take them.
    Nothing here can raise SIGPIPE (the one-shot CLI restores its default, which would end
    the process): every write to the socket is a send with MSG_NOSIGNAL, TLS included."""
    import socket

    host, port = cfg["host"], cfg.get("port", syslog.PORTS[cfg["protocol"]])
    if cfg["protocol"] == "udp":
        with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_DGRAM) as s:
            for m in messages:
                s.sendto(m, (host, port))
        return
    flags = getattr(socket, "MSG_NOSIGNAL", 0)
    data = b"".join(b"%d %s" % (len(m), m) for m in messages)  # RFC 6587 octet counting
    with socket.create_connection((host, port), timeout=TIMEOUT) as raw:
        if cfg["protocol"] == "tls":
            _tls(raw, host, cfg.get("ca"), data, flags)
        else:
            raw.sendall(data, flags)


def _tls(raw: Any, host: str, ca: str | None, data: bytes, flags: int) -> None:
    """TLS through memory buffers, so that the socket is written with MSG_NOSIGNAL only."""
    import ssl

    ctx = ssl.create_default_context(cadata=ca) if ca else ssl.create_default_context()
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = ctx.wrap_bio(incoming, outgoing, server_hostname=host)

    def flush() -> None:
        pending = outgoing.read()
        if pending:
            raw.sendall(pending, flags)

    def fill() -> None:
        chunk = raw.recv(65536)
        if not chunk:
            raise ConnectionResetError("the syslog server closed the connection during TLS")
        incoming.write(chunk)

    while True:
        try:
            tls.do_handshake()
            break
        except ssl.SSLWantReadError:
            flush()
            fill()
    flush()
    view = memoryview(data)
    while view:
        view = view[tls.write(view) :]
        flush()
    try:
        tls.unwrap()
    except (ssl.SSLWantReadError, ssl.SSLError):
        pass
    flush()
