"""SSM On-Prem's deadlines as Cisco's alert list names them (issue 37, item 2): "Upcoming
Satellite Sync Deadline (30 Day)" in the 30 days before the 90-day limit, then "Satellite expired
and removed (90 Days of no sync)": the cloud removes the on-prem and the instances registered
through it, and refuses its next synchronization."""

from __future__ import annotations

from pathlib import Path

from conftest import Lab

GATEWAY = "https://ssm.dark.lab/Transportgateway/services/DeviceRequestHandler"


def _sync(lab: Lab, tmp_path: Path) -> None:
    req, answer = tmp_path / "req.json", tmp_path / "answer.json"
    lab.ssm_ok("--ssm", "dark", "sync", "export", "--out", str(req))
    lab.ssm_ok("sync", "import", str(req), "--out", str(answer))
    lab.ssm_ok("--ssm", "dark", "sync", "import", str(answer))


def test_a_satellite_without_synchronization_is_warned_then_removed(lab: Lab, tmp_path: Path) -> None:
    lab.ssm_ok("--ssm", "dark", "init", "--on-prem", "--hostname", "ssm.dark.lab", "--mode", "disconnected")
    _sync(lab, tmp_path)  # the on-prem gets its licenses
    tok = lab.ssm_ok("--ssm", "dark", "token", "create").out.strip()
    lab.ok("license", "smart", "transport", "gateway", GATEWAY)
    lab.ok("license", "smart", "register", "idtoken", tok)
    lab.ok("sim", "agent", "login", "--count", "12")
    lab.ok("sim", "clock", "advance", "1h")
    _sync(lab, tmp_path)  # the cloud learns of the node, registered through the on-prem
    assert [i["via"] for i in lab.ssm_ok("--json", "instance", "list").json["instances"]] == ["dark"]
    assert lab.pool()["flex-standard"]["in_use"] == 12

    lab.ok("sim", "clock", "advance", "59d")  # 59 days since the last synchronization: nothing yet
    assert lab.ssm_ok("--json", "alerts").json["alerts"] == []
    lab.ok("sim", "clock", "advance", "2d")  # 61 days: the last 30 before the limit
    (warned,) = lab.ssm_ok("--json", "alerts").json["alerts"]
    assert warned["type"] == "Upcoming Satellite Sync Deadline (30 Day)" and warned["source"] == "dark"
    (own,) = lab.ssm_ok("--ssm", "dark", "--json", "alerts").json["alerts"]
    assert own["type"] == warned["type"] and own["due"] == warned["due"]

    lab.ok("sim", "clock", "advance", "30d")  # 91 days: removed
    (removed,) = lab.ssm_ok("--json", "alerts").json["alerts"]
    assert removed["type"] == "Satellite expired and removed (90 Days of no sync)"
    assert lab.ssm_ok("--json", "instance", "list").json["instances"] == []  # its instances went with it
    assert lab.pool()["flex-standard"]["in_use"] == 0
    (own,) = lab.ssm_ok("--ssm", "dark", "--json", "alerts").json["alerts"]
    assert own["type"] == removed["type"] and "Link it again" in own["message"]
    req = tmp_path / "late.json"
    lab.ssm_ok("--ssm", "dark", "sync", "export", "--out", str(req))
    lab.refused(["sync", "import", str(req), "--out", str(tmp_path / "a.json")], "No SSM On-Prem 'dark'", ssm=True)
    kinds = [e["kind"] for e in lab.ssm_ok("--json", "events", "--last", "5").json["events"]]
    assert "satellite-removed" in kinds
