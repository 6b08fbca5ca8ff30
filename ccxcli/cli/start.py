"""How a `ccx` session starts: its Runtime, built from the global options and the
environment, and the shell (on a terminal) or script mode. Used by `ccx` itself
(`ccxcli.cli.main`) and by `ccx serve` for the sessions it runs in its own process."""

from __future__ import annotations

from ccxcli.cli.terminal import Terminal
from ccxcli.errors import UsageError, report
from ccxcli.runtime import Env, Runtime, in_force
from ccxcli.store.lab import DEFAULT_NODE, check_node_name, home_dir


def text_option(value: object) -> str | None:
    return value if isinstance(value, str) else None


def make_runtime(opts: dict[str, object], env: Env) -> Runtime:
    node = text_option(opts["node"]) or env.get("CCX_NODE") or DEFAULT_NODE
    check_node_name(node)
    home = home_dir(text_option(opts["home"]), env.environ)
    rt = Runtime(home=home, node=node, json=bool(opts["json"]), yes=bool(opts["yes"]), env=env)
    user = env.get("CCX_SSH_USER")  # set by `ccx serve` for the sessions it runs, never by a user
    if user is not None:
        rt.ssh_user, rt.operator = user, env.get("CCX_SSH_OPERATOR") == "1"
    rt.file_root = env.get("CCX_FILE_ROOT") or None  # likewise: the upload folder of that server
    return rt


def shell(rt: Runtime, term: Terminal | None = None) -> int:
    """`ccx` / `ccx shell`: the admin: shell on a terminal, else script mode. The terminal's
    echo goes off and the VOS start-up line is printed before anything heavy is imported,
    so that what a client types meanwhile is queued, not echoed twice. `term` is the
    terminal under the streams (`ccx serve` gives one for its in-process sessions)."""
    if term is not None or (rt.inp.isatty() and rt.out.isatty()):
        from ccxcli.cli.terminal import STARTING

        term = term or Terminal(rt.inp, rt.out)
        restore = term.echo_off()
        try:
            rt.out.write(STARTING)
            rt.out.flush()
            from ccxcli.cli.shell import run_shell

            return run_shell(rt, term)
        finally:
            restore()
    from ccxcli.cli.script import run_script

    return run_script(rt, rt.inp)


def served_shell(env: Env, node: str, term: Terminal) -> int:
    """The shell of a `ccx serve` session run in the server's process (`ccxcli.cli.ssh.inline`):
    `ccx --node NODE shell` on `term`, with the session's environment and its settings."""
    with in_force(env.tunables):
        try:
            rt = make_runtime({"home": None, "node": node, "json": False, "yes": False}, env)
        except UsageError as e:
            return report(e, env.err)
        return shell(rt, term)
