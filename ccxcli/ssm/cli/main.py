"""`ccx-ssm`: the SSM stand-in's command line (plain text and tables, --json everywhere).

The commands live in `cmd_accounts`, `cmd_licenses`, `cmd_api`, `cmd_instances`, `cmd_classic`,
`cmd_notify`, `cmd_serve` and `cmd_sync`; importing them registers them on `ccxcli.ssm.cli.app.PROG`."""

from __future__ import annotations

import sys

from ccxcli.errors import EXIT_HELP, report
from ccxcli.runtime import Env, in_force, quiet_on_closed_pipe, quiet_warnings
from ccxcli.ssm.cli import (  # noqa: F401 - importing them registers the commands
    cmd_accounts,
    cmd_api,
    cmd_classic,
    cmd_instances,
    cmd_licenses,
    cmd_notify,
    cmd_serve,
    cmd_sync,
)
from ccxcli.ssm.cli.app import PROG, SsmRun, ssm_folder


def fill_aliases(text: str) -> str:
    if "{aliases}" not in text:
        return text
    from ccxcli.core.catalogue import BY_ALIAS

    return text.replace("{aliases}", ", ".join(BY_ALIAS))


def top_help(rt: SsmRun) -> str:
    folder = ssm_folder(rt)
    where = "" if (folder / "ssm.db").exists() else " (created by the first command)"
    lines = [
        "Usage: ccx-ssm [--home DIR] [--ssm NAME|DIR] [--json] COMMAND [ARGS]...",
        "",
        f"  {PROG.summary}",
        f"  Lab in use: {rt.home}; SSM: {folder}{where}.",
        "",
        "Getting started:",
        "  ccx-ssm license list        # what the default virtual account holds",
        "  ccx-ssm token create        # a token for: ccx license smart register idtoken TOKEN",
        "  ccx-ssm reservation authorize --request CODE --license flex-standard=20   # SLR: the Authorization Code",
        "",
        "The node is the other program: 'ccx --help' (its admin: CLI; 'ccx help' lists its commands).",
        "",
        "Global options (before or after the command):",
        *PROG.globals_help(),
        "",
        PROG.group_help(()).split("\n\n", 1)[1],
        "",
        EXIT_HELP,
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None, env: Env | None = None) -> int:
    """`ccx-ssm`: its arguments and its environment (the process's, unless given)."""
    args = argv if argv is not None else sys.argv[1:]
    if env is None:  # the process's own streams: `ccx-ssm … | head` ends quietly, no library's warning shown
        env = Env.of_process()
        quiet_on_closed_pipe()
        quiet_warnings()
    with in_force(env.tunables):
        return _main(args, env)


def _main(args: list[str], env: Env) -> int:
    PROG.fill = fill_aliases
    runs: list[SsmRun] = []

    def run_of(g: dict[str, object]) -> SsmRun:
        runs.append(SsmRun.of(env, g["home"], g["ssm"], g["json"]))  # type: ignore[arg-type]
        return runs[-1]

    try:
        return PROG.run(args, env.out, env.err, top_help, run_of)
    except BaseException as e:  # the one boundary decides what each one means
        if isinstance(e, SystemExit):
            raise
        asked = runs[-1].json if runs else "--json" in args  # (before the run was made: the global options failed)
        return report(e, env.err, "ccx-ssm", json_out=env.out if asked else None)
    finally:
        for rt in runs:
            rt.notify()  # the SSM's email notifications the command made due, after it
