"""`ccx shell`, `ccx run`, `ccx completion`: the host-tool side of `ccx`, driven by typer."""

from __future__ import annotations

import sys
from pathlib import Path

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
def serve(
    ssh: str = typer.Option("127.0.0.1:2222", "--ssh", help="Address to listen on, HOST:PORT (port 0 picks one)."),
    allow_remote: bool = typer.Option(False, "--allow-remote", help="Allow a non-loopback address."),
    password_file: str | None = typer.Option(
        None, "--password-file", help="File whose first line is the password (default password: admin)."
    ),
    authorized_keys: str | None = typer.Option(
        None, "--authorized-keys", help="OpenSSH authorized_keys file; with it alone, only keys log in."
    ),
    stop_after: float = typer.Option(0, "--stop-after", help="Stop by itself after this many seconds (0: never)."),
) -> None:
    """Serve every node of the lab over SSH until SIGINT or SIGTERM."""
    import asyncio

    from ccxcli.codetext import read_file

    rt = _runtime()
    try:
        import asyncssh

        from ccxcli import serve as server
    except ImportError:
        raise typer.Exit(report(UsageError("'ccx serve' needs asyncssh: pip install asyncssh."), rt.err)) from None
    try:
        password: str | None = server.DEFAULT_PASSWORD
        if password_file:
            password = read_file(password_file, 4096, "a password file").splitlines()[0]
        elif authorized_keys:
            password = None
        keys = asyncssh.read_authorized_keys(authorized_keys) if authorized_keys else None
    except (OSError, ValueError, IndexError, asyncssh.KeyImportError) as e:
        raise typer.Exit(report(UsageError(f"Cannot read the credentials: {e}."), rt.err)) from None
    except CcxError as e:
        raise typer.Exit(report(e, rt.err)) from None
    try:
        asyncio.run(server.serve(Path(rt.home), ssh, allow_remote, password, keys, rt.out, stop_after))
    except CcxError as e:
        raise typer.Exit(report(e, rt.err)) from None
    except OSError as e:
        raise typer.Exit(report(UsageError(f"Cannot listen on {ssh}: {e.strerror or e}."), rt.err)) from None


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
