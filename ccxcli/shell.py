"""The interactive `admin:` shell (prompt_toolkit): history per node, Ctrl-R search,
`?` without Enter, TAB completion, the VOS pager, `Continue (y/n)?` prompts, and
multi-line pastes of long codes. The completer and `?` are thin wrappers over the
pure `grammar.suggest`."""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable
from typing import Any

from prompt_toolkit import PromptSession
from prompt_toolkit.application import run_in_terminal
from prompt_toolkit.completion import CompleteEvent, Completer, Completion
from prompt_toolkit.document import Document
from prompt_toolkit.history import FileHistory, InMemoryHistory
from prompt_toolkit.key_binding import KeyBindings
from prompt_toolkit.output.vt100 import Vt100_Output
from prompt_toolkit.utils import is_dumb_terminal

from ccxcli import commands, grammar
from ccxcli.dispatch import run_line
from ccxcli.errors import CcxError, one_line
from ccxcli.runtime import Runtime, ask_plainly

PROMPT = "admin:"
BANNER = (
    "Welcome to the ccxcli emulated UCCX node '{node}' (lab {home}).\n"
    "Type ? or help for commands, exit to leave. Licensing here is simulated.\n"
)


ERASE_LINE = "\x1b[K"
# The prompt drawn on an empty line (followed by cursor moves or nothing), not the
# redraw of an accepted command line.
_PROMPT_DRAWN = re.compile(r"(\x1b\[[0-9;]*m)" + PROMPT + r"(?=\x1b|$)")
PAGER_LINE = "\x1b[1m\r\noptions: q=quit, n=next, p=prev, b=begin, e=end (lines {a} - {b} of {n}) : \x1b[0m"


class VosOutput(Vt100_Output):
    r"""prompt_toolkit's terminal output, with ESC[K (erase line) right before the
    prompt it draws, as automation clients expect: Unicon's VOS plugin matches the
    prompt as `([\r\n]|\x1b\[K)admin:` and prompt_toolkit would otherwise put an
    attribute reset there."""

    def flush(self) -> None:
        if self._buffer:
            data = "".join(self._buffer)
            if f"m{PROMPT}" in data:
                self._buffer = [_PROMPT_DRAWN.sub(lambda m: m.group(1) + ERASE_LINE + PROMPT, data)]
        super().flush()


class CcxCompleter(Completer):
    def get_completions(self, document: Document, complete_event: CompleteEvent) -> Iterable[Completion]:
        try:
            words, partial = grammar.split_for_completion(document.text_before_cursor)
        except CcxError:
            return
        for word, help_text in grammar.suggest(commands.tree(), words, partial):
            if word.startswith("<"):
                continue
            yield Completion(word.split(" ")[0], start_position=-len(partial), display_meta=help_text)


def help_text(line: str) -> str:
    """What `?` prints for the line typed so far: the same rows as one-shot `?`."""
    from ccxcli.dispatch import help_rows

    try:
        words, partial = grammar.split_for_completion(line)
        return help_rows(words + [partial + "?"]).text
    except CcxError as e:
        return e.message


def _bindings() -> KeyBindings:
    kb = KeyBindings()

    @kb.add("?")
    def _(event: Any) -> None:
        buf = event.app.current_buffer
        text = buf.document.text_before_cursor
        if len(text) >= grammar.MAX_LINE or _open_quote(text):
            buf.insert_text("?")  # inside a quoted argument a ? is just a character
            return
        out = help_text(text)

        def show() -> None:
            sys.stdout.write(f"{PROMPT}{text}?\n{out}\n")

        run_in_terminal(show)

    return kb


def read_key() -> str:
    """One key from the terminal, without waiting for Enter (the VOS pager's way)."""
    import termios
    import tty

    fd = sys.stdin.fileno()
    old = termios.tcgetattr(fd)
    try:
        tty.setcbreak(fd)
        return sys.stdin.read(1)
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, old)


def make_pager(rt: Runtime, key: Any = read_key) -> Any:
    """The VOS pager: a page of lines, then the options line; q, n (or space/Enter),
    p, b, e as single keys."""

    def pager(text: str) -> None:
        lines = text.rstrip("\n").split("\n")
        page = max(1, rt.height - 2)
        if len(lines) <= page:
            rt.out.write(text)
            return
        top = 0
        while True:
            end = min(top + page, len(lines))
            rt.out.write("\n".join(lines[top:end]))
            if end >= len(lines):
                rt.out.write("\n")
                return
            rt.out.write(PAGER_LINE.format(a=top + 1, b=end, n=len(lines)))
            rt.out.flush()
            try:
                k = key().lower()
            except (EOFError, KeyboardInterrupt, OSError):
                k = "q"
            rt.out.write("\r\x1b[K")
            if k in ("q", "\x03", "\x04", ""):
                rt.out.write("\n")
                return
            if k == "p":
                top = max(0, top - page)
            elif k == "b":
                top = 0
            elif k == "e":
                top = max(0, len(lines) - page)
            else:
                top = end
            rt.out.write("\n")

    return pager


def run_shell(rt: Runtime) -> int:
    import shutil

    from ccxcli.dispatch import Ctx

    rt.mode = "shell"
    rt.pagination = True
    size = shutil.get_terminal_size((80, 24))
    rt.height, rt.width = size.lines, size.columns
    history: Any = InMemoryHistory()
    code = 0
    ctx = Ctx(rt)
    try:
        node_dir = ctx.lab.node_dir(rt.node)
        _ = ctx.node  # fail now, not at the first command, if the node is missing or corrupt
        history = FileHistory(str(node_dir / "history"))
    except CcxError as e:
        rt.err.write(one_line(e.message) + "\n")
        return e.exit_code
    finally:
        ctx.close()
    session: PromptSession[str] = PromptSession(
        history=history,
        completer=CcxCompleter(),
        output=None if is_dumb_terminal() else VosOutput.from_pty(sys.stdout),
        key_bindings=_bindings(),
        complete_while_typing=False,
        enable_history_search=False,
    )

    rt.ask = lambda question, secret=False: ask_plainly(rt, question, secret)  # not a prompt_toolkit prompt
    rt.pager = make_pager(rt)
    rt.out.write(BANNER.format(node=rt.node, home=rt.home))
    while True:
        try:
            line = session.prompt(PROMPT)
            while _open_quote(line):
                line += session.prompt("", completer=None).strip()  # a code pasted over several lines
        except KeyboardInterrupt:
            continue  # Ctrl-C clears the line
        except EOFError:
            break
        code, result = run_line(rt, line.replace("\n", "").replace("\r", ""))
        if result is not None and result.leave:
            break
    return 0


def _open_quote(line: str) -> bool:
    try:
        return grammar.tokenize(line)[1]
    except CcxError:
        return False
