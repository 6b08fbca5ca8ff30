"""The rest of the seed (issue 12): steady reports, injected failures and their alerts,
export-controlled permission, SSM schema migrations, SSM On-Prem synchronisation, and the
Classic-to-Smart migration."""

from __future__ import annotations

from typing import Any

from conftest import Lab

from ccxcli.clock import iso


def instance(lab: Lab) -> dict[str, Any]:
    return lab.ssm_ok("--json", "instance", "list").json["instances"][0]  # type: ignore[no-any-return]


def alert_keys(lab: Lab, node: str | None = None) -> set[str]:
    return {a["key"] for a in lab.status(node)["alerts"]}


# --- steady usage reaches the SSM every 15 minutes -------------------------------------------------


def test_steady_usage_reaches_the_ssm_every_interval(lab: Lab) -> None:
    lab.register()
    lab.ok("sim", "agent", "login", "--count", "3")
    start = lab.ok("--json", "sim", "clock", "show").json["epoch"]
    r = lab.ok("--json", "sim", "clock", "advance", "40d")
    assert r.json["events_processed"] <= 3  # still event driven: no step per interval
    last_boundary = (start + 40 * 86400) // 900 * 900
    assert instance(lab)["last_contact"] == iso(last_boundary)
    alerts = lab.ssm_ok("--json", "alerts").json["alerts"]
    assert not any(a["type"] in ("Failed to Renew", "Failed to Connect") for a in alerts)
    shown = lab.ssm_ok("--json", "instance", "show", "1").json["usage_history"]
    assert shown[-1]["to"] == iso(last_boundary) and shown[-1]["usage"]["flex-standard"] == 3
    lab.ok("sim", "network", "down")
    lab.ok("sim", "clock", "advance", "31d")
    alerts = lab.ssm_ok("--json", "alerts").json["alerts"]
    assert any(a["type"] == "Failed to Renew" for a in alerts)  # the reports stopped with the network


# --- injected failures ------------------------------------------------------------------------------


def test_license_computation_fault_raises_and_clears_its_alert(lab: Lab) -> None:
    lab.register()
    lab.ok("sim", "agent", "login", "--count", "2")
    lab.ok("sim", "clock", "advance", "15m")
    lab.ok("sim", "fault", "license-computation", "on")
    assert "computation" not in alert_keys(lab)  # raised at the next computation, not before
    lab.ok("sim", "agent", "login", "--count", "5")
    lab.ok("sim", "clock", "advance", "1h")
    assert "computation" in alert_keys(lab)
    assert instance(lab)["usage"]["flex-standard"] == 2  # nothing was reported meanwhile
    events = [e["message"] for e in lab.ok("--json", "appadmin", "events").json["events"]]
    assert any("License Computation failure" in m for m in events)
    lab.ok("sim", "fault", "license-computation", "off")
    lab.ok("sim", "clock", "advance", "15m")
    assert "computation" not in alert_keys(lab)
    assert instance(lab)["usage"]["flex-standard"] == 7


def test_agent_init_fault_refuses_initializations_and_clears(lab: Lab) -> None:
    lab.ok("sim", "fault", "agent-init", "on")
    r = lab.ccx("license", "smart", "transport", "direct")
    assert r.code == 1 and "Smart Agent could not initialize" in r.err
    assert "agent-init" in alert_keys(lab)
    tok = lab.ssm_ok("token", "create").out.strip()
    assert lab.ccx("license", "smart", "register", "idtoken", tok).code == 1
    assert lab.status()["registration"]["status"] == "UNREGISTERED"
    lab.ok("sim", "fault", "agent-init", "off")
    assert "agent-init" in alert_keys(lab)  # cleared by the next successful initialization
    lab.ok("license", "smart", "register", "idtoken", tok)
    assert "agent-init" not in alert_keys(lab)


def test_ssm_error_and_slow_faults_fail_exchanges_with_the_seed_alerts(lab: Lab) -> None:
    lab.register()
    lab.ok("sim", "agent", "login", "--count", "2")
    for fault, words in (("ssm-error", "answered with an error"), ("ssm-slow", "no answer in time")):
        lab.ok("sim", "fault", fault, "on")
        r = lab.ccx("license", "smart", "renew", "auth")
        assert r.code == 4 and words in r.err
        lab.ok("sim", "clock", "advance", "30m")
        assert {"renew-auth", "reporting"} <= alert_keys(lab)
        lab.ok("sim", "fault", fault, "off")
        lab.ok("sim", "clock", "advance", "15m")
        assert "reporting" not in alert_keys(lab)  # the report is tried again once the SSM answers
        lab.ok("license", "smart", "renew", "auth")
        assert "renew-auth" not in alert_keys(lab)
    assert [f["on"] for f in lab.ok("--json", "sim", "fault", "list").json["faults"]] == [False] * 4


# --- export-controlled functionality per account -----------------------------------------------------


def test_export_controlled_tokens_only_for_permitted_accounts(lab: Lab, tmp_path: Any) -> None:
    lab.ok("show", "license", "UDI")
    lab.ssm_ok("token", "create", "--export-controlled")  # the demo account is permitted
    other = ["--ssm", str(tmp_path / "other")]
    lab.ssm_ok(*other, "init", "--account", "Restricted")
    lab.refused([*other, "token", "create", "--export-controlled"], "not permitted", ssm=True)
    lab.ssm_ok(*other, "token", "create")
    assert lab.ssm_ok(*other, "--json", "account", "show").json["export_controlled_allowed"] is False
    lab.ssm_ok(*other, "account", "set", "--export-controlled", "allowed")
    lab.ssm_ok(*other, "token", "create", "--export-controlled")
