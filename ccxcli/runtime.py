"""The one injected environment of a process (`Env`: its streams and environment
variables, for `ccx` and `ccx-ssm` alike) and what `ccx` builds on it (`Runtime`: where the
lab is, which node, how to talk to the user). Options given at the end of one command
line (`--yes`, `--json`) live in a per-line `Line`, never in the session's Runtime."""

from __future__ import annotations

import sys
from collections.abc import Callable

TYPE_CHECKING = False  # `typing` is not imported at run time: it costs a one-shot command start-up
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import TextIO


class Env:
    """What the world gives a process: its standard streams and its environment
    variables. `main(argv, env)` of both programs takes one (`Env.of_process()` when
    none is given); tests build their own instead of patching `sys` or `os.environ`.
    (Test seams such as CCX_TEST_KILL_AT and CCX_DEBUG are read from the process.)"""

    __slots__ = ("inp", "out", "err", "environ")

    def __init__(self, inp: TextIO, out: TextIO, err: TextIO, environ: Mapping[str, str]) -> None:
        self.inp, self.out, self.err, self.environ = inp, out, err, environ

    @classmethod
    def of_process(cls) -> Env:
        import os

        return cls(sys.stdin, sys.stdout, sys.stderr, os.environ)

    def get(self, name: str) -> str | None:
        return self.environ.get(name)


class Result:
    """What a command handler returns: text for people, data for --json.

    `label` is printed on the line before `text` (a code alone on its line after the
    sentence that says what it is); `carry` marks output that the user carries elsewhere
    (codes), which must be saved before it is printed."""

    __slots__ = ("text", "data", "leave", "label", "carry", "draw")

    def __init__(self, text: str = "", data: object = None, leave: bool = False, label: str = "", carry: bool = False,
                 draw: Callable[[TextIO, int | None], None] | None = None) -> None:  # fmt: skip
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
        # Script mode keeps one lab open (and locked) while its input keeps coming.
        self.shared_lab: object = None  # a store.lab.Lab (the session layer reads it)
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


def quiet_on_closed_pipe() -> None:
    """`ccx … | head` ends quietly, as Unix tools do, instead of a BrokenPipeError. (The C
    `_signal` module: `signal` builds its enums at import, a visible start-up cost.)"""
    import _signal

    if hasattr(_signal, "SIGPIPE"):
        _signal.signal(_signal.SIGPIPE, _signal.SIG_DFL)
