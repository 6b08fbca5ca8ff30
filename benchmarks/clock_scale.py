"""Clock moves over many registered nodes at steady usage: `sim clock advance 1d` and
`advance 90d` on labs of N nodes for each N given, side by side in one run. The cost must
grow with the nodes and the events (each node reports, renews and batches its steady
reports), not with their product: the growth from the smallest lab is printed beside the
growth in nodes.

Each lab: one cloud SSM, N nodes registered with one token into DEFAULT, 3 agents logged in
on each, then one `advance 1d` to let every first report settle (its time is printed too:
the pool's version moves only when its verdict, the licenses it is short of, changes, so the
other nodes are worked out again only then and settling grows with N as well).

Usage: python benchmarks/clock_scale.py [--nodes 100,300,1000]
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path

from time_advance import advance, quiet  # the same helpers, beside this script

from ccxcli.cli.main import main as ccx
from ccxcli.ssm.cli.main import main as ssm


def lab_of(root: Path, n: int) -> str:
    home = str(root / f"lab{n}")
    tok = quiet(ssm, ["--home", home, "token", "create", "--max-uses", str(n + 1)]).strip()
    for i in range(n):
        name = f"s{i:04d}"
        quiet(ccx, ["--home", home, "sim", "node", "create", name])
        quiet(ccx, ["--home", home, "--node", name, "license", "smart", "register", "idtoken", tok])
        quiet(ccx, ["--home", home, "--node", name, "sim", "agent", "login", "--count", "3"])
    return home


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--nodes", default="100,300,1000", help="lab sizes, comma-separated")
    args = ap.parse_args()
    sizes = sorted({int(n) for n in args.nodes.split(",")})
    root = Path(tempfile.mkdtemp(prefix="ccx-scale-"))
    rows = []
    try:
        for n in sizes:
            home = lab_of(root, n)
            settle = advance(home, "1d")
            day = advance(home, "1d")
            quarter = advance(home, "90d")
            rows.append((n, settle, day, quarter))
            shutil.rmtree(home, ignore_errors=True)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    print(f"{'nodes':>6} {'settle 1d':>12} {'advance 1d':>12} {'advance 90d':>12} {'events 90d':>11}")
    for n, settle, day, quarter in rows:
        print(f"{n:>6} {settle[0]:>11.2f}s {day[0]:>11.2f}s {quarter[0]:>11.2f}s {quarter[1]:>11}")
    n0, _, day0, quarter0 = rows[0]
    for n, _, day, quarter in rows[1:]:
        print(
            f"growth {n0} -> {n} nodes ({n / n0:.1f}x): advance 1d {day[0] / day0[0]:.1f}x, "
            f"advance 90d {quarter[0] / quarter0[0]:.1f}x (linear would be {n / n0:.1f}x)"
        )


if __name__ == "__main__":
    main()
