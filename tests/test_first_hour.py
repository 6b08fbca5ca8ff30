"""A new user's first hour: starting over (`sim lab reset`), what a clock move did, the
node listing, and texts that read the same everywhere."""

from __future__ import annotations

import os

from conftest import Lab

from ccxcli.session.context import open_lab
from ccxcli.store.lab import discard


def _register(lab: Lab) -> None:
    lab.ok("license", "smart", "register", "idtoken", lab.ssm_ok("token", "create").out.strip())


def test_reset_asks_and_no_changes_nothing(lab: Lab) -> None:
    lab.ok("sim", "node", "create", "b")
    before = lab.snapshot()
    r = lab.ccx("run", "-", stdin="sim lab reset\nn\n")
    assert r.code == 2 and "Cancelled" in r.err
    assert lab.snapshot() == before
    assert lab.ccx("sim", "lab", "reset").code == 2  # no terminal to answer: --yes is needed
    assert lab.snapshot() == before


def test_reset_starts_over_with_the_embedded_default(lab: Lab) -> None:
    _register(lab)
    lab.ok("sim", "node", "create", "b")
    lab.ok("sim", "clock", "advance", "30d")
    old_key = (lab.home / "ssm" / "cloud" / "public.pem").read_bytes()
    upload = lab.home / "upload"
    upload.mkdir()
    (upload / "auth.xml").write_text("kept")
    out = lab.ok("--yes", "sim", "lab", "reset").out
    assert out.startswith(f"Lab {lab.home} reset: node uccx")
    st = lab.status()
    assert st["registration"]["status"] == "UNREGISTERED" and st["authorization"]["status"] == "EVAL_MODE"
    assert [n["name"] for n in lab.ok("--json", "sim", "node", "list").json["nodes"]] == ["uccx"]
    assert (lab.home / "ssm" / "cloud" / "public.pem").read_bytes() != old_key  # a new SSM, new key
    assert lab.pool()["flex-standard"]["in_use"] == 0 and lab.ssm_ok("--json", "token", "list").json["tokens"] == []
    assert (upload / "auth.xml").read_text() == "kept"  # the user's files stay
    assert not [p for p in lab.home.iterdir() if p.name.startswith(".reset-")]


def test_reset_repairs_a_corrupt_lab(lab: Lab) -> None:
    lab.ok("show", "license", "UDI")
    (lab.home / "lab.json").write_text("{")
    r = lab.ccx("show", "license", "status")
    assert r.code == 3 and "sim lab reset" in r.err
    lab.ok("--yes", "sim", "lab", "reset")
    assert lab.status()["registration"]["status"] == "UNREGISTERED"


def test_a_reset_killed_half_way_is_finished_by_the_next_command(lab: Lab) -> None:
    lab.ok("sim", "node", "create", "b")
    trash = lab.home / ".reset-dead"
    trash.mkdir()
    os.replace(lab.home / "lab.json", trash / "lab.json")  # killed right after lab.json moved
    assert (lab.home / "nodes" / "b").exists()
    assert [n["name"] for n in lab.ok("--json", "sim", "node", "list").json["nodes"]] == ["uccx"]
    assert not trash.exists()


def test_reset_in_the_shell_keeps_the_session_on_the_fresh_lab(lab: Lab) -> None:
    _register(lab)
    r = lab.ccx("run", "-", stdin="sim lab reset --yes\nshow license status --json\nsim clock advance 1d\n")
    assert r.code == 0, r
    assert '"UNREGISTERED"' in r.out and "still UNREGISTERED, EVAL_MODE" in r.out


def test_discard_under_the_lock_leaves_a_lab_that_opens_fresh(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with open_lab(tmp_path) as first:
        first.add_node("b")
        first.commit()
    discard(tmp_path)
    with open_lab(tmp_path) as again:
        assert again.created and again.node_names() == ["uccx"]


def test_clock_advance_says_what_happened_to_this_node(lab: Lab) -> None:
    out = lab.ok("sim", "clock", "advance", "1d").out.splitlines()
    assert out[1] == "Node uccx: no report or renewal was due; still UNREGISTERED, EVAL_MODE."
    _register(lab)
    lab.ok("sim", "agent", "login", "--count", "3")
    out = lab.ok("sim", "clock", "advance", "30d").out.splitlines()
    assert out[1] == "Node uccx: 2880 usage reports delivered, 1 authorization renewal; still REGISTERED, AUTHORIZED."
    lab.ok("sim", "network", "down")
    out = lab.ok("sim", "clock", "advance", "1h").out.splitlines()
    assert "usage report not delivered" in out[1] and out[2] == "Alerts raised: Entitlement Reporting failure."
    lab.ok("sim", "network", "up")
    lab.ok("sim", "agent", "login", "--count", "60")
    data = lab.ok("--json", "sim", "clock", "advance", "2h").json["node"]
    assert data["authorization"] == {"before": "AUTHORIZED", "after": "OUT_OF_COMPLIANCE"}
    assert "Out-of-Compliance" in data["alerts_raised"]
    # the failed report is sent again once the SSM answers: by this move, or already by the login
    # when its retry fell due at that very minute (the lab's clock starts at the wall clock's time)
    assert "reporting" not in {a["key"] for a in lab.status()["alerts"]}
    assert data["counts"]["reports"] == 8


def test_node_list_has_a_header(lab: Lab) -> None:
    lab.ok("sim", "node", "create", "b")
    out = lab.ok("sim", "node", "list").out.splitlines()
    assert out[0].split() == [
        "Node",
        "SN",
        "License",
        "Type",
        "Registration",
        "Authorization",
        "SSM",
        "OOC",
        "Enforcement",
    ]
    assert out[1].startswith("  b ") and out[2].startswith("* uccx ") and out[-1] == "(* this node)"


def test_node_list_shows_ssm_compliance_and_enforcement_of_every_node(lab: Lab) -> None:
    lab.ok("sim", "node", "create", "b")
    lab.register("b")
    lab.ok("sim", "clock", "advance", "91d")  # uccx: evaluation over, enforced
    rows = {r["name"]: r for r in lab.ok("--json", "sim", "node", "list").json["nodes"]}
    assert rows["b"]["ssm"] == "cloud" and rows["b"]["ooc"] is False and rows["b"]["enforcement"] is None
    assert rows["uccx"]["ssm"] is None and rows["uccx"]["enforcement"] == "EVAL_EXPIRY"
    text = {
        line.split()[1] if line.startswith("*") else line.split()[0]: line.split()
        for line in lab.ok("sim", "node", "list").out.splitlines()[1:-1]
    }
    assert text["b"][-3:] == ["cloud", "no", "-"] and text["uccx"][-3:] == ["-", "no", "EVAL_EXPIRY"]


def test_clock_advance_says_what_it_did_to_every_node(lab: Lab) -> None:
    lab.ok("sim", "node", "create", "b")
    lab.register("b")
    out = lab.ok("sim", "clock", "advance", "1d").out.splitlines()
    assert out[1].startswith("Node uccx: no report or renewal was due")  # this node first
    assert out[2].startswith("Node b: 96 usage reports delivered")
    doc = lab.ok("--json", "sim", "clock", "advance", "1h").json
    assert [n["name"] for n in doc["nodes"]] == ["uccx", "b"] and doc["node"] == doc["nodes"][0]
    assert doc["nodes"][1]["counts"]["reports"] == 4


def test_license_control_shows_the_fields_of_the_type_in_one_spelling(lab: Lab) -> None:
    lab.ok("appadmin", "license", "type", "ip-ivr")
    out = lab.ok("appadmin", "license", "control", "--ivr-ports", "4").out.splitlines()
    assert out == ["Overage Allowance: Enabled", "IVR Ports: 4"]
    assert lab.ok("sim", "ports", "ivr", "3").out.strip() == "IVR ports in use: 3."
    lab.ok("appadmin", "license", "type", "flex")
    assert lab.ok("appadmin", "license", "control").out.splitlines()[1:] == [
        "Standard Seats: not set (no limit)",
        "Premium Seats: not set (no limit)",
    ]


def test_status_words_are_upper_case_everywhere(lab: Lab) -> None:
    _register(lab)
    lab.ok("sim", "clock", "advance", "15m")
    out = lab.ok("show", "license", "status").out
    assert lab.status()["authorization"]["status"] == "NO_LICENSES_IN_USE"
    assert "NO LICENSES IN USE" in out and "No Licenses in Use" not in out
