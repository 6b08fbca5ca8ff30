"""A class on one machine: many concurrent `ccx serve` terminal sessions, measured in one
run, side by side with sessions that each run in a child process (`--process-per-session`).

Servers: in-process sessions in one process, the same with `--workers N` (worker processes
sharing the port, to use N cores), and child-process sessions. For each: open SESSIONS
terminal sessions (TERM=vt100, as netmiko and scrapli ask) and keep them all open; when
every one shows `admin:`, read the server's memory (its RSS plus its children's); then every
session runs COMMANDS commands, one every THINK seconds (a person or a paced script; the
first one at a random moment in the first THINK seconds), reading show outputs and adding an
agent (a write, under the lab lock). The latency of a
command is from sending its line to seeing the next prompt.

The clients run in this process, on the same cores as the server: on a 2-core machine the
figures include the clients' own SSH work.

Usage: python benchmarks/ssh_sessions.py [--sessions 500] [--workers 2] [--process-sessions 50]
           [--commands 6] [--think 10]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import asyncssh

PROMPT = re.compile(r"([\r\n]|\x1b\[K)admin:")
SHOWS = ["show license summary", "show license UDI", "show license status", "show license usage"]


def start(home: str, *extra: str) -> tuple[subprocess.Popen[str], int]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CCX_")}
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "ccxcli",
            "--home",
            home,
            "serve",
            "--ssh",
            "127.0.0.1:0",
            "--stop-after",
            "1800",
            "--max-startups",
            "1000",
            *extra,
        ],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert server.stdout is not None
    m = re.search(r":(\d+) ", server.stdout.readline())
    assert m, "the server did not start"
    return server, int(m.group(1))


def rss_mib(pid: int) -> float:
    """The resident memory of a process and of all its descendants, in MiB."""
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            status = Path(f"/proc/{p}/status").read_text()
            total += int(status.split("VmRSS:")[1].split()[0])
            for task in Path(f"/proc/{p}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, IndexError, ValueError):
            continue
    return total / 1024


class Session:
    def __init__(self, conn: asyncssh.SSHClientConnection, proc: asyncssh.SSHClientProcess[str]) -> None:
        self.conn, self.proc = conn, proc

    async def until_prompt(self) -> str:
        buf = ""
        while not PROMPT.search(buf):
            data = await self.proc.stdout.read(65536)
            if not data:
                raise ConnectionError("the session ended")
            buf += data
        return buf

    async def run(self, line: str) -> float:
        t = time.perf_counter()
        self.proc.stdin.write(line + "\r")
        try:
            await asyncio.wait_for(self.until_prompt(), 120)
        except asyncio.TimeoutError:
            raise SystemExit(f"no prompt within 120 s after {line!r}") from None
        return time.perf_counter() - t


async def open_all(port: int, n: int) -> list[Session]:
    gate = asyncio.Semaphore(40)  # handshakes at once (OpenSSH's MaxStartups is the model)

    async def one() -> Session:
        async with gate:
            conn = await asyncssh.connect("127.0.0.1", port, username="admin", password="admin", known_hosts=None)
            proc = await conn.create_process(term_type="vt100", term_size=(120, 40))
            s = Session(conn, proc)
            await s.until_prompt()
            await s.run("set cli pagination off")
            return s

    return list(await asyncio.gather(*(one() for _ in range(n))))


async def load(sessions: list[Session], commands: int, think: float) -> list[float]:
    times: list[float] = []

    async def one(i: int, s: Session) -> None:
        await asyncio.sleep(random.uniform(0, think))
        for k in range(commands):
            line = f"sim agent add class{i}" if k == commands // 2 else SHOWS[(i + k) % len(SHOWS)]
            times.append(await s.run(line))
            await asyncio.sleep(think)

    await asyncio.gather(*(one(i, s) for i, s in enumerate(sessions)))
    return times


async def close_all(sessions: list[Session]) -> None:
    for s in sessions:
        try:
            s.proc.stdin.write("exit\r")
        except (OSError, asyncssh.Error):
            pass  # already closed by the server
    for s in sessions:
        s.conn.close()
    await asyncio.gather(*(s.conn.wait_closed() for s in sessions), return_exceptions=True)


def measure(label: str, n: int, commands: int, think: float, *extra: str) -> tuple[float, list[float]]:
    home = tempfile.mkdtemp(prefix="ccx-class-")
    server, port = start(home, *extra)
    try:
        base = rss_mib(server.pid)

        async def go() -> tuple[float, list[float]]:
            t = time.perf_counter()
            sessions = await open_all(port, n)
            opened = time.perf_counter() - t
            await asyncio.sleep(1)
            mem = rss_mib(server.pid)
            times = await load(sessions, commands, think)
            await close_all(sessions)
            print(
                f"{label}: {n} sessions open in {opened:.1f} s; memory {mem:.0f} MiB "
                f"(idle server {base:.0f} MiB, {(mem - base) / n:.2f} MiB per session)"
            )
            return mem, times

        mem, times = asyncio.run(go())
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)
    times.sort()
    p = statistics.quantiles(times, n=100, method="inclusive")
    print(
        f"{label}: {len(times)} commands, one every {think:g} s per session: "
        f"p50 {p[49] * 1000:.0f} ms, p95 {p[94] * 1000:.0f} ms, max {times[-1] * 1000:.0f} ms"
    )
    return (mem - base) / n, times


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sessions", type=int, default=500)
    ap.add_argument("--process-sessions", type=int, default=50, help="sessions of the child-process server (0: skip)")
    ap.add_argument("--commands", type=int, default=6)
    ap.add_argument("--think", type=float, default=10.0)
    ap.add_argument("--workers", type=int, default=2, help="worker processes of the in-process server")
    args = ap.parse_args()
    random.seed(1)
    if args.workers > 1:
        measure("in-process, 1 worker", args.sessions, args.commands, args.think)
    label = f"in-process, {args.workers} workers" if args.workers > 1 else "in-process"
    inline, _ = measure(label, args.sessions, args.commands, args.think, "--workers", str(args.workers))
    if args.process_sessions:
        each, _ = measure(
            "process-per-session", args.process_sessions, args.commands, args.think, "--process-per-session"
        )
        print(f"memory per session, process-per-session / in-process: {each / max(inline, 0.01):.0f}x")


if __name__ == "__main__":
    main()
