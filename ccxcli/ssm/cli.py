"""`ccx-ssm`: the SSM stand-in's command line (typer + rich tables, --json everywhere).

The commands live in `cmd_accounts` and `cmd_instances`; importing them registers them
on the application defined in `ccxcli.ssm.app`."""

from __future__ import annotations

import sys

import typer

from ccxcli.errors import report
from ccxcli.ssm import cmd_accounts, cmd_classic, cmd_instances, cmd_sync  # noqa: F401 - registers them
from ccxcli.ssm.app import app


def main(argv: list[str] | None = None) -> int:
    from ccxcli.cli import _quiet_on_closed_pipe

    _quiet_on_closed_pipe()
    try:
        rc = app(argv if argv is not None else sys.argv[1:], prog_name="ccx-ssm", standalone_mode=False)
    except typer.Exit as e:
        return int(e.exit_code)
    except BaseException as e:  # noqa: BLE001 - the one boundary decides what each one means
        if isinstance(e, SystemExit):
            raise
        return report(e, sys.stderr, "ccx-ssm")
    return int(rc or 0) if isinstance(rc, int) else 0
