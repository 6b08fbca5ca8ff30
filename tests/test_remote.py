"""Nodes of other lab homes and an SSM served over HTTPS (`ccx-ssm serve`): register,
report, renew, deregister, reserve; TLS trust and the certificate name rule; each network
failure with its own message and exit 4; agreement after the server is SIGKILLed
mid-request."""

from __future__ import annotations

import json
import socket
import threading
from pathlib import Path
from typing import Any

import pytest
from labenv import ssm_state
from served import Client, Served, ccx, init, ssm

from ccxcli.core.catalogue import BY_ALIAS


def _status(home: Path, node: str = "uccx") -> dict[str, Any]:
    r = ccx(home, "--node", node, "--json", "show", "license", "status")
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)  # type: ignore[no-any-return]


def _join(home: Path, pem: Path, gateway: str, node: str = "uccx") -> None:
    if node != "uccx":
        assert ccx(home, "sim", "node", "create", node).returncode == 0
    assert ccx(home, "sim", "ssm", "trust", str(pem)).returncode == 0
    r = ccx(home, "--node", node, "license", "smart", "transport", "gateway", gateway)
    assert r.returncode == 0, r.stderr


def _instances(home: Path, folder: Path) -> list[dict[str, Any]]:
    return json.loads(ssm(home, "--ssm", str(folder), "--json", "instance", "list").stdout)["instances"]  # type: ignore[no-any-return]


def _pool(home: Path, folder: Path) -> dict[str, dict[str, Any]]:
    rows = json.loads(ssm(home, "--ssm", str(folder), "--json", "license", "list").stdout)["licenses"]
    return {r["alias"]: r for r in rows}


def _snapshot(home: Path) -> dict[str, bytes]:
    return {str(p): p.read_bytes() for p in sorted(home.rglob("*")) if p.is_file() and not p.name.endswith(".lock")}


@pytest.fixture(scope="module")
def farm(tmp_path_factory: pytest.TempPathFactory) -> Any:
    base = tmp_path_factory.mktemp("farm")
    folder = base / "farm"
    pem = init(base / "ssmhome", folder)
    server = Served(base / "ssmhome", folder)
    yield base, folder, pem, server
    server.stop()


def test_a_node_of_another_lab_registers_reports_and_deregisters_over_https(farm: Any, tmp_path: Path) -> None:
    base, folder, pem, server = farm
    home = tmp_path / "site-a"
    _join(home, pem, server.gateway)
    token = ssm(base, "--ssm", str(folder), "token", "create").stdout.strip()
    r = ccx(home, "license", "smart", "register", "idtoken", token)
    assert r.returncode == 0, r.stderr
    st = _status(home)
    assert st["registration"]["status"] == "REGISTERED" and st["registration"]["ssm"] == server.gateway
    mine = [i for i in _instances(base, folder) if i["sn"] == st["udi"]["sn"]]
    assert len(mine) == 1 and mine[0]["kind"] == "smart"
    before = _pool(base, folder)["flex-standard"]["in_use"]
    assert ccx(home, "sim", "agent", "login", "--count", "4").returncode == 0
    out = ccx(home, "sim", "clock", "advance", "1h").stdout
    assert "usage reports delivered" in out
    assert _pool(base, folder)["flex-standard"]["in_use"] == before + 4
    assert ccx(home, "license", "smart", "renew", "auth").returncode == 0
    r = ccx(home, "--yes", "license", "smart", "deregister")
    assert r.returncode == 0, r.stderr
    assert not [i for i in _instances(base, folder) if i["sn"] == st["udi"]["sn"]]
    assert _pool(base, folder)["flex-standard"]["in_use"] == before


def test_network_failures_each_say_what_happened_and_change_nothing(farm: Any, tmp_path: Path) -> None:
    base, folder, pem, server = farm
    home = tmp_path / "lab"
    token = ssm(base, "--ssm", str(folder), "token", "create").stdout.strip()
    ccx(home, "license", "smart", "transport", "gateway", server.gateway)

    def refused(words: str, env: dict[str, str] | None = None) -> None:
        before = _snapshot(home)
        r = ccx(home, "license", "smart", "register", "idtoken", token, env=env)
        assert r.returncode == 4 and words in r.stderr and "Traceback" not in r.stderr, r.stderr
        assert _snapshot(home) == before

    refused("its certificate's key is not trusted by this lab")
    ccx(home, "sim", "ssm", "trust", str(pem))
    ccx(home, "license", "smart", "transport", "gateway", server.gateway.replace("localhost", "127.0.0.1"))
    refused("certificate name mismatch, '127.0.0.1' is not the common name")
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]  # bound, not listening: refused
        ccx(home, "license", "smart", "transport", "gateway", server.gateway.replace(str(server.port), str(port)))
        refused(f"connection refused by localhost:{port}")
    with socket.socket() as silent:  # accepts the connection, never answers the TLS handshake
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        port = silent.getsockname()[1]
        ccx(home, "license", "smart", "transport", "gateway", server.gateway.replace(str(server.port), str(port)))
        refused(f"localhost:{port} did not answer within 0.5 s", env={"CCX_NET_TIMEOUT": "0.5"})
    ccx(
        home,
        "license",
        "smart",
        "transport",
        "gateway",
        "https://nowhere.invalid/Transportgateway/services/DeviceRequestHandler",
    )
    refused("cannot resolve 'nowhere.invalid'. It is not an SSM of this lab either")


def test_a_failed_renewal_raises_the_seed_alert(farm: Any, tmp_path: Path) -> None:
    base, folder, pem, _ = farm
    home = tmp_path / "lab"
    private = Served(base, folder)
    _join(home, pem, private.gateway)
    token = ssm(base, "--ssm", str(folder), "token", "create").stdout.strip()
    assert ccx(home, "license", "smart", "register", "idtoken", token).returncode == 0
    private.stop()
    r = ccx(home, "license", "smart", "renew", "auth")
    assert r.returncode == 4 and "connection refused" in r.stderr
    keys = [a["key"] for a in _status(home)["alerts"]]
    assert "renew-auth" in keys


def test_two_labs_one_served_ssm_and_a_server_killed_mid_request(tmp_path: Path) -> None:
    """Registrations from two lab homes; the server dies (SIGKILL) right after it commits a
    registration and before it answers: the node keeps the message, the next command sends
    it again to the restarted server, and node and SSM agree."""
    folder = tmp_path / "farm"
    pem = init(tmp_path, folder)
    server = Served(tmp_path, folder)
    homes = [tmp_path / "a", tmp_path / "b"]
    try:
        for home in homes:
            for node in ("uccx", "n2"):
                _join(home, pem, server.gateway, node)
                token = ssm(tmp_path, "--ssm", str(folder), "token", "create").stdout.strip()
                r = ccx(home, "--node", node, "license", "smart", "register", "idtoken", token)
                assert r.returncode == 0, r.stderr
        assert len(_instances(tmp_path, folder)) == 4
        port = server.port
        server.stop()
        dying = Served(tmp_path, folder, env={"CCX_TEST_KILL_AT": "ssm-committed"}, port=port)
        late = tmp_path / "c"
        _join(late, pem, server.gateway)
        token = ssm(tmp_path, "--ssm", str(folder), "token", "create").stdout.strip()
        r = ccx(late, "license", "smart", "register", "idtoken", token)
        assert r.returncode == 4 and "No answer from the SSM" in r.stderr, r.stderr
        dying.stop()
        assert dying.proc.returncode == -9
        assert len(_instances(tmp_path, folder)) == 5  # the SSM had committed it
        assert _status(late)["registration"]["status"] == "UNREGISTERED"  # the node is waiting for the answer
        r = ccx(late, "license", "smart", "register", "idtoken", token)  # server down: still waiting, nothing new
        assert r.returncode == 4 and "no answer from the SSM yet" in r.stderr
        server = Served(tmp_path, folder, port=port)
        st = _status(late)  # any command sends the kept message again: the SSM answers it as before
        assert st["registration"]["status"] == "REGISTERED"
        sns = {i["sn"] for i in _instances(tmp_path, folder)}
        registered = {_status(h, n)["udi"]["sn"] for h in homes for n in ("uccx", "n2")} | {st["udi"]["sn"]}
        assert sns == registered and len(sns) == 5
    finally:
        server.stop()


def test_reservation_through_the_api_and_refusals_change_nothing(farm: Any, tmp_path: Path) -> None:
    base, folder, pem, server = farm
    home = tmp_path / "lab"
    assert ccx(home, "sim", "ssm", "trust", str(pem)).returncode == 0
    ccx(home, "license", "smart", "reservation", "enable")
    req = json.loads(ccx(home, "--json", "license", "smart", "reservation", "request").stdout)["request_code"]
    client = Client(server.port)
    acct = "Demo%20Smart%20Account"
    path = f"/api/v1/accounts/{acct}/virtual-accounts/DEFAULT/reserve-licenses"

    def body(code: str, n: int) -> dict[str, Any]:
        lic = [{"entitlementTag": BY_ALIAS["flex-standard"].tag, "quantity": n, "precedence": "LONGEST_TERM_FIRST"}]
        return {"reservationRequests": [{"reservationCode": code, "reservationType": "SPECIFIC", "licenses": lic}]}

    db = ssm_state(folder)
    tampered = req[:-3] + ("0" if req[-3] != "0" else "1") + req[-2:]
    status, doc = client.api("POST", path, body(tampered, 2))
    assert status in (400, 409) and doc["status"] == "ERROR" and "Request Code" in doc["statusMessage"]
    status, doc = client.api("POST", path, body(req, 10_000))
    assert status == 409 and "available" in doc["statusMessage"]
    assert ssm_state(folder) == db
    status, doc = client.api("POST", path, body(req, 3))
    assert status == 200 and doc["status"] == "COMPLETE", doc
    code = doc["authorizationCodes"][0]["authorizationCode"]
    r = ccx(home, "license", "smart", "reservation", "install", code)
    assert r.returncode == 0 and "flex-standard 3" in r.stdout, r.stderr
    sn = _status(home)["udi"]["sn"]
    status, doc = client.api(
        "POST", f"/api/v1/reservations/{sn}/update", {"licenses": [{"license": "flex-standard", "quantity": 5}]}
    )
    assert status == 200, doc
    conf = json.loads(
        ccx(home, "--json", "license", "smart", "reservation", "install", doc["authorizationCode"]).stdout
    )["confirmation_code"]
    status, doc = client.api("POST", f"/api/v1/reservations/{sn}/confirm", {"confirmationCode": conf})
    assert status == 200, doc
    ret = json.loads(ccx(home, "--yes", "--json", "license", "smart", "reservation", "return").stdout)["return_code"]
    status, doc = client.api("POST", "/api/v1/reservations/return", {"returnCode": ret})
    assert status == 200 and doc["sn"] == sn
    status, doc = client.api("POST", "/api/v1/reservations/return", {"returnCode": ret})
    assert status == 409 and "already" in doc["statusMessage"]


def test_a_served_ssm_answers_many_nodes_at_once(farm: Any, tmp_path: Path) -> None:
    """Several lab homes register at the same moment (the server runs requests in threads,
    each with its own database connection)."""
    base, folder, pem, server = farm
    homes = [tmp_path / f"lab{i}" for i in range(6)]
    for home in homes:
        _join(home, pem, server.gateway)
    token = ssm(base, "--ssm", str(folder), "token", "create").stdout.strip()
    codes: list[int] = []

    def register(home: Path) -> None:
        codes.append(ccx(home, "license", "smart", "register", "idtoken", token).returncode)

    threads = [threading.Thread(target=register, args=(h,)) for h in homes]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert codes == [0] * len(homes)
    sns = {i["sn"] for i in _instances(base, folder)}
    assert {_status(h)["udi"]["sn"] for h in homes} <= sns
