"""SSM scale: 10,000 product instances and 10,000 reservations in one SQLite SSM, then the
operations timed on it (SPEC §8): authorize a new reservation (< 50 ms), register + report
(< 50 ms each), list instances (< 1 s). The same operations on an empty SSM are timed in
the same run, so the ratio shows what scale costs.

The bulk population uses SQL inserts (the data is what the real commands would write);
the timed operations go through the real code paths.

Usage: python benchmarks/ssm_scale.py [--n 10000]
"""

from __future__ import annotations

import argparse
import io
import json
import secrets
import shutil
import tempfile
import time
from contextlib import redirect_stdout
from pathlib import Path

from ccxcli.protocol import codes
from ccxcli.ssm.cli.main import main as ssm_main
from ccxcli.ssm.core import reserve, smart
from ccxcli.ssm.core.db import SsmDb

NOW = 1_800_000_000


def populate(ssm: SsmDb, n: int) -> None:
    with ssm.tx() as db:
        db.executemany(
            "INSERT INTO instance(uuid, sn, va, hostname, kind, license_type, registered, last_contact, usage) "
            "VALUES (?, ?, 'DEFAULT', ?, ?, 'flex', ?, ?, ?)",
            [
                (
                    u,
                    u[-5:],
                    f"node{i}",
                    "smart" if i % 2 else "slr",
                    NOW,
                    NOW,
                    json.dumps({"flex-standard": 0}) if i % 2 else "{}",
                )
                for i, u in ((i, secrets.token_hex(16)) for i in range(2 * n))
            ],
        )
        db.executemany(
            "INSERT INTO reservation(instance, uuid, sn, va, piid, pubkey, state, counts, issued, ts) "
            "VALUES (?, ?, ?, 'DEFAULT', ?, ?, 'authorized', '{}', ?, ?)",
            [
                (i, secrets.token_hex(16), "00000", secrets.token_hex(8), "00" * 32, NOW, NOW * 1000 + i)
                for i in range(n)
            ],
        )
        db.execute("UPDATE pool SET purchased = 1000000 WHERE va='DEFAULT'")


def timed(fn) -> float:  # type: ignore[no-untyped-def]
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def ops(folder: Path) -> dict[str, float]:
    ssm = SsmDb.open(folder)
    out: dict[str, float] = {}
    nonce = secrets.token_bytes(8)
    pub = codes.public_bytes(codes.reservation_key({"secret": codes.new_secret(), "piid": nonce.hex()}))
    uuid = secrets.token_hex(16)
    req = codes.make_request(uuid[-5:], uuid, pub, nonce)
    out["authorize reservation"] = timed(lambda: reserve.authorize(ssm, "DEFAULT", req, {"flex-standard": 1}, NOW))
    tok = smart.token_create(ssm, "DEFAULT", NOW)
    node = secrets.token_hex(16)
    hello = {"uuid": node, "sn": node[-5:], "license_type": "flex", "hostname": "bench"}
    out["register"] = timed(lambda: smart.register(ssm, tok, hello, NOW))
    out["report"] = timed(lambda: smart.report(ssm, node, {"flex-standard": 3, "flex-premium": 1}, NOW + 900))
    ssm.close()
    buf = io.StringIO()
    with redirect_stdout(buf):
        out["instance list (CLI)"] = timed(lambda: ssm_main(["--ssm", str(folder), "instance", "list"]))
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=10000)
    args = ap.parse_args()
    root = Path(tempfile.mkdtemp(prefix="ccx-ssm-"))
    try:
        empty = SsmDb.create(root / "empty", "Bench", NOW, demo=True)
        empty.close()
        big = SsmDb.create(root / "big", "Bench", NOW, demo=True)
        populate(big, args.n)
        big.close()
        small, large = ops(root / "empty"), ops(root / "big")
        label = f"{2 * args.n} inst, {args.n} res"
        print(f"{'operation':<24} {'empty SSM':>10} {label:>16} {'ratio':>7}")
        for k in small:
            print(f"{k:<24} {small[k] * 1000:8.1f}ms {large[k] * 1000:14.1f}ms {large[k] / small[k]:6.1f}x")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
