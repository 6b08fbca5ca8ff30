"""The pure licensing core: seed scenarios replayed report by report, and every timer
boundary one second before and at the threshold. Report outcomes are inputs here."""

from __future__ import annotations

from typing import Any

import pytest

from ccxcli.clock import DAY, MINUTE
from ccxcli.core import admin, engine
from ccxcli.core import timers as T
from ccxcli.core.consumption import deficit

T0 = 1_800_000_000 - 1_800_000_000 % 900  # a report boundary


def fresh(t: int = T0) -> dict[str, Any]:
    return engine.new_node("n1", "0123456789abcdef0123456789abcdef", t)


def login(node: dict[str, Any], t: int, std: int, prem: int = 0) -> None:
    node["agents"] = {f"s{i}": {"skills": ["voice"], "supervisor": False, "in": True} for i in range(std)}
    node["agents"].update({f"p{i}": {"skills": ["chat"], "supervisor": False, "in": True} for i in range(prem)})
    engine.usage_changed(node, t)


def registered(t: int = T0) -> dict[str, Any]:
    node = fresh(t)
    engine.apply_register(node, t, {"smart_account": "SA", "virtual_account": "VA", "instance": 1, "ssm": "cloud"})
    return node


def report(node: dict[str, Any], t: int, purchased_std: int) -> str:
    """One report against a pool of `purchased_std` standard licenses; returns the status."""
    sent = engine.to_report(node)
    short = deficit(sent, {"flex-standard": purchased_std, "flex-premium": 0})
    engine.apply_report(node, t, sent, {"deficit": short, "version": 1})
    return engine.authorization_status(node, t)


def test_fresh_node_is_in_evaluation_with_90_days() -> None:
    node = fresh()
    assert engine.registration_status(node) == "UNREGISTERED"
    assert engine.authorization_status(node, T0) == "EVAL_MODE"
    assert engine.eval_remaining(node, T0) == 90 * DAY


def test_seed_scenario_1_locked_usage_until_deficit_bought() -> None:
    """100 bought, 130 used for five reports -> OOC, 130 locked; 30 bought -> compliant."""
    node = registered()
    login(node, T0, 130)
    expected = ["AUTHORIZED"] * 4 + ["OUT_OF_COMPLIANCE"]
    counts = []
    for k, want in enumerate(expected, start=1):
        assert report(node, T0 + k * 900, 100) == want
        counts.append(node["comp"]["count"])
    assert counts == [1, 2, 3, 4, 5]
    assert node["comp"]["locked"] == {"flex-standard": 130, "flex-premium": 0}
    login(node, T0 + 5 * 900, 90)  # actual usage drops, the report stays locked at 130
    assert report(node, T0 + 6 * 900, 100) == "OUT_OF_COMPLIANCE"
    assert node["comp"]["reported"]["flex-standard"] == 130
    assert report(node, T0 + 7 * 900, 130) == "AUTHORIZED"  # 30 more bought
    assert node["comp"]["locked"] is None
    assert engine.to_report(node)["flex-standard"] == 90


def test_locked_usage_rises_with_a_higher_peak() -> None:
    node = registered()
    login(node, T0, 130)
    for k in range(1, 6):
        report(node, T0 + k * 900, 100)
    login(node, T0 + 5 * 900 + 1, 150)
    report(node, T0 + 6 * 900, 100)
    assert node["comp"]["locked"]["flex-standard"] == 150


def test_seed_scenario_2_two_overages_then_compliance_resets_the_count() -> None:
    node = registered()
    login(node, T0, 130)
    assert report(node, T0 + 900, 100) == "AUTHORIZED"
    assert report(node, T0 + 1800, 100) == "AUTHORIZED"
    assert node["comp"]["count"] == 2
    login(node, T0 + 1800 + 1, 100)
    node["peak"] = {"flex-standard": 100, "flex-premium": 0}
    assert report(node, T0 + 2700, 100) == "AUTHORIZED"
    assert node["comp"]["count"] == 0
    login(node, T0 + 2700 + 1, 130)
    report(node, T0 + 3600, 100)
    assert node["comp"]["count"] == 1  # "1 of 5" again


def test_alerts_follow_the_overage_count() -> None:
    node = registered()
    login(node, T0, 130)
    seen = []
    for k in range(1, 6):
        report(node, T0 + k * 900, 100)
        seen.append(sorted(node["alerts"]))
    assert seen == [["ooc-enter"], ["ooc-enter"], ["ooc-enter"], ["ooc-enter", "ooc-shortly"], ["ooc"]]


def test_peak_of_the_interval_is_reported() -> None:
    node = registered()
    login(node, T0 + 60, 20)
    login(node, T0 + 120, 5)
    assert engine.to_report(node)["flex-standard"] == 20
    report(node, T0 + 900, 100)
    assert node["comp"]["reported"]["flex-standard"] == 20
    assert engine.to_report(node)["flex-standard"] == 5


@pytest.mark.parametrize(("offset", "expired"), [(-1, False), (0, True)])
def test_evaluation_expiry_boundary(offset: int, expired: bool) -> None:
    node = fresh()
    due = engine.next_due(node, False, T0)
    assert due == (T0 + 90 * DAY, "eval_expiry")
    if T0 + 90 * DAY + offset >= due[0]:
        engine.apply_timer(node, due[0], due[1])
    assert (engine.authorization_status(node, T0 + 90 * DAY + offset) == "EVAL_EXPIRED") is expired
    assert (node["enforce"] is not None) is expired


def test_evaluation_pauses_while_registered_and_resumes_after() -> None:
    node = fresh()
    engine.apply_register(node, T0 + 10 * DAY, {"smart_account": "SA", "virtual_account": "VA"})
    assert engine.eval_remaining(node, T0 + 50 * DAY) == 80 * DAY
    engine.apply_deregister(node, T0 + 50 * DAY)
    assert engine.eval_remaining(node, T0 + 51 * DAY) == 79 * DAY


def test_registering_cures_eval_expiry_enforcement() -> None:
    node = fresh()
    engine.apply_timer(node, T0 + 90 * DAY, "eval_expiry")
    assert node["enforce"]["reason"] == "EVAL_EXPIRY"
    engine.apply_register(node, T0 + 91 * DAY, {"smart_account": "SA", "virtual_account": "VA"})
    assert node["enforce"] is None
    assert engine.authorization_status(node, T0 + 91 * DAY) == "NO_LICENSES_IN_USE"


def _run_timers(node: dict[str, Any], until: int, network: bool) -> None:
    """Drive the node's timers as the lab does, the SSM answering per `network`."""
    node["network"] = network
    while True:
        due = engine.next_due(node, False, node.get("time", T0))
        if due is None or due[0] > until:
            return
        t, kind = due
        node["time"] = t
        if kind == "report":
            sent = engine.to_report(node)
            engine.apply_report(node, t, sent, {"deficit": {}, "version": 1} if network else None)
        elif kind == "auth_renew":
            engine.apply_auth_renew(node, t, network)
        elif kind == "id_renew":
            engine.apply_id_renew(node, t, network)
        else:
            engine.apply_timer(node, t, kind)


@pytest.mark.parametrize(("offset", "status"), [(-1, "AUTHORIZED"), (0, "AUTH_EXPIRED")])
def test_authorization_expires_90_days_after_last_communication(offset: int, status: str) -> None:
    node = registered()
    login(node, T0, 3)
    _run_timers(node, T0 + T.AUTH_DEADLINE + offset, network=False)
    assert engine.authorization_status(node, T0 + T.AUTH_DEADLINE + offset) == status


@pytest.mark.parametrize(("offset", "enforced"), [(-1, False), (0, True)])
def test_auth_expiry_enforcement_after_90_more_days(offset: int, enforced: bool) -> None:
    node = registered()
    _run_timers(node, T0 + T.AUTH_DEADLINE + T.AUTH_OVERAGE + offset, network=False)
    assert (node["enforce"] is not None) is enforced
    if enforced:
        assert node["enforce"]["reason"] == "AUTH_EXPIRY"
        engine.apply_auth_renew(node, T0 + 200 * DAY, True, manual=True)
        assert node["enforce"] is None


def test_renewals_keep_a_connected_node_authorized_for_years() -> None:
    node = registered()
    login(node, T0, 3)
    _run_timers(node, T0 + 3650 * DAY, network=True)
    assert engine.authorization_status(node, T0 + 3650 * DAY) == "AUTHORIZED"
    assert node["reg"]["status"] == "REGISTERED"
    assert node["auth"]["ok"] > T0 + 3620 * DAY


@pytest.mark.parametrize(("offset", "status"), [(-1, "REGISTERED"), (0, "REGISTRATION_EXPIRED")])
def test_registration_expires_after_12_months_without_renewal(offset: int, status: str) -> None:
    node = registered()
    _run_timers(node, T0 + T.ID_VALID + offset, network=False)
    assert node["reg"]["status"] == status


@pytest.mark.parametrize(("offset", "enforced"), [(-1, False), (0, True)])
def test_ooc_enforcement_after_90_days(offset: int, enforced: bool) -> None:
    node = registered()
    login(node, T0, 130)
    for k in range(1, 6):
        report(node, T0 + k * 900, 100)
    ooc_since = node["comp"]["ooc_since"]
    due = engine.next_due(node, False, ooc_since)
    assert due is not None
    while due is not None and due[0] <= ooc_since + T.OOC_GRACE + offset:
        if due[1] == "report":
            report(node, due[0], 100)
        elif due[1] == "auth_renew":
            engine.apply_auth_renew(node, due[0], True)
        else:
            engine.apply_timer(node, due[0], due[1])
        due = engine.next_due(node, False, due[0])
    assert (node["enforce"] is not None) is enforced
    if enforced:
        assert node["enforce"]["reason"] == "OOC_EXPIRY"
        with pytest.raises(Exception, match="OOC_EXPIRY"):
            admin.check_sync(node, "add agent x")
        assert report(node, due[0] if due else T0, 200) == "AUTHORIZED"  # licenses bought
        assert node["enforce"] is None


def test_steady_usage_needs_no_reports_once_stable() -> None:
    node = registered()
    login(node, T0, 3)
    report(node, T0 + 900, 100)
    due = engine.next_due(node, False, T0 + 900)
    assert due is not None and due[1] != "report"
    assert engine.next_due(node, True, T0 + 900) == (T0 + 1800, "report")  # the pool changed


def test_report_boundaries_are_quarter_hours() -> None:
    assert T.next_boundary(T0) == T0 + 15 * MINUTE
    assert T.next_boundary(T0 + 1) == T0 + 15 * MINUTE
    assert T.next_boundary(T0 - 1) == T0


def test_forced_reregistration_cures_auth_expiry_enforcement() -> None:
    node = registered()
    engine.apply_timer(node, T0 + 90 * DAY, "auth_expiry")
    engine.apply_timer(node, T0 + 180 * DAY, "auth_enforce")
    assert node["enforce"]["reason"] == "AUTH_EXPIRY"
    engine.apply_register(node, T0 + 181 * DAY, {"smart_account": "SA", "virtual_account": "VA"})
    assert node["enforce"] is None
    assert engine.authorization_status(node, T0 + 181 * DAY) == "NO_LICENSES_IN_USE"


@pytest.mark.parametrize(
    ("t", "target", "period", "expected"),
    [
        (0, 0, 10, (0, 0)),
        (0, 9, 10, (0, 0)),
        (0, 10, 10, (10, 1)),
        (5, 100, 10, (95, 9)),
        (7, 7 + 30 * 86400, 86400, (7 + 30 * 86400, 30)),
    ],
)
def test_periodic_renewals_in_one_move_are_applied_as_the_last(
    t: int, target: int, period: int, expected: tuple[int, int]
) -> None:
    assert engine.renewals_up_to(t, target, period) == expected
