"""`ccx serve` as clients meet it, measured in one run on loopback: time from connecting
to the first `admin:` prompt, per-command latency in a session (vt100, never answering a
cursor-position request), an exec request, and 20 parallel sessions each logging agents in.

Usage: python benchmarks/ssh_serve.py [--commands N] [--sessions S]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

import asyncssh

PROMPT = re.compile(r"([\r\n]|\x1b\[K)admin:")


async def session(port: int, commands: list[str]) -> tuple[float, float]:
    t = time.perf_counter()
    async with asyncssh.connect("127.0.0.1", port, username="admin", password="admin", known_hosts=None) as conn:
        proc = await conn.create_process(term_type="vt100", term_size=(200, 24))
        buf = ""
        while not PROMPT.search(buf):
            buf += await proc.stdout.read(65536)
        first = time.perf_counter() - t
        t = time.perf_counter()
        for c in commands:
            proc.stdin.write(c + "\r")
            buf = ""
            while not PROMPT.search(buf):
                buf += await proc.stdout.read(65536)
        per = (time.perf_counter() - t) / max(1, len(commands))
        proc.stdin.write("exit\r")
        await proc.wait()
    return first, per


async def exec_once(port: int) -> float:
    t = time.perf_counter()
    async with asyncssh.connect("127.0.0.1", port, username="admin", password="admin", known_hosts=None) as conn:
        await conn.run("show license UDI", check=True)
    return time.perf_counter() - t


async def main_async(port: int, n: int, sessions: int) -> None:
    first, per = await session(port, ["show license UDI"] * n)
    ex = sorted([await exec_once(port) for _ in range(5)])[2]
    print(f"first prompt after connect     {first * 1000:7.0f} ms")
    print(f"per command in a session       {per * 1000:7.1f} ms  ({n} commands, TERM=vt100)")
    print(f"exec request (connect + run)   {ex * 1000:7.0f} ms")
    t = time.perf_counter()
    results = await asyncio.gather(
        *(session(port, [f"sim agent add b{i}", f"sim agent login b{i}"]) for i in range(sessions))
    )
    wall = time.perf_counter() - t
    worst_first = max(r[0] for r in results)
    print(f"{sessions} parallel sessions            {wall:7.2f} s wall, slowest first prompt {worst_first:.2f} s")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--commands", type=int, default=20)
    ap.add_argument("--sessions", type=int, default=20)
    args = ap.parse_args()
    home = tempfile.mkdtemp(prefix="ccx-ssh-bench-")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CCX_")}
    server = subprocess.Popen(
        [sys.executable, "-m", "ccxcli", "--home", home, "serve", "--ssh", "127.0.0.1:0", "--stop-after", "600"],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert server.stdout is not None
        port = int(re.search(r":(\d+) ", server.stdout.readline()).group(1))  # type: ignore[union-attr]
        asyncio.run(main_async(port, args.commands, args.sessions))
        agents = subprocess.run(
            [sys.executable, "-m", "ccxcli", "--home", home, "--json", "sim", "agent", "list"],
            capture_output=True,
            text=True,
            env=env,
        ).stdout
        logged = agents.count('"in": true')
        print(f"agents logged in after the parallel sessions: {logged} of {args.sessions}")
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
