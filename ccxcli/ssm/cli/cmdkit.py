"""A small declarative command line for `ccx-ssm`: commands are registered with their
parameters, one-line help, what they change and an example; the same declaration drives
parsing, `--help` at every level and the test that every command is documented.

It replaces typer on this path because `ccx-ssm license list` and `token create` are run
by scripts many times a minute: importing typer and rich alone took four times the
interpreter's start-up. Nothing here imports more than the standard library's `sys`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

from ccxcli.errors import UsageError

if TYPE_CHECKING:
    from typing import TextIO

R = TypeVar("R")  # the context a program's commands get first


class Option(NamedTuple):
    """One option (`--name`) or positional argument (`NAME`).

    kind: `str`, `int`, `flag` (no value) or `list` (repeatable, collects values).
    `help` may name `{aliases}`; the program fills it in when help is shown."""

    name: str
    help: str
    kind: str = "str"
    default: Any = None
    required: bool = False
    metavar: str = ""
    lo: int | None = None
    hi: int | None = None
    dest: str = ""

    @property
    def is_option(self) -> bool:
        return self.name.startswith("--")

    @property
    def key(self) -> str:
        return self.dest or self.name.lstrip("-").lower().replace("-", "_")

    @property
    def shown(self) -> str:
        """How the usage line shows it: `--va NAME`, `--force`, `ID`, `[--license ALIAS=N]...`."""
        if not self.is_option:
            return self.name if self.required else f"[{self.name}]"
        text = self.name if self.kind == "flag" else f"{self.name} {self.metavar or 'VALUE'}"
        if self.required:
            return text
        return f"[{text}]..." if self.kind == "list" else f"[{text}]"


class Cmd(NamedTuple):
    words: tuple[str, ...]
    help: str  # one line, shown in listings
    func: Callable[..., None]
    params: tuple[Option, ...]
    changes: str  # what the command changes ("nothing" for a listing)
    example: str

    @property
    def name(self) -> str:
        return " ".join(self.words)


class Program:
    """A program's commands, groups and global options (given before or after the command)."""

    def __init__(self, name: str, summary: str, globals_: tuple[Option, ...]) -> None:
        self.name, self.summary, self.globals = name, summary, globals_
        self.commands: dict[tuple[str, ...], Cmd] = {}
        self.groups: dict[tuple[str, ...], str] = {}
        self.fill: Callable[[str], str] = lambda text: text

    def group(self, words: str, help: str) -> None:
        self.groups[tuple(words.split())] = help

    def command(
        self, words: str, help: str, *, changes: str, example: str, params: tuple[Option, ...] = ()
    ) -> Callable[[Callable[..., None]], Callable[..., None]]:
        def register(func: Callable[..., None]) -> Callable[..., None]:
            key = tuple(words.split())
            self.commands[key] = Cmd(key, help, func, params, changes, example)
            return func

        return register

    # --- parsing --------------------------------------------------------------------------

    def parse(self, argv: list[str]) -> tuple[dict[str, Any], Cmd | None, dict[str, Any], tuple[str, ...]]:
        """argv -> (global values, command or None, its arguments, the words matched).

        `--help`/`-h` anywhere sets globals['help']; a command is None when the words name
        a group (or nothing): the caller shows that group's help."""
        glob: dict[str, Any] = {p.key: p.default for p in self.globals}
        glob["help"] = False
        gopts = {p.name: p for p in self.globals}
        rest: list[str] = []
        i = 0
        while i < len(argv):  # global options may come anywhere before a `--`
            a = argv[i]
            name, eq, val = a.partition("=")
            if a == "--":
                rest.extend(argv[i:])
                break
            if a in ("--help", "-h"):
                glob["help"] = True
            elif name in gopts:
                p = gopts[name]
                if p.kind == "flag":
                    if eq:
                        raise UsageError(f"Option {name} takes no value. {self._try(())}")
                    glob[p.key] = True
                else:
                    if not eq:
                        i += 1
                        if i >= len(argv):
                            raise UsageError(f"Option {name} needs a value. {self._try(())}")
                        val = argv[i]
                    glob[p.key] = val
            else:
                rest.append(a)
            i += 1
        words: tuple[str, ...] = ()
        j = 0
        while j < len(rest) and not rest[j].startswith("-"):
            cand = (*words, rest[j])
            if cand not in self.commands and not self._is_group(cand):
                break
            words, j = cand, j + 1
        cmd = self.commands.get(words)
        if cmd is None:
            if j < len(rest) and not glob["help"]:
                self._no_such(words, rest[j])
            return glob, None, {}, words
        if glob["help"]:
            return glob, cmd, {}, words
        return glob, cmd, self._arguments(cmd, rest[j:]), words

    def _is_group(self, words: tuple[str, ...]) -> bool:
        return words in self.groups or any(k[: len(words)] == words for k in self.commands)

    def _no_such(self, words: tuple[str, ...], word: str) -> None:
        where = f"'{self.name} {' '.join(words)}'" if words else f"'{self.name}'"
        if word.startswith("-"):
            raise UsageError(f"No such option '{word}' for {where}. {self._try(words)}")
        names = sorted({k[len(words)] for k in self.commands if k[: len(words)] == words and len(k) > len(words)})
        raise UsageError(f"No such command '{word}' in {where}; commands: {', '.join(names)}. {self._try(words)}")

    def _try(self, words: tuple[str, ...]) -> str:
        return f"Try '{' '.join((self.name, *words, '--help'))}'."

    def _arguments(self, cmd: Cmd, args: list[str]) -> dict[str, Any]:
        values: dict[str, Any] = {p.key: ([] if p.kind == "list" else p.default) for p in cmd.params}
        options = {p.name: p for p in cmd.params if p.is_option}
        positionals = [p for p in cmd.params if not p.is_option]
        seen: set[str] = set()
        given: list[str] = []
        i, only_positional = 0, False
        while i < len(args):
            a = args[i]
            i += 1
            if a == "--" and not only_positional:
                only_positional = True
                continue
            if not only_positional and a.startswith("--"):
                name, eq, val = a.partition("=")
                p = options.get(name)
                if p is None:
                    close = [o for o in options if o.startswith(name)]
                    hint = f" Did you mean {close[0]}?" if len(close) == 1 else ""
                    raise UsageError(
                        f"No such option '{name}' for '{self.name} {cmd.name}'.{hint} {self._try(cmd.words)}"
                    )
                if p.kind == "flag":
                    if eq:
                        raise UsageError(f"Option {name} takes no value. {self._try(cmd.words)}")
                    values[p.key] = True
                    continue
                if not eq:
                    if i >= len(args):
                        raise UsageError(
                            f"Option {name} needs a value ({p.metavar or 'VALUE'}). {self._try(cmd.words)}"
                        )
                    val, i = args[i], i + 1
                if p.kind == "list":
                    values[p.key].append(val)
                else:
                    if p.key in seen:
                        raise UsageError(f"Option {name} was given twice. {self._try(cmd.words)}")
                    values[p.key] = self._convert(p, val, cmd)
                seen.add(p.key)
                continue
            given.append(a)
        if len(given) > len(positionals):
            extra = given[len(positionals)]
            raise UsageError(f"Unexpected argument '{extra}' for '{self.name} {cmd.name}'. {self._try(cmd.words)}")
        for p, val in zip(positionals, given, strict=False):
            values[p.key] = self._convert(p, val, cmd)
            seen.add(p.key)
        for p in cmd.params:
            if p.required and p.key not in seen:
                what = "option" if p.is_option else "argument"
                raise UsageError(f"Missing {what} {p.shown} for '{self.name} {cmd.name}'. {self._try(cmd.words)}")
        return values

    def _convert(self, p: Option, val: str, cmd: Cmd) -> Any:
        if p.kind != "int":
            return val
        try:
            n = int(val)
        except ValueError:
            raise UsageError(f"{p.name} takes a whole number, not '{val}'. {self._try(cmd.words)}") from None
        if (p.lo is not None and n < p.lo) or (p.hi is not None and n > p.hi):
            raise UsageError(f"{p.name} must be {_range(p)}, not {n}.")
        return n

    # --- help -----------------------------------------------------------------------------

    def usage(self, cmd: Cmd) -> str:
        return " ".join(["Usage:", self.name, *cmd.words, *(p.shown for p in cmd.params)])

    def command_help(self, cmd: Cmd) -> str:
        lines = [self.usage(cmd), "", f"  {cmd.help}", ""]
        if cmd.params:
            lines.append("Arguments and options:")
            lines += _columns([(_param_label(p), self.fill(_param_help(p))) for p in cmd.params])
            lines.append("")
        lines += [f"Changes: {cmd.changes}", f"Example: {cmd.example}"]
        return "\n".join(lines)

    def group_help(self, words: tuple[str, ...]) -> str:
        title = " ".join((self.name, *words))
        below = [c for k, c in sorted(self.commands.items()) if k[: len(words)] == words]
        lines = [f"Usage: {title} COMMAND [ARGS]...", ""]
        if words in self.groups:
            lines += [f"  {self.groups[words]}", ""]
        lines.append("Commands:")
        lines += _columns([(" ".join(c.words[len(words) :]) or "(alone)", c.help) for c in below])
        lines += ["", f"'{title} COMMAND --help' shows a command's arguments, an example and what it changes."]
        return "\n".join(lines)

    def reference(self) -> str:
        """Every command as the documentation's reference shows it (Markdown): its usage, help,
        arguments and options, what it changes and an example, from the declarations alone."""
        parts = []
        for words, cmd in sorted(self.commands.items()):
            lines = [
                f"### `{self.name} {' '.join(words)}`",
                "",
                f"`{self.usage(cmd)[len('Usage: ') :]}`",
                "",
                self.fill(cmd.help),
                "",
            ]
            if cmd.params:
                lines += ["| Argument or option | |", "|---|---|"]
                lines += [f"| `{_param_label(p)}` | {_cell(self.fill(_param_help(p)))} |" for p in cmd.params]
                lines.append("")
            lines += [f"Changes: {cmd.changes}", "", f"Example: `{cmd.example}`"]
            parts.append("\n".join(lines))
        return "\n\n".join(parts)

    def globals_help(self) -> list[str]:
        return _columns([(_param_label(p), _param_help(p)) for p in self.globals])

    def run(
        self,
        argv: list[str],
        out: TextIO,
        err: TextIO,
        top_help: Callable[[R], str],
        configure: Callable[[dict[str, Any]], R],
    ) -> int:
        """Parse, make the run's context from the global options (`configure`), run the
        command with it first; help goes to `out` (exit 0), an incomplete command shows its
        group's help on `err` (exit 2)."""
        glob, cmd, values, words = self.parse(argv)
        if glob.get("version"):
            from ccxcli import __version__

            out.write(f"{self.name} {__version__}\n")
            return 0
        rt = configure(glob)
        if cmd is None:
            text = top_help(rt) if not words else self.group_help(words)
            if glob["help"] or not words:
                out.write(text + "\n")
                return 0
            err.write(text + "\n")
            return 2
        if glob["help"]:
            out.write(self.command_help(cmd) + "\n")
            return 0
        cmd.func(rt, **values)
        return 0


def _range(p: Option) -> str:
    if p.lo is not None and p.hi is not None:
        return f"{p.lo} to {p.hi}"
    return f"at least {p.lo}" if p.lo is not None else f"at most {p.hi}"


def _param_label(p: Option) -> str:
    if not p.is_option:
        return p.name
    return p.name if p.kind == "flag" else f"{p.name} {p.metavar or 'VALUE'}"


def _param_help(p: Option) -> str:
    text = p.help
    if p.kind == "int" and (p.lo is not None or p.hi is not None):
        text += f" Range: {_range(p)}."
    if p.default not in (None, False, "", []):
        text += f" Default: {p.default}."
    if p.kind == "list":
        text += " Repeatable."
    if p.required and p.is_option:
        text += " Required."
    return text


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _columns(rows: list[tuple[str, str]]) -> list[str]:
    width = min(max((len(a) for a, _ in rows), default=0), 28)
    out = []
    for a, b in rows:
        if len(a) > width:
            out += [f"  {a}", f"  {'':<{width}}  {b}"]
        else:
            out.append(f"  {a:<{width}}  {b}")
    return out


def plain_table(title: str, cols: list[str], rows: list[list[Any]], printable: Callable[[str], str]) -> str:
    """A listing as plain columns under a title: same layout for every `ccx-ssm` listing,
    no box drawing, nothing that wraps because of the title, fast for 10,000 rows."""
    cells = [[printable("-" if v is None else str(v)) for v in r] for r in rows]
    widths = [len(c) for c in cols]
    for r in cells:
        for k, v in enumerate(r):
            widths[k] = max(widths[k], len(v))
    numeric = [all(_is_number(r[k]) for r in cells) and bool(cells) for k in range(len(cols))]

    def line(values: list[str]) -> str:
        parts = [v.rjust(w) if num else v.ljust(w) for v, w, num in zip(values, widths, numeric, strict=True)]
        return "  ".join(parts).rstrip()

    out = [printable(title), line(cols), "  ".join("-" * w for w in widths)]
    out += [line(r) for r in cells]
    if not cells:
        out.append("(none)")
    return "\n".join(out)


def _is_number(text: str) -> bool:
    return text.lstrip("+-").isdigit()
