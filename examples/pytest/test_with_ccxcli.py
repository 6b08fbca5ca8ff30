"""A test suite's own tests against an emulated UCCX node, with ccxcli's pytest plugin
(active once ccxcli is installed): copy what you need."""

import paramiko
import requests
from netmiko import ConnectHandler

from ccxcli.clients.netmiko_vos import register


def test_register_and_report(ccx_lab, ccx_node):
    token = ccx_lab.ssm().token()
    ccx_node.run(f"license smart register idtoken {token}")
    ccx_node.run("sim agent login --count 5")
    ccx_lab.advance("15m")
    assert ccx_node.status()["registration"]["status"] == "REGISTERED"
    assert ccx_lab.ssm().licenses()["flex-standard"]["in_use"] == 5


def test_netmiko(ccx_ssh):
    register()  # device_type "cisco_vos"
    conn = ConnectHandler(
        device_type="cisco_vos",
        host=ccx_ssh.host,
        port=ccx_ssh.port,
        username=ccx_ssh.username,
        password=ccx_ssh.password,
    )
    try:
        assert conn.find_prompt() == "admin:"
        assert "Smart Licensing is ENABLED" in conn.send_command("show license status")
    finally:
        conn.disconnect()


def test_scrapli(ccx_ssh):
    from ccxcli.clients.scrapli_vos import VosDriver

    with VosDriver(
        host=ccx_ssh.host,
        port=ccx_ssh.port,
        auth_username=ccx_ssh.username,
        auth_password=ccx_ssh.password,
        auth_strict_key=False,
    ) as conn:
        assert "PID:UCCX" in conn.send_command("show license UDI").result


def test_paramiko_checks_the_host_key(ccx_ssh, tmp_path):
    known = tmp_path / "known_hosts"
    known.write_text(ccx_ssh.known_hosts + "\n")
    client = paramiko.SSHClient()
    client.load_host_keys(str(known))  # RejectPolicy: an unknown key is refused
    client.connect(
        ccx_ssh.host, ccx_ssh.port, ccx_ssh.username, ccx_ssh.password, look_for_keys=False, allow_agent=False
    )
    try:
        _, out, _ = client.exec_command("show license UDI")
        assert out.read().decode().startswith("UDI: PID:UCCX")
        assert out.channel.recv_exit_status() == 0
    finally:
        client.close()


def test_cisco_api_with_requests(ccx_lab, ccx_ssm_https):
    client_id, secret = ccx_lab.ssm().api_client("suite")
    login = requests.post(
        f"{ccx_ssm_https.url}/as/token.oauth2",
        verify=str(ccx_ssm_https.cert),
        data={"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret},
    )
    token = login.json()["access_token"]
    domain = ccx_lab.ssm().json("account show")["domain"]
    r = requests.post(
        f"{ccx_ssm_https.url}/services/api/smart-accounts-and-licensing/v1/accounts/{domain}/licenses",
        json={"virtualAccounts": ["DEFAULT"]},
        headers={"Authorization": f"Bearer {token}"},
        verify=str(ccx_ssm_https.cert),
    )
    assert r.json()["totalRecords"] == 10


def test_a_scenario_then_a_snapshot(ccx_lab, ccx_node):
    ccx_lab.scenario("ooc-report-4")
    ccx_lab.save("before-the-5th")
    ccx_lab.advance("15m")
    assert ccx_node.status()["authorization"]["status"] == "OUT_OF_COMPLIANCE"
    ccx_lab.load("before-the-5th")
    assert ccx_node.status()["compliance"]["consecutive_overage_reports"] == 4
