"""ccx-ssm pak … and dbc convert: the Classic inventory and the migration to Smart Licensing."""

from __future__ import annotations

import typer

from ccxcli.errors import UsageError
from ccxcli.ssm.app import dbc_app, emit, open_ssm, pak_app, table

LICENSE_HELP = "ALIAS=N, repeatable (aliases: 'ccx-ssm license list')."


def _write(path: str, text: str) -> None:
    from pathlib import Path

    try:
        Path(path).expanduser().write_text(text, encoding="utf-8")
    except OSError as e:
        raise UsageError(f"Cannot write {path}: {e.strerror}.") from None


@pak_app.command("add")
def pak_add(
    pak: str = typer.Argument(..., metavar="PAK"),
    license: list[str] = typer.Option([], "--license", help=LICENSE_HELP),
) -> None:
    """Add a PAK (Product Activation Key) holding classic licenses."""
    from ccxcli.ssm import classic, reserve

    ssm, now = open_ssm()
    counts = reserve.parse_counts(license)
    classic.pak_add(ssm, pak, counts, now)
    emit({"pak": pak.upper(), "licenses": counts}, f"PAK {pak.upper()} added.")


@pak_app.command("list")
def pak_list() -> None:
    """PAKs with their licenses: quantity, fulfilled, converted, assigned, unfulfilled."""
    from ccxcli.ssm import classic

    ssm, _ = open_ssm()
    rows = classic.pak_list(ssm)
    emit(
        {"paks": rows},
        table=table(
            "Classic PAKs",
            ["PAK", "License", "Quantity", "Fulfilled", "Converted", "Assigned", "Unfulfilled", "Smart Account / VA"],
            [
                [
                    r["pak"],
                    alias,
                    line["quantity"],
                    line["fulfilled"],
                    line["converted"],
                    line["assigned"],
                    line["unfulfilled"],
                    f"{r['smart_account']} / {r['virtual_account']}" if r["virtual_account"] else "-",
                ]
                for r in rows
                for alias, line in sorted(r["licenses"].items())
            ],  # fmt: skip
        ),
    )


@pak_app.command("fulfil")
def pak_fulfil(
    pak: str = typer.Argument(..., metavar="PAK"),
    license_mac: str = typer.Option(..., "--license-mac", help="The node's License MAC."),
    license: list[str] = typer.Option([], "--license", help=LICENSE_HELP),
    out: str = typer.Option(..., "--out", help="Write the classic license file here."),
) -> None:
    """Fulfil part of a PAK to a node: writes its classic license file."""
    from ccxcli.ssm import classic, reserve

    ssm, now = open_ssm()
    text = classic.fulfil(ssm, pak, license_mac, reserve.parse_counts(license), now)
    _write(out, text)
    emit({"file": out}, f"Classic license file written to {out}; install it on the node with "
                        "'appadmin license classic install FILE'.")  # fmt: skip


@pak_app.command("assign")
def pak_assign(
    pak: str = typer.Argument(..., metavar="PAK"),
    va: str | None = typer.Option(None, "--va", help="Virtual account (default: the default one)."),
) -> None:
    """PAK-based migration: the PAK's unfulfilled licenses move into a virtual account."""
    from ccxcli.ssm import classic

    ssm, now = open_ssm()
    moved = classic.assign(ssm, pak, va, now)
    what = ", ".join(f"{n} {a}" for a, n in sorted(moved.items())) or "nothing was left unfulfilled"
    emit({"pak": pak.upper(), "moved": moved, "va": ssm.va(va)},
         f"PAK {pak.upper()} assigned to '{ssm.account}' / '{ssm.va(va)}': {what}.")  # fmt: skip


@dbc_app.command("convert")
def dbc_convert(
    license_mac: str = typer.Option(..., "--license-mac", help="The node's License MAC."),
    va: str | None = typer.Option(None, "--va", help="Virtual account (default: the default one)."),
    license: list[str] = typer.Option([], "--license", help=LICENSE_HELP + " Default: all on the MAC."),
    out: str | None = typer.Option(None, "--out", help="The new classic license file, after a partial conversion."),
) -> None:
    """Device Based Conversion: classic licenses of a node become smart entitlements."""
    from ccxcli.ssm import classic, reserve

    ssm, now = open_ssm()
    done, rest = classic.convert(ssm, license_mac, va, reserve.parse_counts(license) if license else None, now)
    text = f"Converted into '{ssm.va(va)}': " + ", ".join(f"{n} {a}" for a, n in sorted(done.items())) + "."
    if rest is None:
        text += " The device is fully converted."
    elif out:
        _write(out, rest)
        text += f" The classic licenses that remain are in a new license file, {out}: install it on the node."
    else:
        text += " Classic licenses remain: give --out FILE for their new license file."
    emit({"converted": done, "va": ssm.va(va), "remaining_file": out if rest else None}, text)
