"""Subscription terms (issue 37, item 1): licenses deposited with a start and an end date count
in the pool only during their term; CSSM's Licenses Expiring (90, 60, 30, 14, 7, 3 and 1 days
before), Licenses Expired and Reserved License Expired; a registered node over the pool after
an end goes out of compliance; an SLR code carries the term's dates and the node stops counting
those licenses at the end. The lab starts at 2026-03-02T09:07:30Z (conftest)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import Lab
from test_clients import parse

from ccxcli.clock import DAY, parse_time
from ccxcli.core import terms
from ccxcli.core.state import Term
from ccxcli.errors import RuleError, UsageError
from ccxcli.protocol import codes

T = ["license", "smart", "reservation"]
NOW = parse_time("2026-03-02T09:07:30Z")


# --- pure rules -----------------------------------------------------------------------------


def test_term_dates_count_to_the_end_of_the_last_day() -> None:
    starts, ends = terms.dates("2026-04-01", "2026-06-30", NOW)
    assert (terms.date_text(starts), terms.last_day(ends)) == ("2026-04-01", "2026-06-30")
    assert ends == parse_time("2026-07-01T00:00:00Z")  # they leave the pool the day after
    starts, ends = terms.dates(None, "1y", NOW)  # from today, one calendar year
    assert (terms.date_text(starts), terms.last_day(ends)) == ("2026-03-02", "2027-03-01")
    assert terms.last_day(terms.dates(None, "90d", NOW)[1]) == "2026-05-30"
    for bad in ("2026-13-01", "tomorrow", "2026-6-30"):
        with pytest.raises(UsageError):
            terms.dates(None, bad, NOW)
    with pytest.raises(UsageError, match="before it starts"):
        terms.check_dates(*terms.dates("2026-06-01", "2026-05-01", NOW), NOW)
    with pytest.raises(UsageError, match="ended on 2026-03-01"):
        terms.check_dates(*terms.dates("2026-01-01", "2026-03-01", NOW), NOW)


@pytest.mark.parametrize(
    ("days_left", "within"),
    [
        (120, None),
        (91, None),
        (90, 90),
        (61, 90),
        (60, 60),
        (31, 60),
        (30, 30),
        (15, 30),
        (14, 14),
        (8, 14),
        (7, 7),
        (4, 7),
        (3, 3),
        (2, 3),
        (1, 1),
        (0.5, 1),
    ],
)
def test_expiring_warnings_follow_cisco_lead_times(days_left: float, within: int | None) -> None:
    ends = NOW + int(days_left * DAY)
    assert terms.expiring_within(ends, NOW) == within
    assert terms.expiring_within(ends, ends) is None  # ended: no longer "expiring"


def test_a_code_lists_term_entitlements_with_their_dates_and_reads_them_back() -> None:
    priv, pub = codes.new_signing_key()
    term: Term = {
        "alias": "flex-standard",
        "count": 5,
        "starts": NOW - NOW % DAY,
        "ends": NOW + 30 * DAY,
        "sub": "Sub100001",
    }
    term["ends"] -= term["ends"] % DAY
    code = codes.make_authorization(
        priv, "0123456789abcdef", NOW * 1000, {"flex-standard": 20}, "abcde", "0" * 27 + "abcde", (term,)
    )
    assert "<count>15</count><startDate></startDate><endDate></endDate><licenseType>PERPETUAL" in code
    assert f"<count>5</count><startDate>2026-03-02</startDate><endDate>{terms.last_day(term['ends'])}</endDate>" in code
    assert "<licenseType>TERM</licenseType>" in code and "<subscriptionID>Sub100001</subscriptionID>" in code
    auth = codes.parse_authorization(code)
    assert auth.counts == {"flex-standard": 20} and auth.terms == (term,)
    codes.verify_authorization(auth, [pub])
    moved = code.replace(f"<endDate>{terms.last_day(term['ends'])}</endDate>", "<endDate>2099-12-31</endDate>")
    with pytest.raises(RuleError, match="signature is not valid"):  # a later end cannot be typed in
        codes.verify_authorization(codes.parse_authorization(moved), [pub])
    twice = code.replace("<subscriptionID>Sub100001</subscriptionID>", "<subscriptionID></subscriptionID>")
    with pytest.raises(RuleError, match="malformed term"):
        codes.parse_authorization(twice)
    half = code.replace("<startDate>2026-03-02</startDate>", "<startDate>2026-02-30</startDate>")
    with pytest.raises(RuleError, match="malformed term dates"):
        codes.parse_authorization(half)


# --- the SSM ----------------------------------------------------------------------------------


def _subs(lab: Lab) -> dict[str, dict[str, object]]:
    return {t["subscription"]: t for t in lab.ssm_ok("--json", "license", "list").json["terms"]}


def test_a_term_counts_in_the_pool_from_its_start_to_its_end(lab: Lab) -> None:
    lab.ok("show", "license", "status")  # the lab, its demo pool (flex-standard 40)
    added = lab.ssm_ok(
        "--json", "license", "add", "flex-standard", "10", "--starts", "2026-03-10", "--ends", "2026-04-30"
    )
    assert added.json["subscription"] == "Sub100001" and added.json["status"] == "NOT_STARTED"
    assert lab.pool()["flex-standard"]["purchased"] == 40  # not started yet
    lab.refused(
        ["license", "add", "flex-standard", "1", "--starts", "2026-03-10"], "--starts needs --ends", ssm=True, code=2
    )
    lab.refused(["license", "add", "flex-standard", "1", "--ends", "2026-01-31"], "term ended on", ssm=True, code=2)

    lab.ok("sim", "clock", "advance", "8d")  # 2026-03-10T09:07:30Z: in term
    assert lab.pool()["flex-standard"]["purchased"] == 50
    assert _subs(lab)["Sub100001"]["status"] == "ACTIVE"
    assert lab.ssm_ok("--json", "alerts").json["alerts"][0]["type"] == "Licenses Expiring"  # 51 days left
    lab.ssm_ok("va", "create", "Sales")
    lab.refused(
        ["license", "transfer", "flex-standard", "41", "--from", "DEFAULT", "--to", "Sales"],
        "Only 40 of the flex-standard in 'DEFAULT' are perpetual",
        ssm=True,
    )

    lab.ok("sim", "clock", "set", "2026-04-30T23:59:59Z")
    assert lab.pool()["flex-standard"]["purchased"] == 50  # its last day still counts
    lab.ok("sim", "clock", "advance", "1s")
    assert lab.pool()["flex-standard"]["purchased"] == 40
    assert _subs(lab)["Sub100001"]["status"] == "EXPIRED"
    (expired,) = lab.ssm_ok("--json", "alerts").json["alerts"]
    assert expired["type"] == "Licenses Expired" and "Sub100001 expired on 2026-04-30" in expired["message"]
    events = lab.ssm_ok("--json", "events", "--last", "3").json["events"]
    assert events[-1]["kind"] == "term-ended" and events[-1]["time"] == "2026-05-01T00:00:00Z"
    lab.ok("sim", "clock", "advance", "31d")
    assert lab.ssm_ok("--json", "alerts").json["alerts"] == []  # listed for 30 days


def test_licenses_expiring_is_raised_again_at_each_lead_time(lab: Lab) -> None:
    lab.ok("show", "license", "status")
    lab.ssm_ok("license", "add", "flex-premium", "4", "--ends", "2026-09-30")  # ends 2026-10-01
    seen = []
    for when in (
        "2026-06-01",
        "2026-07-03",
        "2026-08-02",
        "2026-09-01",
        "2026-09-17",
        "2026-09-24",
        "2026-09-28",
        "2026-09-30",
    ):
        lab.ok("sim", "clock", "set", when + "T12:00:00Z")
        alerts = lab.ssm_ok("--json", "alerts").json["alerts"]
        seen.append([a["message"].split("(within ")[-1] for a in alerts if a["type"] == "Licenses Expiring"])
    assert seen == [[], ["90 days)"], ["60 days)"], ["30 days)"], ["14 days)"], ["7 days)"], ["3 days)"], ["1 day)"]]
    (last,) = [a for a in lab.ssm_ok("--json", "alerts").json["alerts"] if a["type"] == "Licenses Expiring"]
    assert last["due"] == "2026-10-01T00:00:00Z" and last["source"] == "Sub100001" and last["severity"] == "major"


def test_a_registered_node_goes_out_of_compliance_when_a_term_leaves_the_pool(lab: Lab) -> None:
    lab.ok("show", "license", "status")
    lab.ssm_ok("license", "add", "flex-standard", "20", "--ends", "2026-03-31")
    tok = lab.ssm_ok("token", "create").out.strip()
    lab.ok("license", "smart", "register", "idtoken", tok)
    lab.ok("sim", "agent", "login", "--count", "65")  # 60 standard in the pool, 10 premium to borrow
    lab.ok("sim", "clock", "advance", "2h")
    assert lab.status()["authorization"]["status"] == "AUTHORIZED"
    lab.ok("sim", "clock", "set", "2026-04-01T03:00:00Z")  # the term ended at 00:00
    assert lab.pool()["flex-standard"]["purchased"] == 40
    assert lab.status()["authorization"]["status"] == "OUT_OF_COMPLIANCE"
    kinds = {a["type"] for a in lab.ssm_ok("--json", "alerts").json["alerts"]}
    assert kinds == {"Insufficient Licenses", "Licenses Expired"}
    lab.ssm_ok("license", "add", "flex-standard", "20", "--ends", "1y")  # the renewal
    lab.ok("sim", "clock", "advance", "2h")
    assert lab.status()["authorization"]["status"] == "AUTHORIZED"


def _reserved_node(lab: Lab, tmp_path: Path, std: int) -> str:
    lab.ok(*T, "enable")
    req = lab.ok("--json", *T, "request").json["request_code"]
    code = lab.ssm_ok("reservation", "authorize", "--request", req, "--license", f"flex-standard={std}").out.strip()
    (tmp_path / "auth.xml").write_text(code)
    lab.ok(*T, "install-file", str(tmp_path / "auth.xml"))
    return code


def test_an_slr_code_carries_the_term_and_the_node_stops_counting_it_at_the_end(lab: Lab, tmp_path: Path) -> None:
    lab.ok("show", "license", "status")
    lab.ssm_ok("license", "add", "flex-standard", "10", "--ends", "2026-03-31")
    code = _reserved_node(lab, tmp_path, 45)  # 40 perpetual, then 5 of the term
    assert "<count>40</count><startDate></startDate>" in code
    assert "<count>5</count><startDate>2026-03-02</startDate><endDate>2026-03-31</endDate>" in code
    lab.ok("sim", "agent", "login", "--count", "44")
    res = lab.status()["reservation"]
    assert res["reserved"] == {"flex-standard": 45}
    assert res["terms"] == [
        {
            "alias": "flex-standard",
            "count": 5,
            "subscription": "Sub100001",
            "start_date": "2026-03-02",
            "end_date": "2026-03-31",
            "in_force": True,
            "ended": False,
        }
    ]
    shown = lab.ok("show", "license", "reservation").out
    assert "  Term (flex-standard, subscription Sub100001):\n    License Type: TERM\n    Count: 5" in shown
    (parsed,) = parse("show license reservation", shown)  # the TextFSM template ccxcli ships reads it
    assert parsed["RESERVED"] == ["flex-standard: 45"] and parsed["TERM_SUBSCRIPTIONS"] == ["Sub100001"]
    assert (parsed["TERM_END_DATES"], parsed["TERM_STATUSES"]) == (["2026-03-31"], ["Active"])

    lab.ok("sim", "clock", "set", "2026-04-01T00:00:00Z")
    status = lab.status()
    assert status["authorization"]["status"] == "NOT_AUTHORIZED_RESERVED"
    assert {u["alias"]: u["entitled"] for u in status["usage"]}["flex-standard"] == 40
    assert "Term Status: Expired" in lab.ok("show", "license", "reservation").out
    events = lab.ok("--json", "appadmin", "events").json["events"]
    assert any("Reserved licenses expired: 5 flex-standard of subscription Sub100001" in e["message"] for e in events)
    lab.refused(["sim", "agent", "login", "--count", "1"], "short by 5")
    pool = lab.pool()["flex-standard"]
    assert (pool["purchased"], pool["reserved"], pool["balance"]) == (40, 45, -5)  # the SSM cannot take them back
    alerts = {a["type"]: a for a in lab.ssm_ok("--json", "alerts").json["alerts"]}
    assert "5 flex-standard (Sub100001, ended 2026-03-31)" in alerts["Reserved License Expired"]["message"]

    # a new subscription and an update: the new code takes the new term, the alert clears
    lab.ssm_ok("license", "add", "flex-standard", "10", "--ends", "2027-03-31")
    new = lab.ssm_ok("reservation", "update", "1", "--license", "flex-standard=45").out.strip()
    assert "<endDate>2027-03-31</endDate>" in new and "2026-03-31" not in new
    conf = lab.ok(*T, "install", new).out.strip().splitlines()[-1]
    lab.ssm_ok("reservation", "confirm", "1", conf)
    assert lab.status()["authorization"]["status"] == "AUTHORIZED_RESERVED"
    assert "Reserved License Expired" not in {a["type"] for a in lab.ssm_ok("--json", "alerts").json["alerts"]}


def test_an_update_past_what_is_in_term_is_refused(lab: Lab, tmp_path: Path) -> None:
    lab.ok("show", "license", "status")
    lab.ssm_ok("license", "add", "flex-standard", "10", "--ends", "2026-03-31")
    _reserved_node(lab, tmp_path, 50)
    lab.ok("sim", "clock", "set", "2026-04-02T00:00:00Z")
    lab.refused(
        ["reservation", "update", "1", "--license", "flex-standard=50"], "Only 40 flex-standard are left", ssm=True
    )


def test_terms_reach_ciscos_api_rows_and_a_lab_file(lab: Lab, tmp_path: Path) -> None:
    lab_file = tmp_path / "lab.toml"
    lab_file.write_text(
        '[[subscription]]\nlicense = "flex-premium"\nquantity = 6\nstarts = 2026-03-01\nends = 2026-12-31\n'
        '[[subscription]]\nlicense = "flex-premium"\nquantity = 2\nends = "2027-02-28"\n'
    )
    lab.ok("--yes", "sim", "lab", "apply", str(lab_file))
    subs = _subs(lab)
    assert [(s["quantity"], s["start_date"], s["end_date"]) for s in subs.values()] == [
        (6, "2026-03-01", "2026-12-31"),
        (2, "2026-03-02", "2027-02-28"),
    ]
    assert lab.pool()["flex-premium"]["purchased"] == 18  # 10 perpetual (demo) and both terms
    bad = tmp_path / "bad.toml"
    bad.write_text('[[subscription]]\nlicense = "flex-premium"\nquantity = 6\nends = "2026-12-32"\n')
    r = lab.ccx("--yes", "sim", "lab", "apply", str(bad), "--replace")
    assert r.code == 2 and "line 4" in r.err and "ends" in r.err, r


def test_the_pool_allows_reserved_licenses_past_their_term(tmp_path: Path) -> None:
    """Schema 12: the pool's reserved may exceed purchased (reserved licenses outlived their
    term); a database of schema 11 is migrated to it."""
    import sqlite3

    from ccxcli.ssm.core import schema

    db = sqlite3.connect(":memory:")
    db.executescript(schema.DDL)
    db.execute("INSERT INTO pool(va, alias, purchased, reserved) VALUES ('A', 'flex-standard', 40, 45)")
    old = schema.DDL.replace("purchased >= 0 AND used", "reserved <= purchased AND purchased >= 0 AND used")
    old = old[: old.index("CREATE TABLE term")]
    db11 = sqlite3.connect(":memory:")
    db11.executescript(old)
    db11.execute("INSERT INTO pool(va, alias, purchased, reserved) VALUES ('A', 'flex-standard', 40, 40)")
    with pytest.raises(sqlite3.IntegrityError):
        db11.execute("UPDATE pool SET purchased = 30")
    for statement in schema.statements(schema.MIGRATIONS[11]):
        db11.execute(statement)
    db11.execute("UPDATE pool SET purchased = 30")
    assert db11.execute("SELECT purchased, reserved FROM pool").fetchone() == (30, 40)
    assert db11.execute("SELECT terms FROM issued").fetchall() == []  # the column exists
