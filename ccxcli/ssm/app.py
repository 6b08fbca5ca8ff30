"""The `ccx-ssm` typer application: its sub-apps, global options and output helpers."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import typer

from ccxcli.errors import UsageError, printable, printable_lines

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
pak_app = typer.Typer(no_args_is_help=True, help="Classic licenses: PAKs, fulfilment, PAK-based migration.")
dbc_app = typer.Typer(no_args_is_help=True, help="Device Based Conversion of classic licenses.")
sync_app = typer.Typer(help="SSM On-Prem synchronisation with Cisco SSM.")
account_app = typer.Typer(no_args_is_help=True, help="The smart account: Export-Controlled permission.")
app.add_typer(va_app, name="va")
app.add_typer(license_app, name="license")
app.add_typer(token_app, name="token")
app.add_typer(instance_app, name="instance")
app.add_typer(res_app, name="reservation")
app.add_typer(key_app, name="key")
app.add_typer(account_app, name="account")
app.add_typer(sync_app, name="sync")
app.add_typer(pak_app, name="pak")
app.add_typer(dbc_app, name="dbc")


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


def ssm_folder() -> Path:
    from ccxcli.lab import DEFAULT_SSM

    arg = S.ssm_arg
    if arg is None:
        return S.home / "ssm" / DEFAULT_SSM
    return Path(arg).expanduser() if is_dir_arg(arg) else S.home / "ssm" / arg


def is_dir_arg(arg: str) -> bool:
    """`--ssm` names a folder when it looks like a path, else an SSM of the lab."""
    return os.sep in arg or bool(os.altsep and os.altsep in arg) or arg.startswith((".", "~"))


def lab_of(folder: Path) -> Path | None:
    lab = folder.parent.parent
    return lab if folder.parent.name == "ssm" and (lab / "lab.json").exists() else None


def ssm_now(folder: Path) -> int:
    """The lab's virtual time when the SSM is part of a lab, else the wall clock."""
    from ccxcli.clock import LabClock, wall_now
    from ccxcli.store import load_json

    lab = lab_of(folder)
    if lab is None:
        return wall_now()
    return LabClock.from_dict(load_json(lab / "lab.json", "lab")["clock"]).now()


def open_ssm() -> tuple[Any, int]:
    from ccxcli.ssm.db import Ssm

    folder = ssm_folder()
    if S.ssm_arg is None and not (folder / "ssm.db").exists():
        from ccxcli.lab import Lab

        with Lab(S.home):  # the embedded default: the first command creates the lab
            pass
    return Ssm.open(folder), ssm_now(folder)


def emit(data: Any, text: str | None = None, table: Any = None) -> None:
    """Print JSON, a table or text. Names and texts that came from users (virtual
    accounts, descriptions, host names) are shown with control characters escaped."""
    if S.json:
        sys.stdout.write(json.dumps(data, indent=2, sort_keys=True) + "\n")
    elif table is not None:
        from rich.console import Console

        Console(width=max(100, width())).print(table)
    elif text is not None:
        sys.stdout.write(printable_lines(text) + "\n")


def width() -> int:
    import shutil

    return shutil.get_terminal_size((120, 24)).columns


def table(title: str, cols: list[str], rows: list[list[Any]]) -> Any:
    from rich.table import Table
    from rich.text import Text

    t = Table(title=Text(printable(title)), show_lines=False)
    for c in cols:
        t.add_column(c)
    for r in rows:  # Text, not str: a name like '[red]x' is shown as typed, never as markup
        t.add_row(*[Text("-" if v is None else printable(str(v))) for v in r])
    return t


def write_code(code: str, out: str | None) -> None:
    """Print the authorization code alone on stdout, or write it to `out` and say so."""
    if out:
        try:
            Path(out).expanduser().write_text(code + "\n", encoding="utf-8")
        except OSError as e:
            raise UsageError(
                f"Cannot write {out}: {e.strerror}. The code was issued: print it again with "
                "'ccx-ssm reservation code ID'."
            ) from None
    if S.json:
        sys.stdout.write(json.dumps({"authorization_code": code, "file": out}) + "\n")
    elif out:
        sys.stdout.write(f"Authorization code written to {printable(out)} ({len(code)} characters).\n")
    else:
        sys.stdout.write(code + "\n")
