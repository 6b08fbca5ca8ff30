"""`ccx-ssm`: the SSM stand-in's command line (typer + rich tables, --json everywhere).

The commands live in `cmd_accounts` and `cmd_instances`; importing them registers them
on the application defined in `ccxcli.ssm.app`."""

from __future__ import annotations

import os
import sys

import typer

from ccxcli.errors import CcxError, one_line
from ccxcli.ssm import cmd_accounts, cmd_instances  # noqa: F401 - registers the commands
from ccxcli.ssm.app import app


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
