"""Transports as VOS releases have them (issue 37, item 3): Call Home (`direct`) and Smart
Transport (`smart`) with Cisco's default URLs, the failure line each writes, and a Cisco root CA
change drilled: a node that trusts only the QuoVadis root cannot reach Cisco's servers once they
chain to the IdenTrust root, until its trust store has the new one. The lab starts at
2026-03-02T09:07:30Z (conftest)."""

from __future__ import annotations

import pytest
from conftest import Lab
from test_clients import parse

from ccxcli.core import transports
from ccxcli.core.state import Transport

CALLHOME = "https://tools.cisco.com/its/service/oddce/services/DDCEService"
SMART = "https://smartreceiver.cisco.com/licservice/license"
GATEWAY = "https://ssm.dark.lab/Transportgateway/services/DeviceRequestHandler"


@pytest.mark.parametrize(
    ("mode", "url", "line"),
    [
        ("direct", CALLHOME, "Fail to send out Call Home HTTP message"),
        ("smart", SMART, "Communication message send error"),
        ("proxy", CALLHOME, "Fail to send out Call Home HTTP message"),
        ("gateway", None, "Fail to send out Call Home HTTP message"),
        ("ssm-satellite", None, "Communication message send error"),
    ],
)
def test_each_transport_has_its_url_and_failure_line(mode: str, url: str | None, line: str) -> None:
    tr: Transport = {"mode": mode}
    if url is None:
        tr["url"] = "https://ssm.lab/x"
    assert transports.url(tr) == (url or "https://ssm.lab/x")
    assert transports.failed_line(tr) == line
    assert transports.reaches_cisco(tr) == (url is not None)


def test_a_root_is_trusted_unless_the_store_lacks_it() -> None:
    assert transports.untrusted_root(None, "identrust") is None  # a current release trusts both
    assert transports.untrusted_root(["quovadis"], "quovadis") is None
    why = transports.untrusted_root(["quovadis"], "identrust")
    assert why is not None and "IdenTrust Commercial Root CA 1, which this node does not trust" in why


def test_smart_transport_and_call_home_show_their_urls(lab: Lab) -> None:
    shown = lab.ok("show", "license", "status").out
    assert f"Transport:\n  Type: Direct\n  URL: {CALLHOME}\n  Network: UP" in shown  # UCCX 12.5's default
    r = lab.ok("license", "smart", "transport", "smart")
    assert "Transport settings updated successfully." in r.out
    assert lab.status()["transport"] == {"mode": "smart", "url": SMART}
    shown = lab.ok("show", "license", "status").out
    assert f"  Type: Smart Transport\n  URL: {SMART}\n" in shown
    (parsed,) = parse("show license status", shown)  # as the TextFSM template ccxcli ships reads it
    assert (parsed["TRANSPORT_TYPE"], parsed["TRANSPORT_URL"]) == ("Smart Transport", SMART)
    tok = lab.ssm_ok("token", "create").out.strip()
    lab.ok("license", "smart", "register", "idtoken", tok)  # Smart Transport reaches the lab's Cisco SSM
    assert lab.status()["registration"]["status"] == "REGISTERED"
    lab.refused(["license", "smart", "transport", "direct"], "deregister first")


@pytest.mark.parametrize(("mode", "line"), [("direct", transports.CALLHOME_FAILED), ("smart", transports.SMART_FAILED)])
def test_a_failed_message_logs_the_transports_line(lab: Lab, mode: str, line: str) -> None:
    lab.ok("license", "smart", "transport", mode)
    tok = lab.ssm_ok("token", "create").out.strip()
    lab.ok("license", "smart", "register", "idtoken", tok)
    lab.ok("sim", "agent", "login", "--count", "3")
    lab.ok("sim", "network", "down")
    lab.ok("sim", "clock", "advance", "31d")
    events = [e["message"] for e in lab.ok("--json", "appadmin", "events").json["events"]]
    assert f"Usage report to Cisco SSM failed; will retry ({line})" in events
    assert f"Authorization renewal failed: Cisco SSM not reachable ({line})" in events


def test_a_cisco_root_ca_change_fails_a_node_that_trusts_only_the_old_root(lab: Lab) -> None:
    lab.ok("sim", "lab", "cisco-root-ca", "quovadis")  # before the change: Cisco's servers chain to QuoVadis
    lab.ok("sim", "trust-store", "legacy")  # a node whose trust store has only the QuoVadis root
    tok = lab.ssm_ok("token", "create").out.strip()
    lab.ok("license", "smart", "register", "idtoken", tok)
    lab.ok("sim", "clock", "advance", "1d")
    assert lab.status()["authorization"]["status"] == "NO_LICENSES_IN_USE"

    lab.ok("sim", "lab", "cisco-root-ca", "identrust")  # Cisco moves to the IdenTrust root
    r = lab.ccx("license", "smart", "renew", "auth")
    assert r.code != 0 and "Traceback" not in r.err
    assert f"{transports.CALLHOME_FAILED}: the server's certificate chains to IdenTrust Commercial Root CA 1" in r.err
    lab.ok("sim", "clock", "advance", "31d")  # every automatic renewal fails the same way
    events = [e["message"] for e in lab.ok("--json", "appadmin", "events").json["events"]]
    assert "Authorization renewal failed: Cisco SSM not reachable (Fail to send out Call Home HTTP message)" in events
    assert lab.status()["authorization"]["status"] != "AUTH_EXPIRED"  # not yet: 90 days

    lab.ok("sim", "trust-store", "current")  # the fix: the new root in the trust store
    lab.ok("license", "smart", "renew", "auth")
    assert lab.status()["authorization"]["status"] == "NO_LICENSES_IN_USE"
    lab.ok("--yes", "license", "smart", "deregister")
    # an SSM On-Prem's own certificate is not Cisco's: the root change does not touch it
    lab.ok("sim", "trust-store", "legacy")
    lab.ok("license", "smart", "transport", "gateway", GATEWAY)
    lab.ssm_ok("--ssm", "dark", "init", "--on-prem", "--hostname", "ssm.dark.lab", "--mode", "disconnected")
    tok = lab.ssm_ok("--ssm", "dark", "token", "create").out.strip()
    lab.ok("license", "smart", "register", "idtoken", tok)
    assert lab.status()["registration"]["status"] == "REGISTERED"
