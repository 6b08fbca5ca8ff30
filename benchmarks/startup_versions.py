"""Start-up of this checkout against an earlier revision, measured side by side: each round
runs `python -c pass`, the earlier revision's `ccx` and this one's, interleaved, on the
same lab (a registered-looking node with 30 agents logged in). Prints each command's
median as a ratio to the floor, for both revisions.

    python benchmarks/startup_versions.py --against 19b751f --rounds 25
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COMMANDS = (["show", "license", "status"], ["--json", "show", "license", "status"], ["show", "license", "UDI"])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--against", default="HEAD", help="the earlier revision (default HEAD)")
    ap.add_argument("--rounds", type=int, default=25)
    args = ap.parse_args()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE" and not k.startswith("CCX_")}
    with tempfile.TemporaryDirectory() as tmp:
        old = Path(tmp) / "old"
        subprocess.run(
            ["git", "-C", str(ROOT), "worktree", "add", "-q", "--detach", str(old), args.against], check=True
        )
        try:
            home = Path(tmp) / "lab"

            def run(tree: Path | None, argv: list[str]) -> float:
                call = f"main({['--home', str(home), *argv]!r})"
                code = (
                    ["-c", "pass"]
                    if tree is None
                    else ["-c", f"import sys; from ccxcli.cli.main import main; sys.exit({call})"]
                )
                e = dict(env, PYTHONPATH=str(tree)) if tree else env
                t = time.perf_counter()
                subprocess.run([sys.executable, *code], env=e, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                return time.perf_counter() - t

            run(ROOT, ["sim", "agent", "login", "--count", "30"])
            print(f"against {args.against}, {args.rounds} interleaved rounds (cpu count {os.cpu_count()})")
            for argv in COMMANDS:
                for tree in (old, ROOT):
                    run(tree, argv)  # byte-code caches warm, as on a user's machine
                floor, before, now = [], [], []
                for _ in range(args.rounds):
                    floor.append(run(None, []))
                    before.append(run(old, argv))
                    now.append(run(ROOT, argv))
                f = statistics.median(floor)
                ratios = statistics.median(before) / f, statistics.median(now) / f
                print(
                    f"ccx {' '.join(argv):30} floor {f * 1000:5.1f} ms   {args.against[:10]} {ratios[0]:.2f}x   "
                    f"this checkout {ratios[1]:.2f}x"
                )
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(old)], check=False)
            shutil.rmtree(old, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
