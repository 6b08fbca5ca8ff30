"""The SSM stand-in and the online flows: register, report, renew, deregister, transports."""

from __future__ import annotations

import pytest
from labenv import ssm_bytes


def invariant(lab, va: str = "DEFAULT") -> None:  # type: ignore[no-untyped-def]
    for r in lab.pool(va).values():
        assert r["purchased"] == r["available"] + r["in_use"] + r["reserved"], r
        assert min(r["purchased"], r["available"], r["in_use"], r["reserved"]) >= 0, r


def auth(lab, node=None) -> str:  # type: ignore[no-untyped-def]
    return lab.status(node)["authorization"]["status"]  # type: ignore[no-any-return]


def test_register_from_a_fresh_lab(lab) -> None:  # type: ignore[no-untyped-def]
    lab.register()
    st = lab.status()
    assert st["registration"]["status"] == "REGISTERED"
    assert st["registration"]["smart_account"] == "Demo Smart Account"
    assert st["registration"]["virtual_account"] == "DEFAULT"
    lab.ok("sim", "agent", "login", "--count", "3")
    assert auth(lab) == "AUTHORIZED"
    text = lab.ok("show", "license", "status").out
    assert "  Status: REGISTERED\n" in text and "  Status: AUTHORIZED on " in text
    inst = lab.ssm_ok("--json", "instance", "list").json["instances"]
    assert [i["sn"] for i in inst] == [st["udi"]["sn"]]
    assert lab.ccx("license", "smart", "register", "idtoken", "x").code == 1  # already registered
    lab.ok("sim", "clock", "advance", "15m")
    assert lab.pool()["flex-standard"]["in_use"] == 3
    invariant(lab)


def test_token_refusals_say_which(lab) -> None:  # type: ignore[no-untyped-def]
    lab.ok("sim", "node", "create", "b")
    lab.ok("sim", "node", "create", "c")
    one = lab.ssm_ok("token", "create", "--va", "DEFAULT", "--max-uses", "1").out.strip()
    lab.ok("license", "smart", "register", "idtoken", one)
    cases = {"used": one}
    revoked = lab.ssm_ok("token", "create", "--va", "DEFAULT").out.strip()
    lab.ssm_ok("token", "revoke", revoked)
    cases["revoked"] = revoked
    cases["not valid"] = "no-such-token"
    cases["not valid "] = one[:-1] + ("A" if one[-1] != "A" else "B")
    expiring = lab.ssm_ok("token", "create", "--va", "DEFAULT", "--expires-days", "1").out.strip()
    lab.ok("sim", "clock", "advance", "1d")
    cases["expired"] = expiring
    for word, token in cases.items():
        before = lab.snapshot()
        r = lab.ccx("--node", "b", "license", "smart", "register", "idtoken", token)
        assert r.code == 1 and word.strip() in r.err, (word, r)
        assert lab.snapshot() == before
    assert [t["state"] for t in lab.ssm_ok("--json", "token", "list").json["tokens"]] == [
        "used up",
        "revoked",
        "expired",
    ]


def test_on_prem_certificate_name_rule(lab) -> None:  # type: ignore[no-untyped-def]
    lab.ok("show", "license", "UDI")
    lab.ssm_ok("--ssm", "onprem", "init", "--on-prem", "--hostname", "ssm.example.com", "--san", "10.1.1.5", "--demo")
    tok = lab.ssm_ok("--ssm", "onprem", "token", "create", "--va", "DEFAULT").out.strip()
    lab.ok(
        "license",
        "smart",
        "transport",
        "gateway",
        "https://wrong.example.com/Transportgateway/services/DeviceRequestHandler",
    )
    before = lab.snapshot()
    r = lab.ccx("license", "smart", "register", "idtoken", tok)
    assert r.code == 4 and "cannot resolve 'wrong.example.com'. It is not an SSM of this lab" in r.err
    assert lab.snapshot() == before
    lab.ok("license", "smart", "transport", "ssm-satellite", "https://10.1.1.5/SmartTransport")
    lab.ok("license", "smart", "register", "idtoken", tok)
    assert lab.status()["registration"]["ssm"] == "onprem"
    assert lab.ssm_ok("--ssm", "onprem", "--json", "instance", "list").json["instances"]
    r = lab.ccx("license", "smart", "transport", "direct")
    assert r.code == 1 and "deregister first" in r.err


def test_network_down_registration_is_exit_4(lab) -> None:  # type: ignore[no-untyped-def]
    tok = lab.ssm_ok("token", "create", "--va", "DEFAULT").out.strip()
    lab.ok("sim", "network", "down")
    r = lab.ccx("license", "smart", "register", "idtoken", tok)
    assert r.code == 4 and "network" in r.err


def _scenario_pool(lab) -> None:  # type: ignore[no-untyped-def]
    lab.ssm_ok("license", "add", "flex-standard", "50", "--va", "DEFAULT")  # 90 + 10 = 100 licenses


def test_seed_scenario_1_end_to_end(lab) -> None:  # type: ignore[no-untyped-def]
    _scenario_pool(lab)
    lab.register()
    lab.ok("sim", "agent", "login", "--count", "130")
    seen = []
    for _ in range(5):
        lab.ok("sim", "clock", "advance", "15m")
        st = lab.status()
        seen.append((st["authorization"]["status"], st["compliance"]["consecutive_overage_reports"]))
    assert seen == [
        ("AUTHORIZED", 1),
        ("AUTHORIZED", 2),
        ("AUTHORIZED", 3),
        ("AUTHORIZED", 4),
        ("OUT_OF_COMPLIANCE", 5),
    ]
    assert lab.status()["compliance"]["locked_usage"]["flex-standard"] == 130
    lab.ok("sim", "agent", "logout", "--all")
    lab.ok("sim", "clock", "advance", "1h")
    st = lab.status()
    assert st["authorization"]["status"] == "OUT_OF_COMPLIANCE"
    assert {u["alias"]: u["reported"] for u in st["usage"]}["flex-standard"] == 130
    assert any(a["type"] == "Insufficient Licenses" for a in lab.ssm_ok("--json", "alerts").json["alerts"])
    invariant(lab)
    lab.ssm_ok("license", "add", "flex-standard", "30", "--va", "DEFAULT")
    lab.ok("sim", "clock", "advance", "15m")
    assert auth(lab) == "NO_LICENSES_IN_USE"
    assert lab.status()["compliance"]["locked_usage"] is None


def test_consumption_report_shows_actual_and_locked_usage(lab) -> None:  # type: ignore[no-untyped-def]
    _scenario_pool(lab)
    lab.register()
    lab.ok("sim", "agent", "login", "--count", "130")
    lab.ok("sim", "clock", "advance", "75m")
    lab.ok("sim", "agent", "logout", "--all")
    lab.ok("sim", "agent", "login", "--count", "90")
    lab.ok("sim", "clock", "advance", "30m")
    rows = lab.ok("--json", "appadmin", "license", "consumption").json["intervals"]
    assert rows[-1]["status"] == "InProgress"  # the interval that has not ended yet
    last = rows[-2]
    assert last["actual"]["flex-standard"] == 90 and last["reported"]["flex-standard"] == 130
    assert last["status"] == "OutOfCompliance"
    assert "|" in lab.ok("appadmin", "license", "consumption", "--chart").out


def test_seed_scenario_2_end_to_end(lab) -> None:  # type: ignore[no-untyped-def]
    _scenario_pool(lab)
    lab.register()
    lab.ok("sim", "agent", "login", "--count", "130")
    lab.ok("sim", "clock", "advance", "30m")
    assert lab.status()["compliance"]["consecutive_overage_reports"] == 2
    lab.ok("sim", "agent", "logout", "--all")
    lab.ok("sim", "clock", "advance", "30m")
    st = lab.status()
    assert st["compliance"]["consecutive_overage_reports"] == 0
    assert st["authorization"]["status"] != "OUT_OF_COMPLIANCE"


def test_auth_expiry_and_enforcement_with_the_network_down(lab) -> None:  # type: ignore[no-untyped-def]
    lab.register()
    lab.ok("sim", "agent", "add", "x")
    lab.ok("sim", "network", "down")
    lab.ok("sim", "clock", "advance", "91d")
    st = lab.status()
    assert st["authorization"]["status"] == "AUTH_EXPIRED" and not st["enforcement"]["active"]
    assert "renew-auth" in [a["key"] for a in st["alerts"]]
    lab.ok("sim", "clock", "advance", "90d")
    st = lab.status()
    assert st["enforcement"] == {**st["enforcement"], "active": True, "reason": "AUTH_EXPIRY"}
    r = lab.ccx("sim", "agent", "add", "y")
    assert r.code == 1 and "AUTH_EXPIRY" in r.err
    assert lab.ccx("license", "smart", "renew", "auth").code == 4
    lab.ok("sim", "network", "up")
    lab.ok("license", "smart", "renew", "auth")
    st = lab.status()
    assert not st["enforcement"]["active"] and st["authorization"]["status"] == "NO_LICENSES_IN_USE"
    lab.ok("sim", "agent", "add", "y")


def test_registration_renewals_over_years_with_the_network_up(lab) -> None:  # type: ignore[no-untyped-def]
    lab.register()
    lab.ok("sim", "agent", "login", "--count", "3")
    lab.ok("sim", "clock", "advance", "3y")
    st = lab.status()
    assert st["registration"]["status"] == "REGISTERED" and st["authorization"]["status"] == "AUTHORIZED"
    lab.ok("license", "smart", "renew", "ID")


def test_registration_expires_without_renewal(lab) -> None:  # type: ignore[no-untyped-def]
    lab.register()
    lab.ok("sim", "network", "down")
    lab.ok("sim", "clock", "advance", "366d")
    assert lab.status()["registration"]["status"] == "REGISTRATION_EXPIRED"


def test_evaluation_expiry_and_cure_by_registering(lab) -> None:  # type: ignore[no-untyped-def]
    lab.ok("sim", "clock", "advance", "91d")
    st = lab.status()
    assert st["authorization"]["status"] == "EVAL_EXPIRED"
    assert st["enforcement"]["reason"] == "EVAL_EXPIRY"
    r = lab.ccx("sim", "agent", "add", "x")
    assert r.code == 1 and "EVAL_EXPIRY" in r.err
    lab.register()
    assert not lab.status()["enforcement"]["active"]


def test_two_nodes_share_the_pool(lab) -> None:  # type: ignore[no-untyped-def]
    lab.ok("sim", "node", "create", "b")
    lab.register()
    lab.register("b")
    lab.ok("sim", "agent", "login", "--count", "30")
    lab.ok("--node", "b", "sim", "agent", "login", "--count", "30")  # together 60 > 50
    # Reports at one boundary are judged in turn: the first node to report after the
    # other's usage rose sees the deficit at its next report.
    lab.ok("sim", "clock", "advance", "30m")
    for node in (None, "b"):
        assert lab.status(node)["compliance"]["consecutive_overage_reports"] >= 1
    invariant(lab)
    lab.ok("--node", "b", "sim", "agent", "logout", "--all")
    lab.ok("sim", "clock", "advance", "30m")
    assert lab.status()["compliance"]["consecutive_overage_reports"] == 0


def test_deregistration_releases_licenses(lab) -> None:  # type: ignore[no-untyped-def]
    lab.register()
    lab.ok("sim", "agent", "login", "--count", "10")
    lab.ok("sim", "clock", "advance", "20m")
    assert lab.pool()["flex-standard"]["in_use"] == 10
    assert lab.ccx("license", "smart", "deregister").code == 2  # needs --yes without a terminal
    lab.ok("--yes", "license", "smart", "deregister")
    assert lab.pool()["flex-standard"]["in_use"] == 0
    assert lab.ssm_ok("--json", "instance", "list").json["instances"] == []
    st = lab.status()
    assert st["registration"]["status"] == "UNREGISTERED" and st["authorization"]["status"] == "EVAL_MODE"
    invariant(lab)


def test_va_license_and_instance_management(lab) -> None:  # type: ignore[no-untyped-def]
    lab.ssm_ok("va", "create", "SALES")
    assert lab.ssm("va", "create", "sales").code == 1
    lab.ssm_ok("license", "transfer", "flex-premium", "4", "--from", "DEFAULT", "--to", "SALES")
    assert lab.pool("SALES")["flex-premium"]["purchased"] == 4
    r = lab.ssm("license", "transfer", "flex-premium", "7", "--from", "DEFAULT", "--to", "SALES")
    assert r.code == 1 and "available" in r.err
    lab.register()
    inst = lab.ssm_ok("--json", "instance", "list").json["instances"][0]
    lab.ssm_ok("instance", "transfer", str(inst["id"]), "--to", "SALES")
    assert lab.ssm_ok("--json", "instance", "show", inst["sn"]).json["va"] == "SALES"
    assert lab.ssm("va", "delete", "SALES").code == 1
    assert lab.ssm("va", "delete", "DEFAULT").code == 1
    assert lab.ssm("license", "add", "bogus", "3", "--va", "DEFAULT").code == 2
    assert lab.ssm("license", "add", "flex-standard", "-3", "--va", "DEFAULT").code == 2
    assert lab.ssm("instance", "show", "99999").code == 1
    assert "BEGIN PUBLIC KEY" in lab.ssm_ok("key", "export").out
    invariant(lab)
    invariant(lab, "SALES")


@pytest.mark.parametrize("argv", [["license", "smart", "deregister"], ["license", "smart", "renew", "auth"]])
def test_commands_that_need_registration(lab, argv: list[str]) -> None:  # type: ignore[no-untyped-def]
    r = lab.ccx("--yes", *argv)
    assert r.code == 1 and "not registered" in r.err


def test_proxy_transport_never_prints_the_password(lab) -> None:  # type: ignore[no-untyped-def]
    r = lab.ccx("run", "-", stdin="license smart transport proxy proxy.lab 3128\ny\nalice\ns3cret\nshow license all\n")
    assert r.code == 0, r
    assert "s3cret" not in r.out.replace("\ns3cret\n", "\n")
    st = lab.status()
    assert st["transport"] == {
        "mode": "proxy",
        "host": "proxy.lab",
        "port": 3128,
        "user": "alice",
        "url": "https://tools.cisco.com/its/service/oddce/services/DDCEService",  # Call Home, through the proxy
    }


def test_factory_reset_keeps_evaluation_time(lab) -> None:  # type: ignore[no-untyped-def]
    lab.ok("sim", "clock", "advance", "10d")
    lab.register()
    lab.ok("--yes", "license", "smart", "factory", "reset")
    st = lab.status()
    assert st["registration"]["status"] == "UNREGISTERED"
    assert st["evaluation"]["remaining_seconds"] == 80 * 86400


def test_instance_removed_on_the_ssm_unregisters_the_node(lab) -> None:  # type: ignore[no-untyped-def]
    lab.register()
    lab.ok("sim", "agent", "login", "--count", "3")
    inst = lab.ssm_ok("--json", "instance", "list").json["instances"][0]
    lab.ssm_ok("instance", "remove", str(inst["id"]))
    r = lab.ok("--json", "sim", "clock", "advance", "3650d")
    assert r.json["events_processed"] < 10  # no report retried every 15 minutes
    st = lab.status()
    assert st["registration"]["status"] == "UNREGISTERED"
    assert any("removed from the SSM" in e for e in lab.ok("appadmin", "events").out.splitlines())


def test_manual_renew_of_a_removed_instance(lab) -> None:  # type: ignore[no-untyped-def]
    lab.register()
    inst = lab.ssm_ok("--json", "instance", "list").json["instances"][0]
    lab.ssm_ok("instance", "remove", str(inst["id"]))
    r = lab.ccx("license", "smart", "renew", "auth")
    assert r.code == 1 and "register again" in r.err
    assert lab.status()["registration"]["status"] == "UNREGISTERED"


def test_failed_reports_are_not_retried_every_interval(lab) -> None:  # type: ignore[no-untyped-def]
    lab.register()
    lab.ok("sim", "agent", "login", "--count", "3")
    lab.ok("sim", "network", "down")
    r = lab.ok("--json", "sim", "clock", "advance", "30d")
    assert r.json["events_processed"] < 60  # daily renewal retries, one failed report
    assert lab.status()["compliance"]["last_report_outcome"] == "failed"
    lab.ok("sim", "network", "up")
    lab.ok("sim", "clock", "advance", "15m")
    assert lab.status()["compliance"]["last_report_outcome"] == "compliant"


def test_events_are_shown_in_time_order_and_instances_without_python_syntax(lab) -> None:  # type: ignore[no-untyped-def]
    """`ccx-ssm events` lists the newest events in time order, whatever order they were logged
    in; `instance show` prints counts and empty fields as people read them."""
    from ccxcli.ssm.core.db import SsmDb

    lab.register()
    ssm = SsmDb.open(lab.home / "ssm" / "cloud")
    try:
        with ssm.tx():
            now = lab.ok("--json", "sim", "clock", "show").json["epoch"]
            ssm.event(now + 200, "test", "logged first, happened last")
            ssm.event(now + 100, "test", "logged second, happened first")
    finally:
        ssm.close()
    tests = [e["message"] for e in lab.ssm_ok("--json", "events").json["events"] if e["kind"] == "test"]
    assert tests == ["logged second, happened first", "logged first, happened last"]
    times = [e["time"] for e in lab.ssm_ok("--json", "events").json["events"]]
    assert times == sorted(times)
    lab.ok("sim", "agent", "login", "--count", "2")
    lab.ok("sim", "clock", "advance", "1h")
    out = lab.ssm_ok("instance", "show", "1").out
    assert "{" not in out and "None" not in out and "flex-standard=2" in out, out


def test_re_registering_after_an_offline_deregister_says_why_the_ssm_refuses(lab) -> None:  # type: ignore[no-untyped-def]
    lab.register()
    lab.ok("sim", "network", "down")
    lab.ok("--yes", "license", "smart", "deregister")  # the SSM is not told
    lab.ok("sim", "network", "up")
    assert lab.status()["registration"]["status"] == "UNREGISTERED"
    tok = lab.ssm_ok("token", "create").out.strip()
    r = lab.refused(["license", "smart", "register", "idtoken", tok], "still lists this product instance")
    assert "deregistered while it could not reach the SSM" in r.err and "already registered" not in r.err
    lab.ok("license", "smart", "register", "idtoken", tok, "force")
    assert lab.status()["registration"]["status"] == "REGISTERED"


# --- the pool over time -----------------------------------------------------------------------------


def test_pool_history_intervals_are_peak_in_use_and_state_at_the_end() -> None:
    from ccxcli.ssm.core.pool import history

    points = [
        (0, 10, 0, 0, 0),
        (100, 10, 4, 0, 4),
        (150, 10, 1, 0, 1),
        (200, 20, 1, 5, 1),
    ]  # (t, purchased, in use, reserved, reported)
    rows = history(points, 100, 100, 3)
    assert [(r["start"], r["purchased"], r["in_use"], r["reserved"]) for r in rows] == [
        (100, 10, 4, 0),  # the change at the interval's start counts in it; the peak, not the last
        (200, 20, 1, 5),  # a change at an end belongs to the next interval
        (300, 20, 1, 5),  # nothing moved: the state goes on
    ]
    assert history([], 0, 10, 2)[1] == {
        "start": 10,
        "end": 20,
        "purchased": 0,
        "in_use": 0,
        "reserved": 0,
        "reported": 0,
    }


def test_the_ssm_pool_chart_over_90_days(lab) -> None:  # type: ignore[no-untyped-def]
    from conftest import authorize_args

    lab.register()
    lab.ok("sim", "agent", "login", "--count", "5")
    lab.ok("sim", "clock", "advance", "30d")
    lab.ssm_ok("license", "add", "flex-premium", "10")
    lab.ok("sim", "agent", "login", "--count", "3")
    lab.ok("sim", "clock", "advance", "30d")
    lab.ok("sim", "node", "create", "b")
    lab.ok("--node", "b", "license", "smart", "reservation", "enable")
    req = lab.ok("--node", "b", "--json", "license", "smart", "reservation", "request", "specific").json
    lab.ssm_ok(*authorize_args(req["request_code"], 20, 5))
    before = lab.snapshot()
    assert lab.ssm("license", "transfer", "flex-standard", "30", "--from", "DEFAULT", "--to", "DEFAULT").code != 0
    assert lab.snapshot() == before  # a refused change records nothing
    lab.ok("sim", "clock", "advance", "30d")

    def chart(*extra: str):  # type: ignore[no-untyped-def]
        return lab.ssm_ok("--json", "license", "chart", *extra).json

    doc = chart("--license", "flex-standard")
    assert doc["va"] == "DEFAULT" and doc["interval"] == "1d" and len(doc["licenses"]) == 1
    days = doc["licenses"][0]["intervals"]
    assert len(days) == 91  # from the day the lab began to today
    assert [days[k]["in_use"] for k in (0, 29, 31, 59, 61, 90)] == [5, 5, 8, 8, 8, 8]
    assert {d["purchased"] for d in days} == {40}
    assert [days[k]["reserved"] for k in (59, 61, 90)] == [0, 20, 20]
    prem = chart("--license", "flex-premium")["licenses"][0]["intervals"]
    assert [prem[k]["purchased"] for k in (29, 31, 90)] == [10, 20, 20] and prem[90]["reserved"] == 5
    every = [c["alias"] for c in chart()["licenses"]]
    assert every[:2] == ["flex-standard", "flex-premium"] and len(every) == len(set(every))
    hours = chart(
        "--license", "flex-standard", "--interval", "1h", "--from", days[30]["start"], "--to", days[30]["end"]
    )["licenses"][0]["intervals"]
    assert len(hours) == 24 and max(h["in_use"] for h in hours) == days[30]["in_use"]

    text = lab.ssm_ok("license", "chart", "--license", "flex-standard").out.splitlines()
    assert text[0].startswith("Pool of 'DEFAULT': flex-standard (") and "full bar = 40" in text[0]
    assert len(text) == 3 + 91
    assert text[-1].split()[-1] == "█" * 8 + "▒" * 20 + "·" * 12  # 8 in use, 20 reserved, 12 available of 40

    for bad, words in (
        (["--interval", "15m"], "use --interval 1h or 1d"),
        (["--interval", "2d"], "--interval takes"),
        (["--license", "nope"], "nope"),
        (["--va", "Nope"], "No virtual account"),
    ):
        lab.refused(["license", "chart", *bad], words, ssm=True, code=2)


def test_portal_users_roles_scopes_and_refusals(lab, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from ccxcli.ssm.core import smart, users
    from ccxcli.ssm.core.db import SsmDb

    pw, short = tmp_path / "pw", tmp_path / "short"
    pw.write_text("long-enough\n")
    short.write_text("1234\n")
    lab.ssm_ok("va", "create", "Class1")
    before = lab.ssm_ok("--json", "user", "list").json
    for argv, code, words in [
        (["user", "add", "s1", "--role", "boss", "--password-file", str(pw)], 2, "Unknown role 'boss'"),
        (["user", "add", "s1", "--password-file", str(short)], 2, "at least 8 characters"),
        (["user", "add", "admin", "--password-file", str(pw)], 2, "served SSM's own password"),
        (["user", "add", "bad name", "--password-file", str(pw)], 2, "A user name is"),
        (["user", "add", "s1", "--role", "admin", "--va", "Class1", "--password-file", str(pw)], 2, "every virtual"),
        (["user", "add", "s1", "--va", "Nope", "--password-file", str(pw)], 2, "No virtual account 'Nope'"),
        (["user", "remove", "ghost"], 1, "No portal user 'ghost'"),
    ]:
        r = lab.ssm(*argv)
        assert r.code == code and words in r.err and "Traceback" not in r.err, (argv, r)
    assert lab.ssm_ok("--json", "user", "list").json == before  # each refusal changed nothing
    lab.ssm_ok("user", "add", "s1", "--va", "class1", "--password-file", str(pw))
    assert lab.ssm("user", "add", "S1", "--password-file", str(pw)).code == 1  # names are case-insensitive
    [row] = lab.ssm_ok("--json", "user", "list").json["users"]
    assert row["virtual_account"] == "Class1" and row["title"] == "Virtual Account User"
    assert "long-enough" not in ssm_bytes(lab.home / "ssm" / "cloud").decode("latin-1")
    r = lab.ssm("va", "delete", "Class1")
    assert r.code == 1 and "Portal users are limited to 'Class1' (s1)" in r.err
    ssm = SsmDb.open(lab.home / "ssm" / "cloud")
    try:
        who = users.check(ssm, "S1", "long-enough")
        assert who == users.User("s1", "user", "Class1") and who.acts("class1") and not who.sees("DEFAULT")
        assert users.check(ssm, "s1", "wrong-password") is None and users.check(ssm, "ghost", "long-enough") is None
        assert not who.manages and users.ADMIN.manages and not users.User("v", "viewer", None).acts("DEFAULT")
        assert smart.events(ssm, va="Class1")[-1]["message"].startswith("Portal user 's1' added")
    finally:
        ssm.close()
    lab.ssm_ok("user", "remove", "s1")
    lab.ssm_ok("va", "delete", "Class1")


def test_a_refusal_names_the_action_in_the_command_lines_words(lab) -> None:  # type: ignore[no-untyped-def]
    """The SSM core names an action ({update}, {return_code}, {force}); ccx-ssm says how it is
    done on its command line (the portal and Cisco's API say it their way: test_cssm_api)."""
    lab.ok("license", "smart", "reservation", "enable")
    req = lab.ok("--json", "license", "smart", "reservation", "request").json["request_code"]
    lab.ssm_ok("reservation", "authorize", "--request", req, "--license", "flex-standard=1")
    r = lab.ssm("reservation", "authorize", "--request", req, "--license", "flex-standard=1")
    assert r.code == 1 and "use 'ccx-ssm reservation update'" in r.err and "{" not in r.err, r
    ident = lab.ssm_ok("--json", "instance", "list").json["instances"][0]["id"]
    r = lab.ssm("instance", "remove", str(ident))
    assert r.code == 1 and "(--return-code), or --force" in r.err and "{" not in r.err, r
