"""`ccx serve` with an SSH users file (issue 32, item 8): each user logs in with its own
password or key, reaches only its own nodes, and only an operator changes the lab as a whole;
the one shared password is gone. The class recipe of the README, driven by real SSH clients."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import asyncssh
import pytest
from conftest import ccx_run
from ssh_served import Served, run


def _exec(port: int, user: str, command: str, password: str | None = None, key: Any = None) -> Any:
    async def go() -> Any:
        keys = [key] if key is not None else None
        async with asyncssh.connect(
            "127.0.0.1", port, username=user, password=password, known_hosts=None, client_keys=keys, agent_path=None
        ) as conn:
            return await conn.run(command, check=False)

    return run(go())


def _refused(port: int, user: str, password: str | None = None, key: Any = None) -> bool:
    try:
        _exec(port, user, "show license UDI", password, key)
    except asyncssh.PermissionDenied:
        return True
    return False


@pytest.fixture
def classroom(tmp_path: Path) -> Any:
    home = tmp_path / "lab"
    for n in ("s01", "s02"):
        assert ccx_run(home, "sim", "node", "create", n).returncode == 0
    (tmp_path / "a").write_text("alice-pass-1\n")
    (tmp_path / "b").write_text("bob-pass-22\n")
    (tmp_path / "t").write_text("teach-pass-3\n")
    key = asyncssh.generate_private_key("ssh-ed25519")
    (tmp_path / "carol.pub").write_bytes(key.export_public_key())
    for argv in (
        ["alice", "--password-file", str(tmp_path / "a"), "--node", "s01"],
        ["bob", "--password-file", str(tmp_path / "b"), "--node", "s02"],
        ["carol", "--key", str(tmp_path / "carol.pub"), "--node", "s02"],
        ["teacher", "--password-file", str(tmp_path / "t"), "--operator"],
    ):
        r = ccx_run(home, "ssh-user", "add", *argv)
        assert r.returncode == 0, r.stderr
    served = Served(home)  # the lab's ssh-users.json: nothing else to say
    yield served, key
    assert served.stop() == 0


def test_each_user_reaches_its_own_nodes_with_its_own_credentials(classroom: Any) -> None:
    served, key = classroom
    r = _exec(served.port, "alice", "show myself", "alice-pass-1")
    assert r.exit_status == 0 and "s01" in r.stdout, r.stdout + r.stderr
    assert _refused(served.port, "alice@s02", "alice-pass-1")  # another student's node
    assert _refused(served.port, "bob", "alice-pass-1")  # another student's password
    assert _refused(served.port, "admin", "admin")  # the shared default password is gone
    assert _refused(served.port, "s01", "admin")
    r = _exec(served.port, "carol", "show myself", key=key)
    assert r.exit_status == 0 and "s02" in r.stdout
    assert _refused(served.port, "carol", "anything")  # keys only


def test_only_an_operator_changes_the_lab_as_a_whole(classroom: Any) -> None:
    served, _ = classroom
    r = _exec(served.port, "alice", "sim clock advance 1h", "alice-pass-1")
    assert r.exit_status == 2 and "lab operator" in r.stderr, r.stderr
    r = _exec(served.port, "teacher@s02", "sim clock advance 1h", "teach-pass-3")
    assert r.exit_status == 0, r.stderr
    r = _exec(served.port, "alice", "sim agent login --count 2", "alice-pass-1")  # her own node: hers to change
    assert r.exit_status == 0, r.stderr


def test_a_users_file_excludes_the_shared_password_options(tmp_path: Path) -> None:
    home = tmp_path / "lab"
    (tmp_path / "a").write_text("alice-pass-1\n")
    assert ccx_run(home, "ssh-user", "add", "alice", "--password-file", str(tmp_path / "a")).returncode == 0
    r = ccx_run(home, "serve", "--password-file", str(tmp_path / "a"), "--stop-after", "1")
    assert r.returncode == 2 and "says who logs in" in r.stderr
    r = ccx_run(home, "ssh-user", "add", "alice", "--password-file", str(tmp_path / "a"))
    assert r.returncode == 1 and "already exists" in r.stderr
    r = ccx_run(home, "ssh-user", "add", "bob")
    assert r.returncode == 2 and "password" in r.stderr
    assert "alice" in ccx_run(home, "ssh-user", "list").stdout
    assert ccx_run(home, "ssh-user", "remove", "alice").returncode == 0
    assert "alice" not in ccx_run(home, "ssh-user", "list").stdout
