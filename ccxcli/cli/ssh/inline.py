"""The `admin:` shell of a `ccx serve` terminal session, run inside the server process
instead of a child process of its own: the same shell code (`ccxcli.cli.shell`), on a
terminal made of the SSH channel. 500 sessions then fit in one process's memory.

- Each session's shell runs in a thread of its own, with its own Runtime and environment
  (lab, node, SSH user, upload folder, TERM), so commands and their questions block only
  that session. Commands take the lab lock (flock, one per open) as separate processes do.
- Its prompt_toolkit prompts run on the server's event loop (`ChannelTerminal.prompt`), fed
  by a prompt_toolkit input that reads no file descriptor (`ChannelInput`): no select()
  limit on how many sessions one process holds.
- What the client types while no prompt reads (a command runs, the pager or `Continue
  (y/n)?` waits) is kept in order for the command, then for the next prompt.
- The channel stands in for a terminal: nothing is echoed but by the shell (the terminal's
  echo is off from the start, as the child's pseudo-terminal was), `\\n` goes out as
  `\\r\\n` (a terminal's output processing), the size is the channel's.
- When the client goes away, every read the session waits on ends (end of input): the
  prompt ends the shell, a question is answered "no answer", a pager quits; a command that
  is running finishes first (see docs/explanation/guarantees.md)."""

from __future__ import annotations

import asyncio
import codecs
import concurrent.futures
import io
import threading
from collections.abc import Callable, Generator
from contextlib import contextmanager, nullcontext
from typing import Any, TextIO, cast

from prompt_toolkit.data_structures import Size
from prompt_toolkit.input import Input
from prompt_toolkit.input.vt100_parser import Vt100Parser
from prompt_toolkit.key_binding import KeyPress
from prompt_toolkit.keys import Keys
from prompt_toolkit.utils import is_dumb_terminal

from ccxcli.cli.terminal import Terminal, dumb_prompt


class ChannelStream(io.TextIOBase):
    """Text to the channel, from any thread, in the order written; `\\n` goes out as `\\r\\n`.
    What is written before the event loop gets to it goes out in one piece."""

    def __init__(self, loop: asyncio.AbstractEventLoop, write: Callable[[bytes], object]) -> None:
        super().__init__()
        self._loop, self._write = loop, write
        self._lock = threading.Lock()
        self._pending: list[bytes] = []
        self._scheduled = False

    encoding = "utf-8"

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return True

    def write(self, text: str) -> int:
        data = text.replace("\n", "\r\n").encode("utf-8", "replace")
        with self._lock:
            self._pending.append(data)
            if self._scheduled:
                return len(text)  # joins what waits to be sent: one SSH packet for many writes
            self._scheduled = True
        try:
            self._loop.call_soon_threadsafe(self._send)
        except RuntimeError:
            pass  # the server is stopping: nobody is left to read it
        return len(text)

    def _send(self) -> None:
        with self._lock:
            data, self._pending, self._scheduled = b"".join(self._pending), [], False
        try:
            self._write(data)
        except (OSError, RuntimeError, ValueError):
            pass  # the channel is closed: the client has gone


class _Lines(io.TextIOBase):
    """The session's standard input as a stream: lines typed at the terminal."""

    def __init__(self, term: ChannelTerminal) -> None:
        super().__init__()
        self._term = term

    def readable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return True

    def readline(self, size: int | None = -1) -> str:  # type: ignore[override]  # text, as TextIO's
        line = self._term.read_line(echo=True)
        return "" if line is None else line + "\n"


class ChannelInput(Input):
    """prompt_toolkit's input for a prompt on the channel: keys are parsed from the text
    the terminal hands over while a prompt reads (no file descriptor is involved)."""

    def __init__(self, term: ChannelTerminal) -> None:
        self._term = term
        self._keys: list[KeyPress] = []
        self._parser = Vt100Parser(self._keys.append)
        self._ready: list[Callable[[], None]] = []
        self._closed = False

    @property
    def reading(self) -> bool:
        return bool(self._ready)

    def feed(self, text: str) -> None:
        self._parser.feed(text)
        self._wake()

    def close(self) -> None:
        self._closed = True
        self._wake()

    def _wake(self) -> None:
        if self._ready:
            self._term.loop.call_soon(self._ready[-1])

    def fileno(self) -> int:
        raise NotImplementedError("a channel has no file descriptor")

    def typeahead_hash(self) -> str:
        return f"ccx-channel-{id(self)}"

    def read_keys(self) -> list[KeyPress]:
        # (prompt_toolkit's dumb-terminal prompt echoes one character per change: one key each there)
        keys = list(self._keys) if self._term.dumb else _typed_as_one(self._keys)
        self._keys.clear()
        return keys

    def flush_keys(self) -> list[KeyPress]:
        self._parser.flush()
        return self.read_keys()

    @property
    def closed(self) -> bool:
        return self._closed or self._term.gone

    def raw_mode(self) -> Any:
        return nullcontext()

    def cooked_mode(self) -> Any:
        return nullcontext()

    @contextmanager
    def attach(self, input_ready_callback: Callable[[], None]) -> Generator[None, None, None]:
        self._ready.append(input_ready_callback)
        self._term.reading_starts()
        if self._keys or self.closed:
            self._wake()  # keys already parsed, or the end: the prompt reads them now
        try:
            yield
        finally:
            self._ready.remove(input_ready_callback)

    @contextmanager
    def detach(self) -> Generator[None, None, None]:
        saved, self._ready = self._ready, []
        try:
            yield
        finally:
            self._ready = saved
            self._term.reading_starts()  # what was typed meanwhile (e.g. while `?` printed)


def _typed_as_one(keys: list[KeyPress]) -> list[KeyPress]:
    """Runs of plain characters (a command line sent at once, as automation sends it) as
    one key that inserts them all, prompt_toolkit's key for pasted text: the echo on the
    wire is the same, and the key bindings are looked up once per run instead of once per
    character (most of what a command cost the server). `?` keeps its own key (help)."""
    out: list[KeyPress] = []
    run: list[KeyPress] = []

    def flush() -> None:
        if len(run) > 1:
            out.append(KeyPress(Keys.BracketedPaste, "".join(k.data for k in run)))
        else:
            out.extend(run)
        run.clear()

    for k in keys:
        if k.key == k.data and len(k.data) == 1 and k.data.isprintable() and k.data != "?":
            run.append(k)
            continue
        flush()
        out.append(k)
    flush()
    return out


class ChannelTerminal(Terminal):
    """A terminal made of an SSH channel, for a shell that runs in a thread of the server:
    text typed goes to the prompt that reads (on the event loop) or waits, in order, for the
    session's thread (`read_key`, `read_line`)."""

    def __init__(
        self, loop: asyncio.AbstractEventLoop, write: Callable[[bytes], object], term: str | None, size: tuple[int, int]
    ) -> None:
        self.loop = loop
        self.stream = cast(TextIO, ChannelStream(loop, write))  # a text stream like a terminal's
        super().__init__(cast(TextIO, _Lines(self)), self.stream)
        self._term = term
        self.dumb = is_dumb_terminal(term or "")
        self.rows, self.columns = size
        self._lock = threading.Condition()
        self._typed = ""  # typed while no prompt reads
        self.gone = False
        self._input = ChannelInput(self)
        self._decode = codecs.getincrementaldecoder("utf-8")("replace")

    # --- the event loop's side ---------------------------------------------------------------
    def feed(self, data: bytes) -> None:
        """Bytes the client sent."""
        text = self._decode.decode(data)
        with self._lock:
            if self._input.reading:
                self._input.feed(text)
            else:
                self._typed += text
                self._lock.notify_all()

    def reading_starts(self) -> None:
        """A prompt starts reading: what was typed meanwhile is its first input."""
        with self._lock:
            typed, self._typed = self._typed, ""
        if typed:
            self._input.feed(typed)

    def resize(self, columns: int, rows: int) -> None:
        self.columns, self.rows = columns or self.columns, rows or self.rows

    def hang_up(self) -> None:
        """The client has gone: every read ends."""
        with self._lock:
            self.gone = True
            self._lock.notify_all()
        self.loop.call_soon_threadsafe(self._input.close)

    # --- the session thread's side -----------------------------------------------------------
    def echo_off(self) -> Callable[[], None]:
        return lambda: None  # there is no echo but the shell's

    def quiet(self) -> bool:
        return True

    def size(self, default: tuple[int, int] = (24, 80)) -> tuple[int, int]:
        return (self.rows or default[0], self.columns or default[1])

    def _key(self) -> str | None:
        with self._lock:
            while not self._typed and not self.gone:
                self._lock.wait()
            if not self._typed:
                return None
            key, self._typed = self._typed[0], self._typed[1:]
            return key

    def read_key(self) -> str:
        return self._key() or ""

    def read_line(self, echo: bool) -> str | None:
        typed: list[str] = []
        while True:
            key = self._key()
            if key is None:
                return None
            if key in "\r\n":
                if echo:
                    self.stream.write("\n")
                return "".join(typed)
            if key == "\x03":
                raise KeyboardInterrupt
            if key == "\x04":
                if not typed:
                    return None
            elif key in "\x7f\x08":
                if typed:
                    typed.pop()
                    if echo:
                        self.stream.write("\b \b")
            elif key.isprintable():
                typed.append(key)
                if echo:
                    self.stream.write(key)

    def input(self) -> Any:
        return self._input

    def output(self, cls: Any, term: str | None) -> Any:
        return cls(self.stream, lambda: Size(rows=self.rows, columns=self.columns), term=term, enable_cpr=False)

    def prompt(self, session: Any, message: str, **kw: Any) -> str:
        """Runs the prompt on the event loop and waits for its line here."""
        future = asyncio.run_coroutine_threadsafe(self._prompt(session, message, kw), self.loop)
        try:
            kind, line = future.result()
        except (concurrent.futures.CancelledError, RuntimeError):
            raise EOFError from None
        if kind == "interrupt":
            raise KeyboardInterrupt
        if kind == "end":
            raise EOFError
        return line

    async def _prompt(self, session: Any, message: str, kw: dict[str, Any]) -> tuple[str, str]:
        # (KeyboardInterrupt must not cross the event loop: it would stop the server.)
        session.app.terminal_size_polling_interval = None  # the channel says when the size changes
        try:
            if self.dumb:
                with dumb_prompt(session, message) as app:
                    return "line", str(await app.run_async(handle_sigint=False))
            return "line", str(await session.prompt_async(message, handle_sigint=False, **kw))
        except KeyboardInterrupt:
            return "interrupt", ""
        except EOFError:
            return "end", ""
