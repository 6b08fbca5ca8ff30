"""Node and SSM trust only what is proven, and every exchange converges (issue 32), through a
real served SSM (`ccx-ssm serve`) and nodes of other lab homes.

- A message id is the sender's: another registration (in any virtual account, in another lab
  sharing the SSM) that sends a victim's future report ids first cannot make the SSM answer
  the victim's real reports from its own remembered answers.
- A product instance id is never given twice, so messages and events naming one never come
  to mean another.
- A report that failed on the SSM's side (down for maintenance, server stopped, killed while
  answering) is sent again at the next interval once it answers: the SSM learns the usage and
  the Entitlement Reporting alert clears."""

from __future__ import annotations

import http.client
import json
import ssl
from pathlib import Path
from typing import Any

import pytest
from served import Served, ccx, init, ssm

from ccxcli.core import timers as T
from ccxcli.urls import GATEWAY_PATH


def _status(home: Path) -> dict[str, Any]:
    r = ccx(home, "--json", "show", "license", "status")
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)  # type: ignore[no-any-return]


def _join_and_register(home: Path, pem: Path, server: Served, ssm_home: Path, folder: Path,
                       va: str = "DEFAULT") -> None:  # fmt: skip
    assert ccx(home, "sim", "ssm", "trust", str(pem)).returncode == 0
    r = ccx(home, "license", "smart", "transport", "gateway", server.gateway)
    assert r.returncode == 0, r.stderr
    token = ssm(ssm_home, "--ssm", str(folder), "token", "create", "--va", va).stdout.strip()
    r = ccx(home, "license", "smart", "register", "idtoken", token)
    assert r.returncode == 0, r.stderr


def _instance(ssm_home: Path, folder: Path, sn: str) -> dict[str, Any]:
    rows = json.loads(ssm(ssm_home, "--ssm", str(folder), "--json", "instance", "list").stdout)["instances"]
    (row,) = [r for r in rows if r["sn"] == sn]
    return row  # type: ignore[no-any-return]


def _post(port: int, op: str, args: dict[str, Any]) -> dict[str, Any]:
    """A device message sent by hand, as any client holding a registration can send one."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
    conn = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=30)
    try:
        conn.request("POST", GATEWAY_PATH, json.dumps({"op": op, "args": args}), {"Content-Type": "application/json"})
        return json.loads(conn.getresponse().read())  # type: ignore[no-any-return]
    finally:
        conn.close()


@pytest.fixture
def shared(tmp_path: Path) -> Any:
    """One served SSM that the labs of the test share."""
    folder = tmp_path / "ssm"
    pem = init(tmp_path / "ssmhome", folder)
    ssm(tmp_path / "ssmhome", "--ssm", str(folder), "va", "create", "Other")
    server = Served(tmp_path / "ssmhome", folder)
    yield tmp_path / "ssmhome", folder, pem, server
    server.stop()


def test_another_registration_cannot_pre_claim_a_victims_report_ids(shared: Any, tmp_path: Path) -> None:
    ssm_home, folder, pem, server = shared
    victim, attacker = tmp_path / "victim", tmp_path / "attacker"
    _join_and_register(victim, pem, server, ssm_home, folder)
    _join_and_register(attacker, pem, server, ssm_home, folder, va="Other")
    assert ccx(victim, "sim", "agent", "login", "--count", "3").returncode == 0
    v, a = _status(victim), _status(attacker)
    victim_row = _instance(ssm_home, folder, v["udi"]["sn"])
    start = json.loads(ccx(victim, "--json", "sim", "clock", "show").stdout)["epoch"]
    first = start - start % T.REPORT_INTERVAL + T.REPORT_INTERVAL
    for k in range(8):  # the victim's next two hours of report ids, sent first with the attacker's own uuid
        t = first + k * T.REPORT_INTERVAL
        answer = _post(server.port, "report", {"uuid": a["udi"]["uuid"], "use": {}, "now": t,
                                               "msg_id": f"report:{victim_row['id']}:{t}"})  # fmt: skip
        assert answer["ok"], answer
        steady = _post(server.port, "report_batch", {"uuid": a["udi"]["uuid"], "use": {}, "first": t, "last": t,
                                                     "msg_id": f"steady:{victim_row['id']}:{t}"})  # fmt: skip
        assert steady["ok"], steady
    assert ccx(victim, "sim", "clock", "advance", "2h").returncode == 0
    row = _instance(ssm_home, folder, v["udi"]["sn"])
    assert row["usage"].get("flex-standard") == 3, row  # the victim's usage reached the SSM
    assert "reporting" not in json.dumps(_status(victim).get("alerts", [])).lower()


def test_a_product_instance_id_is_never_given_twice(shared: Any, tmp_path: Path) -> None:
    ssm_home, folder, pem, server = shared
    first, second = tmp_path / "first", tmp_path / "second"
    _join_and_register(first, pem, server, ssm_home, folder)
    gone = _instance(ssm_home, folder, _status(first)["udi"]["sn"])["id"]
    r = ssm(ssm_home, "--ssm", str(folder), "instance", "remove", str(gone))
    assert r.returncode == 0, r.stderr
    _join_and_register(second, pem, server, ssm_home, folder)
    assert _instance(ssm_home, folder, _status(second)["udi"]["sn"])["id"] > gone


@pytest.mark.parametrize("outage", ["maintenance", "server-stopped"])
def test_a_report_failed_on_the_ssm_side_is_sent_again_once_it_answers(shared: Any, tmp_path: Path,
                                                                       outage: str) -> None:  # fmt: skip
    ssm_home, folder, pem, server = shared
    home = tmp_path / "node"
    _join_and_register(home, pem, server, ssm_home, folder)
    assert ccx(home, "sim", "clock", "advance", "1h").returncode == 0
    assert ccx(home, "sim", "agent", "login", "--count", "5").returncode == 0
    sn = _status(home)["udi"]["sn"]
    if outage == "maintenance":
        assert ssm(ssm_home, "--ssm", str(folder), "maintenance", "on").returncode == 0
    else:
        port = server.port
        server.stop()
    out = ccx(home, "sim", "clock", "advance", "15m").stdout
    assert "not delivered" in out, out
    if outage == "maintenance":
        assert ssm(ssm_home, "--ssm", str(folder), "maintenance", "off").returncode == 0
    else:
        server.__init__(ssm_home, folder, port=port)  # type: ignore[misc]  # the same SSM back on its port
    out = ccx(home, "sim", "clock", "advance", "30m").stdout
    assert "delivered" in out and "not delivered" not in out, out
    assert _instance(ssm_home, folder, sn)["usage"].get("flex-standard") == 5
    assert "Entitlement Reporting" not in ccx(home, "show", "license", "all").stdout
