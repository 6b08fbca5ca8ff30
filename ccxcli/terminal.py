"""The terminal under the shell: its echo, its size. POSIX (termios) only."""

from __future__ import annotations

from typing import Any


def echo_is_off(stream: Any) -> bool:
    """Whether `stream` is a terminal whose own echo is off (the shell keeps it off, so
    what is typed is shown once, by the shell, never twice)."""
    try:
        if not stream.isatty():
            return False
        import termios

        return not termios.tcgetattr(stream.fileno())[3] & termios.ECHO
    except (AttributeError, OSError, ValueError):
        return False
