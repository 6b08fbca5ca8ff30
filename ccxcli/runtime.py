"""The one injected environment: where the lab is, which node, how to talk to the user."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO


@dataclass
class Result:
    """What a command handler returns: text for people, data for --json."""

    text: str = ""
    data: Any = None
    leave: bool = False  # leave the shell


@dataclass
class Runtime:
    home: Path
    node: str
    json: bool = False
    yes: bool = False
    mode: str = "oneshot"  # oneshot | script | shell
    out: TextIO = field(default_factory=lambda: sys.stdout)
    err: TextIO = field(default_factory=lambda: sys.stderr)
    pagination: bool = False
    height: int = 24
    width: int = 80
    # Returns the user's answer to a question, or None when nobody can answer.
    ask: Callable[..., str | None] | None = None  # ask(question, secret=False)
    # Writes paged text (the shell installs its pager here).
    pager: Callable[[str], None] | None = None
    # Script mode keeps one lab open (and locked) for the whole script.
    shared_lab: Any = None
