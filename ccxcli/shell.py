"""The interactive `admin:` shell (prompt_toolkit): history per node, Ctrl-R search,
`?` without Enter, TAB completion, the VOS pager, `Continue (y/n)?` prompts, and
multi-line pastes of long codes. The completer and `?` are thin wrappers over the
pure `grammar.suggest`."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from prompt_toolkit import PromptSession
from prompt_toolkit.application import run_in_terminal
from prompt_toolkit.completion import CompleteEvent, Completer, Completion
from prompt_toolkit.document import Document
from prompt_toolkit.history import FileHistory, InMemoryHistory
from prompt_toolkit.key_binding import KeyBindings

from ccxcli import commands, grammar
from ccxcli.dispatch import run_tokens
from ccxcli.errors import CcxError
from ccxcli.runtime import Runtime

PROMPT = "admin:"
BANNER = ("Welcome to the ccxcli emulated UCCX node '{node}' (lab {home}).\n"
          "Type ? or help for commands, exit to leave. Licensing here is simulated.\n")


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
            print(f"{PROMPT}{text}?")
            print(out)

        run_in_terminal(show)

    return kb


def make_pager(rt: Runtime, session: PromptSession[str]) -> Any:
    def pager(text: str) -> None:
        lines = text.rstrip("\n").split("\n")
        page = max(1, rt.height - 2)
        if len(lines) <= page:
            rt.out.write(text)
            return
        top = 0
        while True:
            chunk = lines[top:top + page]
            rt.out.write("\n".join(chunk) + "\n")
            rt.out.flush()
            end = min(top + page, len(lines))
            if end >= len(lines):
                return
            try:
                key = session.prompt(
                    f"  options: q=quit, n=next, p=prev, b=begin, e=end (lines {top + 1} - {end} of {len(lines)}) : ",
                    completer=None, key_bindings=None).strip().lower()
            except (EOFError, KeyboardInterrupt):
                return
            if key == "q":
                return
            if key == "p":
                top = max(0, top - page)
            elif key == "b":
                top = 0
            elif key == "e":
                top = max(0, len(lines) - page)
            else:
                top = end

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
        ctx.node  # fail now, not at the first command, if the node is missing or corrupt
        history = FileHistory(str(node_dir / "history"))
    except CcxError as e:
        rt.err.write(e.message + "\n")
        return e.exit_code
    finally:
        ctx.close()
    session: PromptSession[str] = PromptSession(history=history, completer=CcxCompleter(),
                                                key_bindings=_bindings(), complete_while_typing=False,
                                                enable_history_search=False)

    def ask(question: str, secret: bool = False) -> str | None:
        *lines, last = question.split("\n")
        for line in lines:
            rt.out.write(line + "\n")
        rt.out.flush()
        try:
            return session.prompt(last + " ", completer=None, is_password=secret)
        except (EOFError, KeyboardInterrupt):
            return None

    rt.ask = ask
    rt.pager = make_pager(rt, session)
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
        try:
            words = grammar.tokenize(line.replace("\n", "").replace("\r", ""))[0]
        except CcxError as e:
            rt.err.write(e.message + "\n")
            continue
        if not words:
            continue
        code, result = run_tokens(rt, words)
        if result is not None and result.leave:
            break
    return 0


def _open_quote(line: str) -> bool:
    try:
        return grammar.tokenize(line)[1]
    except CcxError:
        return False
