"""ccx-ssm instance, reservation, alerts and events commands."""

from __future__ import annotations

from ccxcli.codetext import read_code
from ccxcli.errors import printable
from ccxcli.ssm.cli.app import ID, LICENSES, OUT_CODE, VA, SsmRun, command, emit, open_ssm, table, write_code
from ccxcli.ssm.cli.cmdkit import Option

# --- instances ----------------------------------------------------------------------------------


@command(
    "instance list",
    "List product instances: id, SN, host, virtual account, kind, the SSM On-Prem it reports through, last "
    "contact, usage.",
    changes="nothing.",
    example="ccx-ssm instance list --va DEFAULT",
    params=(Option("--va", "Only this virtual account (default: all).", metavar="NAME"),),
)
def instance_list(rt: SsmRun, va: str | None) -> None:
    from ccxcli.ssm.core import smart

    ssm, _ = open_ssm(rt)
    rows = smart.instance_list(ssm, va)
    emit(
        rt,
        {"instances": rows},
        table=table(
            rt,
            "Product instances",
            ["ID", "SN", "Host", "VA", "Kind", "Via", "Last contact", "Usage"],
            [
                [
                    r["id"],
                    r["sn"],
                    r["hostname"],
                    r["va"],
                    r["kind"],
                    r["via"] or "-",
                    r["last_contact"],
                    " ".join(f"{k}={v}" for k, v in sorted(r["usage"].items())),
                ]
                for r in rows
            ],
        ),
    )


def _value(v: object) -> str:
    """A field as people read it: counts as `alias=n, …` as `instance list` shows them (none when
    empty), nothing as -."""
    if isinstance(v, dict):
        return ", ".join(f"{k}={n}" for k, n in sorted(v.items())) or "none"
    return "-" if v is None else str(v)


@command(
    "instance show",
    "One product instance, by id or serial number, with its usage history.",
    changes="nothing.",
    example="ccx-ssm instance show 1",
    params=(ID,),
)
def instance_show(rt: SsmRun, id: str) -> None:
    ident = id
    from ccxcli.ssm.core import smart

    ssm, _ = open_ssm(rt)
    row = smart.instance_detail(ssm, ident)
    lines = [f"{k}: {_value(v)}" for k, v in row.items() if k != "usage_history"] + ["usage history:"]
    lines += [f"  {h['from']} .. {h['to']}  {_value(h['usage'])}" for h in row["usage_history"]]
    emit(rt, row, "\n".join(lines))


@command(
    "instance remove",
    "Remove a product instance (its licenses go back to the pool).",
    changes="deletes the instance; its licenses and any reservation return to the virtual account.",
    example='ccx-ssm instance remove 1 --return-code "$RET"',
    params=(
        ID,
        Option(
            "--return-code",
            "The node's Reservation Return Code, when the instance holds a reservation (or - for stdin, @FILE).",
            metavar="CODE",
        ),
        Option(
            "--force",
            "Release a reservation without its return code (a lost or destroyed node).",
            kind="flag",
            default=False,
        ),
    ),
)
def instance_remove(rt: SsmRun, id: str, return_code: str | None, force: bool) -> None:
    ident = id
    from ccxcli.ssm.core import smart

    ssm, now = open_ssm(rt)
    smart.instance_remove(ssm, ident, now, read_code(return_code, rt.inp, root=None) if return_code else None, force)
    emit(rt, {"removed": ident, "forced": force}, f"Instance {printable(ident)} removed.")


@command(
    "instance transfer",
    "Move a product instance to another virtual account.",
    changes="the instance and the licenses it uses move to the other virtual account.",
    example="ccx-ssm instance transfer 1 --to Sales",
    params=(ID, Option("--to", "Destination virtual account.", required=True, metavar="NAME")),
)
def instance_transfer(rt: SsmRun, id: str, to: str) -> None:
    ident = id
    from ccxcli.ssm.core import smart

    ssm, now = open_ssm(rt)
    smart.instance_transfer(ssm, ident, to, now)
    emit(rt, {"transferred": ident, "to": ssm.va(to)}, f"Instance {ident} transferred to '{ssm.va(to)}'.")


# --- reservations ----------------------------------------------------------------------------------


@command(
    "reservation authorize",
    "Reserve licenses for a Reservation Request Code; prints the Authorization Code.",
    changes="the licenses leave the virtual account's pool at once and are held for the node.",
    example='ccx-ssm reservation authorize --request "$REQ" --license flex-standard=20 --license flex-premium=5',
    params=(
        VA,
        Option(
            "--request", "The node's Reservation Request Code (or - for stdin, @FILE).", required=True, metavar="CODE"
        ),
        LICENSES,
        OUT_CODE,
    ),
)
def res_authorize(rt: SsmRun, va: str | None, request: str, license: list[str], out: str | None) -> None:
    from ccxcli.ssm.core import reserve

    ssm, now = open_ssm(rt)
    code = reserve.authorize(ssm, va, read_code(request, rt.inp, root=None), reserve.parse_counts(license), now)
    write_code(rt, code, out)


@command(
    "reservation update",
    "New Authorization Code for an installed reservation (pending until confirmed).",
    changes="the reservation holds the higher of the old and new counts until the node's Confirmation Code.",
    example="ccx-ssm reservation update 1 --license flex-standard=30",
    params=(ID, LICENSES, OUT_CODE),
)
def res_update(rt: SsmRun, id: str, license: list[str], out: str | None) -> None:
    ident = id
    from ccxcli.ssm.core import reserve

    ssm, now = open_ssm(rt)
    code = reserve.update(ssm, ident, reserve.parse_counts(license), now)
    write_code(rt, code, out)


@command(
    "reservation rehost",
    "Rehost Licenses from a Failed Product: the same licenses for a replacement node; prints its Authorization Code.",
    changes="the failed instance's reservation is released and the instance removed; its licenses are reserved "
    "for the replacement node's request, in one step.",
    example='ccx-ssm reservation rehost 1 --request "$NEW_REQ" --out auth.txt',
    params=(
        ID,
        Option(
            "--request",
            "The replacement node's Reservation Request Code (or - for stdin, @FILE).",
            required=True,
            metavar="CODE",
        ),
        OUT_CODE,
    ),
)
def res_rehost(rt: SsmRun, id: str, request: str, out: str | None) -> None:
    from ccxcli.ssm.core import reserve

    ssm, now = open_ssm(rt)
    write_code(rt, reserve.rehost(ssm, id, read_code(request, rt.inp, root=None), now), out)


@command(
    "reservation code",
    "Print again the newest Authorization Code issued for a reservation.",
    changes="nothing.",
    example="ccx-ssm reservation code 1 --out auth.txt",
    params=(ID, OUT_CODE),
)
def res_code(rt: SsmRun, id: str, out: str | None) -> None:
    ident = id
    from ccxcli.ssm.core import reserve

    ssm, _ = open_ssm(rt)
    write_code(rt, reserve.issued_code(ssm, ident), out)


@command(
    "reservation confirm",
    "Close a pending update with the node's Confirmation Code.",
    changes="the reservation now holds exactly the updated counts; the rest returns to the pool.",
    example='ccx-ssm reservation confirm 1 "$CONF"',
    params=(
        ID,
        Option("CONFIRMATION_CODE", "The code the node printed at install (or - for stdin, @FILE).", required=True),
    ),
)
def res_confirm(rt: SsmRun, id: str, confirmation_code: str) -> None:
    ident, code = id, confirmation_code
    from ccxcli.ssm.core import reserve

    ssm, now = open_ssm(rt)
    reserve.confirm(ssm, ident, read_code(code, rt.inp, root=None), now)
    emit(rt, {"confirmed": ident}, "Reservation update confirmed.")


@command(
    "reservation return",
    "Release a reservation's licenses with the node's Reservation Return Code.",
    changes="the reserved licenses return to the virtual account; the return code cannot be used again.",
    example='ccx-ssm reservation return "$RET"',
    params=(Option("RETURN_CODE", "The code the node printed at return (or - for stdin, @FILE).", required=True),),
)
def res_return(rt: SsmRun, return_code: str) -> None:
    code = return_code
    from ccxcli.ssm.core import reserve

    ssm, now = open_ssm(rt)
    done = reserve.give_back(ssm, read_code(code, rt.inp, root=None), now)
    emit(rt, done, f"Reserved licenses of SN {done['sn']} returned to '{done['va']}'.")


@command(
    "reservation list",
    "Reservations and their state: the counts confirmed (Reserved) and what the pool holds for them (Held in "
    "pool: more while an update waits for its Confirmation Code).",
    changes="nothing.",
    example="ccx-ssm reservation list",
)
def res_list(rt: SsmRun) -> None:
    from ccxcli.ssm.core import reserve

    ssm, _ = open_ssm(rt)
    rows = reserve.listing(ssm)
    emit(
        rt,
        {"reservations": rows},
        table=table(
            rt,
            "Reservations",
            ["Instance", "SN", "VA", "State", "Reserved", "Held in pool", "Issued"],
            [
                [
                    r["id"],
                    r["sn"],
                    r["va"],
                    r["state"],
                    " ".join(f"{k}={v}" for k, v in sorted(r["reserved"].items())),
                    " ".join(f"{k}={v}" for k, v in sorted(r["held"].items())),
                    r["issued"],
                ]
                for r in rows
            ],
        ),
    )


# --- alerts / events -----------------------------------------------------------------------------------


@command(
    "alerts",
    "Current alerts: Insufficient Licenses, Failed to Renew/Connect, Authorization Pending, …",
    changes="nothing.",
    example="ccx-ssm alerts",
)
def alerts(rt: SsmRun) -> None:
    from ccxcli.ssm.core import smart

    ssm, now = open_ssm(rt)
    rows = smart.alerts(ssm, now)
    emit(
        rt,
        {"alerts": rows},
        table=table(
            rt,
            "Alerts",
            ["Severity", "Type", "VA", "Message"],
            [[r["severity"], r["type"], r["va"], r["message"]] for r in rows],
        ),
    )


@command(
    "events",
    "Recent SSM events, oldest first.",
    changes="nothing.",
    example="ccx-ssm events --last 20",
    params=(Option("--last", "How many events.", kind="int", default=50, lo=0, hi=10000, metavar="N"),),
)
def events(rt: SsmRun, last: int) -> None:
    from ccxcli.ssm.core import smart

    ssm, _ = open_ssm(rt)
    rows = smart.events(ssm, max(0, min(last, 10000)))
    emit(
        rt,
        {"events": rows},
        "\n".join(f"{r['time']}  {r['kind']:<12} {printable(r['message'])}" for r in rows) or "No events.",
    )
