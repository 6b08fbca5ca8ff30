"""The customer-style air-gap example keeps working against the real commands."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_airgap_example(tmp_path: Path) -> None:
    bindir = Path(sys.executable).parent
    assert (bindir / "ccx").exists() or shutil.which("ccx"), "install the project (pip install -e .) first"
    env = dict(os.environ, PATH=f"{bindir}{os.pathsep}{os.environ.get('PATH', '')}")
    env.pop("CCX_HOME", None)
    r = subprocess.run(
        ["bash", str(ROOT / "examples" / "airgap-slr.sh"), str(tmp_path)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 0, r.stdout + r.stderr
    assert "REGISTERED_SLR / AUTHORIZED_RESERVED" in r.stdout
    assert r.stdout.rstrip().endswith("done")
