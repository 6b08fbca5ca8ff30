"""Parsers written against real Cisco output read ours: ntc-templates' `show license
status` template (the one netmiko's `use_textfsm=True` applies), on every licensing
state, through the real command."""

from __future__ import annotations

import pytest
import textfsm
from conftest import Lab, authorize_args
from golden_states import STATES, build_doc
from ntc_templates.parse import _get_template_dir

from ccxcli.cli import render

TEMPLATE = f"{_get_template_dir()}/cisco_ios_show_license_status.textfsm"


def parse_status(text: str) -> list[dict[str, str]]:
    with open(TEMPLATE, encoding="utf-8") as f:
        fsm = textfsm.TextFSM(f)
    rows = fsm.ParseText(text)  # raises textfsm.TextFSMError on a line the template calls an error
    # (older ntc-templates releases prefix the names with SL_)
    return [{k.removeprefix("SL_"): v for k, v in zip(fsm.header, row, strict=True)} for row in rows]


@pytest.mark.parametrize("state", STATES)
def test_ntc_template_reads_show_license_status_in_every_state(state: str) -> None:
    doc = build_doc(state)
    (row,) = parse_status("\n".join(render.status(doc)) + "\n")
    assert row["ENABLED"] == "ENABLED"
    shown = render.REG_TEXT[doc["registration"]["status"]]
    assert row["REG_STATUS"] == (shown if " " not in shown else "")  # the template reads one-word states
    assert row.get("TRANSPORT_TYPE", row.get("TRANSPORT")) == "Direct"
    if doc["registration"]["smart_account"]:
        assert row["SMART_ACCT"] == doc["registration"]["smart_account"]
        assert row["VIRT_ACCT"] == doc["registration"]["virtual_account"]
    auth = doc["authorization"]
    if auth["since"] and auth["status"] not in ("EVAL_MODE", "EVAL_EXPIRED", "NO_LICENSES_IN_USE"):
        assert row["LICENSE_AUTH"] == render.AUTH_TEXT[auth["status"]]


def test_ntc_template_reads_the_real_command_with_a_gateway(lab: Lab) -> None:
    lab.ok("license", "smart", "transport", "gateway", "https://ssm.lab/Transportgateway/services/DeviceRequestHandler")
    (row,) = parse_status(lab.ok("show", "license", "status").out)
    assert row.get("TRANSPORT_TYPE", row.get("TRANSPORT")) == "Gateway" and row["URL"].startswith("https://ssm.lab/")
    lab.ok("license", "smart", "transport", "direct")
    lab.register()
    (row,) = parse_status(lab.ok("show", "license", "status").out)
    assert (row["REG_STATUS"], row["SMART_ACCT"], row["VIRT_ACCT"]) == ("REGISTERED", "Demo Smart Account", "DEFAULT")
    lab.ok("--yes", "license", "smart", "deregister")
    lab.ok("license", "smart", "transport", "proxy", "proxy.lab", "3128", "--no-auth")
    (row,) = parse_status(lab.ok("show", "license", "status").out)
    if "PROXY_ADDRESS" in row:
        assert (row["PROXY_ADDRESS"], row["PROXY_PORT"]) == ("proxy.lab", "3128")


def test_labelled_codes_keep_the_code_alone_on_its_line(lab: Lab) -> None:
    lab.ok("license", "smart", "reservation", "enable")
    out = lab.ok("license", "smart", "reservation", "request", "specific").out.splitlines()
    assert "Reservation Request Code" in out[0] and out[1].startswith("CB-ZUCCX:") and len(out) == 2
    code = lab.ssm_ok(*authorize_args(out[1])).out.strip()
    assert lab.ok("license", "smart", "reservation", "install", code).out.splitlines() == [
        "Authorization code installed successfully.",  # the appliance's line, then what the code covers here
        "It reserves for this Flex node: flex-premium 5, flex-standard 20.",
    ]
    sn = lab.status()["udi"]["sn"]
    update = lab.ssm_ok("reservation", "update", sn, "--license", "flex-standard=30").out.strip()
    out = lab.ok("license", "smart", "reservation", "install", update).out.splitlines()
    assert "Confirmation Code" in out[0] and "Smart Software Manager" in out[0] and len(out[1]) == 8
    out = lab.ok("--yes", "license", "smart", "reservation", "return").out.splitlines()
    assert "Reservation Return Code" in out[0] and "-" in out[1]
