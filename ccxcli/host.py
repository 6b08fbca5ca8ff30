"""`ccx shell`, `ccx run`, `ccx completion`: the host-tool side of `ccx`, driven by typer."""

from __future__ import annotations

import sys

import typer

from ccxcli.errors import USAGE, CcxError, UsageError, report
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
    if rt.inp.isatty() and rt.out.isatty():
        from ccxcli.shell import run_shell

        raise typer.Exit(run_shell(rt))
    from ccxcli.script import run_script

    raise typer.Exit(run_script(rt, rt.inp))


@app.command()
def run(
    file: str = typer.Argument(..., help="Script file, or - for stdin."),
    keep_going: bool = typer.Option(False, "--keep-going", help="Run every line even after a failure."),
) -> None:
    """Run a script: one command per line, # comments, stops at the first failure."""
    from ccxcli.codetext import read_file
    from ccxcli.script import MAX_SCRIPT, run_script

    rt = _runtime()
    if file == "-":
        raise typer.Exit(run_script(rt, rt.inp, keep_going))
    try:
        text = read_file(file, MAX_SCRIPT, "a script")
    except CcxError as e:
        raise typer.Exit(report(UsageError(e.message), rt.err)) from None
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
    except BaseException as e:  # noqa: BLE001 - the one boundary decides what each one means
        if isinstance(e, SystemExit):
            raise
        return report(e, sys.stderr)
    return rc if isinstance(rc, int) else 0
