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
    if ltype != "ip-ivr":  # IP IVR has no agents
        lab.ok("sim", "agent", "add", "a", "--skills", "voice" if ltype == "perpetual-enhanced" else "chat")
        lab.ok("sim", "agent", "add", "b")
        lab.ok("sim", "agent", "login", "a", "b")
    lab.ok("sim", "ports", "outbound", "3")
    lab.ok("sim", "ports", "ivr", "4")
    lab.ok("sim", "ports", "inbound", "9")  # stored, never reported
    got = {u["alias"]: u["count"] for u in lab.status()["usage"]}
    assert got == aliases


def test_license_control_limits_perpetual_types_without_the_server_license(lab) -> None:  # type: ignore[no-untyped-def]
    lab.ok("appadmin", "license", "type", "perpetual-premium")
    lab.ok("appadmin", "license", "control", "--agent-seats", "3", "--outbound-ports", "2", "--overage", "off")
    lab.ok("sim", "agent", "login", "--count", "1")
    lab.ok("sim", "ports", "outbound", "1")
    lab.ok("sim", "agent", "login", "--count", "2")
    r = lab.refused(["sim", "agent", "login", "--count", "1"], "License Control")
    assert "premium-seat short by 1" in r.err and "server" not in r.err
    lab.refused(["sim", "ports", "outbound", "3"], "outbound-port short by 1")
    lab.ok("appadmin", "license", "type", "perpetual-enhanced")
    assert lab.status()["license_control"] == {"overage": False}  # the fields of the old type are gone
    lab.ok("appadmin", "license", "control", "--agent-seats", "4")
    lab.refused(["appadmin", "license", "control", "--outbound-ports", "2"], "does not apply", code=2)


def test_perpetual_enhanced_offers_inbound_voice_only(lab) -> None:  # type: ignore[no-untyped-def]
    lab.ok("sim", "agent", "add", "chatty", "--skills", "chat")
    lab.ok("sim", "agent", "login", "chatty")
    lab.refused(["appadmin", "license", "type", "perpetual-enhanced"], "Perpetual Enhanced includes Inbound Voice only")
    lab.ok("sim", "agent", "logout", "--all")
    lab.ok("appadmin", "license", "type", "perpetual-enhanced")
    lab.refused(["sim", "agent", "login", "chatty"], "agent chatty has Chat")
    lab.refused(["sim", "agent", "add", "mailer", "--skills", "email"], "Perpetual Enhanced")
    lab.refused(["sim", "agent", "login", "--count", "1", "--premium"], "Perpetual Enhanced")
    lab.ok("sim", "agent", "add", "talker", "--skills", "voice", "--supervisor")
    lab.ok("sim", "agent", "login", "talker")


def test_flex_fields_only_on_flex(lab) -> None:  # type: ignore[no-untyped-def]
    lab.ok("show", "license", "UDI")
    lab.refused(["appadmin", "license", "control", "--agent-seats", "3"], "does not apply to Flex", code=2)


def test_the_ova_profile_limits_agents(lab) -> None:  # type: ignore[no-untyped-def]
    lab.ok("sim", "node", "create", "small", "--ova", "100")
    st = lab.status("small")
    assert st["ova"] == {"profile": "100", "max_agents": 100}
    lab.ok("--node", "small", "sim", "agent", "login", "--count", "100")
    r = lab.refused(["--node", "small", "sim", "agent", "login", "--count", "1"], "OVA profile")
    assert "at most 100" in r.err
    assert "OVA Profile: 100 agents" in lab.ok("--node", "small", "show", "license", "all").out
    assert "OVA Profile     : 100 agents" in lab.ok("--node", "small", "show", "status").out


def test_consumption_report_on_a_fresh_node(lab) -> None:  # type: ignore[no-untyped-def]
    rows = lab.ok("--json", "appadmin", "license", "consumption").json["intervals"]
    assert len(rows) == 1 and rows[0]["status"] == "InProgress" and rows[0]["reported"] is None
    lab.register()
    lab.ok("sim", "agent", "login", "--count", "2")
    lab.ok("sim", "clock", "advance", "1h")
    rows = lab.ok("--json", "appadmin", "license", "consumption").json["intervals"]
    assert rows[-1]["status"] == "InProgress" and rows[-2]["status"] == "InCompliance"


def test_classic_node_is_not_in_eval_mode(lab) -> None:  # type: ignore[no-untyped-def]
    lab.ok("sim", "node", "create", "old", "--classic")
    st = lab.status("old")
    assert st["smart_licensing"] == "DISABLED" and st["authorization"]["status"] == "NOT_APPLICABLE"


def test_inbound_ports_are_shown(lab) -> None:  # type: ignore[no-untyped-def]
    lab.ok("sim", "ports", "inbound", "7")
    assert "inbound 7" in lab.ok("show", "license", "all").out
    assert lab.status()["ports"]["inbound"] == 7


@pytest.mark.parametrize(
    "setup, message",
    [
        (
            lambda n: n.update(classic=True, classic_license={"counts": {"flex-standard": 1}}),
            "Refused: 2 agents logging in would exceed the installed Classic licenses (flex-standard short by 1).",
        ),
        (
            lambda n: n["slr"].update(installed={"counts": {"flex-standard": 1}}),
            "Refused: 2 agents logging in would exceed the reserved licenses (flex-standard short by 1); "
            "over-consumption is not allowed under Specific License Reservation.",
        ),
        (
            lambda n: n["control"].update(overage=False, standard_seats=1),
            "Refused by License Control: 2 agents logging in would exceed the configured limit "
            "(flex-standard short by 1); raise the limit or allow overage.",
        ),
    ],
)
def test_admission_refusals_name_what_is_short(setup, message: str) -> None:  # type: ignore[no-untyped-def]
    from ccxcli.core import admin, engine
    from ccxcli.errors import RuleError

    node = engine.new_node("n", "0" * 32, 0)
    setup(node)
    admin.check_admission(node, {"flex-standard": 1}, "2 agents logging in", 0)  # within every limit
    with pytest.raises(RuleError) as e:
        admin.check_admission(node, {"flex-standard": 2, "flex-premium": 0}, "2 agents logging in", 0)
    assert e.value.message == message


def test_a_flex_standard_limit_holds_when_the_premium_field_is_empty(lab) -> None:  # type: ignore[no-untyped-def]
    """`--standard-seats 2` alone caps standard agents at 2 (premium agents stay unlimited);
    with both fields set, the Flex rule lets standard agents take unused premium seats."""
    lab.ok("appadmin", "license", "control", "--overage", "off", "--standard-seats", "2")
    lab.ok("sim", "agent", "login", "--count", "2")
    lab.refused(["sim", "agent", "login", "--count", "1"], "flex-standard short by 1")
    lab.ok("sim", "agent", "login", "--count", "3", "--premium")
    lab.ok("appadmin", "license", "control", "--premium-seats", "4")
    lab.ok("sim", "agent", "login", "--count", "1")  # takes the 4th, unused premium seat
    lab.refused(["sim", "agent", "login", "--count", "1"], "flex-standard short by 1")


def test_a_90_day_consumption_report_per_hour_or_per_day(lab) -> None:  # type: ignore[no-untyped-def]
    lab.register()
    start = lab.ok("--json", "sim", "clock", "show").json["now"]
    lab.ok("sim", "agent", "login", "--count", "5")
    lab.ok("sim", "clock", "advance", "30d")
    lab.ok("sim", "agent", "login", "--count", "3")
    lab.ok("sim", "clock", "advance", "60d")
    r = lab.ccx("appadmin", "license", "consumption", "--from", start)
    assert r.code == 2 and "use --interval 1h or 1d" in r.err  # 8,640 intervals of 15 minutes
    r = lab.ccx("appadmin", "license", "consumption", "--from", start, "--interval", "1h")
    assert r.code == 2 and "use --interval 1d for longer" in r.err
    days = lab.ok("--json", "appadmin", "license", "consumption", "--from", start, "--interval", "1d").json["intervals"]
    assert len(days) == 91 and days[1]["actual"] == {"flex-standard": 5, "flex-premium": 0}
    assert days[-2]["actual"]["flex-standard"] == 8 and days[-2]["reported"]["flex-standard"] == 8
    assert days[-1]["status"] == "InProgress"  # today: its last interval is not over
    quarters = lab.ok(
        "--json", "appadmin", "license", "consumption", "--from", days[30]["start"], "--to", days[30]["end"]
    ).json["intervals"]
    assert len(quarters) == 96 and days[30]["actual"] == {
        a: max(q["actual"].get(a, 0) for q in quarters) for a in days[30]["actual"]
    }  # the peak of its intervals
    chart = lab.ok("appadmin", "license", "consumption", "--from", start, "--interval", "1d", "--chart").out
    assert len(chart.splitlines()) == 92 and "full width = 8" in chart
    assert lab.ccx("appadmin", "license", "consumption", "--interval", "2h").code == 2
