"""Remote syslog: every licensing event and every alert raised or cleared leaves the node as
RFC 5424 (lab time and wall time), to real listeners on 127.0.0.1 (UDP, TCP with octet
counting, TLS); a listener that is down never fails a command, and gets what waited later."""

from __future__ import annotations

import re
import socket
import ssl
import threading
import time
from pathlib import Path

from conftest import Lab

RFC5424 = re.compile(
    r"<(\d+)>1 (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ) (\S+) ccx - (LICENSING|ALERT) "
    r'\[ccx@32473 labTime="([^"]+)" wallTime="([^"]+)" node="([^"]+)" sn="([0-9a-f]{5})"\] (.*)'
)


class Listener:
    """A syslog server in a thread: UDP datagrams, or TCP/TLS streams of octet-counted frames."""

    def __init__(self, kind: str, tls: ssl.SSLContext | None = None) -> None:
        self.kind, self.tls = kind, tls
        self.got: list[str] = []
        family = socket.SOCK_DGRAM if kind == "udp" else socket.SOCK_STREAM
        self.sock = socket.socket(socket.AF_INET, family)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        if kind != "udp":
            self.sock.listen(5)
        self.sock.settimeout(0.2)
        self.stop = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self.stop:
            try:
                if self.kind == "udp":
                    self.got.append(self.sock.recv(65535).decode())
                    continue
                conn, _ = self.sock.accept()
            except (TimeoutError, OSError):
                continue
            conn.settimeout(5)
            data = b""
            try:
                if self.tls is not None:
                    conn = self.tls.wrap_socket(conn, server_side=True)
                while chunk := conn.recv(65536):
                    data += chunk
            except OSError:  # a client that refused our certificate: nothing came
                pass
            finally:
                conn.close()
            while data:
                size, _, rest = data.partition(b" ")
                self.got.append(rest[: int(size)].decode())
                data = rest[int(size) :]

    def wait(self, n: int) -> list[str]:
        deadline = time.monotonic() + 10
        while len(self.got) < n and time.monotonic() < deadline:
            time.sleep(0.02)
        return list(self.got)

    def close(self) -> None:
        self.stop = True
        self.thread.join(timeout=5)
        self.sock.close()


def alerts_of(lines: list[str]) -> list[str]:
    return [m.group(9) for m in map(RFC5424.fullmatch, lines) if m and m.group(4) == "ALERT"]


def test_events_and_alerts_go_out_as_rfc5424_over_udp(lab: Lab) -> None:
    listener = Listener("udp")
    try:
        lab.ok("utils", "remotesyslog", "set", "server", "127.0.0.1", "--port", str(listener.port))
        lab.register()
        lab.ok("sim", "network", "down")
        lab.ok("sim", "clock", "advance", "31d")
        lab.ok("sim", "network", "up")
        lab.ok("license", "smart", "renew", "auth")
        events = lab.ok("--json", "appadmin", "events", "--last", "1000").json["events"]
        sent = [e for e in events if e["message"].startswith("Registered")][0]
        got = listener.wait(len(events) - events.index(sent))
    finally:
        listener.close()
    parsed = [RFC5424.fullmatch(m) for m in got]
    assert all(parsed), [m for m, p in zip(got, parsed, strict=True) if not p][:2]
    texts = [p.group(9) for p in parsed if p]
    assert texts == [e["message"] for e in events[events.index(sent) :]]  # each event once, in order
    first = parsed[0]
    assert first and first.group(2) == first.group(5) == sent["time"] and first.group(7) == "uccx"
    assert int(first.group(1)) == 23 * 8 + sent["severity"]  # local7
    assert abs(time.time() - time.mktime(time.strptime(first.group(6), "%Y-%m-%dT%H:%M:%SZ")) + time.timezone) < 120
    alerts = alerts_of(got)
    assert any(a.startswith("ALERT raised: Renew Authorization failure") for a in alerts)
    assert any(a.startswith("ALERT cleared: Renew Authorization failure") for a in alerts)
    assert "Events waiting to be sent: 0" in lab.ok("utils", "remotesyslog", "show").out


def test_tcp_frames_and_a_listener_that_was_down(lab: Lab) -> None:
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()  # nothing listens there now
    lab.ok("utils", "remotesyslog", "set", "protocol", "tcp")
    lab.ok("utils", "remotesyslog", "set", "server", "127.0.0.1", "--port", str(port))
    lab.ok("sim", "network", "down")  # logged; the server is not there: the command still succeeds
    lab.ok("sim", "clock", "advance", "91d")  # the evaluation ends: more events, an alert
    shown = lab.ok("--json", "utils", "remotesyslog", "show").json["syslog"]
    assert shown["pending"] > 0 and "ConnectionRefused" in shown["error"] and shown["protocol"] == "tcp"
    listener = Listener("tcp")
    try:
        lab.ok("utils", "remotesyslog", "set", "server", "127.0.0.1", "--port", str(listener.port))
        lab.ok("sim", "network", "up")
        got = listener.wait(shown["pending"] + 1)
    finally:
        listener.close()
    assert len(got) >= shown["pending"] and all(RFC5424.fullmatch(m) for m in got)
    texts = [m.group(9) for m in map(RFC5424.fullmatch, got) if m]
    assert texts[0] == "Network to Cisco SSM lost" and texts[-1] == "Network to Cisco SSM restored"
    assert any(t.startswith("ALERT raised") for t in texts)
    after = lab.ok("--json", "utils", "remotesyslog", "show").json["syslog"]
    assert after["pending"] == 0 and after["error"] is None


def test_tls_with_the_ca_the_node_is_given(tmp_path: Path) -> None:
    """In child processes: the listener's TLS thread writes, and an in-process `ccx` gives
    SIGPIPE its default while it runs (as a one-shot command does)."""
    import json

    from conftest import ccx_run

    from ccxcli.protocol.codes import new_signing_key
    from ccxcli.protocol.tls import certificate

    key, _ = new_signing_key()
    cert = certificate(key, ["localhost"])
    (tmp_path / "key.pem").write_bytes(key)
    (tmp_path / "cert.pem").write_bytes(cert)
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(tmp_path / "cert.pem", tmp_path / "key.pem")
    listener = Listener("tls", server)
    home = tmp_path / "lab"

    def ok(*argv: str) -> str:
        r = ccx_run(home, *argv)
        assert r.returncode == 0, r.stderr
        return r.stdout

    try:
        ok("utils", "remotesyslog", "set", "protocol", "tls")
        ok("utils", "remotesyslog", "set", "server", "localhost", "--port", str(listener.port))
        ok("sim", "network", "down")  # logged: the system CAs do not trust this server, so it waits
        shown = json.loads(ok("--json", "utils", "remotesyslog", "show"))["syslog"]
        assert "CERTIFICATE_VERIFY_FAILED" in shown["error"] and shown["pending"] == 1
        ok("utils", "remotesyslog", "set", "ca", str(tmp_path / "cert.pem"))
        ok("sim", "network", "up")
        got = listener.wait(2)
    finally:
        listener.close()
    texts = [m.group(9) for m in map(RFC5424.fullmatch, got) if m]
    assert texts[:2] == ["Network to Cisco SSM lost", "Network to Cisco SSM restored"]


def test_bad_settings_are_refused_and_change_nothing(lab: Lab, tmp_path: Path) -> None:
    lab.ok("sim", "node", "list")
    lab.refused(["utils", "remotesyslog", "set", "protocol", "sctp"], "", code=2)
    lab.refused(["utils", "remotesyslog", "set", "server", "bad host!"], "host name or an IP address", code=2)
    lab.refused(["utils", "remotesyslog", "set", "server", "127.0.0.1", "--port", "70000"], "--port", code=2)
    (tmp_path / "x.pem").write_text("not a certificate")
    lab.refused(["utils", "remotesyslog", "set", "ca", str(tmp_path / "x.pem")], "holds no PEM certificate", code=2)
    assert "Server: not set" in lab.ok("utils", "remotesyslog", "show").out
