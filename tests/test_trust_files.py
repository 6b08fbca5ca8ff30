"""What a lab takes from files and gives out in them (issue 32, item 9): an exported snapshot
is private, an imported one is unpacked no further than its limit and never brings SQL of its
own, and a CSV cell a spreadsheet would run is kept as text."""

from __future__ import annotations

import io
import sqlite3
import stat
import tarfile
from pathlib import Path

import pytest
from conftest import Lab

from ccxcli.errors import RuleError
from ccxcli.ssm.web.portal import csv_file
from ccxcli.store import snapshots


def test_an_exported_snapshot_is_private(lab: Lab, tmp_path: Path) -> None:
    lab.ok("sim", "lab", "save", "s1")
    path = tmp_path / "s1.tar.gz"
    lab.ok("sim", "lab", "export", "s1", str(path))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600  # it holds the SSM's private key


def test_an_import_stops_at_its_limit_and_writes_nothing(lab: Lab, tmp_path: Path) -> None:
    lab.ok("show", "license", "UDI")
    bomb = tmp_path / "bomb.tar.gz"
    with tarfile.open(bomb, "w:gz") as tar:
        for k in range(6):  # 6 x 600 KB of zeros: a few KB compressed, 3.6 MB unpacked
            info = tarfile.TarInfo(f"nodes/n{k}/state.json")
            info.size = 600_000
            tar.addfile(info, io.BytesIO(b"\0" * info.size))
    before = sorted(p.name for p in (lab.home / "snapshots").glob("*")) if (lab.home / "snapshots").exists() else []
    with pytest.raises(RuleError, match="unexpected contents or size"):
        snapshots.import_(str(lab.home), str(bomb), "bomb", most=2_000_000)
    after = sorted(p.name for p in (lab.home / "snapshots").glob("*")) if (lab.home / "snapshots").exists() else []
    assert after == before  # no snapshot, no temporary folder left


def test_an_imported_ssm_database_with_a_trigger_is_refused(lab: Lab, tmp_path: Path) -> None:
    lab.ok("sim", "lab", "save", "s1")
    db = lab.home / "snapshots" / "s1" / "ssm" / "cloud" / "ssm.db"
    conn = sqlite3.connect(db)
    conn.execute("CREATE TRIGGER wipe AFTER INSERT ON event BEGIN UPDATE pool SET purchased = 0; END")
    conn.commit()
    conn.close()
    path = tmp_path / "s1.tar.gz"
    lab.ok("sim", "lab", "export", "s1", str(path))
    other = Lab(tmp_path / "other")
    r = other.refused(["sim", "lab", "import", str(path), "--name", "s2"], "trigger 'wipe'")
    assert "never makes" in r.err


@pytest.mark.parametrize("cell", ["=1+1", " =1+1", "\t=1+1", "+1", "-1", "@SUM(A1)", " @x"])
def test_a_csv_cell_a_spreadsheet_would_run_is_kept_as_text(cell: str) -> None:
    body = csv_file("x.csv", ["a"], [[cell]]).body.decode()
    assert body.splitlines()[1].lstrip('"').startswith("'"), body


def test_a_key_roll_killed_between_its_two_files_is_finished_by_the_next_command(tmp_path: Path) -> None:
    from conftest import ssm_run
    from cryptography.hazmat.primitives import serialization

    home = tmp_path / "lab"
    assert ssm_run(home, "license", "list").returncode == 0
    folder = home / "ssm" / "cloud"
    old_public = (folder / "public.pem").read_bytes()
    r = ssm_run(home, "key", "roll", CCX_TEST_KILL_AT="key-rolled")
    assert r.returncode == -9  # killed with the new key.pem written, public.pem not yet
    assert ssm_run(home, "license", "list").returncode == 0  # the next command finishes the roll
    private = serialization.load_pem_private_key((folder / "key.pem").read_bytes(), None)
    derived = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert (folder / "public.pem").read_bytes() == derived != old_public and not (folder / "key-roll.pem").exists()


@pytest.mark.parametrize("host", ["mail\x1b[2Jhost", "mail\x7f", "mäil.example"])
def test_an_smtp_server_name_with_control_or_foreign_characters_is_refused(lab: Lab, host: str) -> None:
    lab.ssm_ok("license", "list")  # the lab exists
    lab.refused(["notify", "set", "--smtp", host], "Invalid SMTP server", ssm=True, code=2)
