"""Pool arithmetic of a virtual account (pure): purchased, in use, reserved, available."""

from __future__ import annotations

import json

from ccxcli.core.catalogue import BY_ALIAS, CATALOGUE
from ccxcli.core.consumption import allocate, deficit
from ccxcli.ssm.core.rows import LicenseRow


def rows(pool: dict[str, dict[str, int]]) -> list[LicenseRow]:
    """One row per license: purchased, in_use (capped), reserved, available, balance.

    Invariant: purchased == available + in_use + reserved, all >= 0, except when reserved
    licenses outlived their subscription term (reserved > purchased): then nothing is
    available or in use and the balance is the shortfall, negative.
    """
    free = _free(pool)
    used = {a: p["used"] for a, p in pool.items()}
    taken = allocate(used, free)
    short = deficit(used, free)
    out: list[LicenseRow] = []
    for lic in CATALOGUE:
        p = pool.get(lic.alias)
        if p is None:
            continue
        in_use = taken.get(lic.alias, 0)
        over = min(0, p["purchased"] - p["reserved"])  # reserved licenses that outlived their term
        out.append(
            {
                "alias": lic.alias,
                "name": lic.name,
                "tag": lic.tag,
                "purchased": p["purchased"],
                "in_use": in_use,
                "reported_usage": p["used"],
                "reserved": p["reserved"],
                "available": free[lic.alias] - in_use,
                "balance": over - short[lic.alias] if lic.alias in short else over + free[lic.alias] - in_use,
            }
        )
    return out


def judge(pool: dict[str, dict[str, int]], reported: dict[str, int]) -> dict[str, int]:
    """The pool's deficit on the licenses an instance reports (empty: in compliance)."""
    free = _free(pool)
    used = {a: p["used"] for a, p in pool.items()}
    short = deficit(used, free)
    return {a: n for a, n in short.items() if a in reported}


def _free(pool: dict[str, dict[str, int]]) -> dict[str, int]:
    """What the pool leaves to registered instances: purchased less reserved (never below 0)."""
    return {a: max(0, p["purchased"] - p["reserved"]) for a, p in pool.items()}


def verdict(pool: dict[str, dict[str, int]]) -> str:
    """The pool's judgement of what its instances report, as text: the licenses it is short of
    (`[]` when it covers them all). A node's next report can change its compliance only when
    this changes (how many are missing changes what its log says, not its state)."""
    return json.dumps(sorted(deficit({a: p["used"] for a, p in pool.items()}, _free(pool))))


def known(alias: str) -> bool:
    return alias in BY_ALIAS


def history(points: list[tuple[int, int, int, int, int]], first: int, size: int, n: int) -> list[dict[str, int]]:
    """A license's pool over `n` intervals of `size` seconds from `first`, from its recorded
    changes `(t, purchased, in_use, reserved, reported)` in time order (the state before
    `first` included): per interval, in use and reported usage at their peaks, purchased and
    reserved as at its end. Before the first change nothing was held (all zero)."""
    out: list[dict[str, int]] = []
    k = 0
    state = (0, 0, 0, 0)
    while k < len(points) and points[k][0] <= first:
        state = points[k][1:]
        k += 1
    for i in range(n):
        s, e = first + i * size, first + (i + 1) * size
        peak, asked = state[1], state[3]
        while k < len(points) and points[k][0] < e:
            state = points[k][1:]
            peak, asked = max(peak, state[1]), max(asked, state[3])
            k += 1
        out.append(
            {"start": s, "end": e, "purchased": state[0], "in_use": peak, "reserved": state[2], "reported": asked}
        )
    return out
