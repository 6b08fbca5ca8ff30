"""The one injected environment: where the lab is, which node, how to talk to the user."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO


class Result:
    """What a command handler returns: text for people, data for --json."""

    __slots__ = ("text", "data", "leave")

    def __init__(self, text: str = "", data: Any = None, leave: bool = False) -> None:
        self.text = text
        self.data = data
        self.leave = leave  # leave the shell


class Runtime:
    """Built once from argv and the environment (tests build their own)."""

    def __init__(self, home: Path, node: str, json: bool = False, yes: bool = False) -> None:
        self.home = home
        self.node = node
        self.json = json
        self.yes = yes
        self.mode = "oneshot"  # oneshot | script | shell
        self.out: TextIO = sys.stdout
        self.err: TextIO = sys.stderr
        self.pagination = False
        self.height = 24
        self.width = 80
        # Returns the user's answer to a question (ask(question, secret=False)), or None
        # when nobody can answer.
        self.ask: Callable[..., str | None] | None = None
        # Writes paged text (the shell installs its pager here).
        self.pager: Callable[[str], None] | None = None
        # Script mode keeps one lab open (and locked) for the whole script.
        self.shared_lab: Any = None


def ask_plainly(question: str, secret: bool = False) -> str | None:
    """Ask on the terminal in its ordinary line mode, as VOS does: the question is
    printed once and the answer echoed by the terminal. (A prompt_toolkit prompt would
    redraw `Continue (y/n)? y` on Enter, and automation that answers every
    `Continue (y/n)?` it sees would answer twice.)"""
    import getpass

    sys.stdout.write(question + ("" if secret else " "))
    sys.stdout.flush()
    try:
        if secret:
            return getpass.getpass(" ")
        line = sys.stdin.readline()
    except (EOFError, KeyboardInterrupt):
        sys.stdout.write("\n")
        return None
    return line.rstrip("\r\n") if line else None


def ask_on_terminal(question: str, secret: bool = False) -> str | None:
    """`ask_plainly` when a person can answer (stdin is a terminal), else None."""
    return ask_plainly(question, secret) if sys.stdin.isatty() else None
