"""Per-command latency of the admin: shell on a pseudo-terminal, as automation meets it:
pexpect types each command the instant the prompt appears and never answers a
cursor-position request. Measured side by side for TERM=xterm, vt100 and dumb; the ratio
to a one-shot `ccx show license UDI` says what a session saves over one process per command.

Usage: python benchmarks/shell_latency.py [--commands N] [--rounds R]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

import pexpect

PROMPT = rb"([\r\n]|\x1b\[K)admin:"
ENV = {k: v for k, v in os.environ.items() if not k.startswith(("CCX_", "PROMPT_TOOLKIT"))}


def session(home: str, term: str, n: int) -> float:
    child = pexpect.spawn(
        sys.executable, ["-m", "ccxcli"], env={**ENV, "TERM": term, "CCX_HOME": home}, timeout=60, dimensions=(24, 200)
    )
    child.delaybeforesend = None  # pexpect waits 50 ms before each send by default; clients do not
    child.expect(PROMPT)
    t = time.perf_counter()
    for _ in range(n):
        child.send("show license UDI\r")
        child.expect(PROMPT)
    elapsed = time.perf_counter() - t
    child.send("exit\r")
    child.expect(pexpect.EOF)
    child.close()
    return elapsed / n


def one_shot(home: str) -> float:
    t = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "ccxcli", "show", "license", "UDI"],
        env={**ENV, "CCX_HOME": home},
        stdout=subprocess.DEVNULL,
        check=True,
    )
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--commands", type=int, default=10)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    home = tempfile.mkdtemp(prefix="ccx-shell-bench-")
    try:
        one_shot(home)
        results: dict[str, list[float]] = {"xterm": [], "vt100": [], "dumb": [], "one-shot": []}
        for _ in range(args.rounds):  # interleaved, so machine noise hits all alike
            for term in ("xterm", "vt100", "dumb"):
                results[term].append(session(home, term, args.commands))
            results["one-shot"].append(one_shot(home))
        base = sorted(results["one-shot"])[len(results["one-shot"]) // 2]
        for name, values in results.items():
            m = sorted(values)[len(values) // 2]
            print(f"{name:<9} {m * 1000:7.1f} ms per command   ({m / base:4.2f}x a one-shot command)")
        xterm = sorted(results["xterm"])[args.rounds // 2] * args.commands
        print(f"{args.commands} commands with TERM=xterm: {xterm:.2f} s")
    finally:
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
