"""The `ccx-ssm` program: its commands' declarations (`ccxcli.ssm.cli.cmdkit`), global options and
output helpers. Plain text and plain tables only: neither typer nor rich is imported, so
that the frequent commands (`license list`, `token create`) start fast."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

from ccxcli.errors import UsageError, printable, printable_lines
from ccxcli.ssm.cli.cmdkit import Param, Program, plain_table
from ccxcli.store.lab import ssm_now

PROG = Program(
    "ccx-ssm",
    "The Cisco Smart Software Manager stand-in of a ccxcli lab.",
    (
        Param("--home", "Lab home (default: $CCX_HOME, else the platform data folder).", metavar="DIR"),
        Param(
            "--ssm",
            "An SSM of the lab by name, or an SSM folder (default: $CCX_SSM_HOME, else cloud).",
            metavar="NAME|DIR",
        ),  # fmt: skip
        Param("--json", "Print one JSON document instead of text.", kind="flag", default=False),
        Param("--version", "Print the version.", kind="flag", default=False),
    ),
)
command = PROG.command
PROG.group("va", "Virtual accounts.")
PROG.group("license", "Licenses of a virtual account.")
PROG.group("token", "Product instance registration tokens.")
PROG.group("instance", "Product instances.")
PROG.group("reservation", "Specific License Reservations.")
PROG.group("key", "The SSM's signing key.")
PROG.group("pak", "Classic licenses: PAKs, fulfilment, PAK-based migration.")
PROG.group("dbc", "Device Based Conversion of classic licenses.")
PROG.group("sync", "SSM On-Prem synchronization with Cisco SSM.")
PROG.group("account", "The smart account: Export-Controlled permission.")

# Parameters several commands share, declared once.
VA = Param("--va", "Virtual account (default: the default one).", metavar="NAME")
LICENSES = Param("--license", "ALIAS=N, the licenses and how many; aliases: {aliases}.", kind="list",
                 metavar="ALIAS=N")  # fmt: skip
OUT_CODE = Param("--out", "Write the code to this file instead of printing it.", metavar="FILE")
ID = Param("ID", "The product instance: its id or serial number (SN).", required=True)


class State:
    home: Path
    ssm_arg: str | None = None
    json: bool = False


S = State()


def set_globals(home: str | None, ssm: str | None, as_json: bool) -> None:
    from ccxcli.store.lab import resolve_home

    S.home = resolve_home(home)
    S.ssm_arg = ssm or os.environ.get("CCX_SSM_HOME")
    S.json = as_json


def ssm_folder() -> Path:
    from ccxcli.store.lab import DEFAULT_SSM

    arg = S.ssm_arg
    if arg is None:
        return S.home / "ssm" / DEFAULT_SSM
    return Path(arg).expanduser() if is_dir_arg(arg) else S.home / "ssm" / arg


def is_dir_arg(arg: str) -> bool:
    """`--ssm` names a folder when it looks like a path, else an SSM of the lab."""
    return os.sep in arg or bool(os.altsep and os.altsep in arg) or arg.startswith((".", "~"))


def open_ssm() -> tuple[Any, int]:
    from ccxcli.ssm.core.db import Ssm

    folder = ssm_folder()
    if S.ssm_arg is None and not (folder / "ssm.db").exists():
        from ccxcli.session.context import open_lab

        with open_lab(S.home):  # the embedded default: the first command creates the lab
            pass
    return Ssm.open(folder), ssm_now(folder)


def emit(data: Any, text: str | None = None, table: str | None = None) -> None:
    """Print JSON, a table or text. Names and texts that came from users (virtual
    accounts, descriptions, host names) are shown with control characters escaped."""
    if S.json:
        sys.stdout.write(json.dumps(data, indent=2, sort_keys=True) + "\n")
    elif table is not None:
        sys.stdout.write(table + "\n")
    elif text is not None:
        sys.stdout.write(printable_lines(text) + "\n")


def table(title: str, cols: list[str], rows: list[list[Any]]) -> str:
    """Only built when text is shown (`emit` ignores it under --json)."""
    return "" if S.json else plain_table(title, cols, rows, printable)


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
