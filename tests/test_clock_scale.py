"""A clock move over many nodes costs what its nodes and events cost, not their product
(`session/life.py`'s agenda): counted in calls, never timed. And what one node's event does
to the pool still reaches every other node of its virtual account within the same move."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from labenv import clean_env

from ccxcli.api import Lab
from ccxcli.core import engine


def lab_of(home: Path, n: int, agents: int = 3) -> Lab:
    """A lab (in this process, its environment explicit) with `n` nodes registered into
    DEFAULT, `agents` agents logged in on each."""
    lab = Lab(home, env=clean_env(), inherit_env=False)
    tok = lab.ccx_ssm(["token", "create", "--max-uses", str(n + 5)]).out.strip()
    for i in range(n):
        name = f"s{i:03d}"
        lab.ccx(["sim", "node", "create", name])
        lab.ccx(["license", "smart", "register", "idtoken", tok], node=name)
        lab.ccx(["sim", "agent", "login", "--count", str(agents)], node=name)
    return lab


def counting(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """`engine.next_due` counted from now on (the work of a clock move, never its time)."""
    calls = [0]
    real = engine.next_due

    def counted(*args: Any) -> Any:
        calls[0] += 1
        return real(*args)

    monkeypatch.setattr(engine, "next_due", counted)
    return calls


def test_a_steady_move_works_out_each_nodes_next_event_once_per_event(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Three times the nodes: about three times the work (the scan it replaced asked every
    node at every event: nine times)."""
    work = {}
    for n in (8, 24):
        lab = lab_of(tmp_path / f"lab{n}", n)
        lab.ccx(["sim", "clock", "advance", "1d"])  # every first report settles
        with monkeypatch.context() as m:
            calls = counting(m)
            events = lab.ccx(["sim", "clock", "advance", "90d"], json=True).json
        assert events["events_processed"] >= n  # a renewal of every node at least
        work[n] = calls[0]
        assert calls[0] <= 3 * (n + events["events_processed"]), (n, calls[0], events["events_processed"])
    assert work[24] < 4.5 * work[8], work


def test_a_pool_change_in_a_move_reaches_every_node_of_its_virtual_account(tmp_path: Path) -> None:
    """Node a at steady usage; node b's first report, in the same move, changes the pool a
    reports against: a reports once more and ends the move knowing the pool as it is."""
    home = tmp_path / "lab"
    lab = lab_of(home, 1)
    lab.ccx(["sim", "clock", "advance", "1d"])
    tok = lab.ccx_ssm(["token", "create"]).out.strip()
    lab.ccx(["sim", "node", "create", "b"])
    lab.ccx(["license", "smart", "register", "idtoken", tok], node="b")
    lab.ccx(["sim", "agent", "login", "--count", "5"], node="b")
    lab.ccx(["sim", "clock", "advance", "2h"])
    state = json.loads((home / "nodes" / "s000" / "state.json").read_text())
    pool_version = json.loads((home / "nodes" / "b" / "state.json").read_text())["comp"]["version"]
    assert state["comp"]["version"] == pool_version, (state["comp"], pool_version)  # a saw b's change
    in_use = {r["alias"]: r["in_use"] for r in lab.ccx_ssm(["license", "list"], json=True).json["licenses"]}
    assert in_use["flex-standard"] == 3 + 5  # and the SSM counts both


def test_settling_fresh_registrations_is_linear_in_the_nodes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """N nodes' first reports into one pool: the pool's version moves only when its verdict
    (the licenses it is short of) changes, so the other nodes' next events are worked out again
    only then. Three times the nodes: about three times the work (every first report moving the
    version had every node worked out again: nine times). Both pools end short (50 licenses,
    10 agents a node): every node reports its overage and goes out of compliance."""
    work = {}
    for n in (8, 24):
        lab = lab_of(tmp_path / f"lab{n}", n, agents=10)
        with monkeypatch.context() as m:
            calls = counting(m)
            lab.ccx(["sim", "clock", "advance", "1d"])
        work[n] = calls[0]
        statuses = {
            lab.ccx(["show", "license", "status"], node=f"s{i:03d}", json=True).json["authorization"]["status"]
            for i in range(n)
        }
        assert statuses == {"OUT_OF_COMPLIANCE"}, (n, statuses)
    assert work[24] < 4.5 * work[8], work
