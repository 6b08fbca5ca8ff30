"""The interactive `admin:` shell (prompt_toolkit): history per node, Ctrl-R search,
`?` without Enter, TAB completion, the VOS pager, `Continue (y/n)?` prompts, and
multi-line pastes of long codes. The completer and `?` are thin wrappers over the
pure `grammar.suggest`.

Behaves as automation clients expect of a VOS appliance (Unicon `os=vos`, pexpect,
netmiko, scrapli, paramiko), whatever `TERM` they ask for:
- no cursor-position request (ESC[6n) is ever sent: clients never answer it, and
  prompt_toolkit would wait about a second for the answer at every prompt;
- the terminal's own echo stays off for the session, so input typed early (right after
  the prompt, or before the first one) is kept and echoed once, by the shell;
- the prompt is drawn at the start of a line after ESC[K, and the pager line is written so
  that the terminal puts exactly `ESC[1m\\r\\noptions: …` on the wire (Unicon's patterns);
- with TERM=dumb nothing but text is written.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from prompt_toolkit import PromptSession
from prompt_toolkit.application import create_app_session, run_in_terminal
from prompt_toolkit.completion import CompleteEvent, Completer, Completion
from prompt_toolkit.document import Document
from prompt_toolkit.enums import DEFAULT_BUFFER
from prompt_toolkit.history import FileHistory, InMemoryHistory
from prompt_toolkit.key_binding import KeyBindings, KeyPress
from prompt_toolkit.output.color_depth import ColorDepth
from prompt_toolkit.output.vt100 import Vt100_Output
from prompt_toolkit.renderer import Renderer
from prompt_toolkit.utils import is_dumb_terminal

from ccxcli.cli import commands, grammar
from ccxcli.cli.dispatch import run_line
from ccxcli.cli.terminal import Terminal, ask_plainly
from ccxcli.clock import wall_now
from ccxcli.errors import CcxError, report
from ccxcli.runtime import Runtime

PROMPT = "admin:"
WELCOME = (
    "\n   Welcome to the Platform Command Line Interface\n\n"
    "ccxcli: emulated Cisco Unified CCX node '{node}' (lab {home}); licensing is simulated.\n\n"
)

ERASE_LINE = "\x1b[K"
# The prompt as prompt_toolkit draws it: after an attribute reset, at the start of a line
# (with early-typed text after it, or not). Only the first drawing of each new prompt gets
# ESC[K: a repaint of a long, wrapped line must not look like a new prompt.
_PROMPT_DRAWN = re.compile(r"(\x1b\[[0-9;]*m)" + PROMPT)
# Written while the terminal translates \n to \r\n: on the wire this is Unicon's
# `\x1b[1m\r\noptions: … : \x1b[0m` (writing \r\n here would put \r\r\n there).
PAGER_LINE = "\x1b[1m\noptions: q=quit, n=next, p=prev, b=begin, e=end (lines {a} - {b} of {n}) : \x1b[0m"


class VosOutput(Vt100_Output):
    r"""prompt_toolkit's terminal output, with ESC[K (erase line) right before the
    prompt it draws, as automation clients expect: Unicon's VOS plugin matches the
    prompt as `([\r\n]|\x1b\[K)admin:` and prompt_toolkit would otherwise put an
    attribute reset there. On a dumb terminal it writes no cursor escapes at all."""

    dumb = False
    fresh = True  # the next prompt drawn is a new one (VosRenderer.reset sets it)

    def flush(self) -> None:
        if self._buffer and self.fresh:
            data = "".join(self._buffer)
            if f"m{PROMPT}" in data:
                self._buffer = [_PROMPT_DRAWN.sub(lambda m: m.group(1) + ERASE_LINE + PROMPT, data, count=1)]
                self.fresh = False
        super().flush()

    def write(self, data: str) -> None:
        # prompt_toolkit ends a dumb prompt's line with \r\n while the terminal turns \n into
        # \r\n itself: that would put \r\r\n on the wire
        super().write(data.replace("\r\n", "\n") if self.dumb else data)

    def enable_bracketed_paste(self) -> None:
        pass  # a pasted multi-line code is joined by its open quote; the toggles would only add noise

    def disable_bracketed_paste(self) -> None:
        pass

    def hide_cursor(self) -> None:
        if not self.dumb:
            super().hide_cursor()

    def show_cursor(self) -> None:
        if not self.dumb:
            super().show_cursor()


class VosRenderer(Renderer):
    """prompt_toolkit's renderer, with the echo of a plain line editor where that is all
    that is needed, so that what a client types is on the wire once and as typed:

    - text added at the end of the line (typing, a pasted code) is written as it is, and the
      terminal wraps it (prompt_toolkit would place each screen row itself, cutting a long
      command into pieces that netmiko or scrapli cannot find as their command's echo);
    - an accepted line is not repainted (prompt_toolkit repaints it whole: the command would
      be on the wire twice): the cursor just goes to the next line.

    Anything else (editing inside the line, history, completion menus) falls back to
    prompt_toolkit's own repaint, from the prompt's first column."""

    prompt = PROMPT  # the prompt of the line being edited ("" for a continuation line)
    _shown: str | None = None  # what follows the prompt on the terminal, when it was written plainly

    def render(self, app: Any, layout: Any, is_done: bool = False) -> None:
        app.exit_style = ""  # an accepted or aborted line keeps its look: a new style would repaint it all
        buf = app.current_buffer
        text = buf.text
        out = self.output
        width = out.get_size().columns
        plain = (
            buf.name == DEFAULT_BUFFER  # not while searching the history (Ctrl-R) or in other fields
            and not app.layout.is_searching
            and buf.complete_state is None
            and buf.cursor_position == len(text)
            and "\n" not in text
            and text.isprintable()
        )
        shown = self._shown
        if shown is None and self._last_screen is None and plain and len(self.prompt) + len(text) < width:
            # a new prompt, drawn as VOS does: at the start of the line, nothing else around it
            out.write_raw((ERASE_LINE if self.prompt else "") + self.prompt)
            if isinstance(out, VosOutput):
                out.fresh = False
            shown = self._shown = ""
        if shown is not None and plain and text.startswith(shown):
            if len(text) > len(shown):
                out.write(text[len(shown) :])
                self._shown = text
            if is_done:
                out.write("\n")  # the terminal makes it \r\n
                if self._last_screen is not None:  # prompt_toolkit drew this line: clear what it left below
                    out.erase_down()
                    out.reset_attributes()
                self.reset()
            out.flush()
            return
        if shown is not None:
            self._back_to_prompt(shown)
        super().render(app, layout, is_done)
        fits = len(self.prompt) + len(text) < width
        self._shown = text if (plain and fits and not is_done) else None

    def _back_to_prompt(self, shown: str) -> None:
        """Put the cursor at the prompt's first column after plain writes, erase what follows,
        and have prompt_toolkit repaint everything from there."""
        from prompt_toolkit.data_structures import Point

        width = max(1, self.output.get_size().columns)
        total = len(self.prompt) + len(shown)
        rows = (total - 1) // width if total else 0  # a full last row leaves the cursor on it
        out = self.output
        out.write_raw("\r")
        if rows:
            out.cursor_up(rows)
        out.erase_down()
        self._last_screen = None
        self._cursor_pos = Point(x=0, y=0)
        self._shown = None

    def reset(self, *args: Any, **kwargs: Any) -> None:
        super().reset(*args, **kwargs)
        self._shown = None
        if isinstance(self.output, VosOutput):
            self.output.fresh = True


def make_output(rt: Runtime, term: Terminal) -> VosOutput:
    """The shell's prompt_toolkit output on `term`: a local terminal's, or the one `term` makes."""
    out = term.output(VosOutput, rt.env.get("TERM"))
    assert isinstance(out, VosOutput)
    out.enable_cpr = False  # never ask the terminal where the cursor is: clients do not answer
    out._cursor_visible = True  # it is: nothing to show before the first prompt
    out.dumb = is_dumb(rt)
    return out


def color_depth(rt: Runtime, out: VosOutput) -> ColorDepth:
    """The session's colour depth: its NO_COLOR or PROMPT_TOOLKIT_COLOR_DEPTH, else what its
    output makes of the session's TERM (prompt_toolkit would read the process's environment)."""
    if rt.env.get("NO_COLOR"):
        return ColorDepth.DEPTH_1_BIT
    named = rt.env.get("PROMPT_TOOLKIT_COLOR_DEPTH") or ""
    return ColorDepth[named] if named in ColorDepth.__members__ else out.get_default_color_depth()


def is_dumb(rt: Runtime) -> bool:
    """Whether this session's terminal is a dumb one (its TERM, not the process's)."""
    return is_dumb_terminal(rt.env.get("TERM") or "")


class CcxCompleter(Completer):
    def get_completions(self, document: Document, complete_event: CompleteEvent) -> Iterable[Completion]:
        try:
            words, partial = grammar.split_for_completion(document.text_before_cursor)
        except CcxError:
            return
        rows = [(w.split(" ")[0], h) for w, h in grammar.suggest(commands.tree(), words, partial) if w[0] != "<"]
        for word, help_text in rows:
            # a unique completion ends the word (`sh<TAB>` -> `show `), so the next word can follow
            tail = " " if len(rows) == 1 and word != grammar.CR else ""
            yield Completion(word + tail, start_position=-len(partial), display=word, display_meta=help_text)


def help_text(line: str) -> str:
    """What `?` prints for the line typed so far: the same rows as one-shot `?`."""
    from ccxcli.cli.dispatch import help_rows

    try:
        words, partial = grammar.split_for_completion(line)
        return help_rows(words + [partial + "?"]).text
    except CcxError as e:
        return e.message


def _bindings(rt: Runtime) -> KeyBindings:
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
            # Back to the start of the line first: the line editor leaves the cursor after the
            # typed text, and the reprint must replace that line, not follow it (as on VOS). A
            # dumb terminal's line editor only echoes what is typed next, so the prompt and the
            # typed text are written again here for it.
            dumb = is_dumb(rt)
            again = f"{PROMPT}{text}" if dumb else ""
            rt.out.write(f"\r{'' if dumb else ERASE_LINE}{PROMPT}{text}?\n{out}\n{again}")

        run_in_terminal(show)

    return kb


class TypedAhead:
    """Keys a client typed right after a command line, in the same burst (the answer to the
    pager or to `Continue (y/n)?`, the next command): prompt_toolkit reads them with the line
    and keeps them for its next prompt, where the pager and the question, which read the
    terminal itself, would never see them (and would wait for ever). They take from here
    first; what is left goes back, in order, to the next prompt."""

    def __init__(self, inp: Any) -> None:
        self.inp = inp

    def key(self) -> str | None:
        """The first key typed ahead, or None."""
        from prompt_toolkit.input.typeahead import get_typeahead, store_typeahead

        keys = get_typeahead(self.inp)
        if not keys:
            return None
        first, rest = keys[0], keys[1:]
        if len(first.data) > 1:  # several characters typed at once, kept as one key (`ccxcli.cli.ssh.inline`)
            rest = [KeyPress(first.key, first.data[1:]), *rest]
        store_typeahead(self.inp, rest)
        return str(first.data[:1])

    def line(self) -> tuple[str, bool]:
        """The text typed ahead up to the first Enter, and whether that Enter was typed; a
        Ctrl-C (or a Ctrl-D on an empty line) typed ahead cancels as it does when typed at
        the question (KeyboardInterrupt, EOFError)."""
        from prompt_toolkit.input.typeahead import get_typeahead, store_typeahead

        keys = get_typeahead(self.inp)
        for i, k in enumerate(keys):
            if k.data in ("\r", "\n", "\x03") or (k.data == "\x04" and i == 0):
                store_typeahead(self.inp, keys[i + 1 :])
                if k.data == "\x03":
                    raise KeyboardInterrupt
                if k.data == "\x04":
                    raise EOFError
                return "".join(x.data for x in keys[:i]), True
        return "".join(k.data for k in keys), False


def make_pager(rt: Runtime, key: Any = None, ahead: TypedAhead | None = None, term: Terminal | None = None) -> Any:
    """The VOS pager: a page of lines (the terminal's height, read at each use so a
    resize is seen), then the options line; q, n (or space/Enter), p, b, e as single keys
    (typed ahead or not). No key is waited for after the last page."""

    def read() -> str:
        if key is not None:
            return str(key())
        early = ahead.key() if ahead is not None else None
        return early if early is not None else (term or Terminal(rt.inp, rt.out)).read_key()

    def pager(text: str) -> None:
        lines = text.rstrip("\n").split("\n")
        rows = (term or Terminal(rt.inp, rt.out)).size((rt.height, rt.width))[0] if key is None else rt.height
        page = max(1, rows - 2)
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
                k = read().lower()
            except (EOFError, KeyboardInterrupt, OSError):
                k = "q"
            rt.out.write("\n")
            if k in ("q", "\x03", "\x04", ""):
                return
            if k == "p":
                top = max(0, top - page)
            elif k == "b":
                top = 0
            elif k == "e":
                top = max(0, len(lines) - page)
            else:
                top = end

    return pager


def run_shell(rt: Runtime, term: Terminal) -> int:
    """The admin: shell on a terminal; returns the exit status when it is left."""
    restore = term.echo_off()  # (again: `ccx` turned it off before its imports already)
    try:
        return _session(rt, term)
    finally:
        restore()


def _session(rt: Runtime, term: Terminal) -> int:
    from ccxcli.session.context import Ctx

    rt.mode = "shell"
    rt.pagination = True
    rt.failure_marker = True
    rt.height, rt.width = term.size()
    history: Any = InMemoryHistory()
    ctx = Ctx(rt)
    try:
        node_dir = ctx.lab.node_dir(rt.node)
        _ = ctx.node  # fail now, not at the first command, if the node is missing or corrupt
        history = PrivateHistory(str(node_dir / "history"))
    except BaseException as e:  # noqa: BLE001 - reported through the one boundary
        return report(e, rt.err)
    finally:
        ctx.close()
    # The PromptSession has its output (and colour depth) from this session, never from the
    # process's environment: prompt_toolkit would take its dumb-terminal path by the server's
    # TERM. The terminal takes that path itself for a dumb session (`Terminal.prompt`).
    term.dumb = is_dumb(rt)
    out = make_output(rt, term)
    with create_app_session(input=term.input(), output=out):
        session: PromptSession[str] = PromptSession(
            output=out,
            color_depth=color_depth(rt, out),
            history=history,
            completer=CcxCompleter(),
            key_bindings=_bindings(rt),
            complete_while_typing=False,
            enable_history_search=False,
        )
        session.app.renderer.__class__ = VosRenderer  # the same object, one method changed
        return _loop(rt, session, term)


def _loop(rt: Runtime, session: PromptSession[str], term: Terminal) -> int:
    ahead = TypedAhead(session.input)
    # not a prompt_toolkit prompt:
    rt.ask = lambda question, secret=False: ask_plainly(rt, term, question, secret, ahead.line)
    rt.pager = make_pager(rt, ahead=ahead, term=term)
    rt.out.write(WELCOME.format(node=rt.node, home=rt.home))
    rt.out.flush()
    renderer = session.app.renderer
    while True:
        try:
            renderer.prompt = PROMPT  # type: ignore[attr-defined]
            line = term.prompt(session, PROMPT)
            odd = line.count('"') % 2 == 1
            parts = [line]
            renderer.prompt = ""  # type: ignore[attr-defined]
            while odd:  # a code pasted over several lines: linear, each line scanned once
                more = term.prompt(session, "", completer=None).strip()
                odd ^= more.count('"') % 2 == 1
                parts.append(more)
            line = "".join(parts)
        except KeyboardInterrupt:
            continue  # Ctrl-C clears the line
        except EOFError:
            break
        code, result = run_line(rt, line.replace("\n", "").replace("\r", ""))
        if result is not None and result.leave:
            break
    return 0


class PrivateHistory(FileHistory):
    """The shell history, private to its user and never written through a planted link."""

    def store_string(self, string: str) -> None:
        import datetime
        import os

        from ccxcli.store.files import open_private_append

        lines = ["\n# " + str(datetime.datetime.fromtimestamp(wall_now(), datetime.timezone.utc)) + "\n"] + [
            "+" + line + "\n" for line in string.split("\n")
        ]
        try:
            fd = open_private_append(self.filename)  # type: ignore[arg-type]
        except OSError:
            return  # a link planted in its place (or no room): the history is not kept, nothing else breaks
        try:
            os.write(fd, "".join(lines).encode("utf-8"))
        except OSError:
            pass
        finally:
            os.close(fd)


def _open_quote(line: str) -> bool:
    return line.count('"') % 2 == 1
