"""The terminal under the shell: its echo and its size. POSIX (termios) only.

The shell keeps the terminal's own echo off for its whole session. Automation types the
next command the instant `admin:` appears (Unicon), or before the first prompt (paramiko):
with the kernel's echo on, those keystrokes would be echoed once by the terminal and once
more by the shell's line editor. With it off, the shell is the only one that echoes.
"""

from __future__ import annotations

import os
from collections.abc import Callable

TYPE_CHECKING = False  # `typing` is not imported at run time: it costs a one-shot command start-up
if TYPE_CHECKING:
    from typing import Any, TextIO

    from ccxcli.runtime import Runtime

STARTING = "Command Line Interface is starting up, please wait ...\n"  # the VOS start-up line


def echo_is_off(stream: TextIO) -> bool:
    """Whether `stream` is a terminal whose own echo is off (the shell keeps it off, so
    what is typed is shown once, by the shell, never twice)."""
    try:
        if not stream.isatty():
            return False
        import termios

        return not termios.tcgetattr(stream.fileno())[3] & termios.ECHO
    except (AttributeError, OSError, ValueError):
        return False


def echo_off(fd: int) -> Callable[[], None]:
    """Turn the terminal's own echo off now (input already typed stays queued); return a
    function that puts the terminal back as it was."""
    import termios

    try:
        before = termios.tcgetattr(fd)
    except termios.error:
        return lambda: None
    quiet = list(before)
    quiet[3] &= ~(termios.ECHO | termios.ECHONL)
    termios.tcsetattr(fd, termios.TCSANOW, quiet)

    def restore() -> None:
        try:
            termios.tcsetattr(fd, termios.TCSANOW, before)
        except termios.error:
            pass

    return restore


def size(fd: int, default: tuple[int, int] = (24, 80)) -> tuple[int, int]:
    """(rows, columns) of the terminal now: read at each use, so a resize is seen."""
    try:
        s = os.get_terminal_size(fd)
    except OSError:
        return default
    return (s.lines or default[0], s.columns or default[1])


def read_key(fd: int) -> str:
    """One key from the terminal, without waiting for Enter (the VOS pager's way)."""
    import termios
    import tty

    old = termios.tcgetattr(fd)
    try:
        # keeps output processing (\n -> \r\n) and signals. TCSANOW, not tty's default
        # TCSAFLUSH: that discards a key typed before the switch (automation answers the
        # pager as soon as it sees the options line), and the pager then waits for ever.
        tty.setcbreak(fd, termios.TCSANOW)
        data = os.read(fd, 1)
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, old)
    return data.decode("latin-1")


class Terminal:
    """The terminal under the shell, as the shell, its pager and its questions use it. This
    one is a local terminal (a tty's file descriptors); `ccx serve` gives its in-process
    sessions one over their SSH channel (`ccxcli.cli.ssh.inline.ChannelTerminal`)."""

    dumb = False  # a dumb terminal (by the session's TERM): the shell sets it

    def __init__(self, inp: TextIO, out: TextIO) -> None:
        self.inp, self.out = inp, out

    def echo_off(self) -> Callable[[], None]:
        return echo_off(self.inp.fileno())

    def quiet(self) -> bool:
        """Whether the terminal's own echo is off (the shell then echoes what is typed)."""
        return echo_is_off(self.inp)

    def size(self, default: tuple[int, int] = (24, 80)) -> tuple[int, int]:
        return size(self.out.fileno(), default)

    def read_key(self) -> str:
        return read_key(self.inp.fileno())

    def read_line(self, echo: bool) -> str | None:
        """A line typed at the terminal (echoed key by key, or not at all); None at the end."""
        if not echo:
            import getpass

            return getpass.getpass(" ")
        return read_line_echoing(self.inp.fileno(), self.out)

    def input(self) -> Any:
        """The shell's prompt_toolkit input on this terminal (None: the process's stdin)."""
        return None

    def output(self, cls: Any, term: str | None) -> Any:
        """The shell's prompt_toolkit output (of class `cls`, a Vt100_Output) on this terminal."""
        return cls.from_pty(self.out, term=term)

    def prompt(self, session: Any, message: str, **kw: Any) -> str:
        """One prompt of the shell's prompt_toolkit session on this terminal."""
        if self.dumb:
            with dumb_prompt(session, message) as app:
                return str(app.run())
        return str(session.prompt(message, **kw))


def dumb_prompt(session: Any, message: str) -> Any:
    """prompt_toolkit's own prompt for a dumb terminal (the line is echoed as typed, nothing
    redrawn), chosen by the session's TERM: prompt_toolkit would choose it by the process's,
    so the shell gives its PromptSession an output and takes this path itself."""
    session.message = message
    session.default_buffer.reset()
    return session._dumb_prompt(message)


def ask_plainly(
    rt: Runtime,
    term: Terminal,
    question: str,
    secret: bool = False,
    ahead: Callable[[], tuple[str, bool]] | None = None,
) -> str | None:
    """Ask on the terminal in its ordinary line mode, as VOS does: the question is
    printed once and the answer shown once. (A prompt_toolkit prompt would redraw
    `Continue (y/n)? y` on Enter, and automation that answers every `Continue (y/n)?` it
    sees would answer twice.) The shell keeps the terminal's own echo off, so the answer
    is echoed here, exactly once. `ahead` gives what the shell's line editor read past the
    command line (an answer typed with the command) and whether it ended with Enter.
    Each key of the answer is echoed as it arrives, as a terminal in its ordinary mode does:
    automation that waits for its `y` to come back before it sends Enter (scrapli's
    `send_interactive`) gets it."""
    rt.out.write(question + ("" if secret else " "))
    rt.out.flush()
    try:
        early, whole = ahead() if ahead is not None else ("", False)
        if secret:  # typed ahead or not, never echoed
            if whole:
                rt.out.write("\n")
                return early
            rest = term.read_line(echo=False)
            if rest is None:
                raise EOFError
            return early + rest
        quiet = term.quiet()
        if whole or not quiet:
            line = early + "\n" if whole else early + rt.inp.readline()
        else:
            rt.out.write(early)  # typed ahead with the command: shown now, as a terminal would have
            rest = term.read_line(echo=True)
            if rest is None:
                raise EOFError
            rt.out.write("\n")
            rt.out.flush()
            return early + rest
    except (EOFError, KeyboardInterrupt):
        rt.out.write("\n")
        return None
    if not line:
        rt.out.write("\n")
        return None
    answer = line.rstrip("\r\n")
    if quiet:
        rt.out.write(answer + "\n")
        rt.out.flush()
    return answer


def read_line_echoing(fd: int, out: TextIO) -> str | None:
    """One line typed at a terminal whose own echo is off, each key echoed as it arrives
    (backspace erases); None at Ctrl-D on an empty line or at the end of input. The
    terminal reads single keys meanwhile (changed with TCSANOW: a key already typed is
    kept, not flushed) and is put back as it was."""
    import termios

    before = termios.tcgetattr(fd)
    keys = list(before)
    keys[3] &= ~(termios.ICANON | termios.ECHO | termios.ECHONL)
    keys[6] = list(keys[6])
    keys[6][termios.VMIN], keys[6][termios.VTIME] = 1, 0
    termios.tcsetattr(fd, termios.TCSANOW, keys)
    typed: list[str] = []
    try:
        while True:
            data = os.read(fd, 1)
            if not data:
                return None
            key = data.decode("latin-1")
            if key in "\r\n":
                return "".join(typed)
            if key == "\x04":
                if not typed:
                    return None
            elif key in "\x7f\x08":
                if typed:
                    typed.pop()
                    out.write("\b \b")
            elif key.isprintable():
                typed.append(key)
                out.write(key)
            out.flush()
    finally:
        termios.tcsetattr(fd, termios.TCSANOW, before)
