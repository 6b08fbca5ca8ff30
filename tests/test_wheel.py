"""The built wheel, installed in a fresh virtual environment, runs a user's test suite with
the pytest plugin (`pytest -p ccxcli`), the Ansible collection and the TextFSM templates in
it: what a user who installs ccxcli from a wheel gets."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run(argv: list[str], **kw: object) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CCX_", "PYTHON"))}
    return subprocess.run(argv, capture_output=True, text=True, timeout=600, env=env, **kw)  # type: ignore[call-overload, no-any-return]


def test_the_wheel_in_a_fresh_venv_runs_a_user_suite_with_the_plugin(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    r = run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(dist), str(ROOT)])
    assert r.returncode == 0, r.stderr[-3000:]
    (wheel,) = dist.glob("ccxcli-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "ccxcli/api/pytest_plugin.py" in names and "ccxcli/clients/templates/index" in names
    assert "ccxcli/clients/ansible_collections/ccxcli/vos/plugins/cliconf/vos.py" in names
    entry = next(n for n in names if n.endswith("entry_points.txt"))
    assert "[pytest11]\nccxcli = ccxcli.api.pytest_plugin" in zipfile.ZipFile(wheel).read(entry).decode()

    venv = tmp_path / "venv"
    assert run([sys.executable, "-m", "venv", str(venv)]).returncode == 0
    python = str(venv / "bin" / "python")
    r = run([python, "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(wheel)])
    assert r.returncode == 0, r.stderr[-3000:]
    # the libraries come from this environment (no download); ccxcli itself only from the wheel
    purelib = run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]).stdout.strip()
    Path(purelib, "zz_test_libraries.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    where = run([python, "-c", "import ccxcli; print(ccxcli.__file__)"], cwd=tmp_path).stdout.strip()
    assert where.startswith(str(venv)), where

    suite = tmp_path / "suite"
    suite.mkdir()
    shutil.copy(ROOT / "examples" / "pytest" / "test_with_ccxcli.py", suite)
    r = run([python, "-m", "pytest", "-p", "ccxcli", "-q", "-p", "no:cacheprovider", str(suite)], cwd=suite)
    assert r.returncode == 0 and "6 passed" in r.stdout, r.stdout[-4000:] + r.stderr[-2000:]
