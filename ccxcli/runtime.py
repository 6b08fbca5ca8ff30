"""The one injected environment of a process (`Env`: its streams and environment
variables, for `ccx` and `ccx-ssm` alike) and what `ccx` builds on it (`Runtime`: where the
lab is, which node, how to talk to the user). Options given at the end of one command
line (`--yes`, `--json`) live in a per-line `Line`, never in the session's Runtime."""

from __future__ import annotations

import sys
from collections.abc import Callable
from contextvars import ContextVar

TYPE_CHECKING = False  # `typing` is not imported at run time: it costs a one-shot command start-up
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import TextIO


class Env:
    """What the world gives a process: its standard streams and its environment
    variables. `main(argv, env)` of both programs takes one (`Env.of_process()` when
    none is given); tests build their own instead of patching `sys` or `os.environ`.
    Its tunables (`Tunables`: CCX_NET_TIMEOUT, CCX_LOCK_TIMEOUT, CCX_DEBUG, the test seams)
    are read here and nowhere else."""

    __slots__ = ("inp", "out", "err", "environ", "_tunables")

    def __init__(self, inp: TextIO, out: TextIO, err: TextIO, environ: Mapping[str, str]) -> None:
        self.inp, self.out, self.err, self.environ = inp, out, err, environ
        self._tunables: Tunables | None = None

    @property
    def tunables(self) -> Tunables:
        if self._tunables is None:
            self._tunables = Tunables.of(self.environ)
        return self._tunables

    @classmethod
    def of_process(cls) -> Env:
        import os

        return cls(sys.stdin, sys.stdout, sys.stderr, os.environ)

    def get(self, name: str) -> str | None:
        return self.environ.get(name)


def _seconds(text: str | None, default: float, low: float, high: float) -> float:
    try:
        return min(max(float(text), low), high) if text else default
    except ValueError:
        return default


class Tunables:
    """The tunables of one program run, read from its `Env` (never from the process):
    - `lock_timeout`: how long to wait for the lab lock or a busy SSM database: 15 s, or
      CCX_LOCK_TIMEOUT seconds (0 to 3600) for automation that prefers to fail fast;
    - `net_timeout`: how long a node waits for a served SSM: 10 s, or CCX_NET_TIMEOUT (0.1 to 3600);
    - `debug`: CCX_DEBUG=1 writes a bug's traceback before its one-line message;
    - `lab_start`: CCX_LAB_START, the ISO time a new lab's clock starts at (default: now), for
      labs that are the same whatever the time of day (every test lab starts at one);
    - `kill_at`, `pause_at`: the test seams CCX_TEST_KILL_AT and CCX_TEST_PAUSE_AT (`faults.py`).

    Each program's `main(argv, env)` puts its Env's settings in force for the code it runs
    (`in_force`): a context variable, so each thread a server runs a session in, and each
    request an SSM serves, has the tunables of its own Env."""

    __slots__ = ("lock_timeout", "net_timeout", "debug", "lab_start", "kill_at", "pause_at")

    def __init__(
        self,
        lock_timeout: float = 15.0,
        net_timeout: float = 10.0,
        debug: bool = False,
        lab_start: str = "",
        kill_at: str = "",
        pause_at: str = "",
    ) -> None:
        self.lock_timeout, self.net_timeout, self.debug = lock_timeout, net_timeout, debug
        self.lab_start = lab_start  # checked where a lab is made (`store.lab`), as `sim clock set` checks a time
        self.kill_at, self.pause_at = kill_at, pause_at

    @classmethod
    def of(cls, environ: Mapping[str, str]) -> Tunables:
        return cls(
            lock_timeout=_seconds(environ.get("CCX_LOCK_TIMEOUT"), 15.0, 0.0, 3600.0),
            net_timeout=_seconds(environ.get("CCX_NET_TIMEOUT"), 10.0, 0.1, 3600.0),
            debug=environ.get("CCX_DEBUG", "") not in ("", "0"),
            lab_start=environ.get("CCX_LAB_START", ""),
            kill_at=environ.get("CCX_TEST_KILL_AT", ""),
            pause_at=environ.get("CCX_TEST_PAUSE_AT", ""),
        )


_DEFAULTS = Tunables()
_IN_FORCE: ContextVar[Tunables | None] = ContextVar("ccxcli_tunables", default=None)


def tunables() -> Tunables:
    """The tunables in force: those of the Env the running program was given (else the defaults)."""
    return _IN_FORCE.get() or _DEFAULTS


class in_force:  # lower case: used as a `with` statement, as contextlib's are
    """`with in_force(env.tunables):` the code inside runs with them; they end with it."""

    __slots__ = ("_tunables", "_token")

    def __init__(self, t: Tunables) -> None:
        self._tunables = t

    def __enter__(self) -> Tunables:
        self._token = _IN_FORCE.set(self._tunables)
        return self._tunables

    def __exit__(self, *exc: object) -> None:
        _IN_FORCE.reset(self._token)


class Outcome:
    """What a command handler returns: text for people, data for --json.

    `label` is printed on the line before `text` (a code alone on its line after the
    sentence that says what it is); `carry` marks output that the user carries elsewhere
    (codes), which must be saved before it is printed."""

    __slots__ = ("text", "data", "leave", "label", "carry", "draw", "code")

    def __init__(
        self,
        text: str = "",
        data: object = None,
        leave: bool = False,
        label: str = "",
        carry: bool = False,
        draw: Callable[[TextIO, int | None], None] | None = None,
        code: int = 0,
    ) -> None:
        self.code = code  # the exit status of a command that ran and found something wrong (a check that failed)
        self.text = text
        self.data = data
        self.leave = leave  # leave the shell
        self.label = label
        self.carry = carry
        # Draws the result for a person on a terminal instead of `text` (rich, `ccxcli/drawing.py`);
        # never for VOS admin: output. Given the stream and the width (None: the terminal's).
        self.draw = draw


class Line:
    """Options of one command line: the session's defaults plus a trailing --json/--yes."""

    __slots__ = ("json", "yes")

    def __init__(self, json: bool, yes: bool) -> None:
        self.json = json
        self.yes = yes


class Runtime:
    """Built once from argv and the environment (tests build their own)."""

    def __init__(self, home: str, node: str, json: bool = False, yes: bool = False, env: Env | None = None) -> None:
        self.env = env or Env.of_process()
        self.home = home  # a str: `pathlib` is not imported on the start-up path
        self.node = node
        self.json = json  # session defaults (global options)
        self.yes = yes
        self.mode = "oneshot"  # oneshot | script | shell
        self.inp: TextIO = self.env.inp
        self.out: TextIO = self.env.out
        self.err: TextIO = self.env.err
        self.pagination = False
        self.height = 24
        self.width = 80
        # Returns the user's answer to a question (ask(question, secret=False)), or None
        # when nobody can answer (no terminal, end of input, Ctrl-C or Ctrl-D).
        self.ask: Callable[..., str | None] | None = None
        # Writes paged text (the shell installs its pager here).
        self.pager: Callable[[str], None] | None = None
        # Printed after a failed command in the shell and script transcripts (VOS does).
        self.failure_marker = False
        self.where = ""  # "line N: " before a script line's error message
        # Set for a session `ccx serve` runs: the SSH user, and whether the server names it a
        # lab operator (one who may change the lab as a whole). None: a local user, who may.
        self.ssh_user: str | None = None
        self.operator = True
        # The folder files named by a command must be in (the lab's upload folder, for a
        # session `ccx serve` runs); None: anywhere.
        self.file_root: str | None = None


def quiet_warnings() -> None:
    """A program started as a process shows no library's warnings (a deprecation inside
    asyncssh or cryptography is for their developers, not for a ccxcli user, and would
    break a banner automation reads), unless Python was asked for them (-W, PYTHONWARNINGS).
    The tests turn ccxcli's own warnings into errors instead."""
    import warnings

    if not sys.warnoptions:
        warnings.simplefilter("ignore")


def quiet_on_closed_pipe() -> None:
    """`ccx … | head` ends quietly, as Unix tools do, instead of a BrokenPipeError. (The C
    `_signal` module: `signal` builds its enums at import, a visible start-up cost.)"""
    import _signal

    if hasattr(_signal, "SIGPIPE"):
        _signal.signal(_signal.SIGPIPE, _signal.SIG_DFL)
