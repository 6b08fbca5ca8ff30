"""The public Python API (`ccxcli.api`) and the pytest plugin's fixtures, used here as a
user's suite uses them (the plugin is active because ccxcli is installed)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from doctext import everything

from ccxcli.api import API_VERSION, CommandFailed, HttpsServer, Lab, Node, SshServer

ROOT = Path(__file__).resolve().parents[1]


def test_a_temporary_lab_is_gone_after_its_block_and_its_servers_stop() -> None:
    with Lab() as lab:
        home = lab.home
        server = lab.node().serve()
        assert server.proc.poll() is None
        assert (home / "lab.json").exists()
    assert not home.exists() and server.proc.poll() is not None  # close() stopped it and deleted the lab
    assert API_VERSION.count(".") == 2


def test_commands_give_code_text_and_json(ccx_lab: Lab, ccx_node: Node) -> None:
    r = ccx_node.run("show license UDI")
    assert r.ok and r.out.startswith("UDI: PID:UCCX,SN:") and r.json is None
    assert ccx_node.udi()["sn"] in r.out
    with pytest.raises(CommandFailed) as failed:
        ccx_node.run("license smart renew auth")  # not registered
    assert failed.value.result.code == 1 and "not registered" in str(failed.value)
    assert ccx_node.run("license smart renew auth", check=False).code == 1
    assert ccx_lab.ccx("show license status", json=True).json["registration"]["status"] == "UNREGISTERED"
    b = ccx_lab.create_node("b", "--type", "perpetual-premium")
    assert ccx_lab.nodes() == ["b", "uccx"] and b.status()["license_type"] == "perpetual-premium"
    with pytest.raises(ValueError):
        ccx_lab.ccx("")  # the shell is not run through the API


def test_clock_faults_and_snapshots_through_the_api(ccx_lab: Lab, ccx_node: Node) -> None:
    ccx_node.run(f"license smart register idtoken {ccx_lab.ssm().token()}")
    ccx_lab.save("registered")
    moved = ccx_lab.advance("1h")
    assert [n["name"] for n in moved["nodes"]] == ["uccx"]
    ccx_lab.fault("ssm-error")
    assert not ccx_node.run("license smart renew auth", check=False).ok
    ccx_lab.load("registered")
    assert ccx_node.run("license smart renew auth").ok  # the fault was after the snapshot
    ccx_lab.scenario("eval-day-85")
    assert ccx_node.status()["evaluation"]["remaining_seconds"] == 5 * 86400


def test_ccx_ssh_is_a_served_node(ccx_ssh: SshServer, ccx_lab: Lab, tmp_path: Path) -> None:
    import paramiko

    known = tmp_path / "known_hosts"
    known.write_text(ccx_ssh.known_hosts + "\n")
    client = paramiko.SSHClient()
    client.load_host_keys(str(known))  # the host key is checked, not trusted on first use
    client.connect(
        ccx_ssh.host, ccx_ssh.port, ccx_ssh.username, ccx_ssh.password, look_for_keys=False, allow_agent=False
    )
    try:
        _, out, _ = client.exec_command("sim agent login --count 3")
        assert out.channel.recv_exit_status() == 0
    finally:
        client.close()
    assert ccx_lab.node().status()["usage"][0]["count"] == 3  # the same lab
    assert ccx_ssh.fingerprint.startswith("SHA256:")
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    wrong = (
        Ed25519PrivateKey.generate()
        .public_key()
        .public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
    )
    other = tmp_path / "other_known_hosts"
    other.write_text(f"[{ccx_ssh.host}]:{ccx_ssh.port} {wrong.decode()}\n")
    refused = paramiko.SSHClient()
    refused.load_host_keys(str(other))
    with pytest.raises(paramiko.SSHException):
        refused.connect(
            ccx_ssh.host, ccx_ssh.port, ccx_ssh.username, ccx_ssh.password, look_for_keys=False, allow_agent=False
        )
    refused.close()


def test_ccx_ssm_https_is_a_served_ssm(ccx_ssm_https: HttpsServer, ccx_lab: Lab) -> None:
    r = requests.get(ccx_ssm_https.url + "/login", verify=str(ccx_ssm_https.cert), timeout=30)
    assert r.status_code == 200 and "password" in r.text.lower()
    client_id, secret = ccx_lab.ssm().api_client("t")
    token = requests.post(
        ccx_ssm_https.url + "/as/token.oauth2",
        verify=str(ccx_ssm_https.cert),
        timeout=30,
        data={"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret},
    ).json()
    assert token["token_type"] == "Bearer"


def test_the_readme_shows_the_user_style_suite() -> None:
    text = (ROOT / "examples" / "pytest" / "test_with_ccxcli.py").read_text()
    assert text.strip() in everything()


def test_fixtures_work_under_pytest_xdist(tmp_path: Path) -> None:
    """Four tests on two xdist workers at once, each with its own lab and served ports."""
    suite = tmp_path / "test_parallel.py"
    suite.write_text(
        "import pytest\n"
        "@pytest.mark.parametrize('n', [1, 2, 3, 4])\n"
        "def test_one(ccx_lab, ccx_ssh, n):\n"
        "    ccx_lab.node().run(f'sim agent login --count {n}')\n"
        "    assert ccx_lab.node().status()['usage'][0]['count'] == n\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("CCX_")}
    r = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-n", "2", str(suite)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 0 and "4 passed" in r.stdout, r.stdout + r.stderr
