"""`ccx`: the emulated UCCX node. Global options are parsed by hand so that a one-shot
device command starts fast (no typer, rich, prompt_toolkit or cryptography import);
`ccx shell|run|completion` are host-tool commands driven by typer (`ccxcli.cli.host`)."""

from __future__ import annotations

import os
import sys

from ccxcli.cli.start import make_runtime, shell, text_option
from ccxcli.cli.terminal import Terminal, ask_plainly
from ccxcli.errors import UsageError, report
from ccxcli.runtime import Env, in_force, quiet_on_closed_pipe, quiet_warnings
from ccxcli.store.lab import DEFAULT_NODE, home_dir

USAGE_TEXT = """Usage: ccx [--home DIR] [--node NAME] [--json] [--yes] COMMAND...
       ccx shell | ccx run FILE|- [--keep-going] [--record TRANSCRIPT] | ccx run --check TRANSCRIPT
       ccx completion bash|zsh|fish
       ccx serve [--ssh HOST:PORT] [--allow-remote] [--password-file F] [--authorized-keys F] [--operator USER]...
                 [--upload-quota SIZE] [--login-grace-time SECONDS] [--max-startups N] [--client-alive-interval SECONDS]
                 [--client-alive-count-max N] [--process-per-session] [--workers N] [--stop-after SECONDS]
                 [--users FILE]
       ccx ssh-user add NAME [--password-file F] [--key FILE]... [--node NODE]... [--operator] | list | remove NAME

The emulated Cisco UCCX node's admin: CLI. With no COMMAND, opens the shell.
Options:
  --home DIR    lab home (default: $CCX_HOME, else the platform data folder)
  --node NAME   node of the lab (default: $CCX_NODE, else uccx)
  --json        print one JSON document instead of text
  --yes         answer 'y' to 'Continue (y/n)?'
  --version     print the version
Type 'ccx help' or 'ccx ?' for the device commands."""

GETTING_STARTED = """Getting started:
  ccx show license status        # a fresh node: unregistered, in its 90-day evaluation
  ccx license smart register idtoken "$(ccx-ssm token create)"   # register with the lab's SSM
  ccx sim clock advance 90d      # let licensing life happen; 'ccx' alone opens the admin: shell
The SSM is the other program: 'ccx-ssm --help' (tokens, licenses, reservations).
'ccx help' lists the device commands; 'ccx help COMMAND' shows usage, arguments, an example."""


def helptext_option(opts: dict[str, object], env: Env) -> str:
    from ccxcli.errors import EXIT_HELP

    home = home_dir(text_option(opts["home"]), env.environ)
    node = text_option(opts["node"]) or env.get("CCX_NODE") or DEFAULT_NODE
    made = os.path.exists(os.path.join(home, "nodes", node, "state.json"))
    where = f"Lab in use: {home}; node {node}{'' if made else ' (created by the first command)'}."
    return "\n\n".join((USAGE_TEXT, where, GETTING_STARTED, EXIT_HELP))


HOST_COMMANDS = ("shell", "run", "completion", "serve", "ssh-user")


def parse_globals(argv: list[str]) -> tuple[dict[str, object], list[str]]:
    opts: dict[str, object] = {"home": None, "node": None, "json": False, "yes": False}
    i = 0
    while i < len(argv):
        a = argv[i]
        name, eq, val = a.partition("=")
        if name in ("--home", "--node"):
            if not eq:
                i += 1
                if i >= len(argv):
                    raise UsageError(f"Option {name} needs a value.")
                val = argv[i]
            opts[name[2:]] = val
        elif a == "--json":
            opts["json"] = True
        elif a in ("--yes", "-y"):
            opts["yes"] = True
        elif a in ("--help", "-h"):
            opts["help"] = True
        elif a == "--version":
            opts["version"] = True
        elif a.startswith("-") and len(a) > 1 and a != "-":
            raise UsageError(f"Unknown option '{a}'. {USAGE_TEXT.splitlines()[0]}")
        else:
            break
        i += 1
    return opts, argv[i:]


def main(argv: list[str] | None = None, env: Env | None = None) -> int:
    """`ccx`: its arguments and its environment (the process's, unless given)."""
    argv = sys.argv[1:] if argv is None else argv
    if env is None:  # the process's own streams: `ccx … | head` ends quietly, no library's warning shown
        env = Env.of_process()  # (a caller's Env: its own rules)
        quiet_on_closed_pipe()
        quiet_warnings()
    with in_force(env.tunables):
        return _main(argv, env)


def _main(argv: list[str], env: Env) -> int:
    from ccxcli.cli.dispatch import run_tokens

    try:
        opts, words = parse_globals(argv)
        if opts.get("version"):
            from ccxcli import __version__

            env.out.write(f"ccx {__version__}\n")
            return 0
        if opts.get("help"):
            env.out.write(helptext_option(opts, env) + "\n")
            return 0
        rt = make_runtime(opts, env)
    except UsageError as e:
        return report(e, env.err)
    if not words or words == ["shell"]:
        return shell(rt)
    if words[0] in HOST_COMMANDS:
        from ccxcli.cli.host import run_host

        return run_host(rt, words)
    if rt.inp.isatty():
        term = Terminal(rt.inp, rt.out)
        rt.ask = lambda question, secret=False: ask_plainly(rt, term, question, secret)
    code, _ = run_tokens(rt, words)
    return code
