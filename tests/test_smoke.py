"""The smoke subset (`pytest -m smoke`): what `.ci/run` also runs with the newest releases
`pyproject.toml` allows, in a regular (non-editable) install: each program starts and says
nothing but its own output, the shell on a pseudo-terminal, one SSH client, one HTTPS call.
A dependency's warning (a deprecation inside asyncssh, say) never reaches a user's terminal."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import paramiko
import pytest
import requests
from labenv import child_env
from served import SSM, Served, init
from ssh_served import Served as SshServed

pytestmark = pytest.mark.smoke


def _quiet(r: subprocess.CompletedProcess[str]) -> None:
    assert r.returncode == 0 and r.stderr == "", (r.returncode, r.stderr)


def test_each_program_starts_and_prints_only_its_output(tmp_path: Path) -> None:
    home = tmp_path / "lab"
    ccx = [sys.executable, "-m", "ccxcli", "--home", str(home)]
    ssm = [*SSM, "--home", str(home)]
    for argv in ([*ccx, "--version"], [*ccx, "show", "license", "status"], [*ssm, "license", "list"]):
        r = subprocess.run(argv, capture_output=True, text=True, timeout=60, env=child_env(home))
        _quiet(r)
        assert r.stdout.strip(), argv


def test_ccx_serve_prints_its_banner_and_answers_an_ssh_client(tmp_path: Path) -> None:
    served = SshServed(tmp_path / "lab")
    try:
        client = paramiko.SSHClient()
        client.set_missing_host_key_policy(paramiko.AutoAddPolicy())  # a lab server on loopback
        client.connect(
            "127.0.0.1",
            served.port,
            username="admin",
            password="admin",
            look_for_keys=False,
            allow_agent=False,
            timeout=30,
        )
        try:
            _, out, err = client.exec_command("show license UDI", timeout=30)
            assert "UDI: PID:UCCX" in out.read().decode() and err.read() == b""
        finally:
            client.close()
    finally:
        assert served.stop() == 0
    assert served.errors == "", served.errors  # no warning, no traceback: the banner and nothing else
    assert served.output in ("", "Stopped.\n"), served.output


def test_ccx_ssm_serve_prints_its_banner_and_answers_https(tmp_path: Path) -> None:
    folder = tmp_path / "ssm"
    init(tmp_path, folder)
    ca = tmp_path / "served.pem"
    r = subprocess.run(
        [*SSM, "--home", str(tmp_path), "--ssm", str(folder), "cert", "export", "--out", str(ca)],
        capture_output=True,
        text=True,
        timeout=60,
        env=child_env(tmp_path),
    )
    assert r.returncode == 0, r.stderr
    server = Served(tmp_path, folder, password="smoke-pw")
    try:
        assert re.search(r"serving https://127\.0\.0\.1:\d+/", server.ready), server.ready
        answer = requests.get(
            f"https://localhost:{server.port}/api/v1/account",
            verify=str(ca),
            timeout=30,
            headers={"Authorization": "Bearer smoke-pw"},
        )  # a real TLS check, by name
        assert answer.status_code == 200 and answer.json()["name"] == "Demo Smart Account", answer.text
    finally:
        output = server.stop()
    assert "Warning" not in output and "Traceback" not in output, output
