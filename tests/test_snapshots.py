"""Lab snapshots: `sim lab save|load|snapshots|export|import`. A loaded lab behaves as the
saved one did (its next clock move gives the same result); a refused snapshot command changes
nothing; a load killed before its last write leaves a fresh lab, never a mix."""

from __future__ import annotations

import io
import json
import signal
import tarfile
from pathlib import Path

from conftest import Lab, ccx_run


def status(lab: Lab, node: str = "uccx") -> object:
    return lab.ok("--node", node, "--json", "show", "license", "status").json


def test_a_loaded_lab_moves_on_exactly_as_the_saved_one(lab: Lab) -> None:
    lab.register()
    lab.ok("sim", "agent", "login", "--count", "12")
    lab.ok("sim", "clock", "advance", "2h")
    saved = lab.ok("--json", "sim", "lab", "save", "day-one").json["snapshot"]
    assert saved["name"] == "day-one" and saved["nodes"] == ["uccx"] and saved["ssms"] == ["cloud"]
    lab.ok("sim", "clock", "advance", "45d")
    first = (status(lab), lab.pool())
    lab.ok("sim", "node", "create", "b")  # made after the save: gone after the load
    lab.ssm_ok("license", "add", "flex-premium", "7")
    lab.ok("--yes", "sim", "lab", "load", "day-one")
    assert [r["name"] for r in lab.ok("--json", "sim", "node", "list").json["nodes"]] == ["uccx"]
    lab.ok("sim", "clock", "advance", "45d")
    assert (status(lab), lab.pool()) == first
    listed = lab.ok("--json", "sim", "lab", "snapshots").json["snapshots"]
    assert [s["name"] for s in listed] == ["day-one"]


def test_reset_keeps_snapshots_and_a_shell_loads_one_in_place(lab: Lab) -> None:
    lab.register()
    lab.ok("sim", "lab", "save", "registered")
    lab.ok("--yes", "sim", "lab", "reset")
    assert status(lab)["registration"]["status"] == "UNREGISTERED"  # type: ignore[index]
    out = lab.ok("run", "-", stdin="sim lab load registered\ny\nshow license summary\n").out
    assert "Snapshot registered loaded" in out and "REGISTERED" in out
    assert status(lab)["registration"]["status"] == "REGISTERED"  # type: ignore[index]


def test_export_and_import_into_another_lab(lab: Lab, tmp_path: Path) -> None:
    lab.register()
    lab.ok("sim", "agent", "login", "--count", "3")
    lab.ok("sim", "lab", "save", "class")
    path = tmp_path / "class.tar.gz"
    assert "written to" in lab.ok("sim", "lab", "export", "class", str(path)).out
    other = Lab(tmp_path / "other")
    assert other.ok("--json", "sim", "lab", "import", str(path)).json["snapshot"]["name"] == "class"
    other.ok("--yes", "sim", "lab", "load", "class")
    assert status(other) == status(lab)
    assert other.pool() == lab.pool()
    assert other.ok("sim", "lab", "import", str(path), "--name", "copy").code == 0
    other.refused(["sim", "lab", "import", str(path)], "already exists")


def test_bad_snapshot_input_is_refused_and_changes_nothing(lab: Lab, tmp_path: Path) -> None:
    lab.ok("sim", "lab", "save", "good")
    lab.refused(["sim", "lab", "save", "Bad Name"], "Invalid snapshot name", code=2)
    lab.refused(["--yes", "sim", "lab", "load", "missing"], "No snapshot 'missing'", code=2)
    lab.refused(["sim", "lab", "load", "missing"], "No snapshot 'missing'", code=2)  # before the question
    lab.refused(["sim", "lab", "export", "missing", str(tmp_path / "x.tgz")], "No snapshot", code=2)
    junk = tmp_path / "junk.tgz"
    junk.write_bytes(b"\x1f\x8b not really gzip")
    lab.refused(["sim", "lab", "import", str(junk)], "is not a ccxcli lab snapshot")
    evil = tmp_path / "evil.tgz"
    with tarfile.open(evil, "w:gz") as tar:
        for name in ("lab.json", "../../escape.txt"):
            data = b"{}"
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    lab.refused(["sim", "lab", "import", str(evil)], "unexpected contents")
    assert not (tmp_path.parent / "escape.txt").exists()
    fake = tmp_path / "fake.tgz"
    with tarfile.open(fake, "w:gz") as tar:
        for name, data in (("lab.json", b'{"not": "a lab"}'), ("snapshot.json", b'{"name": "fake"}')):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    lab.refused(["sim", "lab", "import", str(fake)], "its lab.json is not a lab")
    lab.refused(["sim", "lab", "import", str(tmp_path / "none.tgz")], "Cannot read", code=2)


def test_a_load_killed_before_its_last_write_leaves_a_fresh_lab(lab: Lab) -> None:
    lab.register()
    lab.ok("sim", "lab", "save", "registered")
    lab.ok("sim", "node", "create", "later")
    r = ccx_run(lab.home, "--yes", "sim", "lab", "load", "registered", CCX_TEST_KILL_AT="snapshot-before-lab")
    assert r.returncode == -signal.SIGKILL, r
    nodes = [n["name"] for n in lab.ok("--json", "sim", "node", "list").json["nodes"]]
    assert nodes == ["uccx"] and status(lab)["registration"]["status"] == "UNREGISTERED"  # type: ignore[index]
    lab.ok("--yes", "sim", "lab", "load", "registered")  # the snapshot is intact
    assert status(lab)["registration"]["status"] == "REGISTERED"  # type: ignore[index]
    assert json.loads((lab.home / "snapshots" / "registered" / "snapshot.json").read_text())["nodes"] == ["uccx"]


# --- scenario presets ---------------------------------------------------------------------------------


def load(lab: Lab, name: str) -> dict:  # type: ignore[type-arg]
    lab.ok("--yes", "sim", "scenario", "load", name, "--replace")
    return status(lab)  # type: ignore[return-value]


def test_every_scenario_is_listed_with_one_line() -> None:
    from ccxcli.cli.scenarios import SCENARIOS

    for name, (text, steps) in SCENARIOS.items():
        assert "\n" not in text and text.endswith(".") and steps, name


def test_evaluation_on_day_85(lab: Lab) -> None:
    st = load(lab, "eval-day-85")
    assert st["authorization"]["status"] == "EVAL_MODE" and st["evaluation"]["remaining_seconds"] == 5 * 86400
    assert {u["alias"]: u["count"] for u in st["usage"]}["flex-standard"] == 10


def test_out_of_compliance_at_report_4_of_5(lab: Lab) -> None:
    st = load(lab, "ooc-report-4")
    assert st["compliance"]["consecutive_overage_reports"] == 4 and st["authorization"]["status"] == "AUTHORIZED"
    lab.ok("sim", "clock", "advance", "15m")  # the 5th
    assert status(lab)["authorization"]["status"] == "OUT_OF_COMPLIANCE"  # type: ignore[index]


def test_authorization_expiring_in_2_days(lab: Lab) -> None:
    from ccxcli.clock import parse_time

    st = load(lab, "auth-expiring")
    left = parse_time(st["authorization"]["expires"]) - parse_time(st["now"])
    assert st["authorization"]["status"] == "AUTHORIZED" and left == 2 * 86400
    lab.ok("sim", "clock", "advance", "2d")
    assert status(lab)["authorization"]["status"] == "AUTH_EXPIRED"  # type: ignore[index]


def test_registration_expiring(lab: Lab) -> None:
    from ccxcli.clock import parse_time

    st = load(lab, "registration-expiring")
    left = parse_time(st["registration"]["expires"]) - parse_time(st["now"])
    assert st["registration"]["status"] == "REGISTERED" and 0 < left <= 5 * 86400


def test_slr_update_waiting_for_its_confirmation_code(lab: Lab) -> None:
    st = load(lab, "slr-update-unconfirmed")
    assert st["reservation"]["reserved"] == {"flex-standard": 25, "flex-premium": 5}
    conf = st["reservation"]["last_confirmation_code"]
    (held,) = lab.ssm_ok("--json", "reservation", "list").json["reservations"]
    assert held["state"] == "pending confirmation" and held["reserved"]["flex-standard"] == 20
    assert held["held"]["flex-standard"] == 25
    lab.ssm_ok("reservation", "confirm", st["udi"]["sn"], conf)  # the class's next step works
    (done,) = lab.ssm_ok("--json", "reservation", "list").json["reservations"]
    assert done["state"] == "authorized" and done["reserved"]["flex-standard"] == 25


def test_on_prem_overdue_for_sync(lab: Lab) -> None:
    load(lab, "onprem-sync-overdue")
    alerts = lab.ssm_ok("--ssm", "onprem", "--json", "alerts").json["alerts"]
    assert [a["type"] for a in alerts] == ["Upcoming Satellite Sync Deadline (30 Day)"]
    assert "61 days ago" in alerts[0]["message"] and alerts[0]["due"]
    cloud_alerts = lab.ssm_ok("--json", "alerts").json["alerts"]
    assert [(a["type"], a["source"]) for a in cloud_alerts] == [("Upcoming Satellite Sync Deadline (30 Day)", "onprem")]
    onprem = {
        r["alias"]: r["purchased"] for r in lab.ssm_ok("--ssm", "onprem", "--json", "license", "list").json["licenses"]
    }
    cloud = lab.pool()
    assert cloud["flex-standard"]["purchased"] == onprem["flex-standard"] + 20  # bought since, not here yet


def test_an_unknown_scenario_is_refused_before_the_question(lab: Lab) -> None:
    lab.ok("sim", "node", "list")  # the lab exists
    lab.refused(["sim", "scenario", "load", "nope"], "No scenario 'nope'", code=2)
    lab.refused(["--yes", "sim", "scenario", "load", "nope"], "No scenario 'nope'", code=2)
    assert not [p for p in lab.home.iterdir() if p.name.startswith(".scenario-")]  # no temporary lab left


def test_a_scenario_replaces_a_lab_that_is_not_fresh_only_when_asked(lab: Lab) -> None:
    """Loading one in the middle of a class replaced every student's node: now it needs --replace."""
    lab.ok("--yes", "sim", "scenario", "load", "eval-day-85")  # a fresh lab: no question of replacing
    lab.ok("sim", "node", "create", "student1")
    lab.refused(["--yes", "sim", "scenario", "load", "ooc-report-4"], "scenario load ooc-report-4 --replace", code=2)
    assert "student1" in [n["name"] for n in lab.ok("--json", "sim", "node", "list").json["nodes"]]
    lab.ok("--yes", "sim", "scenario", "load", "ooc-report-4", "--replace")
    assert [n["name"] for n in lab.ok("--json", "sim", "node", "list").json["nodes"]] == ["uccx"]


def test_a_served_ssm_answers_from_the_loaded_lab(lab: Lab) -> None:
    """`ccx-ssm serve` keeps a connection per worker thread; a snapshot loaded (or a lab reset)
    while it serves puts another database file in place, and the next requests read that one."""
    from served import Served

    lab.ok("show", "license", "UDI")
    lab.ok("--json", "sim", "lab", "save", "before")
    server = Served(lab.home, lab.home / "ssm" / "cloud", password="pw")
    try:
        c = server.client()
        path = "/api/v1/accounts/Demo%20Smart%20Account/virtual-accounts/DEFAULT/tokens"

        def tokens() -> list[object]:  # asked a few times: every worker thread answers from the same file
            seen = {json.dumps(c.api("GET", path, password="pw")[1]["tokens"]) for _ in range(12)}
            assert len(seen) == 1, seen
            return list(json.loads(seen.pop()))

        assert tokens() == []
        lab.ssm_ok("token", "create")
        assert len(tokens()) == 1
        lab.ok("--yes", "sim", "lab", "load", "before")
        assert tokens() == []  # the loaded database, not the one before
        lab.ssm_ok("token", "create")  # and what changes it now is seen
        assert len(tokens()) == 1
    finally:
        server.stop()
