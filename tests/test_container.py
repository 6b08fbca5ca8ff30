"""The container image's parts that run without root or a container runtime: its entrypoint
and health check on this machine, the examples (Kubernetes validated with kubernetes-validate),
and the pins it installs. `.ci/run` builds the image itself and smoke-tests its root filesystem
with chroot (`container/smoke.sh`): that needs root and Debian's archive."""

from __future__ import annotations

import os
import re
import socket
import stat
import subprocess
import sys
from pathlib import Path

import kubernetes_validate
import pytest
import yaml
from labenv import clean_env
from ssh_served import Served

ROOT = Path(__file__).resolve().parents[1]
CONTAINER = ROOT / "container"
BIN = str(Path(sys.executable).parent)


def entrypoint(home: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environ = clean_env(CCX_HOME=str(home), **env)
    environ["PATH"] = BIN + os.pathsep + environ.get("PATH", "")
    return subprocess.run(
        ["sh", str(CONTAINER / "entrypoint"), *args], capture_output=True, text=True, env=environ, timeout=120
    )


def test_the_entrypoint_runs_commands_and_makes_a_password_once(tmp_path: Path) -> None:
    home = tmp_path / "lab"
    r = entrypoint(home, "ccx", "--json", "show", "license", "UDI")
    assert r.returncode == 0 and '"pid": "UCCX"' in r.stdout, r.stderr
    first = entrypoint(home, "ssh", "--stop-after", "1", CCX_SSH_LISTEN="127.0.0.1:0")
    assert first.returncode == 0 and "Serving lab" in first.stdout, first.stderr
    kept = home / ".ssh-password"
    password = kept.read_text().strip()
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600 and len(password) >= 16
    assert f"password made at this first start: {password}" in first.stderr  # said once, where logs go
    again = entrypoint(home, "ssh", "--stop-after", "1", CCX_SSH_LISTEN="127.0.0.1:0")
    assert again.returncode == 0 and "password made" not in again.stderr and kept.read_text().strip() == password
    given = entrypoint(home, "ssh", "--stop-after", "1", CCX_SSH_LISTEN="127.0.0.1:0", CCX_SSH_PASSWORD="ci-secret-1")
    assert given.returncode == 0 and kept.read_text().strip() == "ci-secret-1"


def test_the_entrypoint_applies_a_lab_file_once(tmp_path: Path) -> None:
    home = tmp_path / "lab"
    lab = tmp_path / "one.toml"
    lab.write_text('[[node]]\nname = "solo"\n\n[[ssh_user]]\nname = "ann"\npassword = "ann-password"\n')
    r = entrypoint(home, "ssh", "--stop-after", "1", CCX_SSH_LISTEN="127.0.0.1:0", CCX_LAB_FILE=str(lab))
    assert r.returncode == 0 and "Lab applied" in r.stdout, r.stderr
    assert (home / "ssh-users.json").exists() and not (home / ".ssh-password").exists()  # its users log in
    r = entrypoint(home, "ssh", "--stop-after", "1", CCX_SSH_LISTEN="127.0.0.1:0", CCX_LAB_FILE=str(lab))
    assert r.returncode == 0 and "Lab applied" not in r.stdout  # once: the volume keeps the lab


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_the_health_check_says_whether_the_server_answers(tmp_path: Path) -> None:
    def health(mode: str, port: int) -> int:
        var = "CCX_SSH_LISTEN" if mode == "ssh" else "CCX_HTTPS_LISTEN"
        env = clean_env(**{var: f"0.0.0.0:{port}"})
        return subprocess.run([sys.executable, str(CONTAINER / "healthcheck"), mode], env=env, timeout=30).returncode

    served = Served(tmp_path / "lab")
    try:
        assert health("ssh", served.port) == 0
    finally:
        served.stop()
    assert health("ssh", free_port()) == 1
    assert health("https", free_port()) == 1
    from served import Served as Https
    from served import init

    folder = tmp_path / "ssm"
    init(tmp_path / "home", folder)
    https = Https(tmp_path / "home", folder, password="portal-password")
    try:
        assert health("https", https.port) == 0
        assert health("ssh", https.port) == 1  # TLS, not SSH
    finally:
        https.stop()


def test_the_kubernetes_example_is_valid() -> None:
    docs = [d for d in yaml.safe_load_all((CONTAINER / "examples" / "kubernetes.yaml").read_text()) if d]
    assert sorted(d["kind"] for d in docs) == ["Deployment", "PersistentVolumeClaim", "Service"]
    for doc in docs:
        kubernetes_validate.validate(doc, "1.30", strict=True)
    pod = next(d for d in docs if d["kind"] == "Deployment")["spec"]["template"]["spec"]
    assert [c["args"] for c in pod["containers"]] == [["ssh"], ["https"]]
    assert all(c["livenessProbe"]["exec"]["command"][0] == "ccx-healthcheck" for c in pod["containers"])


def test_the_compose_containerlab_and_ci_examples_use_the_entrypoints_modes() -> None:
    compose = yaml.safe_load((CONTAINER / "examples" / "compose.yaml").read_text())
    assert {s["command"][0] for s in compose["services"].values()} == {"ssh", "https"}
    assert all(s["healthcheck"]["test"][1] == "ccx-healthcheck" for s in compose["services"].values())
    class_file = (CONTAINER / "examples" / compose["configs"]["class"]["file"]).resolve()
    assert class_file == ROOT / "examples" / "class-20.toml"
    clab = yaml.safe_load((CONTAINER / "examples" / "containerlab.clab.yml").read_text())
    nodes = clab["topology"]["nodes"]
    assert nodes["uccx"]["kind"] == "linux" and nodes["uccx"]["cmd"] == "ssh" and nodes["ssm"]["cmd"] == "https"
    ci = yaml.safe_load((CONTAINER / "examples" / "github-actions.yml").read_text())
    assert "ccx-healthcheck ssh" in ci["jobs"]["automation"]["services"]["uccx"]["options"]


def test_the_image_installs_the_versions_the_tests_install() -> None:
    def pins(name: str) -> set[str]:
        return set(re.findall(r"^([A-Za-z0-9_.-]+==[^ ;\n]+)", (ROOT / "requirements" / name).read_text(), re.M))

    runtime = pins("runtime.txt")
    assert runtime and runtime <= pins("test.txt")
    assert any(p.startswith("cryptography==") for p in runtime) and not any(p.startswith("pytest==") for p in runtime)


@pytest.mark.parametrize("script", ["build.sh", "smoke.sh", "entrypoint"])
def test_the_scripts_are_posix_shell(script: str) -> None:
    assert subprocess.run(["sh", "-n", str(CONTAINER / script)]).returncode == 0
