"""`sim clock advance 3650d` vs `advance 1d` on a registered node with steady usage,
side by side in one run: the cost must grow with the number of changes, not the span.

Usage: python benchmarks/time_advance.py [--rounds N]
"""

from __future__ import annotations

import argparse
import io
import shutil
import tempfile
import time
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

from ccxcli.cli.main import main as ccx
from ccxcli.ssm.cli.main import main as ssm


def quiet(fn, argv: list[str]) -> str:  # type: ignore[no-untyped-def]
    out = io.StringIO()
    with redirect_stdout(out), redirect_stderr(io.StringIO()):
        assert fn(argv) == 0, argv
    return out.getvalue()


def fresh(root: Path, name: str) -> str:
    home = str(root / name)
    tok = quiet(ssm, ["--home", home, "token", "create", "--va", "DEFAULT"]).strip()
    quiet(ccx, ["--home", home, "license", "smart", "register", "idtoken", tok])
    quiet(ccx, ["--home", home, "sim", "agent", "login", "--count", "30"])
    return home


def advance(home: str, span: str) -> tuple[float, int]:
    t = time.perf_counter()
    out = quiet(ccx, ["--home", home, "--json", "sim", "clock", "advance", span])
    import json

    return time.perf_counter() - t, json.loads(out)["events_processed"]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    root = Path(tempfile.mkdtemp(prefix="ccx-adv-"))
    try:
        short, long_ = [], []
        for i in range(args.rounds):
            a, b = fresh(root, f"a{i}"), fresh(root, f"b{i}")
            short.append(advance(a, "1d"))
            long_.append(advance(b, "3650d"))
        s = sorted(x[0] for x in short)[len(short) // 2]
        lng = sorted(x[0] for x in long_)[len(long_) // 2]
        print(f"advance 1d     median {s * 1000:8.1f} ms  events {short[0][1]}")
        print(f"advance 3650d  median {lng * 1000:8.1f} ms  events {long_[0][1]}")
        print(f"ratio          {lng / s:8.2f}x  (a step-by-step clock would be ~3650x)")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
