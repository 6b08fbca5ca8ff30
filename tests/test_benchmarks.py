"""Each benchmark script still runs against the code it measures (one that fell behind a
change crashed CI's quick benchmarks after every test had passed). Smallest sizes; only
the exit status and the printed figures' labels are checked, never a timing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
RUNS = {
    "startup.py": (["--rounds", "1"], "1000 commands, ccx run -"),
    "startup_versions.py": (["--rounds", "1", "--against", "HEAD"], "this checkout"),
    "time_advance.py": (["--rounds", "1"], "advance 3650d"),
    "clock_scale.py": (["--nodes", "2,4"], "growth 2 -> 4 nodes"),
    "ssm_scale.py": (["--n", "20"], "instance list (CLI)"),
    "shell_latency.py": (["--rounds", "1", "--commands", "2"], "2 commands with TERM=xterm"),
    "ssh_serve.py": (["--commands", "2", "--sessions", "2"], "agents logged in after the parallel sessions: 2 of 2"),
    "ssh_sessions.py": (
        ["--sessions", "4", "--workers", "2", "--process-sessions", "2", "--commands", "2", "--think", "0.1"],
        "memory per session, process-per-session / in-process",
    ),
    "ssm_https.py": (["--nodes", "2", "--reports", "2", "--clients", "2", "--processes"], "none lost"),
    "cssm_api.py": (["--n", "10"], "reservations per second: 1 per call"),
}


def test_every_benchmark_is_covered() -> None:
    assert sorted(RUNS) == sorted(p.name for p in (ROOT / "benchmarks").glob("*.py"))


@pytest.mark.parametrize("script", sorted(RUNS))
def test_the_benchmark_runs(script: str) -> None:
    args, label = RUNS[script]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CCX_", "PROMPT_TOOLKIT"))}
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    r = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / script), *args],
        capture_output=True,
        text=True,
        timeout=240,
        env=env,
        cwd=ROOT,
    )
    assert r.returncode == 0 and "Traceback" not in r.stderr, r.stderr[-2000:]
    assert label in r.stdout, r.stdout
