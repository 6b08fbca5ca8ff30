"""`ccx shell`, `ccx run`, `ccx completion`: the host-tool side of `ccx`, driven by typer."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import typer

from ccxcli.errors import USAGE, one_line
from ccxcli.runtime import Runtime

app = typer.Typer(add_completion=False, no_args_is_help=False, help="Host-tool commands of ccx.")
_rt: Runtime | None = None


def _runtime() -> Runtime:
    assert _rt is not None
    return _rt


@app.command()
def shell() -> None:
    """Open the admin: shell (script mode when stdin is not a terminal)."""
    rt = _runtime()
    if sys.stdin.isatty() and sys.stdout.isatty():
        from ccxcli.shell import run_shell

        raise typer.Exit(run_shell(rt))
    from ccxcli.script import run_script

    rt.mode = "script"
    raise typer.Exit(run_script(rt, sys.stdin))


@app.command()
def run(
    file: str = typer.Argument(..., help="Script file, or - for stdin."),
    keep_going: bool = typer.Option(False, "--keep-going", help="Run every line even after a failure."),
) -> None:
    """Run a script: one command per line, # comments, stops at the first failure."""
    from ccxcli.script import run_script

    rt = _runtime()
    rt.mode = "script"
    if file == "-":
        raise typer.Exit(run_script(rt, sys.stdin, keep_going))
    try:
        text = Path(file).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        typer.echo(f"Cannot read script {file}: {getattr(e, 'strerror', None) or e}.", err=True)
        raise typer.Exit(USAGE) from None
    raise typer.Exit(run_script(rt, text.splitlines(), keep_going))


@app.command()
def completion(shell_name: str = typer.Argument(..., metavar="SHELL", help="bash, zsh or fish")) -> None:
    """Print the shell completion script for ccx's device commands."""
    from ccxcli.completion import SHELLS, script

    if shell_name not in SHELLS:
        typer.echo(f"Unknown shell '{shell_name}'; use one of {', '.join(SHELLS)}.", err=True)
        raise typer.Exit(USAGE)
    typer.echo(script(shell_name), nl=False)


def run_host(rt: Runtime, words: list[str]) -> int:
    global _rt
    _rt = rt
    if not words:
        words = ["shell"]
    try:
        rc = app(words, prog_name="ccx", standalone_mode=False)
    except typer.Exit as e:
        return int(e.exit_code)
    except KeyboardInterrupt:
        return 130
    except Exception as e:  # noqa: BLE001 - typer's usage errors: one line, exit 2
        if hasattr(e, "format_message"):
            sys.stderr.write(one_line(f"Usage error: {e.format_message()} (see 'ccx --help')") + "\n")
            return USAGE
        if os.environ.get("CCX_DEBUG"):
            raise
        sys.stderr.write(one_line(f"Internal error ({type(e).__name__}: {e}); set CCX_DEBUG=1 for details.") + "\n")
        return 70
    return rc if isinstance(rc, int) else 0
