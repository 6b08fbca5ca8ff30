"""ccx-ssm pak … and dbc convert: the Classic inventory and the migration to Smart Licensing."""

from __future__ import annotations

from ccxcli.errors import UsageError
from ccxcli.ssm.cli.app import LICENSES, VA, SsmRun, command, emit, open_ssm, table
from ccxcli.ssm.cli.cmdkit import Option

PAK = Option("PAK", "The Product Activation Key (letters and digits).", required=True)
MAC = Option("--license-mac", "The node's License MAC ('appadmin license classic show').", required=True, metavar="MAC")


def _write(path: str, text: str) -> None:
    from pathlib import Path

    try:
        Path(path).expanduser().write_text(text, encoding="utf-8")
    except OSError as e:
        raise UsageError(f"Cannot write {path}: {e.strerror}.") from None


@command(
    "pak add",
    "Add a PAK (Product Activation Key) holding classic licenses.",
    changes="adds the PAK and its licenses to the Classic inventory.",
    example="ccx-ssm pak add PAK123 --license premium-seat=10",
    params=(PAK, LICENSES),
)
def pak_add(rt: SsmRun, pak: str, license: list[str]) -> None:
    from ccxcli.ssm.core import classic, reserve

    ssm, now = open_ssm(rt)
    counts = reserve.parse_counts(license)
    classic.pak_add(ssm, pak, counts, now)
    emit(rt, {"pak": pak.upper(), "licenses": counts}, f"PAK {pak.upper()} added.")


@command(
    "pak list",
    "PAKs with their licenses: quantity, fulfilled, converted, assigned, unfulfilled.",
    changes="nothing.",
    example="ccx-ssm pak list",
)
def pak_list(rt: SsmRun) -> None:
    from ccxcli.ssm.core import classic

    ssm, _ = open_ssm(rt)
    rows = classic.pak_list(ssm)
    emit(
        rt,
        {"paks": rows},
        table=table(
            rt,
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
            ],
        ),
    )


@command(
    "pak fulfil",
    "Fulfil part of a PAK to a node: writes its classic license file.",
    changes="marks the licenses fulfilled to the License MAC and writes the license file.",
    example='ccx-ssm pak fulfil PAK123 --license-mac "$MAC" --license premium-seat=5 --out classic.lic',
    params=(PAK, MAC, LICENSES, Option("--out", "Write the classic license file here.", required=True, metavar="FILE")),
)
def pak_fulfil(rt: SsmRun, pak: str, license_mac: str, license: list[str], out: str) -> None:
    from ccxcli.ssm.core import classic, reserve

    ssm, now = open_ssm(rt)
    text = classic.fulfil(ssm, pak, license_mac, reserve.parse_counts(license), now)
    _write(out, text)
    emit(
        rt,
        {"file": out},
        f"Classic license file written to {out}; install it on the node with 'appadmin license classic install FILE'.",
    )


@command(
    "pak assign",
    "PAK-based migration: the PAK's unfulfilled licenses move into a virtual account.",
    changes="the unfulfilled licenses become smart licenses of the virtual account (one way).",
    example="ccx-ssm pak assign PAK123 --va DEFAULT",
    params=(PAK, VA),
)
def pak_assign(rt: SsmRun, pak: str, va: str | None) -> None:
    from ccxcli.ssm.core import classic

    ssm, now = open_ssm(rt)
    moved = classic.assign(ssm, pak, va, now)
    what = ", ".join(f"{n} {a}" for a, n in sorted(moved.items())) or "nothing was left unfulfilled"
    emit(
        rt,
        {"pak": pak.upper(), "moved": moved, "va": ssm.va(va)},
        f"PAK {pak.upper()} assigned to '{ssm.account}' / '{ssm.va(va)}': {what}.",
    )


@command(
    "dbc convert",
    "Device Based Conversion: classic licenses of a node become smart entitlements.",
    changes="the converted licenses move into the virtual account; a partial conversion writes a new license file.",
    example='ccx-ssm dbc convert --license-mac "$MAC" --va DEFAULT',
    params=(
        MAC,
        VA,
        LICENSES._replace(help=LICENSES.help + " Default: all on the MAC."),
        Option("--out", "The new classic license file, after a partial conversion.", metavar="FILE"),
    ),
)
def dbc_convert(rt: SsmRun, license_mac: str, va: str | None, license: list[str], out: str | None) -> None:
    from ccxcli.ssm.core import classic, reserve

    ssm, now = open_ssm(rt)
    done, rest = classic.convert(ssm, license_mac, va, reserve.parse_counts(license) if license else None, now)
    text = f"Converted into '{ssm.va(va)}': " + ", ".join(f"{n} {a}" for a, n in sorted(done.items())) + "."
    if rest is None:
        text += " The device is fully converted."
    elif out:
        _write(out, rest)
        text += f" The classic licenses that remain are in a new license file, {out}: install it on the node."
    else:
        text += " Classic licenses remain: give --out FILE for their new license file."
    emit(rt, {"converted": done, "va": ssm.va(va), "remaining_file": out if rest else None}, text)
