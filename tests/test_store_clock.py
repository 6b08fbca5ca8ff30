"""Atomic versioned state, corrupt and newer files, the lab lock, and the virtual clock."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ccxcli import clock
from ccxcli.errors import StoreError, UsageError
from ccxcli.store import files as store


def test_atomic_write_replaces_and_leaves_no_temp(tmp_path: Path) -> None:
    p = tmp_path / "s.json"
    store.save_json(p, {"a": 1})
    store.save_json(p, {"a": 2})
    assert store.load_json(p, "x") == {"a": 2, "schema": store.SCHEMA}
    assert sorted(f.name for f in tmp_path.iterdir()) == ["s.json"]


def test_failed_write_keeps_the_old_file(tmp_path: Path) -> None:
    p = tmp_path / "s.json"
    store.save_json(p, {"a": 1})
    with pytest.raises(TypeError):
        store.write_atomic(p, object())  # type: ignore[arg-type]
    assert json.loads(p.read_text())["a"] == 1
    assert sorted(f.name for f in tmp_path.iterdir()) == ["s.json"]


@pytest.mark.parametrize("content", [b"{not json", b"[]", b'{"no": "schema"}', b"\xff\xfe"])
def test_corrupt_node_state_exits_3_and_is_left_untouched(lab, content: bytes) -> None:  # type: ignore[no-untyped-def]
    lab.ok("show", "license", "UDI")
    state = lab.home / "nodes" / "uccx" / "state.json"
    state.write_bytes(content)
    for argv in (("show", "license", "UDI"), ("sim", "agent", "add", "x"), ("sim", "clock", "advance", "1d")):
        r = lab.ccx(*argv)
        assert r.code == 3, r
        assert "corrupt" in r.err and "Traceback" not in r.err
    assert state.read_bytes() == content


def test_newer_schema_is_refused(lab) -> None:  # type: ignore[no-untyped-def]
    lab.ok("show", "license", "UDI")
    lab_json = lab.home / "lab.json"
    data = json.loads(lab_json.read_text())
    data["schema"] = 99
    lab_json.write_text(json.dumps(data))
    r = lab.ccx("show", "license", "UDI")
    assert r.code == 3 and "newer" in r.err


def test_lock_not_obtained_is_exit_3(tmp_path: Path) -> None:
    path = tmp_path / ".lock"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            (
                "import fcntl,os,sys,time\n"
                f"fd=os.open({str(path)!r}, os.O_RDWR|os.O_CREAT)\n"
                "fcntl.flock(fd, fcntl.LOCK_EX); print('locked', flush=True); time.sleep(30)"
            ),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        with pytest.raises(StoreError, match="busy"):
            with store.Lock(path, timeout=0.2):
                pass
    finally:
        holder.kill()
        holder.wait()
        holder.stdout.close()  # type: ignore[union-attr]
    with store.Lock(path, timeout=2):  # the kernel released the killed holder's lock
        pass


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("15m", 900), ("8h", 28800), ("90d", 90 * 86400), ("1y", 365 * 86400), ("1d12h", 129600), ("30s", 30)],
)
def test_durations(text: str, seconds: int) -> None:
    assert clock.parse_duration(text) == seconds


@pytest.mark.parametrize("bad", ["", "15", "m", "1x", "-1d", "1.5d", "1d 2h", "9999999y"])
def test_bad_durations_are_usage_errors(bad: str) -> None:
    with pytest.raises(UsageError):
        clock.parse_duration(bad)


def test_times_and_vos_format() -> None:
    t = clock.parse_time("2027-01-26T15:11:23Z")
    assert clock.vos(t) == "Jan 26 15:11:23 2027 UTC"
    assert clock.iso(t) == "2027-01-26T15:11:23Z"
    assert clock.parse_time("2027-01-26") == clock.parse_time("2027-01-26T00:00:00Z")
    with pytest.raises(UsageError):
        clock.parse_time("yesterday")


def test_clock_is_frozen_and_moves_only_when_told(lab) -> None:  # type: ignore[no-untyped-def]
    t0 = lab.ok("--json", "sim", "clock", "show").json["epoch"]
    assert lab.ok("--json", "sim", "clock", "show").json["epoch"] == t0
    assert lab.ok("--json", "sim", "clock", "advance", "8h").json["epoch"] == t0 + 8 * 3600
    assert lab.ok("--json", "sim", "clock", "set", "2030-01-01T00:00:00Z").json["now"] == "2030-01-01T00:00:00Z"
    r = lab.ccx("sim", "clock", "set", "2029-01-01T00:00:00Z")
    assert r.code == 2 and "forward" in r.err
    assert lab.ccx("sim", "clock", "advance", "soon").code == 2


def test_realtime_follows_the_wall_clock_from_the_offset(lab) -> None:  # type: ignore[no-untyped-def]
    lab.ok("sim", "clock", "set", "2030-01-01T00:00:00Z")
    lab.ok("sim", "clock", "realtime", "on")
    now = lab.ok("--json", "sim", "clock", "show").json
    assert now["realtime"] is True and abs(now["epoch"] - clock.parse_time("2030-01-01T00:00:00Z")) < 60
    lab.ok("sim", "clock", "realtime", "off")
    assert lab.ok("--json", "sim", "clock", "show").json["realtime"] is False


def test_concurrent_one_shot_writers_lose_nothing(lab, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    lab.ok("show", "license", "UDI")
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "ccxcli", "--home", str(lab.home), "sim", "agent", "add", f"agent{i}"],
            stdout=subprocess.DEVNULL,
        )
        for i in range(12)
    ]
    assert all(p.wait(timeout=60) == 0 for p in procs)
    agents = lab.ok("--json", "sim", "agent", "list").json["agents"]
    assert sorted(a["id"] for a in agents) == sorted(f"agent{i}" for i in range(12))


@settings(deadline=None)  # pure and fast, but a busy CI machine must not fail it on time
@given(st.integers(min_value=0, max_value=253402300799))
def test_the_canonical_time_spelling_is_read_by_arithmetic_as_datetime_reads_it(t: int) -> None:
    from datetime import datetime, timezone

    from ccxcli.clock import _canonical, iso

    text = iso(t)
    assert _canonical(text) == t == int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp())
    assert _canonical(text.replace("Z", "+00:00")) is None  # other spellings go through datetime
    assert datetime.fromtimestamp(t, timezone.utc).year <= 9999


def test_a_hand_edited_node_state_is_checked(tmp_path: Path) -> None:
    from ccxcli.session.context import open_lab, ready
    from ccxcli.store.lab import LabStore

    with open_lab(tmp_path) as lab:
        ready(lab, "uccx")
    state = tmp_path / "nodes" / "uccx" / "state.json"
    doc = json.loads(state.read_text())
    doc["sn"] = 12345  # valid JSON, wrong shape
    state.write_text(json.dumps(doc))
    with LabStore(tmp_path) as lab, pytest.raises(StoreError, match="corrupt"):
        lab.load("uccx")
