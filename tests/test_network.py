"""What goes wrong on a real network, rehearsed (issue 24, items 1-3): HTTP proxies that exist
(emulated on the lab's network, and a real proxy server from PyPI — proxy.py — the node tunnels
through with CONNECT to a served SSM)."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import Lab
from served import Served, ccx, init, ssm


def proxy_transport(lab: Lab, host: str, port: int, user: str | None = None, password: str = "") -> None:
    answers = f"y\n{user}\n{password}\n" if user else "n\n"
    r = lab.ccx("run", "-", stdin=f"license smart transport proxy {host} {port}\n{answers}")
    assert r.code == 0 and "Transport settings updated" in r.out, r


def test_a_proxy_is_something_that_exists(lab: Lab, tmp_path: Path) -> None:
    (tmp_path / "pw").write_text("s3cret\n")
    proxy_transport(lab, "proxy.lab", 3128)
    token = lab.ssm_ok("token", "create").out.strip()
    cases = [
        ([], "the proxy host 'proxy.lab' could not be resolved"),
        (
            ["sim", "proxy", "add", "proxy.lab:8080"],
            "connection refused by the proxy proxy.lab:3128 (it listens on port 8080)",
        ),
        (
            ["sim", "proxy", "add", "proxy.lab:3128", "--user", "alice", "--password-file", str(tmp_path / "pw")],
            "answered 407 Proxy Authentication Required: it needs a user name and password",
        ),
    ]
    for setup, words in cases:
        if setup:
            lab.ok(*setup)
        r = lab.ccx("license", "smart", "register", "idtoken", token)
        assert r.code == 4 and words in r.err and r.err.count("\n") == 1 and "Traceback" not in r.err, r
        assert lab.status()["registration"]["status"] == "UNREGISTERED"
    proxy_transport(lab, "proxy.lab", 3128, "alice", "wrong")
    r = lab.ccx("license", "smart", "register", "idtoken", token)
    assert r.code == 4 and "the user name or the password is wrong" in r.err
    proxy_transport(lab, "proxy.lab", 3128, "alice", "s3cret")
    lab.ok("license", "smart", "register", "idtoken", token)
    assert "s3cret" not in (lab.home / "lab.json").read_text()  # the lab keeps a hash
    lab.ok("sim", "proxy", "remove", "proxy.lab:3128")
    r = lab.ccx("license", "smart", "renew", "auth")
    assert r.code == 4 and "connection refused by the proxy" in r.err
    out = lab.ok("sim", "clock", "advance", "31d").out  # the automatic renewal and reports fail through it too
    assert "authorization renewals failed" in out and "Entitlement Reporting failure" in out
    assert {"renew-auth", "reporting"} <= {a["key"] for a in lab.status()["alerts"]}  # the seed's alerts
    assert lab.ok("--json", "sim", "proxy", "list").json["proxies"] == [
        {"host": "proxy.lab", "port": 8080, "user": None}
    ]
    for argv, words in [
        (["sim", "proxy", "add", "nohost"], "use HOST:PORT"),
        (["sim", "proxy", "add", "p:99999"], "65535"),
        (["sim", "proxy", "add", "p:80", "--user", "bob"], "both --user and --password-file"),
        (["sim", "proxy", "remove", "p:80"], "No proxy p:80"),
    ]:
        r = lab.ccx(*argv)
        assert r.code in (1, 2) and words in r.err, (argv, r)


def script(home: Path, text: str) -> subprocess.CompletedProcess[str]:
    """`ccx run -` with `text` as its input (the transport's questions answered)."""
    return subprocess.run(
        [sys.executable, "-m", "ccxcli", "--home", str(home), "run", "-"],
        input=text,
        capture_output=True,
        text=True,
        timeout=60,
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class RealProxy:
    """proxy.py (PyPI), a real HTTP proxy with Basic authentication, on 127.0.0.1."""

    def __init__(self, folder: Path, auth: str) -> None:
        self.port = _free_port()
        self.log = folder / "proxy.log"
        with self.log.open("w") as out:
            self.proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "proxy",
                    "--hostname",
                    "127.0.0.1",
                    "--port",
                    str(self.port),
                    "--basic-auth",
                    auth,
                    "--num-workers",
                    "1",
                    "--num-acceptors",
                    "1",
                    "--timeout",
                    "30",
                ],
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        end = time.time() + 30
        while time.time() < end:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.1)
        raise AssertionError("proxy.py did not start: " + self.log.read_text()[-2000:])

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)


@pytest.fixture
def farm(tmp_path: Path) -> Iterator[tuple[Served, Path]]:
    folder = tmp_path / "cisco"
    pem = init(tmp_path, folder)
    server = Served(tmp_path, folder, password="farm-secret")
    yield server, pem
    server.stop()


def test_the_node_tunnels_through_a_real_proxy_to_a_served_ssm(farm: tuple[Served, Path], tmp_path: Path) -> None:
    server, pem = farm
    proxy = RealProxy(tmp_path, "alice:s3cret")
    node = tmp_path / "node"
    try:
        assert ccx(node, "sim", "ssm", "trust", str(pem)).returncode == 0
        assert ccx(node, "sim", "ssm", "cisco", server.gateway).returncode == 0  # Cisco SSM is the served one
        r = script(node, f"license smart transport proxy 127.0.0.1 {proxy.port}\ny\nalice\ns3cret\n")
        assert r.returncode == 0, r.stderr
        token = ssm(tmp_path, "--ssm", str(server.folder), "token", "create").stdout.strip()
        r = ccx(node, "license", "smart", "register", "idtoken", token)
        assert r.returncode == 0, r.stderr
        assert f"CONNECT localhost:{server.port}" in proxy.log.read_text()  # it went through the tunnel
        listed = json.loads(ssm(tmp_path, "--ssm", str(server.folder), "--json", "instance", "list").stdout)
        assert len(listed["instances"]) == 1
        assert ccx(node, "license", "smart", "renew", "auth").returncode == 0
        assert ccx(node, "--yes", "license", "smart", "deregister").returncode == 0
        assert script(node, f"license smart transport proxy 127.0.0.1 {proxy.port}\ny\nalice\nnope\n").returncode == 0
        token = ssm(tmp_path, "--ssm", str(server.folder), "token", "create").stdout.strip()
        r = ccx(node, "license", "smart", "register", "idtoken", token, "force")
        assert r.returncode == 4 and "answered 407 Proxy Authentication Required" in r.stderr, r.stderr
        proxy.stop()
        r = ccx(node, "license", "smart", "register", "idtoken", token, "force")
        assert r.returncode == 4 and f"connection refused by the proxy 127.0.0.1:{proxy.port}" in r.stderr, r.stderr
    finally:
        proxy.stop()


# --- time: clock skew, an SSM's key change, maintenance --------------------------------------------------


def test_a_skewed_clock_fails_the_time_checks_and_ntp_shows_it(lab: Lab) -> None:
    token = lab.ssm_ok("token", "create").out.strip()
    assert "within the 60 minutes" in lab.ok("sim", "fault", "clock-skew", "+30m").out
    assert "synchronised to NTP server" not in lab.ok("utils", "ntp", "status").out
    lab.ok("sim", "fault", "clock-skew", "+2h")
    ntp = lab.ok("utils", "ntp", "status").out
    assert "unsynchronised" in ntp and "-7200000.000" in ntp and "2h ahead of the NTP server" in ntp
    assert lab.ok("--json", "utils", "ntp", "status").json["offset_seconds"] == 7200
    r = lab.ccx("license", "smart", "register", "idtoken", token)
    assert r.code == 4 and "its timestamp is 2h ahead of the SSM's clock" in r.err and "utils ntp status" in r.err
    lab.ok("sim", "fault", "clock-skew", "-3d")
    r = lab.ccx("license", "smart", "register", "idtoken", token)
    assert r.code == 4 and "certificate is not valid yet by this node's clock, 3d behind" in r.err
    faults = lab.ok("--json", "sim", "fault", "list").json["faults"]
    assert [(f["on"], f["seconds"]) for f in faults if f["fault"] == "clock-skew"] == [(True, -259200)]
    lab.ok("sim", "fault", "clock-skew", "0")
    assert "synchronised to NTP server" in lab.ok("utils", "ntp", "status").out
    lab.ok("license", "smart", "register", "idtoken", token)
    lab.ok("sim", "fault", "clock-skew", "+1d")
    out = lab.ok("sim", "clock", "advance", "31d").out
    assert "Renew Authorization failure" in out  # the seed's alert, raised by the automatic renewal
    assert lab.ccx("sim", "fault", "clock-skew", "soon").code == 2


def test_an_ssm_that_changes_its_key_is_trusted_again_once_its_new_key_is_added(lab: Lab, tmp_path: Path) -> None:
    lab.register()
    assert "Signing key changed" in lab.ssm_ok("key", "roll").out
    r = lab.ccx("license", "smart", "renew", "auth")
    assert r.code == 4 and "signed by a key this node does not trust (the SSM changed its key" in r.err
    assert "renew-auth" in {a["key"] for a in lab.status()["alerts"]}  # the seed's Renew Authorization alert
    # its codes too: an Authorization Code signed with the new key is refused by an SLR node
    lab.ok("sim", "node", "create", "slr")
    lab.ok("--node", "slr", "license", "smart", "reservation", "enable")
    req = lab.ok("--node", "slr", "--json", "license", "smart", "reservation", "request").json["request_code"]
    code = lab.ssm_ok("reservation", "authorize", "--request", req, "--license", "flex-standard=2").out.strip()
    r = lab.ccx("--node", "slr", "license", "smart", "reservation", "install", code)
    assert r.code == 1 and "trust" in r.err.lower(), r
    pem = tmp_path / "new-root.pem"
    pem.write_text(lab.ssm_ok("key", "export").out)
    lab.ok("sim", "ssm", "trust", str(pem))
    lab.ok("license", "smart", "renew", "auth")
    lab.ok("--node", "slr", "license", "smart", "reservation", "install", code)


def test_a_served_ssm_after_its_key_change_and_in_maintenance(farm: tuple[Served, Path], tmp_path: Path) -> None:
    from served import Client

    server, pem = farm
    node = tmp_path / "node"
    assert ccx(node, "sim", "ssm", "trust", str(pem)).returncode == 0
    ccx(node, "license", "smart", "transport", "gateway", server.gateway)
    token = ssm(tmp_path, "--ssm", str(server.folder), "token", "create").stdout.strip()
    assert ccx(node, "license", "smart", "register", "idtoken", token).returncode == 0
    assert ssm(tmp_path, "--ssm", str(server.folder), "maintenance", "on").returncode == 0
    r = ccx(node, "license", "smart", "renew", "auth")
    assert r.returncode == 4 and "down for maintenance (503 Service Unavailable)" in r.stderr, r.stderr
    c = Client(server.port)
    assert c.request("GET", "/api/v1/account", headers={"Authorization": "Bearer farm-secret"})[0] == 503
    form = b"grant_type=client_credentials&client_id=a&client_secret=b"
    status, _, text = c.request("POST", "/as/token.oauth2", form, {"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 503 and "maintenance" in text  # Cisco's API too
    c.post("/login", {"password": "farm-secret", "next": "/"}, csrf="")
    status, text = c.get("/licenses")
    assert status == 503 and "down for maintenance" in text
    status, text = Client(server.port).post("/login", {"username": "s1", "password": "whatever", "next": "/"}, csrf="")
    assert status == 503 and "down for maintenance" in text  # a portal user's login says so too
    assert ssm(tmp_path, "--ssm", str(server.folder), "maintenance", "off").returncode == 0
    assert ccx(node, "license", "smart", "renew", "auth").returncode == 0
    # the key changes; served again, the SSM presents a certificate of the new key
    assert ssm(tmp_path, "--ssm", str(server.folder), "key", "roll").returncode == 0
    server.stop()
    again = Served(tmp_path, server.folder, password="farm-secret", port=server.port)
    try:
        r = ccx(node, "license", "smart", "renew", "auth")
        assert r.returncode == 4 and "trust" in r.stderr.lower(), r.stderr
        new = tmp_path / "new.pem"
        new.write_text(ssm(tmp_path, "--ssm", str(server.folder), "key", "export").stdout)
        assert ccx(node, "sim", "ssm", "trust", str(new)).returncode == 0
        assert ccx(node, "license", "smart", "renew", "auth").returncode == 0
    finally:
        again.stop()


def test_a_node_message_waits_for_another_writer_off_the_event_loop(tmp_path: Path) -> None:
    """A served SSM applies a node's message on its event loop when the database is free; when
    another process holds it, the message waits on a worker thread (never on the loop): the
    portal answers meanwhile, and the message is applied once the writer lets go. (Were the
    loop to wait, the page would come only after the server's 300 s lock timeout: the page's
    request gives up after 60 s and the test fails.)"""
    import sqlite3
    import threading

    from served import Client

    folder = tmp_path / "cisco"
    pem = init(tmp_path, folder)
    server = Served(tmp_path, folder, password="farm-secret", env={"CCX_LOCK_TIMEOUT": "300"})
    node = tmp_path / "node"
    holder = sqlite3.connect(folder / "ssm.db", isolation_level=None)
    done: list[subprocess.CompletedProcess[str]] = []
    renewing = threading.Thread(target=lambda: done.append(ccx(node, "license", "smart", "renew", "auth")))
    try:
        assert ccx(node, "sim", "ssm", "trust", str(pem)).returncode == 0
        ccx(node, "license", "smart", "transport", "gateway", server.gateway)
        token = ssm(tmp_path, "--ssm", str(folder), "token", "create").stdout.strip()
        assert ccx(node, "license", "smart", "register", "idtoken", token).returncode == 0  # the database free
        holder.execute("BEGIN IMMEDIATE")  # another process's writer
        renewing.start()
        time.sleep(0.5)  # the renewal reaches the server and waits for the writer
        status, text = Client(server.port).get("/login")  # the loop is free: the portal answers
        assert status == 200 and "password" in text.lower()
        assert not done  # the renewal still waits: the page was answered while the writer held on
    finally:
        if holder.in_transaction:
            holder.execute("ROLLBACK")
        holder.close()
        if renewing.is_alive():
            renewing.join(120)
        server.stop()
    assert done and done[0].returncode == 0 and "succeeded" in done[0].stdout, done  # applied once let go


# --- names and certificates as on a network ---------------------------------------------------------------


def test_an_on_prem_reached_by_a_name_not_on_its_certificate_fails_the_cn_san_rule(lab: Lab) -> None:
    """The seed: the URL's host must match the SSM certificate's Common Name or a Subject
    Alternative Name. In a lab an SSM has an address and names that resolve to it; only those
    given with --hostname/--san are on its certificate."""
    lab.ssm_ok(
        "--ssm",
        "onprem",
        "init",
        "--on-prem",
        "--hostname",
        "ssm.example.com",
        "--san",
        "10.1.1.5",
        "--alias",
        "licensing.corp",
        "--address",
        "192.0.2.44",
        "--demo",
    )
    shown = lab.ssm_ok("--ssm", "onprem", "--json", "account", "show").json
    assert shown["address"] == "192.0.2.44" and shown["certificate_names"] == ["ssm.example.com", "10.1.1.5"]
    assert {"licensing.corp", "192.0.2.44", "onprem", "ssm"} <= set(shown["resolves_as"])
    tok = lab.ssm_ok("--ssm", "onprem", "token", "create").out.strip()
    for host in ("192.0.2.44", "licensing.corp", "ssm", "onprem"):
        lab.ok(
            "license", "smart", "transport", "gateway", f"https://{host}/Transportgateway/services/DeviceRequestHandler"
        )
        r = lab.ccx("license", "smart", "register", "idtoken", tok)
        assert r.code == 4 and f"certificate name mismatch, '{host}' is not the common name or a subject " in r.err
        assert "(ssm.example.com, 10.1.1.5)" in r.err and lab.status()["registration"]["status"] == "UNREGISTERED"
    lab.ok(
        "license",
        "smart",
        "transport",
        "gateway",
        "https://nowhere.example/Transportgateway/services/DeviceRequestHandler",
    )
    r = lab.ccx("license", "smart", "register", "idtoken", tok)
    assert (
        r.code == 4
        and "cannot resolve 'nowhere.example'" in r.err
        and "ssm.example.com, 10.1.1.5 at 192.0.2.44" in r.err
    )
    lab.ok(
        "license",
        "smart",
        "transport",
        "gateway",
        "https://SSM.example.com/Transportgateway/services/DeviceRequestHandler",
    )
    lab.ok("license", "smart", "register", "idtoken", tok)  # a name on the certificate (any case)
    assert lab.ssm("--ssm", "other", "init", "--on-prem", "--hostname", "x.example", "--address", "999.1.1.1").code == 2


def test_an_ssm_of_the_lab_down_for_maintenance(lab: Lab) -> None:
    lab.register()
    lab.ssm_ok("maintenance", "on")
    r = lab.ccx("license", "smart", "renew", "auth")
    assert r.code == 4 and "down for maintenance (503 Service Unavailable)" in r.err and r.err.count("\n") == 1
    assert "renew-auth" in {a["key"] for a in lab.status()["alerts"]}
    assert "Entitlement Reporting failure" in lab.ok("sim", "clock", "advance", "8h").out
    lab.ssm_ok("maintenance", "off")
    lab.ok("license", "smart", "renew", "auth")
    assert "renew-auth" not in {a["key"] for a in lab.status()["alerts"]}
    assert lab.ssm("maintenance", "later").code == 2
