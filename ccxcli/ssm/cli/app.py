"""The `ccx-ssm` program: its commands' declarations (`ccxcli.ssm.cli.cmdkit`), global options and
output helpers. Plain text and plain tables only: neither typer nor rich is imported, so
that the frequent commands (`license list`, `token create`) start fast."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING

from ccxcli.errors import CcxError, UsageError, printable, printable_lines
from ccxcli.runtime import Env
from ccxcli.ssm.cli.cmdkit import Option, Program, plain_table
from ccxcli.store.lab import ssm_now

PROG = Program(
    "ccx-ssm",
    "The Cisco Smart Software Manager stand-in of a ccxcli lab.",
    (
        Option("--home", "Lab home (default: $CCX_HOME, else the platform data folder).", metavar="DIR"),
        Option(
            "--ssm",
            "An SSM of the lab by name, or an SSM folder (default: $CCX_SSM_HOME, else cloud).",
            metavar="NAME|DIR",
        ),
        Option("--json", "Print one JSON document instead of text.", kind="flag", default=False),
        Option("--version", "Print the version.", kind="flag", default=False),
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
VA = Option("--va", "Virtual account (default: the default one).", metavar="NAME")
LICENSES = Option(
    "--license", "ALIAS=N, the licenses and how many; aliases: {aliases}.", kind="list", metavar="ALIAS=N"
)
OUT_CODE = Option("--out", "Write the code to this file instead of printing it.", metavar="FILE")
ID = Option("ID", "The product instance: its id or serial number (SN).", required=True)


if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import TextIO

    from ccxcli.ssm.core.db import SsmDb


class SsmRun:
    """One `ccx-ssm` run: the process's environment (streams, variables) and what its
    global options chose (the lab home, which SSM, --json). Every command gets it first."""

    def __init__(self, env: Env, home: Path, ssm_arg: str | None = None, json: bool = False) -> None:
        self.env, self.home, self.ssm_arg, self.json = env, home, ssm_arg, json
        self.opened: list[SsmDb] = []  # the SSMs the command opened (`open_ssm`)

    def notify(self) -> None:
        """Queue and send the email notifications due on the SSMs the command opened (never
        fails the command: a message that cannot go waits for the next)."""
        from ccxcli.ssm.core import notify

        for ssm in self.opened:
            if ssm.closed:  # a command that closed it (serve) notifies itself
                continue
            try:
                notify.run(ssm, ssm_now(ssm.path))
            except CcxError as e:
                self.err.write(f"ccx-ssm: notifications not sent: {e.message}\n")
            finally:
                ssm.close()
        self.opened.clear()

    @classmethod
    def of(cls, env: Env, home: str | None, ssm: str | None, as_json: bool) -> SsmRun:
        from ccxcli.store.lab import resolve_home

        return cls(env, resolve_home(home, env.environ), ssm or env.get("CCX_SSM_HOME"), as_json)

    @property
    def out(self) -> TextIO:
        return self.env.out

    @property
    def err(self) -> TextIO:
        return self.env.err

    @property
    def inp(self) -> TextIO:
        return self.env.inp


def ssm_folder(rt: SsmRun) -> Path:
    from ccxcli.store.lab import DEFAULT_SSM

    arg = rt.ssm_arg
    if arg is None:
        return rt.home / "ssm" / DEFAULT_SSM
    return Path(arg).expanduser() if is_dir_arg(arg) else rt.home / "ssm" / arg


def is_dir_arg(arg: str) -> bool:
    """`--ssm` names a folder when it looks like a path, else an SSM of the lab."""
    return os.sep in arg or bool(os.altsep and os.altsep in arg) or arg.startswith((".", "~"))


def open_ssm(rt: SsmRun) -> tuple[SsmDb, int]:
    from ccxcli.ssm.core.db import SsmDb

    folder = ssm_folder(rt)
    if rt.ssm_arg is None and not (folder / "ssm.db").exists():
        from ccxcli.session.context import open_lab

        with open_lab(rt.home):  # the embedded default: the first command creates the lab
            pass
    ssm = SsmDb.open(folder)
    rt.opened.append(ssm)
    now = ssm_now(folder)
    _time_passed(ssm, now)
    return ssm, now


def _time_passed(ssm: SsmDb, now: int) -> None:
    """What time did since the SSM was last used (`due.time_passed`: an SSM On-Prem 90 days
    without synchronization is removed, subscription terms start and end); busy or unreadable,
    the next command does it."""
    from ccxcli.ssm.core import due

    try:
        due.time_passed(ssm, now)
    except CcxError:
        pass


class Listing:
    """A listing to show: a title, columns, rows of cells, notes below. Plain columns when
    the output is not a terminal (what scripts read), a rich table on a terminal."""

    def __init__(self, title: str, cols: list[str], rows: list[list[object]]) -> None:
        self.title, self.cols = title, cols
        self.rows = [["-" if v is None else str(v) for v in r] for r in rows]
        self.notes: list[str] = []

    def plain(self) -> str:
        return "\n".join([plain_table(self.title, self.cols, self.rows, printable), *self.notes])

    def draw(self, out: TextIO, environ: Mapping[str, str]) -> None:
        from ccxcli.drawing import table

        table(printable(self.title), self.cols, [[printable(c) for c in r] for r in self.rows], out, environ)
        if self.notes:
            out.write(printable_lines("\n".join(self.notes)) + "\n")


def emit(rt: SsmRun, data: object, text: str | None = None, table: Listing | None = None) -> None:
    """Print JSON, a table or text. Names and texts that came from users (virtual
    accounts, descriptions, host names) are shown with control characters escaped."""
    if rt.json:
        rt.out.write(json.dumps(data, indent=2, sort_keys=True) + "\n")
    elif table is not None:
        from ccxcli.drawing import draws

        if draws(rt.out, rt.env.environ):
            table.draw(rt.out, rt.env.environ)
        else:
            rt.out.write(table.plain() + "\n")
    elif text is not None:
        rt.out.write(printable_lines(text) + "\n")


def table(rt: SsmRun, title: str, cols: list[str], rows: list[list[object]]) -> Listing | None:
    """Only built when text is shown (None under --json, where `emit` prints the data)."""
    return None if rt.json else Listing(title, cols, rows)


def password_from(path: str) -> str:
    """The first line of a password file, anywhere (`ccx-ssm` has no upload folder)."""
    from ccxcli.codetext import read_password

    return read_password(path, root=None)


def on_off(value: str | None, what: str) -> bool | None:
    """An `on|off` option's value (None: not given)."""
    if value is None:
        return None
    if value.lower() not in ("on", "off"):
        raise UsageError(f"{what} is on or off, not '{value[:40]}'.")
    return value.lower() == "on"


def write_code(rt: SsmRun, code: str, out: str | None) -> None:
    """Print the authorization code alone on stdout, or write it to `out` and say so."""
    if out:
        try:
            Path(out).expanduser().write_text(code + "\n", encoding="utf-8")
        except OSError as e:
            raise UsageError(
                f"Cannot write {out}: {e.strerror}. The code was issued: print it again with "
                "'ccx-ssm reservation code ID'."
            ) from None
    if rt.json:
        rt.out.write(json.dumps({"authorization_code": code, "file": out}) + "\n")
    elif out:
        rt.out.write(f"Authorization code written to {printable(out)} ({len(code)} characters).\n")
    else:
        rt.out.write(code + "\n")
