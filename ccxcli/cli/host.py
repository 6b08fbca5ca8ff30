"""`ccx shell`, `ccx run`, `ccx completion`: the host-tool side of `ccx`, driven by typer."""

from __future__ import annotations

import io
from pathlib import Path

import typer

from ccxcli.errors import USAGE, CcxError, UsageError, report
from ccxcli.runtime import Runtime

# Plain help screens, as every other ccx and ccx-ssm help is (rich draws boxes).
app = typer.Typer(add_completion=False, no_args_is_help=False, help="Host-tool commands of ccx.", rich_markup_mode=None)


def _runtime(ctx: typer.Context) -> Runtime:
    """The process's Runtime, given to typer as the context object by `run_host`."""
    rt = ctx.find_root().obj
    if not isinstance(rt, Runtime):
        raise TypeError("the host commands run through run_host")
    return rt


@app.command()
def shell(ctx: typer.Context) -> None:
    """Open the admin: shell (script mode when stdin is not a terminal)."""
    rt = _runtime(ctx)
    if rt.inp.isatty() and rt.out.isatty():
        from ccxcli.cli.shell import run_shell
        from ccxcli.cli.terminal import Terminal

        raise typer.Exit(run_shell(rt, Terminal(rt.inp, rt.out)))
    from ccxcli.cli.script import run_script

    raise typer.Exit(run_script(rt, rt.inp))


@app.command()
def run(
    ctx: typer.Context,
    file: str = typer.Argument(None, help="Script file, or - for stdin (not with --check)."),
    keep_going: bool = typer.Option(False, "--keep-going", help="Run every line even after a failure."),
    record: str = typer.Option(
        None,
        "--record",
        metavar="TRANSCRIPT",
        help="Also write what the script did (commands, outputs, exit codes) to this file.",
    ),
    check: str = typer.Option(
        None,
        "--check",
        metavar="TRANSCRIPT",
        help="Replay a transcript; report the first output or exit code that differs.",
    ),
) -> None:
    """Run a script: one command per line, # comments, stops at the first failure."""
    from ccxcli.cli.script import MAX_SCRIPT, run_script

    rt = _runtime(ctx)
    if check is not None:
        if file is not None or record is not None:
            raise UsageError("--check replays a transcript on its own: give no script and no --record.")
        from ccxcli.cli import transcript

        raise typer.Exit(transcript.check(rt, _script(rt, check, MAX_SCRIPT), check, rt.err))
    if file is None:
        raise UsageError("Give a script file, - for stdin, or --check TRANSCRIPT.")
    if record is not None:
        from ccxcli.cli import transcript
        from ccxcli.uploads import confine

        lines = (rt.inp.read(MAX_SCRIPT) if file == "-" else _script(rt, file, MAX_SCRIPT)).splitlines()
        buf = io.StringIO()
        code = transcript.record(rt, lines, buf, keep_going)
        try:
            confine(record, rt.file_root).write_text(buf.getvalue(), encoding="utf-8")
        except OSError as e:
            raise UsageError(f"Cannot write {record}: {e.strerror}.") from None
        raise typer.Exit(code)
    if file == "-":
        raise typer.Exit(run_script(rt, rt.inp, keep_going))
    raise typer.Exit(run_script(rt, _script(rt, file, MAX_SCRIPT).splitlines(), keep_going))


def _script(rt: Runtime, path: str, limit: int) -> str:
    from ccxcli.codetext import read_file

    try:
        return read_file(path, limit, "a script", root=rt.file_root)
    except CcxError as e:
        raise UsageError(e.message) from None  # a script that cannot be read is a usage error


@app.command()
def serve(
    ctx: typer.Context,
    ssh: str = typer.Option("127.0.0.1:2222", "--ssh", help="Address to listen on, HOST:PORT (port 0 picks one)."),
    allow_remote: bool = typer.Option(False, "--allow-remote", help="Allow a non-loopback address."),
    password_file: str | None = typer.Option(
        None, "--password-file", help="File whose first line is the password (default password: admin)."
    ),
    authorized_keys: str | None = typer.Option(
        None, "--authorized-keys", help="OpenSSH authorized_keys file; with it alone, only keys log in."
    ),
    operator: list[str] = typer.Option(
        [],
        "--operator",
        metavar="USER",
        help="SSH user (e.g. admin) who may change the lab as a whole: clock, nodes, lab reset, SSM trust. Repeatable.",
    ),
    upload_quota: str = typer.Option(
        "64M", "--upload-quota", metavar="SIZE", help="Most the SFTP upload folder holds, e.g. 64M, 512K, 1G."
    ),
    login_grace_time: float = typer.Option(
        30, "--login-grace-time", metavar="SECONDS", help="Drop a connection not logged in within this time (1-600)."
    ),
    max_startups: int = typer.Option(
        100, "--max-startups", metavar="N", help="Most connections waiting to log in at once (1-10000)."
    ),
    client_alive_interval: float = typer.Option(
        5,
        "--client-alive-interval",
        metavar="SECONDS",
        help="Send a keepalive after this much silence from a client (1-3600).",
    ),
    client_alive_count_max: int = typer.Option(
        3,
        "--client-alive-count-max",
        metavar="N",
        help="Unanswered keepalives after which a client is gone and its session ends (1-100).",
    ),
    process_per_session: bool = typer.Option(
        False,
        "--process-per-session",
        help="Run each terminal session's shell in a child process of its own (about 32 MiB each) "
        "instead of inside the server (about 1 MiB each).",
    ),
    workers: int = typer.Option(
        1, "--workers", metavar="N", help="Worker processes sharing the port, to use N cores (1-64; 1: this process)."
    ),
    stop_after: float = typer.Option(0, "--stop-after", help="Stop by itself after this many seconds (0: never)."),
    users: str | None = typer.Option(
        None,
        "--users",
        metavar="FILE",
        help="SSH users file (ccx ssh-user add): each user its own credentials, nodes and operator right "
        "(default: the lab's ssh-users.json, when it exists).",
    ),
) -> None:
    """Serve every node of the lab over SSH until SIGINT or SIGTERM."""
    from ccxcli.codetext import read_file
    from ccxcli.values import size

    rt = _runtime(ctx)
    try:
        import asyncssh

        from ccxcli.cli.ssh import lab as served
        from ccxcli.cli.ssh import server
    except ImportError:
        raise UsageError("'ccx serve' needs asyncssh: pip install asyncssh.") from None
    from ccxcli.cli import sshusers

    users_file = sshusers.in_force(Path(rt.home), users, bool(password_file or authorized_keys or operator))
    try:
        password: str | None = served.DEFAULT_PASSWORD if users_file is None else None
        if password_file:
            password = read_file(password_file, 4096, "a password file", root=None).splitlines()[0]
        elif authorized_keys:
            password = None
        keys = asyncssh.read_authorized_keys(authorized_keys) if authorized_keys else None
    except (OSError, ValueError, IndexError, asyncssh.KeyImportError) as e:
        raise UsageError(f"Cannot read the credentials: {e}.") from None
    try:
        _within(login_grace_time, 1, 600, "--login-grace-time")
        _within(max_startups, 1, 10000, "--max-startups")
        _within(client_alive_interval, 1, 3600, "--client-alive-interval")
        _within(client_alive_count_max, 1, 100, "--client-alive-count-max")
        settings = served.Settings(
            password,
            keys,
            tuple(operator),
            size(upload_quota, "--upload-quota", 0, 1024**4),
            login_grace_time,
            max_startups,
            client_alive_interval,
            client_alive_count_max,
            process_per_session,
            users_file,
        )
        _within(workers, 1, 64, "--workers")
        server.serve(Path(rt.home), ssh, allow_remote, settings, rt.out, rt.env.environ, stop_after, workers)
    except OSError as e:
        raise UsageError(f"Cannot listen on {ssh}: {e.strerror or e}.") from None


users_app = typer.Typer(
    help="The users 'ccx serve' lets in, each with its own credentials (a class).",
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(users_app, name="ssh-user")
USERS_OPTION = typer.Option(
    None, "--users", metavar="FILE", help="The SSH users file (default: the lab's ssh-users.json)."
)


@users_app.command("add")
def ssh_user_add(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="The SSH user name (log in as NAME or NAME@NODE)."),
    password_file: str | None = typer.Option(None, "--password-file", help="File whose first line is its password."),
    key: list[str] = typer.Option([], "--key", metavar="FILE", help="Its OpenSSH public key file (repeat)."),
    node: list[str] = typer.Option([], "--node", metavar="NODE", help="A node it may reach (repeat; none: all)."),
    operator: bool = typer.Option(False, "--operator", help="May change the lab as a whole (clock, nodes, reset)."),
    users: str | None = USERS_OPTION,
) -> None:
    """Let a user in with its own password or keys, to its own nodes."""
    from ccxcli.cli import sshusers
    from ccxcli.codetext import read_file, read_password

    rt = _runtime(ctx)
    password = read_password(password_file, root=None) if password_file else None
    lines = [ln.strip() for k in key for ln in read_file(k, 64 * 1024, "a public key file", root=None).splitlines()]
    keys = [ln for ln in lines if ln and not ln.startswith("#")]
    try:
        import asyncssh

        for k in keys:
            asyncssh.import_public_key(k)
    except (ImportError, ValueError, asyncssh.KeyImportError) as e:
        raise UsageError(f"Cannot read the public key: {e}.") from None
    path = sshusers.path_of(Path(rt.home), users)
    sshusers.add(path, name, password, keys, node, operator)
    reach = ", ".join(node) if node else "every node"
    rt.out.write(f"SSH user {name} added to {path}: {reach}{'; lab operator' if operator else ''}.\n")


@users_app.command("list")
def ssh_user_list(ctx: typer.Context, users: str | None = USERS_OPTION) -> None:
    """List the users 'ccx serve' lets in."""
    from ccxcli.cli import sshusers

    rt = _runtime(ctx)
    path = sshusers.path_of(Path(rt.home), users)
    rows = sshusers.load(path)
    if rt.json:
        import json

        doc = [
            {
                "name": n,
                "password": bool(u["hash"]),
                "keys": len(u["keys"]),
                "nodes": u["nodes"],
                "operator": u["operator"],
            }
            for n, u in sorted(rows.items())
        ]
        rt.out.write(json.dumps({"users": doc, "file": str(path)}, indent=2, sort_keys=True) + "\n")
        return
    rt.out.write(f"SSH users ({path})\n")
    for n, u in sorted(rows.items()):
        how = "+".join(
            w for w, on in (("password", bool(u["hash"])), (f"{len(u['keys'])} key(s)", bool(u["keys"]))) if on
        )
        reach = ", ".join(u["nodes"]) or "every node"
        rt.out.write(f"{n:<20} {how:<20} {reach:<30} {'operator' if u['operator'] else ''}".rstrip() + "\n")


@users_app.command("remove")
def ssh_user_remove(ctx: typer.Context, name: str = typer.Argument(...), users: str | None = USERS_OPTION) -> None:
    """Let a user in no more (its open sessions go on until they end)."""
    from ccxcli.cli import sshusers

    rt = _runtime(ctx)
    path = sshusers.path_of(Path(rt.home), users)
    sshusers.remove(path, name)
    rt.out.write(f"SSH user {name} removed from {path}.\n")


def _within(value: float, lo: float, hi: float, name: str) -> None:
    if not lo <= value <= hi:
        raise UsageError(f"{name} must be from {lo:g} to {hi:g}; {value:g} is out of range.")


@app.command()
def completion(
    ctx: typer.Context, shell_name: str = typer.Argument(..., metavar="SHELL", help="bash, zsh or fish")
) -> None:
    """Print the shell completion script for ccx's device commands."""
    from ccxcli.cli.completion import SHELLS, script

    if shell_name not in SHELLS:
        _runtime(ctx).err.write(f"Unknown shell '{shell_name}'; use one of {', '.join(SHELLS)}.\n")
        raise typer.Exit(USAGE)
    _runtime(ctx).out.write(script(shell_name))


def run_host(rt: Runtime, words: list[str]) -> int:
    if not words:
        words = ["shell"]
    try:
        rc = app(words, prog_name="ccx", standalone_mode=False, obj=rt)
    except typer.Exit as e:
        return int(e.exit_code)
    except BaseException as e:  # the one boundary decides what each one means
        if isinstance(e, SystemExit):
            raise
        return report(e, rt.err)
    return rc if isinstance(rc, int) else 0
