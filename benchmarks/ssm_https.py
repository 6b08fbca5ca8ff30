"""A served SSM (`ccx-ssm serve`) under many nodes, measured in one run on loopback: the
latency (p50, p99) of a registration and of a usage report sent the way a node sends them
(HTTPS, the certificate's key and name checked, one kept-alive connection per node), the
reports per second that N nodes sending at once get through, and, side by side, the same
reports applied in-process (what a node of the SSM's own lab does) as the ratio's floor.

Usage: python benchmarks/ssm_https.py [--nodes N] [--reports R] [--threads T]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import queue as queue_mod
import re
import secrets
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from ccxcli.protocol.remote import Remote
from ccxcli.urls import GATEWAY_PATH

SSM = [sys.executable, "-c", "import sys; from ccxcli.ssm.cli.main import main; sys.exit(main())"]


def serve(home: str, folder: Path) -> tuple[subprocess.Popen[str], int]:
    """`ccx-ssm serve` of `folder` on a free loopback port (stopping by itself after 900 s), and the port."""
    argv = [*SSM, "--home", home, "--ssm", str(folder), "serve", "--listen", "127.0.0.1:0", "--no-auth"]
    proc = subprocess.Popen([*argv, "--stop-after", "900"], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    return proc, int(re.search(r":(\d+)/", proc.stdout.readline()).group(1))  # type: ignore[union-attr]


def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(p / 100 * len(s)))]


def hello() -> dict[str, str]:
    uuid = secrets.token_hex(16)
    return {"uuid": uuid, "sn": uuid[-5:], "license_type": "flex", "hostname": "bench"}


def send(
    port: int, trusted: list[bytes], mine: list[dict[str, str]], reports: int, now: int, out: Any, ready: Any
) -> None:
    """One client: a kept-alive connection sending `reports` reports for each node of `mine`
    once every client is ready; its latencies go to `out`."""
    remote = Remote("localhost", port, GATEWAY_PATH, trusted)
    remote.call("pool_version", {"uuid": mine[0]["uuid"]})  # connected before the clock starts
    ready.wait()
    lat = []
    for k in range(reports):
        for n in mine:
            t = time.perf_counter()
            args = {"uuid": n["uuid"], "use": {"flex-standard": k % 7}, "now": now + k * 900}
            remote.call("report", {**args, "msg_id": f"report:{n['uuid']}:{k}"})
            lat.append(time.perf_counter() - t)
    remote.close()
    out.put(lat)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--nodes", type=int, default=40)
    ap.add_argument("--reports", type=int, default=25, help="reports per node")
    ap.add_argument("--clients", "--threads", type=int, default=8, help="connections, one per client")
    ap.add_argument("--processes", action="store_true", help="each client a process of its own (else a thread)")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "farm"
        subprocess.run(
            [*SSM, "--home", tmp, "--ssm", str(folder), "init", "--demo", "--hostname", "localhost"],
            check=True,
            capture_output=True,
        )
        subprocess.run(
            [*SSM, "--home", tmp, "--ssm", str(folder), "license", "add", "flex-standard", "100000"],
            check=True,
            capture_output=True,
        )
        token = subprocess.run(
            [*SSM, "--home", tmp, "--ssm", str(folder), "token", "create"], check=True, capture_output=True, text=True
        ).stdout.strip()
        trusted = [(folder / "public.pem").read_bytes()]
        proc, port = serve(tmp, folder)
        try:
            now = int(time.time())
            nodes = [hello() for _ in range(a.nodes)]
            reg: list[float] = []
            for n in nodes:
                r = Remote("localhost", port, GATEWAY_PATH, trusted)
                t = time.perf_counter()
                r.call(
                    "register", {"token": token, "hello": n, "now": now, "force": False, "msg_id": secrets.token_hex(8)}
                )
                reg.append(time.perf_counter() - t)
                r.close()
            lat: list[float] = []
            groups = [g for g in (nodes[i :: a.clients] for i in range(a.clients)) if g]
            kind = "processes" if a.processes else "connections"
            box: Any  # a queue, a barrier and a maker of clients: of processes or of threads
            gate: Any
            make: Any
            if a.processes:  # clients that share no interpreter (no GIL between them)
                ctx = mp.get_context("spawn")
                box, gate, make = ctx.Queue(), ctx.Barrier(len(groups) + 1), ctx.Process
            else:
                box, gate, make = queue_mod.Queue(), threading.Barrier(len(groups) + 1), threading.Thread
            workers = [make(target=send, args=(port, trusted, g, a.reports, now, box, gate)) for g in groups]
            for w in workers:
                w.start()
            gate.wait()  # every client connected and waiting: the clock starts
            t0 = time.perf_counter()
            for _ in workers:
                lat.extend(box.get())
            wall = time.perf_counter() - t0
            for w in workers:
                w.join()
            total = len(lat)
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.communicate(timeout=30)
        from ccxcli.ssm.core.db import MAX_MESSAGES, SsmDb
        from ccxcli.ssm.core.device import handle

        # none lost, each node's reports applied in order: its usage is its last report's
        ssm = SsmDb.open(folder)
        last = {"flex-standard": (a.reports - 1) % 7}
        kept = ssm.db.execute("SELECT COUNT(*) FROM message WHERE id LIKE 'report|%'").fetchone()[0]
        applied = sum(json.loads(r[0]) == last for r in ssm.db.execute("SELECT usage FROM instance"))
        if applied != a.nodes or (total <= MAX_MESSAGES // 2 and kept != total):  # (beyond, the oldest go)
            sys.exit(f"lost: {a.nodes - applied} nodes without their last report; {kept} of {total} answers kept")
        # the floor: the same reports applied in-process, one after the other
        t0 = time.perf_counter()
        for k in range(a.reports):
            for n in nodes[: max(1, a.nodes // 4)]:
                handle(
                    ssm,
                    "report",
                    {
                        "uuid": n["uuid"],
                        "use": {"flex-standard": (k + 1) % 7},
                        "now": now + 10**6 + k * 900,
                        "msg_id": f"local:{n['uuid']}:{k}",
                    },
                )
        local = a.reports * max(1, a.nodes // 4) / (time.perf_counter() - t0)
        ssm.close()
    for label, values in (("register over HTTPS (new connection each)", reg), ("report over HTTPS (kept-alive)", lat)):
        print(f"{label:<43} p50 {pct(values, 50) * 1000:6.1f} ms   p99 {pct(values, 99) * 1000:6.1f} ms")
    print(
        f"throughput: {total} reports from {a.nodes} nodes on {len(groups)} {kind} in {wall:.2f} s "
        f"= {total / wall:7.0f} reports/s"
    )
    ratio = total / wall / local
    print(f"in-process floor (same SSM database): {local:7.0f} reports/s; served / in-process = {ratio:.2f}")
    print(f"none lost: every report answered and kept, each node's last report last ({a.nodes} nodes)")
    print(f"(cpu count {os.cpu_count()})")


if __name__ == "__main__":
    main()
