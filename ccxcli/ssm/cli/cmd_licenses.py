"""ccx-ssm license list|chart|add|transfer: a virtual account's pool, its history, deposits
(perpetual or for a subscription term) and moves between virtual accounts."""

from __future__ import annotations

from ccxcli.core import terms
from ccxcli.core.catalogue import license_alias
from ccxcli.errors import UsageError
from ccxcli.ssm.cli.app import VA, SsmRun, command, emit, open_ssm, table
from ccxcli.ssm.cli.cmdkit import Option
from ccxcli.ssm.core import chart, subscriptions
from ccxcli.ssm.core.db import SsmDb
from ccxcli.values import MAX_QTY

# --- licenses ----------------------------------------------------------------------------------


@command(
    "license list",
    "Purchased, in use, reserved, available and balance per license.",
    changes="nothing.",
    example="ccx-ssm license list --va Sales",
    params=(VA,),
)
def license_list(rt: SsmRun, va: str | None) -> None:
    ssm, _ = open_ssm(rt)
    name = ssm.va(va)
    rows = ssm.license_rows(name)
    cols = ["License", "Purchased", "In Use", "Reserved", "Available", "Balance"]
    text = table(
        rt,
        f"Licenses of '{name}'",
        cols,
        [
            [
                r["alias"],
                r["purchased"],
                r["in_use"],
                r["reserved"],
                r["available"],
                f"{r['balance']:+d}" if r["balance"] else "0",
            ]
            for r in rows
        ],
    )
    waiting = _held_beyond_confirmed(ssm, name)
    subs = subscriptions.listing(ssm, name)
    if text is not None:
        text.notes += [
            f"Reserved includes {n} {alias} held for an update waiting for its Confirmation Code "
            f"(see 'ccx-ssm reservation list')."
            for alias, n in sorted(waiting.items())
        ]
        text.notes += [
            f"Subscription {t['subscription']}: {t['quantity']} {t['alias']}, term {t['start_date']} to "
            f"{t['end_date']}, {t['status']}" + (" (in Purchased)" if t["status"] == "ACTIVE" else "")
            for t in subs
        ]
    emit(rt, {"va": name, "licenses": rows, "terms": subs}, table=text)


def _held_beyond_confirmed(ssm: SsmDb, va: str) -> dict[str, int]:
    """Per license, what the pool holds for reservations of `va` beyond their confirmed counts."""
    from ccxcli.ssm.core import reserve

    extra: dict[str, int] = {}
    for r in reserve.listing(ssm):
        if r["va"] == va:
            for alias, n in r["held"].items():
                if n > r["reserved"].get(alias, 0):
                    extra[alias] = extra.get(alias, 0) + n - r["reserved"].get(alias, 0)
    return extra


ALIAS = Option("ALIAS", "The license; aliases: {aliases}.", required=True)
QTY = Option("QTY", "How many.", kind="int", required=True, lo=1, hi=MAX_QTY)


@command(
    "license chart",
    "The pool over time: purchased, in use and reserved per interval, per license.",
    changes="nothing.",
    example="ccx-ssm license chart --license flex-premium --interval 1d",
    params=(
        VA,
        Option(
            "--license",
            "One license (default: every license the account held or used); aliases: {aliases}.",
            metavar="ALIAS",
            dest="alias",
        ),
        Option("--from", "Start (ISO 8601 time or date; default: when the history begins).", metavar="T", dest="start"),
        Option("--to", "End (default: now).", metavar="T", dest="end"),
        Option("--interval", "15m, 1h or 1d (default 1d); up to 2,000 intervals.", default="1d", metavar="SIZE"),
    ),
)
def license_chart(
    rt: SsmRun, va: str | None, alias: str | None, start: str | None, end: str | None, interval: str
) -> None:
    from ccxcli.clock import iso, parse_time

    ssm, now = open_ssm(rt)
    name = ssm.va(va)
    to = now if end is None else parse_time(end)
    charts = chart.pool_chart(
        ssm,
        name,
        None if alias is None else license_alias(alias),
        None if start is None else parse_time(start),
        to,
        interval,
    )
    for c in charts:
        for row in c["intervals"]:
            row["start"], row["end"] = iso(row["start"]), iso(row["end"])
    doc = {"va": name, "interval": interval, "licenses": charts}
    if rt.json:
        emit(rt, doc)
        return
    if not charts:
        emit(rt, doc, f"'{name}' has held and used no licenses yet.")
    for c in charts:
        rows = c["intervals"]
        top = max([1, *(max(r["purchased"], r["in_use"] + r["reserved"]) for r in rows)])
        cols = ["Interval end", "Purchased", "In Use", "Reserved", "Pool"]
        cells = [
            [r["end"][:16].replace("T", " "), r["purchased"], r["in_use"], r["reserved"], pool_bar(r, top)]
            for r in rows
        ]
        emit(
            rt,
            doc,
            table=table(
                rt,
                f"Pool of '{name}': {c['alias']} ({c['name']}) per {interval}; █ in use, ▒ reserved, · available, "
                f"full bar = {top}",
                cols,
                cells,
            ),
        )


def pool_bar(row: dict[str, int], top: int, width: int = 40) -> str:
    """In use, then reserved, then what is still available, on a scale where `top` is the
    full width; in use beyond the purchased count shows past the available part."""
    use = round(row["in_use"] * width / top)
    held = round(row["reserved"] * width / top)
    free = max(0, round(row["purchased"] * width / top) - use - held)
    return "█" * use + "▒" * held + "·" * free


@command(
    "license add",
    "Deposit purchased licenses, perpetual or for a subscription term.",
    changes="raises the purchased count of the license in the virtual account (with --ends: from the term's "
    "start to its end, as a subscription).",
    example="ccx-ssm license add flex-premium 10 --starts 2027-01-01 --ends 2027-12-31",
    params=(
        ALIAS,
        QTY,
        VA,
        Option("--starts", "First day of a subscription term (default: today).", metavar="YYYY-MM-DD"),
        Option(
            "--ends",
            "Last day of a subscription term, or its length from the start (90d, 1y); none: perpetual.",
            metavar="YYYY-MM-DD|LENGTH",
        ),
    ),
)
def license_add(rt: SsmRun, alias: str, qty: int, va: str | None, starts: str | None, ends: str | None) -> None:
    ssm, now = open_ssm(rt)
    a = license_alias(alias)
    if ends is None:
        if starts is not None:
            raise UsageError("--starts needs --ends: a subscription term has an end (without both: perpetual).")
        ssm.license_add(va, a, qty, now)
        emit(rt, {"va": ssm.va(va), "alias": a, "added": qty}, f"{qty} {a} deposited in '{ssm.va(va)}'.")
        return
    first, end = terms.dates(starts, ends, now)
    sub = subscriptions.add(ssm, va, a, qty, first, end, now)
    row = next(t for t in subscriptions.listing(ssm) if t["subscription"] == sub)
    emit(
        rt,
        {
            "va": row["va"],
            "alias": a,
            "added": qty,
            "subscription": sub,
            "start_date": row["start_date"],
            "end_date": row["end_date"],
            "status": row["status"],
        },
        f"{qty} {a} deposited in '{row['va']}' as subscription {sub}, term {row['start_date']} to {row['end_date']}.",
    )


@command(
    "license transfer",
    "Move available licenses between virtual accounts.",
    changes="moves purchased licenses from one virtual account to the other.",
    example="ccx-ssm license transfer flex-standard 5 --from DEFAULT --to Sales",
    params=(
        ALIAS,
        QTY,
        Option("--from", "Source virtual account.", required=True, metavar="NAME", dest="src"),
        Option("--to", "Destination virtual account.", required=True, metavar="NAME", dest="dst"),
    ),
)
def license_transfer(rt: SsmRun, alias: str, qty: int, src: str, dst: str) -> None:
    ssm, now = open_ssm(rt)
    a = license_alias(alias)
    ssm.license_transfer(src, dst, a, qty, now)
    emit(rt, {"alias": a, "qty": qty, "from": ssm.va(src), "to": ssm.va(dst)}, f"{qty} {a} transferred.")
