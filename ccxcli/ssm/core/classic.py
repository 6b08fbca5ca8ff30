"""The Classic inventory of the SSM side and the two ways to Smart Licensing the seed names
("Migrate to Smart Licensing"): PAK-based migration and Device Based Conversion.

- A PAK holds classic licenses (`pak add`). Fulfilling part of it to a node's License MAC
  makes a classic license file (`pak fulfil`), which the node installs.
- PAK-based: `pak assign PAK --va VA` moves the PAK's unfulfilled part into the virtual
  account; the PAK then shows its smart account.
- Device Based Conversion: `dbc convert --license-mac MAC --va VA` turns licenses fulfilled
  to that node into smart entitlements of the virtual account; a partial conversion makes a
  new classic license file for what remains (the seed: "partially converted … need new
  Classic License file").

Classic license files are synthetic (Cisco's format is not public): text lines signed by
the SSM's key, bound to one License MAC; a newer file for the MAC replaces older ones.
"""

from __future__ import annotations

import secrets
from sqlite3 import Row
from typing import TYPE_CHECKING, Any

from ccxcli.clock import iso
from ccxcli.errors import RuleError, UsageError
from ccxcli.ssm.core.db import SsmDb
from ccxcli.ssm.core.rules import counts_text
from ccxcli.values import HEX_DIGITS

if TYPE_CHECKING:
    from ccxcli.core.state import ClassicFile

HEADER = "# Cisco Unified CCX classic license file (ccxcli, synthetic format)"
_PAK_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")


def check_pak(pak: str) -> str:
    pak = pak.strip().upper()
    if not 6 <= len(pak) <= 20 or not set(pak) <= _PAK_CHARS:
        raise UsageError(f"Invalid PAK '{pak[:30]}': 6 to 20 letters and digits.")
    return pak


def check_mac(mac: str) -> str:
    text = mac.strip().lower().replace(":", "").replace("-", "").replace(".", "")
    if len(text) != 12 or not set(text) <= HEX_DIGITS:
        raise UsageError(
            f"Invalid License MAC '{mac[:30]}': 12 hex digits (the node's 'appadmin license classic show')."
        )
    return text


def pak_add(ssm: SsmDb, pak: str, counts: dict[str, int], now: int) -> None:
    pak = check_pak(pak)
    with ssm.tx() as db:
        if db.execute("SELECT 1 FROM pak WHERE pak=?", (pak,)).fetchone():
            raise RuleError(f"PAK {pak} already exists.")
        db.execute("INSERT INTO pak(pak, created) VALUES (?, ?)", (pak, now))
        db.executemany(
            "INSERT INTO pak_line(pak, alias, qty) VALUES (?, ?, ?)", [(pak, a, n) for a, n in counts.items()]
        )
        ssm.event(now, "pak", f"PAK {pak} added: {counts_text(counts)}")


def _lines(ssm: SsmDb, pak: str) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    for r in ssm.db.execute("SELECT * FROM pak_line WHERE pak=?", (pak,)):
        done = ssm.db.execute(
            "SELECT COALESCE(SUM(qty), 0), COALESCE(SUM(converted), 0) FROM fulfilment WHERE pak=? AND alias=?",
            (pak, r["alias"]),
        ).fetchone()
        out[r["alias"]] = {
            "quantity": r["qty"],
            "fulfilled": done[0],
            "converted": done[1],
            "assigned": r["assigned"],
            "unfulfilled": r["qty"] - done[0] - r["assigned"],
        }
    return out


def _pak(ssm: SsmDb, pak: str) -> Row:
    r: Row | None = ssm.db.execute("SELECT * FROM pak WHERE pak=?", (check_pak(pak),)).fetchone()
    if r is None:
        raise RuleError(f"No PAK {pak.strip().upper()[:20]} in this SSM's Classic inventory ('ccx-ssm pak list').")
    return r


def pak_list(ssm: SsmDb) -> list[dict[str, Any]]:
    return [
        {
            "pak": r["pak"],
            "created": iso(r["created"]),
            "smart_account": ssm.account if r["va"] else None,
            "virtual_account": r["va"],
            "licenses": _lines(ssm, r["pak"]),
            "fulfilled_to": sorted(
                {f["mac"] for f in ssm.db.execute("SELECT mac FROM fulfilment WHERE pak=?", (r["pak"],))}
            ),
        }
        for r in ssm.db.execute("SELECT * FROM pak ORDER BY pak").fetchall()
    ]


def fulfil(ssm: SsmDb, pak: str, mac: str, counts: dict[str, int], now: int) -> str:
    """Fulfil part of a PAK to a License MAC; return the classic license file for that MAC."""
    mac = check_mac(mac)
    with ssm.tx() as db:
        row = _pak(ssm, pak)
        lines = _lines(ssm, row["pak"])
        for alias, n in counts.items():
            left = lines.get(alias, {}).get("unfulfilled", 0)
            if n > left:
                raise RuleError(f"PAK {row['pak']} has {left} {alias} left to fulfil; cannot fulfil {n}.")
        for alias, n in counts.items():
            if n:
                db.execute(
                    "INSERT INTO fulfilment(pak, mac, alias, qty, t) VALUES (?, ?, ?, ?, ?)",
                    (row["pak"], mac, alias, n, now),
                )
        ssm.event(now, "pak", f"PAK {row['pak']} fulfilled to License MAC {mac}: {counts_text(counts)}")
        return license_file(ssm, mac, now)


def on_mac(ssm: SsmDb, mac: str) -> dict[str, int]:
    """Classic licenses fulfilled to a License MAC and not converted."""
    out: dict[str, int] = {}
    for r in ssm.db.execute(
        "SELECT alias, SUM(qty - converted) AS n FROM fulfilment WHERE mac=? GROUP BY alias", (mac,)
    ):
        if r["n"]:
            out[r["alias"]] = int(r["n"])
    return out


def license_file(ssm: SsmDb, mac: str, now: int) -> str:
    """The classic license file of everything fulfilled to `mac` and not converted."""
    from ccxcli.protocol.codes import sign

    lines = [HEADER, f"LICENSE-MAC: {mac}", f"ISSUED: {iso(now)}", f"SERIAL: {secrets.token_hex(4)}"]
    lines += [f"LICENSE: {alias} {n}" for alias, n in sorted(on_mac(ssm, mac).items())]
    body = "\n".join(lines)
    return body + "\nSIGNATURE: " + sign(ssm.private_pem(), body.encode()) + "\n"


def assign(ssm: SsmDb, pak: str, va: str | None, now: int) -> dict[str, int]:
    """PAK-based migration: the unfulfilled part of a PAK moves into a virtual account."""
    from ccxcli.ssm.core.schema import MAX_PURCHASED

    with ssm.tx() as db:
        row = _pak(ssm, pak)
        if row["va"]:
            raise RuleError(f"PAK {row['pak']} is already assigned to '{row['va']}'.")
        va = ssm.va(va)
        moved = {a: line["unfulfilled"] for a, line in _lines(ssm, row["pak"]).items() if line["unfulfilled"]}
        for alias, n in moved.items():
            have = db.execute("SELECT purchased FROM pool WHERE va=? AND alias=?", (va, alias)).fetchone()[0]
            if have + n > MAX_PURCHASED:
                raise RuleError(f"'{va}' would hold more than {MAX_PURCHASED} {alias}.")
            db.execute("UPDATE pool SET purchased = purchased + ? WHERE va=? AND alias=?", (n, va, alias))
            db.execute("UPDATE pak_line SET assigned = assigned + ? WHERE pak=? AND alias=?", (n, row["pak"], alias))
        db.execute("UPDATE pak SET va=? WHERE pak=?", (va, row["pak"]))
        ssm.bump(va, now)
        ssm.event(
            now,
            "migrate",
            f"PAK {row['pak']} assigned to '{ssm.account}' / '{va}': {counts_text(moved) or 'nothing left'}",
            va,
        )
        return moved


def convert(
    ssm: SsmDb, mac: str, va: str | None, counts: dict[str, int] | None, now: int
) -> tuple[dict[str, int], str | None]:
    """Device Based Conversion: (converted counts, new classic license file for what remains or None)."""
    mac = check_mac(mac)
    with ssm.tx() as db:
        va = ssm.va(va)
        have = on_mac(ssm, mac)
        if not have:
            raise RuleError(f"No classic licenses are fulfilled to License MAC {mac} (or all are converted).")
        wanted = dict(have) if counts is None else counts
        for alias, n in wanted.items():
            if n > have.get(alias, 0):
                raise RuleError(f"License MAC {mac} holds {have.get(alias, 0)} {alias}; cannot convert {n}.")
        for alias, n in wanted.items():
            left = n
            for f in db.execute(
                "SELECT * FROM fulfilment WHERE mac=? AND alias=? AND converted < qty ORDER BY id", (mac, alias)
            ).fetchall():
                take = min(left, f["qty"] - f["converted"])
                db.execute("UPDATE fulfilment SET converted = converted + ? WHERE id=?", (take, f["id"]))
                left -= take
                if not left:
                    break
            db.execute("UPDATE pool SET purchased = purchased + ? WHERE va=? AND alias=?", (n, va, alias))
        ssm.bump(va, now)
        remaining = on_mac(ssm, mac)
        rest = f"; remaining classic licenses {counts_text(remaining)}" if remaining else "; device fully converted"
        done = counts_text(wanted)
        ssm.event(now, "migrate", f"Device Based Conversion of License MAC {mac} into '{va}': {done}{rest}", va)
        return wanted, (license_file(ssm, mac, now) if remaining else None)


def read_file(text: str, trusted: list[bytes]) -> ClassicFile:
    """A classic license file, verified against the trusted SSM keys: {mac, serial, issued, counts}."""
    from ccxcli.core.catalogue import BY_ALIAS
    from ccxcli.protocol.codes import verify_any

    body, _, sig_line = text.strip().rpartition("\nSIGNATURE: ")
    lines = body.split("\n")
    if not body or lines[0] != HEADER:
        raise RuleError("This is not a classic license file (expected the header of 'ccx-ssm pak fulfil').")
    if verify_any(trusted, body.encode(), sig_line.strip()) is None:
        raise RuleError("The classic license file was altered or not issued by a trusted SSM; nothing was changed.")
    counts: dict[str, int] = {}
    named: dict[str, str] = {}
    for line in lines[1:]:
        key, _, value = line.partition(": ")
        if key == "LICENSE":
            alias, _, n = value.partition(" ")
            if alias not in BY_ALIAS or not n.isdigit():
                raise RuleError("The classic license file has a bad license line.")
            counts[alias] = int(n)
        elif key in ("LICENSE-MAC", "ISSUED", "SERIAL"):
            named[key] = value
    return {
        "mac": named.get("LICENSE-MAC", ""),
        "serial": named.get("SERIAL", ""),
        "issued": named.get("ISSUED", ""),
        "counts": counts,
    }
