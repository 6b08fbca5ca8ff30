"""`ccx-ssm`: the SSM stand-in's command line (typer + rich tables, --json everywhere)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import typer

from ccxcli.errors import CcxError, UsageError, one_line

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="The Cisco Smart Software Manager stand-in of a ccxcli lab.",
)
va_app = typer.Typer(no_args_is_help=True, help="Virtual accounts.")
license_app = typer.Typer(no_args_is_help=True, help="Licenses of a virtual account.")
token_app = typer.Typer(no_args_is_help=True, help="Product instance registration tokens.")
instance_app = typer.Typer(no_args_is_help=True, help="Product instances.")
res_app = typer.Typer(no_args_is_help=True, help="Specific License Reservations.")
key_app = typer.Typer(no_args_is_help=True, help="The SSM's signing key.")
app.add_typer(va_app, name="va")
app.add_typer(license_app, name="license")
app.add_typer(token_app, name="token")
app.add_typer(instance_app, name="instance")
app.add_typer(res_app, name="reservation")
app.add_typer(key_app, name="key")


class State:
    home: Path
    ssm_arg: str | None = None
    json: bool = False


S = State()


@app.callback()
def _main(
    home: str | None = typer.Option(None, "--home", help="Lab home (default: $CCX_HOME or the platform data folder)."),
    ssm: str | None = typer.Option(None, "--ssm", help="SSM of the lab by name, or an SSM folder ($CCX_SSM_HOME)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    from ccxcli.lab import resolve_home

    S.home = resolve_home(home)
    S.ssm_arg = ssm or os.environ.get("CCX_SSM_HOME")
    S.json = as_json


def _folder() -> Path:
    from ccxcli.lab import DEFAULT_SSM

    arg = S.ssm_arg
    if arg is None:
        return S.home / "ssm" / DEFAULT_SSM
    return Path(arg).expanduser() if _is_dir_arg(arg) else S.home / "ssm" / arg


def _is_dir_arg(arg: str) -> bool:
    """`--ssm` names a folder when it looks like a path, else an SSM of the lab."""
    return os.sep in arg or bool(os.altsep and os.altsep in arg) or arg.startswith((".", "~"))


def _in_lab(folder: Path) -> Path | None:
    lab = folder.parent.parent
    return lab if folder.parent.name == "ssm" and (lab / "lab.json").exists() else None


def _now(folder: Path) -> int:
    """The lab's virtual time when the SSM is part of a lab, else the wall clock."""
    from ccxcli.clock import LabClock, wall_now
    from ccxcli.store import load_json

    lab = _in_lab(folder)
    if lab is None:
        return wall_now()
    return LabClock.from_dict(load_json(lab / "lab.json", "lab")["clock"]).now()


def _open() -> tuple[Any, int]:
    from ccxcli.ssm.db import Ssm

    folder = _folder()
    if S.ssm_arg is None and not (folder / "ssm.db").exists():
        from ccxcli.lab import Lab

        with Lab(S.home):  # the embedded default: the first command creates the lab
            pass
    return Ssm.open(folder), _now(folder)


def _out(data: Any, text: str | None = None, table: Any = None) -> None:
    if S.json:
        sys.stdout.write(json.dumps(data, indent=2, sort_keys=True) + "\n")
    elif table is not None:
        from rich.console import Console

        Console(width=max(100, _width())).print(table)
    elif text is not None:
        sys.stdout.write(text + "\n")


def _width() -> int:
    import shutil

    return shutil.get_terminal_size((120, 24)).columns


def _table(title: str, cols: list[str], rows: list[list[Any]]) -> Any:
    from rich.table import Table

    t = Table(title=title, show_lines=False)
    for c in cols:
        t.add_column(c)
    for r in rows:
        t.add_row(*["-" if v is None else str(v) for v in r])
    return t


def _code_arg(text: str) -> str:
    if text == "-":
        return sys.stdin.read(70000)
    if text.startswith("@"):
        try:
            return Path(text[1:]).expanduser().read_text(encoding="utf-8")[:70000]
        except (OSError, UnicodeDecodeError) as e:
            raise UsageError(f"Cannot read {text[1:]}: {getattr(e, 'strerror', None) or e}.") from None
    return text


def _write_code(code: str, out: str | None) -> None:
    if out:
        try:
            Path(out).expanduser().write_text(code + "\n", encoding="utf-8")
        except OSError as e:
            raise UsageError(f"Cannot write {out}: {e.strerror}.") from None
    if S.json:
        sys.stdout.write(json.dumps({"authorization_code": code, "file": out}) + "\n")
    else:
        sys.stdout.write(code + "\n")


# --- init / key ------------------------------------------------------------------------


@app.command()
def init(
    account: str = typer.Option("Demo Smart Account", "--account", help="Smart account name."),
    on_prem: bool = typer.Option(False, "--on-prem", help="An SSM On-Prem (needs --hostname)."),
    hostname: str | None = typer.Option(None, "--hostname", help="Certificate common name (on-prem)."),
    san: list[str] = typer.Option([], "--san", help="Subject alternative name (repeatable)."),
    demo: bool = typer.Option(False, "--demo", help="Deposit the demo licenses."),
) -> None:
    """Create an SSM folder and its signing key."""
    from ccxcli.ssm.db import Ssm

    if on_prem and not hostname:
        raise UsageError("An on-prem SSM needs --hostname (its certificate common name).")
    if not on_prem and (hostname or san):
        raise UsageError("--hostname and --san apply to --on-prem SSMs only.")
    folder = _folder()
    if S.ssm_arg is None or not _is_dir_arg(S.ssm_arg):
        from ccxcli.lab import Lab

        with Lab(S.home):  # an SSM of the lab: the lab (embedded default) exists first
            pass
    ssm = Ssm.create(
        folder,
        account=account,
        now=_now(folder),
        demo=demo,
        on_prem=on_prem,
        hostname=hostname.lower() if hostname else None,
        sans=tuple(s.lower() for s in san),
    )
    _out(
        {"folder": str(folder), "account": account, "on_prem": on_prem, "names": ssm.names()},
        f"SSM created in {folder} (smart account '{account}'"
        f"{', on-prem ' + ', '.join(ssm.names()) if on_prem else ''}).",
    )


@key_app.command("export")
def key_export() -> None:
    """Print the SSM's public key (PEM), for nodes outside the lab ('sim ssm trust FILE')."""
    ssm, _ = _open()
    pem = ssm.public_pem().decode()
    if S.json:
        _out({"public_key": pem})
    else:
        sys.stdout.write(pem)


# --- virtual accounts ------------------------------------------------------------------------


@va_app.command("list")
def va_list() -> None:
    """List the virtual accounts."""
    ssm, _ = _open()
    rows = ssm.va_list()
    _out(
        {"virtual_accounts": rows},
        table=_table(
            f"Virtual accounts of '{ssm.account}'",
            ["Name", "Default", "Instances"],
            [[r["name"], "yes" if r["default"] else "", r["instances"]] for r in rows],
        ),
    )


@va_app.command("create")
def va_create(name: str) -> None:
    """Create a virtual account."""
    ssm, now = _open()
    ssm.va_create(name, now)
    _out({"created": name}, f"Virtual account '{name}' created.")


@va_app.command("delete")
def va_delete(name: str) -> None:
    """Delete an empty virtual account."""
    ssm, now = _open()
    ssm.va_delete(name, now)
    _out({"deleted": name}, f"Virtual account '{name}' deleted.")


# --- licenses ----------------------------------------------------------------------------------


def _alias(alias: str) -> str:
    from ccxcli.core.catalogue import lookup

    try:
        return lookup(alias).alias
    except KeyError as e:
        raise UsageError(str(e.args[0])) from None


@license_app.command("list")
def license_list(
    va: str | None = typer.Option(None, "--va", help="Virtual account (default: the default one)."),
) -> None:
    """Purchased, in use, reserved, available and balance per license."""
    ssm, _ = _open()
    name = ssm.va(va)
    rows = ssm.license_rows(name)
    cols = ["License", "Purchased", "In Use", "Reserved", "Available", "Balance"]
    _out(
        {"va": name, "licenses": rows},
        table=_table(
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
        ),
    )


@license_app.command("add")
def license_add(alias: str, qty: int, va: str = typer.Option(..., "--va", help="Virtual account.")) -> None:
    """Deposit purchased licenses."""
    ssm, now = _open()
    a = _alias(alias)
    ssm.license_add(va, a, qty, now)
    _out({"va": ssm.va(va), "alias": a, "added": qty}, f"{qty} {a} deposited in '{ssm.va(va)}'.")


@license_app.command("transfer")
def license_transfer(
    alias: str,
    qty: int,
    src: str = typer.Option(..., "--from", help="Source virtual account."),
    dst: str = typer.Option(..., "--to", help="Destination virtual account."),
) -> None:
    """Move available licenses between virtual accounts."""
    ssm, now = _open()
    a = _alias(alias)
    ssm.license_transfer(src, dst, a, qty, now)
    _out({"alias": a, "qty": qty, "from": ssm.va(src), "to": ssm.va(dst)}, f"{qty} {a} transferred.")


# --- tokens ------------------------------------------------------------------------------------


@token_app.command("create")
def token_create(
    va: str = typer.Option(..., "--va", help="Virtual account."),
    expires_days: int = typer.Option(30, "--expires-days", help="Days until the token expires (1-365)."),
    max_uses: int | None = typer.Option(None, "--max-uses", help="How many registrations it allows."),
    description: str = typer.Option("", "--description", help="Free text."),
    export_controlled: bool = typer.Option(False, "--export-controlled", help="Allow export-controlled functionality."),
) -> None:
    """Create a product instance registration token (printed alone on stdout)."""
    from ccxcli.ssm import smart

    ssm, now = _open()
    tok = smart.token_create(ssm, va, now, expires_days, max_uses, description, export_controlled)
    _out({"token": tok, "va": ssm.va(va)}, tok)


@token_app.command("list")
def token_list() -> None:
    """List the registration tokens."""
    from ccxcli.ssm import smart

    ssm, now = _open()
    rows = smart.token_list(ssm, now)
    _out(
        {"tokens": rows},
        table=_table(
            "Registration tokens",
            ["Token", "VA", "Expires", "Uses", "State", "Description"],
            [
                [
                    r["token"][:16] + "…",
                    r["va"],
                    r["expires"],
                    f"{r['uses']}/{r['max_uses'] or '∞'}",
                    r["state"],
                    r["description"],
                ]
                for r in rows
            ],
        ),
    )


@token_app.command("revoke")
def token_revoke(token: str) -> None:
    """Revoke a registration token."""
    from ccxcli.ssm import smart

    ssm, now = _open()
    smart.token_revoke(ssm, token, now)
    _out({"revoked": True}, "Token revoked.")


# --- instances ----------------------------------------------------------------------------------


@instance_app.command("list")
def instance_list(va: str | None = typer.Option(None, "--va", help="Only this virtual account.")) -> None:
    """List product instances."""
    from ccxcli.ssm import smart

    ssm, _ = _open()
    rows = smart.instance_list(ssm, va)
    if S.json:
        _out({"instances": rows})
        return
    lines = [f"{'ID':>6}  {'SN':<6} {'Host':<16} {'VA':<12} {'Kind':<6} {'Last contact':<21} Usage"]
    lines += [
        f"{r['id']:>6}  {r['sn']:<6} {r['hostname'][:16]:<16} {r['va'][:12]:<12} {r['kind']:<6} "
        f"{r['last_contact']:<21} {' '.join(f'{k}={v}' for k, v in sorted(r['usage'].items()))}"
        for r in rows
    ]
    sys.stdout.write("\n".join(lines) + "\n")  # plain text: 10,000 rows must list in well under a second


@instance_app.command("show")
def instance_show(ident: str = typer.Argument(..., metavar="ID")) -> None:
    """One product instance, by id or serial number."""
    from ccxcli.ssm import smart

    ssm, _ = _open()
    row = smart.instance_row(smart.instance(ssm, ident))
    _out(row, "\n".join(f"{k}: {v}" for k, v in row.items()))


@instance_app.command("remove")
def instance_remove(
    ident: str = typer.Argument(..., metavar="ID"),
    return_code: str | None = typer.Option(None, "--return-code", help="Needed when the instance holds a reservation."),
) -> None:
    """Remove a product instance (its licenses go back to the pool)."""
    from ccxcli.ssm import smart

    ssm, now = _open()
    smart.instance_remove(ssm, ident, now, _code_arg(return_code) if return_code else None)
    _out({"removed": ident}, f"Instance {ident} removed.")


@instance_app.command("transfer")
def instance_transfer(ident: str = typer.Argument(..., metavar="ID"), to: str = typer.Option(..., "--to")) -> None:
    """Move a product instance to another virtual account."""
    from ccxcli.ssm import smart

    ssm, now = _open()
    smart.instance_transfer(ssm, ident, to, now)
    _out({"transferred": ident, "to": ssm.va(to)}, f"Instance {ident} transferred to '{ssm.va(to)}'.")


# --- reservations ----------------------------------------------------------------------------------


@res_app.command("authorize")
def res_authorize(
    va: str = typer.Option(..., "--va"),
    request: str = typer.Option(..., "--request", help="The Reservation Request Code (or - for stdin, @FILE)."),
    license: list[str] = typer.Option([], "--license", help="ALIAS=N, repeatable."),
    out: str | None = typer.Option(None, "--out", help="Also write the code to this file."),
) -> None:
    """Reserve licenses for a request code; prints the Authorization Code."""
    from ccxcli.ssm import reserve

    ssm, now = _open()
    code = reserve.authorize(ssm, va, _code_arg(request), reserve.parse_counts(license), now)
    _write_code(code, out)


@res_app.command("update")
def res_update(
    ident: str = typer.Argument(..., metavar="ID"),
    license: list[str] = typer.Option([], "--license", help="ALIAS=N, repeatable."),
    out: str | None = typer.Option(None, "--out"),
) -> None:
    """New Authorization Code for an installed reservation (pending until confirmed)."""
    from ccxcli.ssm import reserve

    ssm, now = _open()
    code = reserve.update(ssm, ident, reserve.parse_counts(license), now)
    _write_code(code, out)


@res_app.command("confirm")
def res_confirm(
    ident: str = typer.Argument(..., metavar="ID"), code: str = typer.Argument(..., metavar="CONFIRMATION_CODE")
) -> None:
    """Close a pending update with the node's Confirmation Code."""
    from ccxcli.ssm import reserve

    ssm, now = _open()
    reserve.confirm(ssm, ident, _code_arg(code), now)
    _out({"confirmed": ident}, "Reservation update confirmed.")


@res_app.command("return")
def res_return(code: str = typer.Argument(..., metavar="RETURN_CODE")) -> None:
    """Release a reservation's licenses with the node's Reservation Return Code."""
    from ccxcli.ssm import reserve

    ssm, now = _open()
    done = reserve.give_back(ssm, _code_arg(code), now)
    _out(done, f"Reserved licenses of SN {done['sn']} returned to '{done['va']}'.")


@res_app.command("list")
def res_list() -> None:
    """Reservations and their state."""
    from ccxcli.ssm import reserve

    ssm, _ = _open()
    rows = reserve.listing(ssm)
    _out(
        {"reservations": rows},
        table=_table(
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

    ssm, now = _open()
    rows = smart.alerts(ssm, now)
    _out(
        {"alerts": rows},
        table=_table(
            "Alerts",
            ["Severity", "Type", "VA", "Message"],
            [[r["severity"], r["type"], r["va"], r["message"]] for r in rows],
        ),
    )


@app.command()
def events(last: int = typer.Option(50, "--last")) -> None:
    """Recent SSM events."""
    from ccxcli.ssm import smart

    ssm, _ = _open()
    rows = smart.events(ssm, max(0, min(last, 10000)))
    _out({"events": rows}, "\n".join(f"{r['time']}  {r['kind']:<12} {r['message']}" for r in rows) or "No events.")


def main(argv: list[str] | None = None) -> int:
    from ccxcli.cli import _quiet_on_closed_pipe

    _quiet_on_closed_pipe()
    try:
        rc = app(argv if argv is not None else sys.argv[1:], prog_name="ccx-ssm", standalone_mode=False)
    except CcxError as e:
        sys.stderr.write(one_line(e.message) + "\n")
        return e.exit_code
    except typer.Exit as e:
        return int(e.exit_code)
    except KeyboardInterrupt:
        sys.stderr.write("Interrupted.\n")
        return 130
    except Exception as e:  # noqa: BLE001 - typer usage errors and unexpected failures: one line
        if hasattr(e, "format_message") and hasattr(e, "exit_code"):
            message = e.format_message()
            if message:  # an incomplete command has just shown its help instead
                sys.stderr.write(one_line(f"Usage error: {message} (see 'ccx-ssm --help')") + "\n")
            return 2
        if os.environ.get("CCX_DEBUG"):
            raise
        sys.stderr.write(f"Internal error ({type(e).__name__}: {e}); set CCX_DEBUG=1 for details.\n")
        return 70
    return int(rc or 0) if isinstance(rc, int) else 0
