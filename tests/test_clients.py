"""The drivers ccxcli ships for automation libraries (`ccxcli/clients/`), driven against
`ccx serve` with the real libraries: netmiko, scrapli (sync and async), TextFSM, Ansible."""

from __future__ import annotations

import asyncio
import glob
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import textfsm
from conftest import Lab, authorize_args, ccx_run, ssm_run
from ssh_served import Served
from textfsm import clitable

from ccxcli.clients import ANSIBLE, TEMPLATES

GOLDEN = Path(__file__).parent / "golden"
EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "ansible"


def parse(command: str, text: str) -> list[dict[str, object]]:
    table = clitable.CliTable("index", TEMPLATES)
    table.ParseCmd(text, {"Command": command, "Platform": "cisco_vos"})
    return [dict(zip(table.header, row, strict=True)) for row in table]


LICENSE_GOLDEN = sorted(p for p in glob.glob(str(GOLDEN / "*.txt")) if not os.path.basename(p).startswith("system."))


@pytest.mark.parametrize("path", LICENSE_GOLDEN, ids=os.path.basename)
def test_every_golden_output_parses(path: str) -> None:
    state, view, _ = os.path.basename(path).split(".")
    rows = parse(f"show license {view}", Path(path).read_text(encoding="utf-8"))
    assert rows, path
    if view in ("status", "summary", "all"):
        expected = {
            "slr_installed": "REGISTERED - SPECIFIC LICENSE RESERVATION",
            "eval_mode": "UNREGISTERED",
            "reservation_in_progress": "RESERVATION IN PROGRESS",
        }.get(state, None)
        if expected:
            assert rows[0]["REGISTRATION_STATUS"] == expected
    if view in ("usage", "all"):
        assert {r["ALIAS"] for r in rows} == {"flex-standard", "flex-premium"}
    if view == "reservation" and state == "slr_installed":
        assert rows[0]["RESERVED"] == ["flex-premium: 5", "flex-standard: 20"]


def test_a_template_refuses_what_it_does_not_know() -> None:
    text = (GOLDEN / "authorized.status.txt").read_text(encoding="utf-8") + "Surprise: a line nobody wrote\n"
    with pytest.raises(textfsm.TextFSMError):
        parse("show license status", text)


def test_live_outputs_of_every_show_license_command_parse(lab: Lab) -> None:
    tok = lab.ssm_ok("token", "create").out.strip()
    lab.ok("license", "smart", "register", "idtoken", tok)
    lab.ok("sim", "agent", "login", "--count", "4")
    lab.ok("sim", "clock", "advance", "1h")
    for view in ("status", "summary", "usage", "reservation", "all", "techsupport", "UDI"):
        rows = parse(f"show license {view}", lab.ok("show", "license", view).out)
        assert rows, view
    assert (
        parse("show license status", lab.ok("show", "license", "status").out)[0]["AUTHORIZATION_STATUS"] == "AUTHORIZED"
    )
    udi = parse("sh lic UDI", lab.ok("show", "license", "UDI").out)[0]
    assert udi["PID"] == "UCCX" and len(str(udi["UUID"])) == 32
    usage = {r["ALIAS"]: r["COUNT"] for r in parse("show license usage", lab.ok("show", "license", "usage").out)}
    assert usage == {"flex-standard": "4", "flex-premium": "0"}


def test_netmiko_device_class(served: Served, monkeypatch: pytest.MonkeyPatch) -> None:
    from netmiko import ConnectHandler

    from ccxcli.clients.netmiko_vos import VosCommandError, register

    register()
    conn = ConnectHandler(
        device_type="cisco_vos", host="127.0.0.1", port=served.port, username="admin", password="admin", fast_cli=False
    )
    try:
        assert conn.find_prompt() == "admin:"  # no escape codes, whatever the terminal drew
        whole = conn.send_command("show license all")
        assert "options: q=quit" not in whole and "Reservation Info" in whole  # paging was turned off
        with pytest.raises(VosCommandError, match="not registered|Deregistration"):
            conn.send_command("license smart deregister --yes")
        tok = ssm_run(served.home, "token", "create").stdout.strip()
        assert "Registration succeeded" in conn.send_command(f"license smart register idtoken {tok}")
        parsed = conn.send_command(
            "show license status",
            use_textfsm=True,
            textfsm_template=os.path.join(TEMPLATES, "cisco_vos_show_license_status.textfsm"),
        )
        assert isinstance(parsed, list) and parsed[0]["registration_status"] == "REGISTERED"
        monkeypatch.setenv("NET_TEXTFSM", TEMPLATES)  # as the README says: the index picks the template
        usage = conn.send_command("show license usage", use_textfsm=True)
        assert isinstance(usage, list) and {r["alias"] for r in usage} == {"flex-standard", "flex-premium"}
        assert "Deregistered" in conn.send_command_yes("license smart deregister")
    finally:
        conn.disconnect()


@pytest.mark.parametrize("term", ["dumb", "vt100", "xterm"])
def test_scrapli_sync_driver(served: Served, monkeypatch: pytest.MonkeyPatch, term: str) -> None:
    """scrapli's default transport is the OpenSSH client, which asks for the terminal type of
    its environment: the driver works under each."""
    from ccxcli.clients.scrapli_vos import VosDriver

    monkeypatch.setenv("TERM", term)

    with VosDriver(
        host="127.0.0.1",
        port=served.port,
        auth_username="admin",
        auth_password="admin",
        auth_strict_key=False,
        timeout_ops=30,
    ) as conn:
        whole = conn.send_command("show license all").result
        assert "options: q=quit" not in whole and "Reservation Info" in whole  # paging turned off on open
        refused = conn.send_command("license smart renew auth")
        assert refused.failed and "Executed command unsuccessfully" in refused.result
        status = conn.send_command("show license status")
        assert not status.failed
        with open(os.path.join(TEMPLATES, "cisco_vos_show_license_status.textfsm"), encoding="utf-8") as template:
            rows = status.textfsm_parse_output(template=template)
        assert rows[0]["registration_status"] == "UNREGISTERED"
        conn.send_command("sim network down")
        conn.send_command("license smart reservation enable")
        req = conn.send_command("license smart reservation request specific").result.strip().splitlines()[-1]
        auth = ssm_run(served.home, *authorize_args(req)).stdout.strip()
        assert "installed successfully" in conn.send_command(f"license smart reservation install {auth}").result
        done = conn.send_yes("license smart reservation return")
        assert not done.failed and "Reservation Return Code" in done.result


def test_scrapli_async_driver(served: Served) -> None:
    from ccxcli.clients.scrapli_vos import AsyncVosDriver

    async def go() -> tuple[str, bool]:
        conn = AsyncVosDriver(
            host="127.0.0.1",
            port=served.port,
            auth_username="admin",
            auth_password="admin",
            auth_strict_key=False,
            timeout_ops=30,
        )
        await conn.open()
        try:
            udi = (await conn.send_command("show license UDI")).result
            refused = (await conn.send_command("license smart renew auth")).failed
            return udi, refused
        finally:
            await conn.close()

    udi, refused = asyncio.run(go())
    assert udi.startswith("UDI: PID:UCCX") and refused
    assert ccx_run(served.home, "show", "license", "UDI").stdout.strip() == udi.strip()


def ansible_playbook(tmp_path: Path, playbook: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    """`ansible-playbook` on the example inventory, finding the collection as the README says."""
    env = dict(
        os.environ,
        ANSIBLE_COLLECTIONS_PATH=ANSIBLE,
        ANSIBLE_HOME=str(tmp_path / "ah"),
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_LOCAL_TEMP=str(tmp_path / "at"),
        ANSIBLE_PERSISTENT_CONTROL_PATH_DIR=str(tmp_path / "pc"),
    )
    command = [
        str(Path(sys.executable).parent / "ansible-playbook"),
        "-i",
        str(EXAMPLES / "inventory.ini"),
        str(playbook),
    ]
    return subprocess.run([*command, *extra], env=env, capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("ssh_type", ["paramiko", "libssh"])
def test_ansible_cli_command_through_the_shipped_collection(served: Served, tmp_path: Path, ssh_type: str) -> None:
    """The README's playbook, as written, with ansible.netcommon.cli_command over network_cli
    (both of its SSH libraries) and the ccxcli.vos collection found through ANSIBLE_COLLECTIONS_PATH."""
    token = ssm_run(served.home, "token", "create").stdout.strip()
    results = tmp_path / "said.json"
    extra = {"token": token, "results": results, "ansible_port": served.port, "ansible_network_cli_ssh_type": ssh_type}
    r = ansible_playbook(tmp_path, EXAMPLES / "licensing.yml", *(f"-e{k}={v}" for k, v in extra.items()))
    assert r.returncode == 0, r.stdout[-4000:] + r.stderr[-2000:]
    said = json.loads(results.read_text())["uccx"]
    udi = ccx_run(served.home, "show", "license", "UDI").stdout.strip()
    assert said["udi"]["stdout"] == udi  # the output alone: no echo, no prompt, no escape codes
    assert said["refused"]["failed"] and "Executed command unsuccessfully" in said["refused"]["msg"]
    assert "not registered" in said["refused"]["msg"]
    assert said["registered"]["stdout"].startswith("Registration succeeded")
    status = said["status"]["stdout_lines"]
    assert len(status) > 30 and "options: q=quit" not in said["status"]["stdout"]  # longer than a page: paging was off
    assert "  Status: REGISTERED" in status and not any("\x1b" in line for line in status)
    assert "Deregistered" in said["deregistered"]["stdout"]
    after = json.loads(ccx_run(served.home, "--json", "show", "license", "status").stdout)
    assert after["registration"]["status"] == "UNREGISTERED"  # the answer was taken: the node deregistered
    assert served.no_children()


def test_ansible_cli_config_is_refused_with_a_reason(served: Served, tmp_path: Path) -> None:
    """VOS has no configuration: cli_config (which asks the cliconf plugin for its capabilities
    and the device's facts) fails its task saying so, and the next task runs."""
    play = tmp_path / "config.yml"
    play.write_text(
        "- hosts: uccx\n  gather_facts: false\n  tasks:\n"
        "    - {ansible.netcommon.cli_config: {config: set cli pagination off}, register: c, ignore_errors: true}\n"
        "    - {ansible.netcommon.cli_command: {command: show license UDI}, register: u}\n"
        "    - ansible.builtin.copy: {dest: " + str(tmp_path / "out.json") + ", content: '{{ [c, u] | to_json }}'}\n"
        "      delegate_to: localhost\n",
        encoding="utf-8",
    )
    r = ansible_playbook(tmp_path, play, "-e", f"ansible_port={served.port}")
    assert r.returncode == 0, r.stdout[-4000:] + r.stderr[-2000:]
    config, udi = json.loads((tmp_path / "out.json").read_text())
    assert config["failed"] and "has no configuration to get or edit" in config["msg"]
    assert udi["stdout"].startswith("UDI: PID:UCCX,SN:")
