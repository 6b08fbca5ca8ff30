"""Script mode: one command per line, `#` comments, a transcript echo, stop at the
first failing line (unless keep-going); `y`/`n` lines answer questions.

Each line is a command of its own: what a successful line did is kept when a later line
fails, with or without --keep-going. For speed the lab stays open (and locked) while
input keeps coming, and what lines change on the node alone is saved in batches; but a
line's work is saved before it reaches an SSM or prints a code, before the script waits
for more input (the lock is released then: a pipe that is slow to deliver never keeps
other commands waiting), and when the script ends.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

from ccxcli import drawing
from ccxcli.cli import grammar
from ccxcli.cli.dispatch import fail, run_line
from ccxcli.errors import report
from ccxcli.runtime import Runtime
from ccxcli.session.context import Shared

TYPE_CHECKING = False  # `typing` is not imported at run time: it costs a one-shot command start-up
if TYPE_CHECKING:
    from typing import TextIO

PROMPT = "admin:"
MAX_LINE = grammar.MAX_LINE
MAX_SCRIPT = 64 * 1024 * 1024  # a script file larger than this is not a script


class LineReader:
    """Physical lines of at most MAX_LINE characters from a list, a stream or a file
    descriptor; knows whether the next line can be read without waiting."""

    def __init__(self, source: list[str] | TextIO) -> None:
        self.fd: int | None = None
        self.stream: TextIO | None = None
        self.items: Iterator[str] | None = None
        self.buf = b""
        self.eof = False
        self.first = True
        if isinstance(source, list):
            self.items = iter(source)
            return
        self.stream = source
        try:
            fd = source.fileno()
        except (AttributeError, OSError, ValueError):
            return
        import stat

        if not stat.S_ISREG(os.fstat(fd).st_mode):
            self.fd = fd  # a pipe or a terminal: read it ourselves, to know when it would wait

    def ready(self) -> bool:
        if self.fd is None or self.eof or b"\n" in self.buf:
            return True
        import select

        return bool(select.select([self.fd], [], [], 0)[0])

    def readline(self) -> str | None:
        """The next line without its end (at most MAX_LINE + 1 characters: longer lines are
        cut there and the rest dropped), or None at the end of the input. A byte-order mark
        before the first line (Windows editors write one) is not part of it."""
        line = self._next()
        if self.first and line is not None:
            self.first = False
            line = line.removeprefix("\ufeff")
        return line

    def _next(self) -> str | None:
        if self.items is not None:
            line = next(self.items, None)
            return None if line is None else line.rstrip("\r\n")[: MAX_LINE + 1]
        if self.stream is None:
            return None
        if self.fd is None:
            line = self.stream.readline(MAX_LINE + 1)
            if not line:
                return None
            if len(line) > MAX_LINE and not line.endswith("\n"):
                while True:  # drop the rest of an overlong line, a bounded chunk at a time
                    rest = self.stream.readline(MAX_LINE)
                    if not rest or rest.endswith("\n"):
                        break
            return str(line).rstrip("\r\n")
        return self._read_fd()

    def _read_fd(self) -> str | None:
        assert self.fd is not None
        skipping = False
        while b"\n" not in self.buf and not self.eof:
            chunk = os.read(self.fd, 65536)
            if not chunk:
                self.eof = True
                break
            self.buf += chunk
            if len(self.buf) > MAX_LINE and b"\n" not in self.buf:
                skipping = True  # keep what shows the line is too long, drop the rest
                self.buf = self.buf[: MAX_LINE + 1]
                while not self.eof:
                    chunk = os.read(self.fd, 65536)
                    if not chunk:
                        self.eof = True
                    elif b"\n" in chunk:
                        self.buf += b"\n" + chunk.split(b"\n", 1)[1]
                        break
                break
        if not self.buf:
            return None
        line, nl, self.buf = self.buf.partition(b"\n")
        text = line.decode("utf-8", errors="replace").rstrip("\r")
        return text[: MAX_LINE + 1] if skipping else text


def logical_lines(reader: LineReader) -> Iterator[tuple[int, str | None]]:
    """(first line number, text): lines are joined while a quote is open, so a code pasted
    over several lines is one argument; text is None when the joined line is too long.
    Linear in the input: each physical line is scanned once."""
    number = 0
    while True:
        line = reader.readline()
        if line is None:
            return
        number += 1
        first = number
        parts = [line]
        size = len(line)
        open_quote = line.count('"') % 2 == 1
        while open_quote:
            nxt = reader.readline()
            if nxt is None:
                break
            number += 1
            open_quote ^= nxt.count('"') % 2 == 1
            size += len(nxt)
            if size <= MAX_LINE:
                parts.append(nxt.strip())
        yield first, "".join(parts) if size <= MAX_LINE else None


def run_script(rt: Runtime, source: list[str] | TextIO, keep_going: bool = False) -> int:
    """Run every line as its own command; return the exit status of the first failure."""
    rt.mode = "script"
    rt.failure_marker = True
    reader = LineReader(source)
    lines = logical_lines(reader)
    holder = _Holder(rt)

    def ask(question: str, secret: bool = False) -> str | None:
        rt.out.write(question + " ")
        holder.before_wait(reader)
        nxt = next(lines, None)
        answer = None if nxt is None or nxt[1] is None else nxt[1]
        rt.out.write(("********" if secret and answer else answer or "") + "\n")
        return answer

    rt.ask = ask
    first_failure = 0
    # a long script file shows its progress on a terminal while its transcript goes elsewhere
    shown = None
    if isinstance(source, list) and not drawing.draws(rt.out, rt.env.environ):
        shown = drawing.later(rt.err, rt.env.environ, "Running the script", len(source))
    try:
        while True:
            holder.before_wait(reader)
            item = next(lines, None)
            if item is None:
                break
            number, raw = item
            if shown is not None:
                shown(number)
            text = (raw if raw is not None else '"…"').strip()
            if not text or text.startswith("#"):
                continue
            rt.out.write(f"{PROMPT}{text}\n")
            rt.where = f"line {number}: "
            code = holder.open()
            if not code:
                code, result = run_line(rt, text if raw is not None else None)
                if result is not None and result.leave:
                    break
            if code:
                first_failure = first_failure or code
                if not keep_going:
                    break
    finally:
        if shown is not None:
            shown.close()
        rt.where = ""
        code = holder.close()
    return first_failure or code


class _Holder:
    """The lab kept open between lines while input keeps coming (`session.Shared`), with
    its failures reported like any refused command."""

    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        self.shared = Shared(rt)

    def open(self) -> int:
        try:
            self.shared.open()
        except BaseException as e:  # noqa: BLE001 - reported like any refused command
            return fail(self.rt, e)
        return 0

    def before_wait(self, reader: LineReader) -> None:
        """Save and release the lab when the next line is not there yet."""
        if self.shared.holding and not reader.ready():
            self.close()

    def close(self) -> int:
        """Save what the lines did and release the lab; the exit status of a failed save."""
        try:
            self.shared.close()
        except BaseException as e:  # noqa: BLE001 - reported like any refused command
            return report(e, self.rt.err)
        return 0
