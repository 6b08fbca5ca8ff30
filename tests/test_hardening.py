"""Hostile input, crashes and concurrency.

Example counts are small in CI; set CCX_STRESS=10 (a multiplier) for a longer run.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import Lab, ccx_run, ssm_run
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ccxcli.cli.commands import COMMANDS

STRESS = int(os.environ.get("CCX_STRESS", "1"))
ALLOWED_EXITS = {0, 1, 2, 3, 4}


def ccx_proc(home: Path, *argv: str, **kw: Any) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "ccxcli", "--home", str(home), *argv],
        text=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        **kw,
    )


def ssm_proc(home: Path, *argv: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from ccxcli.ssm.cli.main import main; sys.exit(main())",
            "--home",
            str(home),
            *argv,
        ],
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


# --- fuzzing command lines --------------------------------------------------------------------

WORDS = sorted(
    {w for c in COMMANDS for w in c.words}
    | {p.name for c in COMMANDS for p in c.params if p.kind != "arg"}
    | {ch for c in COMMANDS for p in c.params for ch in p.choices}
)
VALUES = [
    "1",
    "0",
    "3",
    "15m",
    "1d",
    "uccx",
    "b",
    "x",
    "flex",
    "on",
    "off",
    "-",
    "?",
    "sh?",
    '"',
    "--count",
    "--json",
    "--yes",
    "2027-01-01T00:00:00Z",
    "<specificPLR>",
    "CB-ZUCCX:00000-AAAA-00",
    "ü",
    "\x00",
    "",
]
ANY = st.one_of(st.sampled_from(WORDS), st.sampled_from(VALUES), st.text(max_size=12))
TOKENS = st.one_of(
    st.lists(ANY, min_size=1, max_size=7),
    # a real command's keywords followed by random arguments reaches the handlers
    st.tuples(st.sampled_from(COMMANDS), st.lists(ANY, max_size=4)).map(lambda cr: [*cr[0].words, *cr[1]]),
)


@pytest.fixture(scope="module")
def fuzz_lab(tmp_path_factory: pytest.TempPathFactory) -> Lab:
    lab = Lab(tmp_path_factory.mktemp("fuzz") / "lab")
    lab.ok("sim", "node", "create", "b")
    return lab


@settings(max_examples=150 * STRESS, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(tokens=TOKENS)
def test_fuzzed_command_lines(fuzz_lab: Lab, tokens: list[str]) -> None:
    before = fuzz_lab.snapshot()
    r = fuzz_lab.ccx(*tokens)
    assert r.code in ALLOWED_EXITS, (tokens, r)
    assert "Traceback" not in r.err and "Internal error" not in r.err, (tokens, r)
    if r.code != 0:
        assert r.err.strip() and r.err.count("\n") <= 2, (tokens, r)
        if r.code != 4:  # a failed renewal is logged by design
            assert fuzz_lab.snapshot() == before, tokens


def test_oversized_input_is_refused(lab: Lab) -> None:
    lab.ok("show", "license", "UDI")
    before = lab.snapshot()
    huge = 'license smart reservation install "' + "A" * (10 * 1024 * 1024)
    r = lab.ccx("run", "-", stdin=huge)  # a 10 MB line without end
    assert r.code == 2 and "too long" in r.err
    r = lab.ccx("run", "-", stdin=huge + '"\n')
    assert r.code == 2 and "too long" in r.err
    r = lab.ccx("license", "smart", "reservation", "install", "-", stdin="<" * (10 * 1024 * 1024))
    assert r.code == 1 and "too large" in r.err
    assert lab.snapshot() == before


# --- fuzzing state files -----------------------------------------------------------------------

JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(10**20), 10**20) | st.text(max_size=8),
    lambda kids: st.lists(kids, max_size=3) | st.dictionaries(st.text(max_size=6), kids, max_size=3),
    max_leaves=6,
)


def _paths(doc: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix] if prefix else []
    if isinstance(doc, dict):
        for k, v in doc.items():
            out += _paths(v, prefix + (k,))
    elif isinstance(doc, list):
        for i, v in enumerate(doc[:3]):
            out += _paths(v, prefix + (i,))
    return out


@pytest.fixture(scope="module")
def state_lab(tmp_path_factory: pytest.TempPathFactory) -> tuple[Lab, bytes]:
    lab = Lab(tmp_path_factory.mktemp("state") / "lab")
    tok = lab.ssm_ok("token", "create", "--va", "DEFAULT").out.strip()
    lab.ok("license", "smart", "register", "idtoken", tok)
    lab.ok("sim", "agent", "add", "a1", "--skills", "chat")
    lab.ok("sim", "agent", "login", "a1")
    lab.ok("sim", "clock", "advance", "1h")
    return lab, (lab.home / "nodes" / "uccx" / "state.json").read_bytes()


@settings(max_examples=150 * STRESS, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_fuzzed_state_files(state_lab: tuple[Lab, bytes], data: st.DataObject) -> None:
    lab, good = state_lab
    path = lab.home / "nodes" / "uccx" / "state.json"
    doc = json.loads(good)
    how = data.draw(st.sampled_from(["value", "delete", "bytes"]))
    if how == "bytes":
        raw = bytearray(good)
        for _ in range(data.draw(st.integers(1, 5))):
            raw[data.draw(st.integers(0, len(raw) - 1))] = data.draw(st.integers(0, 255))
        content = bytes(raw)
    else:
        where = data.draw(st.sampled_from(_paths(doc)))
        parent = doc
        for k in where[:-1]:
            parent = parent[k]
        if how == "delete" and isinstance(parent, dict):
            del parent[where[-1]]
        else:
            parent[where[-1]] = data.draw(JSON)
        content = json.dumps(doc).encode()
    path.write_bytes(content)
    try:
        for argv in (
            ["--json", "show", "license", "status"],
            ["sim", "agent", "add", "zz"],
            ["sim", "clock", "advance", "1d"],
            ["show", "license", "techsupport"],
        ):
            before = path.read_bytes()  # what this command found (an earlier one may have saved it)
            r = lab.ccx(*argv)
            assert r.code in ALLOWED_EXITS and "Internal error" not in r.err and "Traceback" not in r.err, (how, r)
            if r.code == 3:
                assert path.read_bytes() == before  # left untouched for inspection
    finally:
        path.write_bytes(good)
        lab.ccx("--yes", "sim", "agent", "delete", "zz")


# --- crash safety ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("point", "landed"), [("store-before-replace", False), ("store-after-replace", True)])
def test_sigkill_during_a_node_write_leaves_exactly_the_old_or_the_new_state(
    lab: Lab, point: str, landed: bool
) -> None:
    lab.register()
    before = len(lab.ok("--json", "sim", "agent", "list").json["agents"])
    r = ccx_run(lab.home, "sim", "agent", "login", "--count", "40", CCX_TEST_KILL_AT=point)
    assert r.returncode == -signal.SIGKILL, r  # the kill landed, at that very point
    after = len(lab.ok("--json", "sim", "agent", "list").json["agents"])
    assert after == before + (40 if landed else 0)
    lab.ok("--json", "show", "license", "status")
    assert lab.ccx("sim", "clock", "advance", "1h").code == 0


@pytest.mark.parametrize(("point", "landed"), [("ssm-before-commit", False), ("ssm-after-commit", True)])
def test_sigkill_during_an_ssm_write_leaves_exactly_the_old_or_the_new_state(
    lab: Lab, point: str, landed: bool
) -> None:
    before = len(lab.ssm_ok("--json", "token", "list").json["tokens"])
    q = ssm_run(lab.home, "token", "create", "--va", "DEFAULT", CCX_TEST_KILL_AT=point)
    assert q.returncode == -signal.SIGKILL and q.stdout == "", q  # killed before anything was printed
    after = len(lab.ssm_ok("--json", "token", "list").json["tokens"])
    assert after == before + (1 if landed else 0)
    db = sqlite3.connect(lab.home / "ssm" / "cloud" / "ssm.db")
    try:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        db.close()
    assert lab.ssm("token", "list").code == 0


# --- concurrency -------------------------------------------------------------------------------------


def test_parallel_logins_lose_no_update(lab: Lab) -> None:
    lab.ok("show", "license", "UDI")
    n = 8
    procs = [ccx_proc(lab.home, "sim", "agent", "login", "--count", "2") for _ in range(n)]
    assert all(p.wait(timeout=120) == 0 for p in procs)
    for p in procs:
        p.stderr.close()  # type: ignore[union-attr]
    agents = lab.ok("--json", "sim", "agent", "list").json["agents"]
    assert len(agents) == 2 * n and all(a["in"] for a in agents)
    outs = [ccx_proc(lab.home, "sim", "agent", "logout", f"auto-std-{i:04d}") for i in range(1, n + 1)]
    assert all(p.wait(timeout=120) == 0 for p in outs)
    for p in outs:
        p.stderr.close()  # type: ignore[union-attr]
    assert sum(a["in"] for a in lab.ok("--json", "sim", "agent", "list").json["agents"]) == n


def test_parallel_ssm_operations_no_duplicate_reservation(lab: Lab) -> None:
    lab.ok("license", "smart", "reservation", "enable")
    req = lab.ok("--json", "license", "smart", "reservation", "request").json["request_code"]
    procs = [
        ssm_proc(
            lab.home, "reservation", "authorize", "--va", "DEFAULT", "--request", req, "--license", "flex-standard=3"
        )
        for _ in range(6)
    ]
    procs += [ssm_proc(lab.home, "token", "create", "--va", "DEFAULT") for _ in range(6)]
    results = [(p.wait(timeout=120), *p.communicate()) for p in procs]
    auth = [r for r in results[:6] if r[0] == 0]
    assert len(auth) == 1, results
    assert all(r[0] == 1 and "already been used" in r[2] for r in results[:6] if r[0] != 0)
    assert all(r[0] == 0 for r in results[6:])
    assert len(lab.ssm_ok("--json", "token", "list").json["tokens"]) == 6
    assert lab.pool()["flex-standard"]["reserved"] == 3
    assert len(lab.ssm_ok("--json", "reservation", "list").json["reservations"]) == 1


def test_a_killed_lock_holder_leaves_no_lock_behind(lab: Lab) -> None:
    lab.ok("show", "license", "UDI")
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            (
                "import sys, time\nfrom pathlib import Path\nfrom ccxcli.store.lab import LabStore\n"
                f"lab = LabStore(Path({str(lab.home)!r})).__enter__()\nprint('holding', flush=True)\ntime.sleep(60)"
            ),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    holder.stdout.close()
    lab.environ["CCX_LOCK_TIMEOUT"] = "0"  # a lock left behind would refuse the command at once: no wait, no timing
    lab.ok("sim", "agent", "add", "after-kill")


def test_a_report_outcome_without_its_time_is_a_corrupt_state(lab: Lab) -> None:
    """Found by test_fuzzed_state_files: `comp.last_report` set to null on a registered node
    whose last report was delivered made the next clock move fail with an internal error."""
    lab.register()
    lab.ok("sim", "clock", "advance", "1h")
    path = lab.home / "nodes" / "uccx" / "state.json"
    doc = json.loads(path.read_bytes())
    assert doc["comp"]["outcome"] is not None
    doc["comp"]["last_report"] = None
    content = json.dumps(doc).encode()
    path.write_bytes(content)
    r = lab.ccx("sim", "clock", "advance", "1d")
    assert r.code == 3 and "report outcome without the time" in r.err, r
    assert path.read_bytes() == content


def test_an_evaluation_start_after_the_nodes_time_counts_no_negative_time(state_lab: tuple[Lab, bytes]) -> None:
    """Found by test_fuzzed_state_files: a state whose evaluation started 'later' than the
    node's time was accepted, then a clock move counted negative evaluation time and saved a
    state the next command called corrupt."""
    lab, good = state_lab
    path = lab.home / "nodes" / "uccx" / "state.json"
    doc = json.loads(good)
    doc["eval"]["since"] = doc["time"] + 10_000_000
    path.write_bytes(json.dumps(doc).encode())
    try:
        lab.ok("sim", "clock", "advance", "1d")
        lab.ok("--yes", "license", "smart", "deregister")  # the evaluation pauses: its time is added
        assert json.loads(path.read_bytes())["eval"]["used"] >= 0
        lab.ok("show", "license", "techsupport")  # and the next command still reads the state
    finally:
        path.write_bytes(good)
