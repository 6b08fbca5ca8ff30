"""The drivers ccxcli ships for automation libraries (`ccxcli/clients/`), driven against
`ccx serve` with the real libraries: netmiko, scrapli (sync and async), TextFSM."""

from __future__ import annotations

import asyncio
import glob
import os
from pathlib import Path

import pytest
import textfsm
from conftest import Lab, authorize_args, ccx_run, ssm_run
from ssh_served import Served
from textfsm import clitable

from ccxcli.clients import TEMPLATES

GOLDEN = Path(__file__).parent / "golden"


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
        expected = {"slr_installed": "REGISTERED - SPECIFIC LICENSE RESERVATION", "eval_mode": "UNREGISTERED",
                    "reservation_in_progress": "RESERVATION IN PROGRESS"}.get(state, None)  # fmt: skip
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
    conn = ConnectHandler(device_type="cisco_vos", host="127.0.0.1", port=served.port, username="admin",
                          password="admin", fast_cli=False)  # fmt: skip
    try:
        assert conn.find_prompt() == "admin:"  # no escape codes, whatever the terminal drew
        whole = conn.send_command("show license all")
        assert "options: q=quit" not in whole and "Reservation Info" in whole  # paging was turned off
        with pytest.raises(VosCommandError, match="not registered|Deregistration"):
            conn.send_command("license smart deregister --yes")
        tok = ssm_run(served.home, "token", "create").stdout.strip()
        assert "Registration succeeded" in conn.send_command(f"license smart register idtoken {tok}")
        parsed = conn.send_command("show license status", use_textfsm=True, textfsm_template=os.path.join(
            TEMPLATES, "cisco_vos_show_license_status.textfsm"))  # fmt: skip
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

    with VosDriver(host="127.0.0.1", port=served.port, auth_username="admin", auth_password="admin",
                   auth_strict_key=False, timeout_ops=30) as conn:  # fmt: skip
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
        conn = AsyncVosDriver(host="127.0.0.1", port=served.port, auth_username="admin", auth_password="admin",
                              auth_strict_key=False, timeout_ops=30)  # fmt: skip
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
