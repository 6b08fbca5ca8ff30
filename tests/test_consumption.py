"""Per-type counting, premium vs standard, the Flex rule and License Control (seed)."""

from __future__ import annotations

import pytest

from ccxcli.core.consumption import allocate, deficit, is_premium

ENT = {"flex-standard": 40, "flex-premium": 10}


@pytest.mark.parametrize(
    ("std", "prem", "fits"),
    [
        (0, 10, True),
        (0, 11, False),  # at most 10 premium
        (50, 0, True),
        (51, 0, False),  # 50 standard if no premium
        (45, 5, True),
        (46, 5, False),  # 5 premium -> 45 standard
        (40, 10, True),
        (41, 10, False),  # total 50
    ],
)
def test_flex_rule_from_the_seed(std: int, prem: int, fits: bool) -> None:
    assert (not deficit({"flex-standard": std, "flex-premium": prem}, ENT)) is fits


@pytest.mark.parametrize(
    ("agent", "premium"),
    [
        ({"skills": ["voice"]}, False),
        ({"skills": ["voice", "outbound-preview"]}, False),
        ({"skills": ["chat"]}, True),
        ({"skills": ["email"]}, True),
        ({"skills": ["outbound-predictive"]}, True),
        ({"skills": ["outbound-progressive"]}, True),
        ({"skills": ["voice"], "supervisor": True}, True),
    ],
)
def test_premium_by_configured_skills(agent: dict, premium: bool) -> None:
    assert is_premium(agent) is premium


def test_allocation_spills_standard_into_unused_premium() -> None:
    assert allocate({"flex-standard": 45, "flex-premium": 2}, ENT) == {"flex-standard": 40, "flex-premium": 7}


def _seed_control(lab) -> None:  # type: ignore[no-untyped-def]
    lab.ok("appadmin", "license", "control", "--overage", "off", "--premium-seats", "10", "--standard-seats", "40")


def test_license_control_seed_example_premium_max(lab) -> None:  # type: ignore[no-untyped-def]
    _seed_control(lab)
    lab.ok("sim", "agent", "login", "--count", "10", "--premium")
    r = lab.ccx("sim", "agent", "login", "--count", "1", "--premium")
    assert r.code == 1 and "License Control" in r.err


def test_license_control_seed_example_standard_only(lab) -> None:  # type: ignore[no-untyped-def]
    _seed_control(lab)
    lab.ok("sim", "agent", "login", "--count", "50")
    assert lab.ccx("sim", "agent", "login", "--count", "1").code == 1


def test_license_control_seed_example_mixed(lab) -> None:  # type: ignore[no-untyped-def]
    _seed_control(lab)
    lab.ok("sim", "agent", "login", "--count", "5", "--premium")
    lab.ok("sim", "agent", "login", "--count", "45")
    before = lab.snapshot()
    r = lab.ccx("sim", "agent", "login", "--count", "1")
    assert r.code == 1
    assert lab.snapshot() == before  # the refused login changed nothing


def test_overage_allowed_by_default(lab) -> None:  # type: ignore[no-untyped-def]
    lab.ok("sim", "agent", "login", "--count", "200")
    assert lab.status()["usage"][0]["count"] == 200


def test_license_control_not_applicable_to_nps(lab) -> None:  # type: ignore[no-untyped-def]
    lab.ok("appadmin", "license", "type", "nps")
    r = lab.ccx("appadmin", "license", "control", "--overage", "off")
    assert r.code == 1 and "not applicable" in r.err


@pytest.mark.parametrize(
    ("ltype", "aliases"),
    [
        ("perpetual-premium", {"premium-seat": 2, "outbound-port": 3, "server": 1}),
        ("perpetual-enhanced", {"enhanced-seat": 2, "server": 1}),
        ("ip-ivr", {"ivr-port": 4}),
        ("hcs-flex", {"hcs-flex-standard": 1, "hcs-flex-premium": 1}),
        ("nfr", {"lab-server": 1}),
    ],
)
def test_per_type_counting(lab, ltype: str, aliases: dict) -> None:  # type: ignore[no-untyped-def]
    lab.ok("appadmin", "license", "type", ltype)
    lab.ok("sim", "agent", "add", "a", "--skills", "chat")
    lab.ok("sim", "agent", "add", "b")
    lab.ok("sim", "agent", "login", "a", "b")
    lab.ok("sim", "ports", "outbound", "3")
    lab.ok("sim", "ports", "ivr", "4")
    lab.ok("sim", "ports", "inbound", "9")  # stored, never reported
    got = {u["alias"]: u["count"] for u in lab.status()["usage"]}
    assert got == aliases
