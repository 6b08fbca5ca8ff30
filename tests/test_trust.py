"""Node and SSM always agree (issue 9): one test per way they were seen to disagree, or a
single input was seen to break the lab. Each of these failed before the change."""

from __future__ import annotations

import base64
import json
import os
import re
import signal
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import Lab, authorize_args, ccx_run, child_env, ssm_run

from ccxcli.errors import StoreError, classify
from ccxcli.protocol import codes

T = ["license", "smart", "reservation"]


def instance_usage(lab: Lab) -> dict[str, dict[str, int]]:
    return {r["uuid"]: r["usage"] for r in lab.ssm_ok("--json", "instance", "list").json["instances"]}


def request(lab: Lab, node: str | None = None) -> str:
    extra = ["--node", node] if node else []
    lab.ok(*extra, *T, "enable")
    return lab.ok(*extra, "--json", *T, "request", "specific").json["request_code"]  # type: ignore[no-any-return]


def install(lab: Lab, std: int = 20, prem: int = 5, node: str | None = None) -> str:
    extra = ["--node", node] if node else []
    code = lab.ssm_ok(*authorize_args(request(lab, node), std, prem)).out.strip()
    lab.ok(*extra, *T, "install", code)
    return code


# --- 1. scripts keep the work of their successful lines --------------------------------------------


@pytest.mark.parametrize("keep_going", [False, True])
def test_script_keeps_successful_lines_when_a_later_line_fails(lab: Lab, keep_going: bool) -> None:
    tok = lab.ssm_ok("token", "create").out.strip()
    start = lab.ok("--json", "sim", "clock", "show").json["epoch"]
    script = f"license smart register idtoken {tok}\nsim agent login --count 5\nsim clock advance 15m\nbogus\n"
    r = lab.ccx("run", "-", *(["--keep-going"] if keep_going else []), stdin=script)
    assert r.code == 2 and "line 4: " in r.err
    st = lab.status()
    assert st["registration"]["status"] == "REGISTERED"
    assert lab.ok("--json", "sim", "clock", "show").json["epoch"] == start + 900
    assert instance_usage(lab)[st["udi"]["uuid"]]["flex-standard"] == 5  # the SSM and the node agree
    assert {u["alias"]: u["reported"] for u in st["usage"]}["flex-standard"] == 5
    lab.refused(["license", "smart", "register", "idtoken", tok], "already registered")


# --- 2. what is printed is saved first; registration survives a kill at any point -----------------


def _script_until(home: Path, lines: list[str], pattern: str) -> tuple[subprocess.Popen[str], str]:
    """Start `ccx run -` on a pipe, feed `lines`, read its output until `pattern` shows,
    leaving the pipe open (the script then waits for more input)."""
    p = subprocess.Popen(
        [sys.executable, "-m", "ccxcli", "run", "-"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=child_env(home),
    )
    assert p.stdin is not None and p.stdout is not None
    p.stdin.write("".join(line + "\n" for line in lines))
    p.stdin.flush()
    out = ""
    while not re.search(pattern, out):
        line = p.stdout.readline()
        assert line, out
        out += line
    return p, out


def _kill(p: subprocess.Popen[str]) -> None:
    if p.poll() is None:
        p.send_signal(signal.SIGKILL)
    p.wait()
    for f in (p.stdin, p.stdout):
        if f is not None:
            f.close()


def test_a_return_code_printed_by_a_killed_script_is_saved(lab: Lab) -> None:
    install(lab)
    p, out = _script_until(
        lab.home, ["license smart reservation return", "y"], r"\n[0-9A-Za-z]{6}(-[0-9A-Za-z]{1,6}){5,}\n"
    )
    _kill(p)
    code = out.strip().splitlines()[-1]
    assert lab.status()["registration"]["status"] == "UNREGISTERED"  # the node no longer holds them
    lab.ssm_ok("reservation", "return", code)
    assert all(r["reserved"] == 0 for r in lab.pool().values())


def test_a_request_code_printed_by_a_killed_script_is_saved(lab: Lab) -> None:
    lab.ok(*T, "enable")
    p, out = _script_until(lab.home, ["license smart reservation request specific"], r"CB-ZUCCX:\S+")
    _kill(p)
    req = re.search(r"CB-ZUCCX:\S+", out).group(0)  # type: ignore[union-attr]
    code = lab.ssm_ok(*authorize_args(req)).out.strip()
    lab.ok(*T, "install", code)
    assert lab.status()["registration"]["status"] == "REGISTERED_SLR"


@pytest.mark.parametrize("point", ["exchange-recorded", "ssm-committed", "exchange-answered"])
def test_registration_killed_at_any_point_agrees_after_the_next_command(lab: Lab, point: str) -> None:
    tok = lab.ssm_ok("token", "create", "--max-uses", "1").out.strip()
    r = ccx_run(lab.home, "license", "smart", "register", "idtoken", tok, CCX_TEST_KILL_AT=point)
    assert r.returncode == -signal.SIGKILL
    st = lab.status()  # the next command settles what the killed one left
    on_ssm = st["udi"]["uuid"] in instance_usage(lab)
    assert st["registration"]["status"] == ("REGISTERED" if on_ssm else "UNREGISTERED")
    assert on_ssm  # the message was recorded first, so the registration is completed
    tokens = lab.ssm_ok("--json", "token", "list").json["tokens"]
    assert tokens[0]["uses"] == 1


@pytest.mark.parametrize("point", ["exchange-recorded", "ssm-committed"])
def test_deregistration_killed_at_any_point_agrees(lab: Lab, point: str) -> None:
    lab.register()
    r = ccx_run(lab.home, "--yes", "license", "smart", "deregister", CCX_TEST_KILL_AT=point)
    assert r.returncode == -signal.SIGKILL
    st = lab.status()
    assert st["registration"]["status"] == "UNREGISTERED" and st["udi"]["uuid"] not in instance_usage(lab)


def test_a_clock_move_killed_after_a_report_is_completed_by_the_next_command(lab: Lab) -> None:
    lab.register()
    lab.ok("sim", "agent", "login", "--count", "7")
    start = lab.ok("--json", "sim", "clock", "show").json["epoch"]
    r = ccx_run(lab.home, "sim", "clock", "advance", "1d", CCX_TEST_KILL_AT="ssm-committed")
    assert r.returncode == -signal.SIGKILL
    st = lab.status()
    assert lab.ok("--json", "sim", "clock", "show").json["epoch"] == start + 86400  # the move was completed
    assert instance_usage(lab)[st["udi"]["uuid"]]["flex-standard"] == 7
    assert st["compliance"]["last_report_outcome"] == "compliant"


# --- 3, 4. exact reservation updates; confirmation codes only the node can make --------------------------


def test_an_update_holds_the_old_counts_until_confirmed(lab: Lab) -> None:
    install(lab, std=20, prem=0)
    sn = lab.status()["udi"]["sn"]
    update = lab.ssm_ok("reservation", "update", sn, "--license", "flex-standard=1").out.strip()
    assert lab.pool()["flex-standard"]["reserved"] == 20  # nothing is freed before the confirmation
    lab.ok("sim", "node", "create", "b")
    other = request(lab, "b")
    r = lab.ssm(*authorize_args(other, std=21, prem=0))  # 40 bought, 20 held: 21 do not fit
    assert r.code == 1 and "available" in r.err
    conf = lab.ok("--json", *T, "install", update).json["confirmation_code"]
    lab.ssm_ok("reservation", "confirm", sn, conf)
    assert lab.pool()["flex-standard"]["reserved"] == 1
    lab.ssm_ok(*authorize_args(other, std=21, prem=0))


def test_only_the_newest_update_can_be_confirmed(lab: Lab) -> None:
    install(lab, std=20, prem=0)
    sn = lab.status()["udi"]["sn"]
    first = lab.ssm_ok("reservation", "update", sn, "--license", "flex-standard=5").out.strip()
    lab.ssm_ok("reservation", "update", sn, "--license", "flex-standard=10")
    assert lab.pool()["flex-standard"]["reserved"] == 20  # held: the most of every outstanding code
    conf = lab.ok("--json", *T, "install", first).json["confirmation_code"]
    lab.refused(["reservation", "confirm", sn, conf], "superseded", ssm=True)
    assert lab.pool()["flex-standard"]["reserved"] == 20


def test_the_confirmation_code_cannot_be_computed_from_the_authorization_code(lab: Lab) -> None:
    install(lab)
    sn = lab.status()["udi"]["sn"]
    update = lab.ssm_ok("reservation", "update", sn, "--license", "flex-standard=30").out.strip()
    a = codes.parse_authorization(update)
    forged = codes.legacy_confirmation(a.piid, a.timestamp, a.udi)  # what the old scheme printed
    r = lab.ssm("reservation", "confirm", sn, forged)
    assert r.code == 1 and "does not match" in r.err
    conf = lab.ok("--json", *T, "install", update).json["confirmation_code"]
    assert conf != forged
    lab.ssm_ok("reservation", "confirm", sn, conf)


def test_wrong_confirmation_codes_are_logged_and_limited(lab: Lab) -> None:
    install(lab)
    sn = lab.status()["udi"]["sn"]
    update = lab.ssm_ok("reservation", "update", sn, "--license", "flex-standard=30").out.strip()
    conf = lab.ok("--json", *T, "install", update).json["confirmation_code"]
    for i in range(5):
        r = lab.ssm("reservation", "confirm", sn, f"{i:08x}")
        assert r.code == 1 and "does not match" in r.err
    events = lab.ssm_ok("--json", "events").json["events"]
    assert sum(e["kind"] == "confirm-failed" for e in events) == 5
    lab.refused(["reservation", "confirm", sn, conf], "wrong Confirmation Codes", ssm=True)  # even the right one
    update = lab.ssm_ok("reservation", "update", sn, "--license", "flex-standard=31").out.strip()
    conf = lab.ok("--json", *T, "install", update).json["confirmation_code"]
    lab.ssm_ok("reservation", "confirm", sn, conf)


# --- 5. no license is ever stuck --------------------------------------------------------------------------


def test_factory_reset_with_a_code_installed_can_still_return_it(lab: Lab) -> None:
    code = install(lab)
    lab.ok("--yes", "license", "smart", "factory", "reset")
    ret = lab.ok("--json", *T, "return-authorization", code).json["return_code"]
    lab.ssm_ok("reservation", "return", ret)
    assert all(r["reserved"] == 0 for r in lab.pool().values())


def test_factory_reset_with_an_authorized_request_can_still_return_it(lab: Lab) -> None:
    code = lab.ssm_ok(*authorize_args(request(lab))).out.strip()
    lab.ok("--yes", "license", "smart", "factory", "reset")
    ret = lab.ok("--json", *T, "return-authorization", code).json["return_code"]
    lab.ssm_ok("reservation", "return", ret)
    assert all(r["reserved"] == 0 for r in lab.pool().values())


def test_many_request_cancel_cycles_keep_every_code_returnable(lab: Lab) -> None:
    lab.ok(*T, "enable")
    first = None
    for _ in range(25):
        req = lab.ok("--json", *T, "request").json["request_code"]
        if first is None:
            first = lab.ssm_ok(*authorize_args(req, 1, 0)).out.strip()
        lab.ok(*T, "cancel")
    assert first is not None
    ret = lab.ok("--json", *T, "return-authorization", first).json["return_code"]
    lab.ssm_ok("reservation", "return", ret)


def test_a_node_holding_licenses_on_the_ssm_cannot_be_deleted(lab: Lab) -> None:
    lab.ok("sim", "node", "create", "b")
    code = lab.ssm_ok(*authorize_args(request(lab, "b"))).out.strip()
    lab.refused(["--yes", "sim", "node", "delete", "b"], "cancel it first")
    lab.ok("--node", "b", *T, "cancel")
    lab.refused(["--yes", "sim", "node", "delete", "b"], "cannot be deleted")
    ret = lab.ok("--node", "b", "--json", *T, "return-authorization", code).json["return_code"]
    lab.ssm_ok("reservation", "return", ret)
    lab.ok("--yes", "sim", "node", "delete", "b")


def test_instance_remove_force_releases_a_lost_nodes_reservation(lab: Lab) -> None:
    install(lab)
    sn = lab.status()["udi"]["sn"]
    lab.refused(["instance", "remove", sn], "--force", ssm=True)
    lab.ssm_ok("instance", "remove", sn, "--force")
    assert all(r["reserved"] == 0 for r in lab.pool().values())
    alerts = lab.ssm_ok("--json", "alerts").json["alerts"]
    assert any("without a return code" in a["message"] for a in alerts)
    assert any(e["kind"] == "released" for e in lab.ssm_ok("--json", "events").json["events"])


# --- 6. bounded values: nothing accepted can stop the lab; no input gives exit 70 ---------------------


@pytest.mark.parametrize(
    ("argv", "ssm"),
    [
        (["appadmin", "license", "control", "--standard-seats", "9007199254740992"], False),
        (["sim", "ports", "outbound", "99999999999999999999"], False),
        (["sim", "agent", "login", "--count", "²"], False),
        (["appadmin", "events", "--last", "1" * 5000], False),
        (["sim", "clock", "advance", "9" * 5000 + "m"], False),
        (["license", "add", "flex-standard", "9223372036854775807", "--va", "DEFAULT"], True),
        (["token", "create", "--va", "DEFAULT", "--max-uses", "99999999999999999999"], True),
        (["reservation", "authorize", "--va", "DEFAULT", "--request", "x", "--license", "flex-standard=²"], True),
    ],
)
def test_out_of_range_numbers_are_refused_at_input(lab: Lab, argv: list[str], ssm: bool) -> None:
    lab.ok("show", "license", "UDI")
    lab.refused(argv, "", ssm=ssm, code=2)
    lab.ok("show", "license", "status")
    assert lab.ssm("license", "list").code == 0


def test_ids_far_out_of_range_are_not_found_rather_than_crashing(lab: Lab) -> None:
    lab.ok("show", "license", "UDI")
    for argv in (["instance", "show", "9" * 30], ["reservation", "confirm", "9" * 30, "00000000"]):
        lab.refused(argv, "No ", ssm=True, code=1)


def test_the_clock_stops_at_year_9999(lab: Lab) -> None:
    lab.ok("sim", "clock", "set", "9990-01-01T00:00:00Z")
    r = lab.ccx("sim", "clock", "advance", "100y")
    assert r.code == 2 and "9999" in r.err
    lab.ok("sim", "clock", "advance", "9y")
    assert lab.ok("--json", "show", "license", "status").json["now"].startswith("9998")


def test_at_most_100_trusted_keys(lab: Lab, tmp_path: Path) -> None:
    from ccxcli.session.reservation import MAX_TRUSTED

    lab.ok("show", "license", "UDI")
    data = json.loads((lab.home / "lab.json").read_text())
    data["trusted"] = [
        codes.public_pem_of(codes.load_private(codes.new_signing_key()[0])).decode() for _ in range(MAX_TRUSTED)
    ]
    (lab.home / "lab.json").write_text(json.dumps(data))
    pem = tmp_path / "k.pem"
    pem.write_bytes(codes.new_signing_key()[1])
    lab.refused(["sim", "ssm", "trust", str(pem)], "most it keeps")
    lab.ok("show", "license", "status")


def test_concurrent_init_of_one_ssm_folder(tmp_path: Path) -> None:
    folder = tmp_path / "ssm-x"
    code = "import sys; from ccxcli.ssm.cli.main import main; sys.exit(main())"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code, "--ssm", str(folder), "init"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=child_env(tmp_path / "lab"),
        )
        for _ in range(6)
    ]
    results = [(p.wait(timeout=120), *p.communicate()) for p in procs]
    assert sorted(r[0] for r in results) == [0, 1, 1, 1, 1, 1], results
    assert all("already exists" in r[2] for r in results if r[0])
    assert ssm_run(tmp_path / "lab", "--ssm", str(folder), "license", "list").returncode == 0


def test_a_busy_ssm_database_is_exit_3_busy_not_corrupt(lab: Lab) -> None:
    """A change waits for another writer, then gives up as busy (exit 3); a reading command
    does not wait at all (the database keeps a write-ahead log: readers never wait for a writer)."""
    lab.ok("show", "license", "UDI")
    db = sqlite3.connect(lab.home / "ssm" / "cloud" / "ssm.db", isolation_level=None)
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    db.execute("BEGIN EXCLUSIVE")
    try:
        r = ssm_run(lab.home, "token", "create", CCX_LOCK_TIMEOUT="0.5")
        assert r.returncode == 3 and "busy" in r.stderr and "corrupt" not in r.stderr, r
        r = ssm_run(lab.home, "license", "list", CCX_LOCK_TIMEOUT="0.5")
        assert r.returncode == 0 and "flex-standard" in r.stdout, r
    finally:
        db.execute("ROLLBACK")
        db.close()


def test_disk_full_and_read_only_errors_are_exit_3_with_their_own_message(lab: Lab, tmp_path: Path) -> None:
    import errno

    for err, words in ((errno.ENOSPC, "disk is full"), (errno.EROFS, "read-only")):
        e = classify(OSError(err, os.strerror(err), str(tmp_path)))
        assert isinstance(e, StoreError) and words in e.message and e.exit_code == 3
    ro = tmp_path / "ro.db"
    sqlite3.connect(ro).execute("CREATE TABLE t(x)").connection.close()
    conn = sqlite3.connect(f"file:{ro}?mode=ro", uri=True)
    with pytest.raises(sqlite3.OperationalError) as info:
        conn.execute("INSERT INTO t VALUES (1)")
    e = classify(info.value)
    assert isinstance(e, StoreError) and "read-only" in e.message


def test_a_full_disk_while_saving_leaves_the_old_state(lab: Lab, monkeypatch: pytest.MonkeyPatch) -> None:
    import errno

    import ccxcli.store.files

    lab.ok("show", "license", "UDI")
    before = lab.snapshot()

    def full(*a: object, **k: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(ccxcli.store.files.os, "replace", full)
    r = lab.ccx("sim", "agent", "add", "a1")
    assert r.code == 3 and "disk is full" in r.err
    monkeypatch.undo()
    assert lab.snapshot() == before


# --- 7. one corrupt node does not stop the others -----------------------------------------------------


def test_a_corrupt_node_does_not_stop_the_others(lab: Lab) -> None:
    lab.ok("sim", "node", "create", "b")
    state = lab.home / "nodes" / "b" / "state.json"
    state.write_bytes(b"{broken")
    lab.ok("show", "license", "UDI")
    r = lab.ok("sim", "clock", "advance", "1d")
    assert "Node b was not moved" in r.out
    assert lab.ccx("--node", "b", "show", "license", "status").code == 3
    assert state.read_bytes() == b"{broken"  # left for inspection
    assert "CORRUPT" in lab.ok("sim", "node", "list").out
    lab.ok("--yes", "sim", "node", "delete", "b")
    assert lab.ok("--json", "sim", "node", "list").json["nodes"][0]["name"] == "uccx"


def test_a_repaired_node_catches_up_with_the_clock(lab: Lab) -> None:
    lab.ok("sim", "node", "create", "b")
    state = lab.home / "nodes" / "b" / "state.json"
    good = state.read_bytes()
    state.write_bytes(b"{broken")
    lab.ok("sim", "clock", "advance", "91d")
    state.write_bytes(good)
    st = lab.status("b")
    assert st["authorization"]["status"] == "EVAL_EXPIRED" and st["enforcement"]["reason"] == "EVAL_EXPIRY"


# --- 8. a trailing --yes or --json applies to its own line only ----------------------------------------


def test_trailing_options_apply_to_their_line_only(lab: Lab) -> None:
    script = (
        "sim node create zz\nshow license UDI --yes\nshow license UDI --json\nsim node delete zz\nn\nshow license UDI\n"
    )
    r = lab.ccx("run", "-", "--keep-going", stdin=script)
    assert r.code == 2 and "Cancelled" in r.err
    assert "zz" in [n["name"] for n in lab.ok("--json", "sim", "node", "list").json["nodes"]]
    assert r.out.count('"udi"') == 1  # only the line that asked for JSON


# --- 9. text from the SSM side never reaches the terminal raw -----------------------------------------


@pytest.mark.parametrize("name", ["Sales\nadmin: ", "Sales\x1b[2J", "x\t"])
def test_control_characters_are_refused_in_names(lab: Lab, name: str) -> None:
    lab.ok("show", "license", "UDI")
    lab.refused(["va", "create", name], "control characters", ssm=True, code=2)
    lab.refused(["token", "create", "--description", name], "control characters", ssm=True, code=2)
    lab.refused(["sim", "node", "create", "abc\n"], "Invalid node name", code=2)


def test_names_already_stored_with_control_characters_are_shown_escaped(lab: Lab) -> None:
    lab.ok("show", "license", "UDI")
    db = sqlite3.connect(lab.home / "ssm" / "cloud" / "ssm.db")
    db.execute("UPDATE va SET name=? WHERE name='DEFAULT'", ("Sales\nadmin: \x1b[2J",))
    db.execute("UPDATE pool SET va=?", ("Sales\nadmin: \x1b[2J",))
    db.execute("UPDATE meta SET value=? WHERE key='account'", ("Acct\x1b]0;x\x07",))
    db.commit()
    db.close()
    tok = lab.ssm_ok("token", "create").out.strip()
    lab.ok("license", "smart", "register", "idtoken", tok)
    for out in (
        lab.ok("show", "license", "all").out,
        lab.ok("show", "license", "techsupport").out,
        lab.ssm_ok("va", "list").out,
        lab.ssm_ok("instance", "list").out,
        lab.ssm_ok("events").out,
    ):
        assert "\x1b" not in out and "\nadmin: " not in out and "\x07" not in out, out
    assert "Sales\\nadmin: \\x1b[2J" in lab.ok("show", "license", "status").out


# --- 10. private files; links planted in the home are never followed ---------------------------------


def test_lab_files_are_private(lab: Lab) -> None:
    lab.register()
    assert stat.S_IMODE(lab.home.stat().st_mode) == 0o700
    for p in lab.home.rglob("*"):
        mode = stat.S_IMODE(p.lstat().st_mode)
        assert mode & 0o077 == 0, (p, oct(mode))


def test_a_planted_link_for_the_ssm_key_is_not_written_through(tmp_path: Path) -> None:
    folder = tmp_path / "ssm-x"
    folder.mkdir(mode=0o700)
    victim = tmp_path / "victim"
    victim.write_text("precious")
    (folder / "key.pem").symlink_to(victim)
    r = ssm_run(tmp_path / "lab", "--ssm", str(folder), "init")
    assert r.returncode == 0, r.stderr
    assert victim.read_text() == "precious"
    assert not (folder / "key.pem").is_symlink()


def test_a_planted_link_for_a_state_file_is_replaced_not_followed(lab: Lab, tmp_path: Path) -> None:
    lab.ok("show", "license", "UDI")
    victim = tmp_path / "victim"
    victim.write_text("precious")
    lock = lab.home / ".lock"
    lock.unlink()
    lock.symlink_to(victim)
    r = lab.ccx("show", "license", "UDI")
    assert r.code == 3 and "symbolic link" in r.err
    assert victim.read_text() == "precious"


# --- 11. one spelling per signature ---------------------------------------------------------------------


def test_a_high_s_twin_of_a_valid_signature_is_refused(lab: Lab) -> None:
    from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature

    code = lab.ssm_ok(*authorize_args(request(lab))).out.strip()
    sig = re.search(r"<signature>([^<]+)</signature>", code).group(1)  # type: ignore[union-attr]
    r_, s_ = decode_dss_signature(base64.b64decode(sig))
    assert s_ <= codes.ORDER // 2  # issued low-s
    twin = base64.b64encode(encode_dss_signature(r_, codes.ORDER - s_)).decode()
    lab.refused([*T, "install", code.replace(sig, twin)], "signature is not valid")
    lab.ok(*T, "install", code)


# --- 12. input is read in bounded, linear steps; a pipe never holds the lab -----------------------------


def test_open_quote_continuation_is_linear(lab: Lab, monkeypatch: pytest.MonkeyPatch) -> None:
    from ccxcli.cli import grammar

    calls = []
    real = grammar.tokenize
    monkeypatch.setattr(grammar, "tokenize", lambda line: calls.append(len(line)) or real(line))
    lines = 'license smart reservation install "<specificPLR>\n' + "ab\n" * 20000 + '"\n'
    r = lab.ccx("run", "-", stdin=lines)
    assert r.code == 1 and "malformed" in r.err
    assert len(calls) <= 2  # the joined line is tokenized once, not once per continuation line


def test_a_huge_trust_file_is_refused(lab: Lab, tmp_path: Path) -> None:
    big = tmp_path / "big.pem"
    big.write_bytes(b"A" * (10 * 1024 * 1024))
    lab.ok("show", "license", "UDI")
    lab.refused(["sim", "ssm", "trust", str(big)], "too large")


def test_a_script_waiting_on_a_pipe_does_not_hold_the_lab(lab: Lab) -> None:
    lab.ok("show", "license", "UDI")
    p, _ = _script_until(lab.home, ["sim agent add waiting"], r"Agent waiting")
    try:
        r = ccx_run(lab.home, "sim", "agent", "add", "other", CCX_LOCK_TIMEOUT="2")
        assert r.returncode == 0, r.stderr  # the script is idle: the lab is free
        assert p.stdin is not None
        p.stdin.write("sim agent list\n")
        p.stdin.close()
        assert p.stdout is not None
        rest = p.stdout.read()
        assert "other:" in rest and "waiting:" in rest  # the script sees the other command's work
        assert p.wait(timeout=60) == 0
    finally:
        _kill(p)


# --- version-1 request codes (Ed25519 keys, confirmation codes anyone could compute) -----------


def _ed25519() -> tuple[str, bytes]:
    from cryptography.hazmat.primitives.asymmetric import ed25519

    key = ed25519.Ed25519PrivateKey.generate()
    return key.private_bytes_raw().hex(), codes.public_bytes(key)


def test_new_reservations_refuse_version_1_request_codes(lab: Lab) -> None:
    st = lab.status()
    _, public = _ed25519()
    v1 = codes.make_request(st["udi"]["sn"], st["udi"]["uuid"], public, os.urandom(8))
    assert codes.parse_request(v1).version == 1
    before = lab.pool()["flex-standard"]["reserved"]
    lab.refused(authorize_args(v1), "version 1", ssm=True)
    assert lab.pool()["flex-standard"]["reserved"] == before


def test_a_reservation_made_from_a_version_1_code_keeps_working(lab: Lab) -> None:
    """A reservation an earlier version made from a version-1 request: its node holds the
    Ed25519 key, the SSM its public half. Update, confirm and return still work."""
    install(lab, std=20, prem=0)
    sn = lab.status()["udi"]["sn"]
    private, public = _ed25519()
    db = sqlite3.connect(lab.home / "ssm" / "cloud" / "ssm.db")
    with db:
        db.execute("UPDATE reservation SET pubkey=? WHERE sn=?", (public.hex(), sn))
    db.close()
    state_file = lab.home / "nodes" / "uccx" / "state.json"
    state = json.loads(state_file.read_text())
    state["slr"]["installed"]["key"] = private
    state_file.write_text(json.dumps(state))
    update = lab.ssm_ok("reservation", "update", sn, "--license", "flex-standard=30").out.strip()
    a = codes.parse_authorization(update)
    conf = lab.ok("--json", *T, "install", update).json["confirmation_code"]
    assert conf == codes.legacy_confirmation(a.piid, a.timestamp, a.udi)  # the version-1 scheme, kept for it
    lab.ssm_ok("reservation", "confirm", sn, conf)
    assert lab.pool()["flex-standard"]["reserved"] == 30
    ret = lab.ok("--yes", "--json", *T, "return").json["return_code"]
    lab.ssm_ok("reservation", "return", ret)
    assert lab.pool()["flex-standard"]["reserved"] == 0


def test_while_an_update_waits_every_listing_shows_held_beside_reserved(lab: Lab) -> None:
    install(lab, std=20, prem=0)
    sn = lab.status()["udi"]["sn"]
    update = lab.ssm_ok("reservation", "update", sn, "--license", "flex-standard=30").out.strip()
    header, _, row = lab.ssm_ok("reservation", "list").out.splitlines()[1:4]
    assert "Held in pool" in header and "flex-standard=20" in row and "flex-standard=30" in row
    licenses = lab.ssm_ok("license", "list").out
    assert "Reserved includes 10 flex-standard held for an update waiting for its Confirmation Code" in licenses
    conf = lab.ok("--json", *T, "install", update).json["confirmation_code"]
    lab.ssm_ok("reservation", "confirm", sn, conf)
    assert "held for an update" not in lab.ssm_ok("license", "list").out
    (row,) = lab.ssm_ok("reservation", "list").out.splitlines()[3:]
    assert row.count("flex-standard=30") == 2  # confirmed: reserved and held agree


def test_the_portal_wizard_refuses_a_version_1_request_code_on_its_first_step(lab: Lab) -> None:
    from served import InProcess

    st = lab.status()
    v1 = codes.make_request(st["udi"]["sn"], st["udi"]["uuid"], _ed25519()[1], os.urandom(8))
    app = InProcess(lab.home / "ssm" / "cloud", None)
    try:
        c = app.client()
        c.get("/licenses/reserve")
        status, text = c.post("/licenses/reserve", {"va": "DEFAULT", "request_code": v1})
        assert "version 1" in text and "/licenses" not in c.location.split("/reserve")[-1], (status, c.location)
    finally:
        app.stop()
