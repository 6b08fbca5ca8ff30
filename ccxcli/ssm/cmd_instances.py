"""ccx-ssm instance, reservation, alerts and events commands."""

from __future__ import annotations

import sys

import typer

from ccxcli.codetext import read_code
from ccxcli.errors import printable
from ccxcli.ssm.app import (
    S,
    app,
    emit,
    instance_app,
    open_ssm,
    res_app,
    table,
    write_code,
)

# --- instances ----------------------------------------------------------------------------------


@instance_app.command("list")
def instance_list(va: str | None = typer.Option(None, "--va", help="Only this virtual account.")) -> None:
    """List product instances."""
    from ccxcli.ssm import smart

    ssm, _ = open_ssm()
    rows = smart.instance_list(ssm, va)
    if S.json:
        emit({"instances": rows})
        return
    lines = [f"{'ID':>6}  {'SN':<6} {'Host':<16} {'VA':<12} {'Kind':<6} {'Last contact':<21} Usage"]
    lines += [
        f"{r['id']:>6}  {r['sn']:<6} {printable(r['hostname'])[:16]:<16} {printable(r['va'])[:12]:<12} {r['kind']:<6} "
        f"{r['last_contact']:<21} {' '.join(f'{k}={v}' for k, v in sorted(r['usage'].items()))}"
        for r in rows
    ]
    sys.stdout.write("\n".join(lines) + "\n")  # plain text: 10,000 rows must list in well under a second


@instance_app.command("show")
def instance_show(ident: str = typer.Argument(..., metavar="ID")) -> None:
    """One product instance, by id or serial number."""
    from ccxcli.ssm import smart

    ssm, _ = open_ssm()
    row = smart.instance_row(smart.instance(ssm, ident))
    row["usage_history"] = smart.usage_history(ssm, row["uuid"])
    lines = [f"{k}: {v}" for k, v in row.items() if k != "usage_history"] + ["usage history:"]
    lines += [f"  {h['from']} .. {h['to']}  {h['usage']}" for h in row["usage_history"]]
    emit(row, "\n".join(lines))


@instance_app.command("remove")
def instance_remove(
    ident: str = typer.Argument(..., metavar="ID"),
    return_code: str | None = typer.Option(
        None, "--return-code", help="The node's Reservation Return Code, when the instance holds a reservation."
    ),
    force: bool = typer.Option(
        False, "--force", help="Release a reservation without its return code (a lost or destroyed node)."
    ),
) -> None:
    """Remove a product instance (its licenses go back to the pool)."""
    from ccxcli.ssm import smart

    ssm, now = open_ssm()
    smart.instance_remove(ssm, ident, now, read_code(return_code) if return_code else None, force)
    emit({"removed": ident, "forced": force}, f"Instance {printable(ident)} removed.")


@instance_app.command("transfer")
def instance_transfer(ident: str = typer.Argument(..., metavar="ID"), to: str = typer.Option(..., "--to")) -> None:
    """Move a product instance to another virtual account."""
    from ccxcli.ssm import smart

    ssm, now = open_ssm()
    smart.instance_transfer(ssm, ident, to, now)
    emit({"transferred": ident, "to": ssm.va(to)}, f"Instance {ident} transferred to '{ssm.va(to)}'.")


# --- reservations ----------------------------------------------------------------------------------


@res_app.command("authorize")
def res_authorize(
    va: str | None = typer.Option(None, "--va", help="Virtual account (default: the default one)."),
    request: str = typer.Option(..., "--request", help="The Reservation Request Code (or - for stdin, @FILE)."),
    license: list[str] = typer.Option([], "--license", help="ALIAS=N, repeatable."),
    out: str | None = typer.Option(None, "--out", help="Also write the code to this file."),
) -> None:
    """Reserve licenses for a request code; prints the Authorization Code."""
    from ccxcli.ssm import reserve

    ssm, now = open_ssm()
    code = reserve.authorize(ssm, va, read_code(request), reserve.parse_counts(license), now)
    write_code(code, out)


@res_app.command("update")
def res_update(
    ident: str = typer.Argument(..., metavar="ID"),
    license: list[str] = typer.Option([], "--license", help="ALIAS=N, repeatable."),
    out: str | None = typer.Option(None, "--out"),
) -> None:
    """New Authorization Code for an installed reservation (pending until confirmed)."""
    from ccxcli.ssm import reserve

    ssm, now = open_ssm()
    code = reserve.update(ssm, ident, reserve.parse_counts(license), now)
    write_code(code, out)


@res_app.command("code")
def res_code(
    ident: str = typer.Argument(..., metavar="ID"),
    out: str | None = typer.Option(None, "--out", help="Write the code to this file instead of printing it."),
) -> None:
    """Print again the newest Authorization Code issued for a reservation."""
    from ccxcli.ssm import reserve

    ssm, _ = open_ssm()
    write_code(reserve.issued_code(ssm, ident), out)


@res_app.command("confirm")
def res_confirm(
    ident: str = typer.Argument(..., metavar="ID"), code: str = typer.Argument(..., metavar="CONFIRMATION_CODE")
) -> None:
    """Close a pending update with the node's Confirmation Code."""
    from ccxcli.ssm import reserve

    ssm, now = open_ssm()
    reserve.confirm(ssm, ident, read_code(code), now)
    emit({"confirmed": ident}, "Reservation update confirmed.")


@res_app.command("return")
def res_return(code: str = typer.Argument(..., metavar="RETURN_CODE")) -> None:
    """Release a reservation's licenses with the node's Reservation Return Code."""
    from ccxcli.ssm import reserve

    ssm, now = open_ssm()
    done = reserve.give_back(ssm, read_code(code), now)
    emit(done, f"Reserved licenses of SN {done['sn']} returned to '{done['va']}'.")


@res_app.command("list")
def res_list() -> None:
    """Reservations and their state."""
    from ccxcli.ssm import reserve

    ssm, _ = open_ssm()
    rows = reserve.listing(ssm)
    emit(
        {"reservations": rows},
        table=table(
            "Reservations",
            ["Instance", "SN", "VA", "State", "Reserved", "Issued"],
            [
                [
                    r["id"],
                    r["sn"],
                    r["va"],
                    r["state"],
                    " ".join(f"{k}={v}" for k, v in sorted(r["reserved"].items())),
                    r["issued"],
                ]
                for r in rows
            ],
        ),
    )


# --- alerts / events -----------------------------------------------------------------------------------


@app.command()
def alerts() -> None:
    """Current alerts: Insufficient Licenses, Failed to Renew/Connect, Authorization Pending, …"""
    from ccxcli.ssm import smart

    ssm, now = open_ssm()
    rows = smart.alerts(ssm, now)
    emit(
        {"alerts": rows},
        table=table(
            "Alerts",
            ["Severity", "Type", "VA", "Message"],
            [[r["severity"], r["type"], r["va"], r["message"]] for r in rows],
        ),
    )


@app.command()
def events(last: int = typer.Option(50, "--last")) -> None:
    """Recent SSM events."""
    from ccxcli.ssm import smart

    ssm, _ = open_ssm()
    rows = smart.events(ssm, max(0, min(last, 10000)))
    emit(
        {"events": rows},
        "\n".join(f"{r['time']}  {r['kind']:<12} {printable(r['message'])}" for r in rows) or "No events.",
    )
