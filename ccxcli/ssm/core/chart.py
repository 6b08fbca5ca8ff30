"""A virtual account's pool over time, as the charts draw it (`ccx-ssm license chart`, the
portal's Licenses tab and license pages): from the pool's recorded history (the `pool_history`
table, kept by `SsmDb` at each change) into intervals (`pool.history`)."""

from __future__ import annotations

from typing import Any

from ccxcli.core.catalogue import CATALOGUE
from ccxcli.core.report import INTERVALS, span
from ccxcli.ssm.core.db import SsmDb
from ccxcli.ssm.core.pool import history


def changes(ssm: SsmDb, va: str, alias: str, end: int) -> list[tuple[int, int, int, int, int]]:
    """The recorded changes of one license's pool up to `end`, in time order."""
    return [
        (r[0], r[1], r[2], r[3], r[4])
        for r in ssm.db.execute(
            "SELECT t, purchased, in_use, reserved, reported FROM pool_history WHERE va=? AND alias=? AND t < ? "
            "ORDER BY t",
            (va, alias, end),
        )
    ]


def pool_chart(
    ssm: SsmDb, va: str, alias: str | None, start: int | None, end: int, interval: str
) -> list[dict[str, Any]]:
    """The pool of `va` over time, per license (`alias`, else every license it ever held or
    used): per interval, purchased and reserved at its end, in use at its peak. `start`
    defaults to the history's beginning (or one interval before `end`)."""
    if start is None:
        first = ssm.db.execute("SELECT MIN(t) FROM pool_history WHERE va=?", (va,)).fetchone()[0]
        start = min(end - 1, end - INTERVALS.get(interval, 1) if first is None else int(first))
    first, size, n = span(start, end, interval)
    if alias is None:
        held = {r[0] for r in ssm.db.execute("SELECT DISTINCT alias FROM pool_history WHERE va=?", (va,))}
        aliases = [lic.alias for lic in CATALOGUE if lic.alias in held]
    else:
        aliases = [alias]
    names = {lic.alias: lic.name for lic in CATALOGUE}
    return [
        {"alias": a, "name": names[a], "intervals": history(changes(ssm, va, a, first + n * size), first, size, n)}
        for a in aliases
    ]
