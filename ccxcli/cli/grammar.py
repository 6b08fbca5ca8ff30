"""The VOS command grammar engine: tokenizing, unique-prefix matching, parameters,
and the pure "what may come next" function behind `?`, TAB and `help`.

The commands themselves are declared once in `ccxcli.cli.commands`; this module knows
nothing about any particular command.
"""

from __future__ import annotations

from ccxcli.errors import UsageError

MAX_LINE = 256 * 1024  # one authorization code is a few kB; anything far larger is not a command


class Param:
    """One parameter of a command, parsed from its usage string.

    kind: `arg` (<name>), `choice` ({name:a|b}, shown {a|b}), `word` ([force]) or `opt` ([--name N] / [--flag]).
    (Plain classes rather than NamedTuples: building NamedTuple classes at import time was a
    visible part of a one-shot command's start-up.)"""

    __slots__ = ("kind", "name", "optional", "many", "choices", "takes_value", "metavar")

    def __init__(
        self,
        kind: str,
        name: str,
        optional: bool = False,
        many: bool = False,
        choices: tuple[str, ...] = (),
        takes_value: bool = False,
        metavar: str = "",
    ) -> None:
        self.kind, self.name, self.optional, self.many = kind, name, optional, many
        self.choices, self.takes_value, self.metavar = choices, takes_value, metavar

    def __repr__(self) -> str:
        return f"Param({self.kind!r}, {self.name!r})"


class Command:
    """One command of the table, declared once with everything said about it: its words
    and other spellings, usage, one-line help, handler, confirmation question, and what
    `help <command>` teaches (what it changes, an example, each argument). Its parameters
    are parsed from `usage` on first use."""

    __slots__ = (
        "words",
        "usage",
        "help",
        "handler",
        "confirm",
        "check",
        "lab_wide",
        "aliases",
        "changes",
        "example",
        "args",
        "_params",
    )

    def __init__(
        self,
        words: tuple[str, ...],
        usage: str,
        help: str,
        handler: str,
        confirm: str | None = None,
        check: str | None = None,
        lab_wide: bool = False,
        aliases: tuple[tuple[str, ...], ...] = (),
        changes: str = "",
        example: str = "",
        args: dict[str, str] | None = None,
    ) -> None:
        self.words, self.usage, self.help, self.handler = words, usage, help, handler
        self.confirm = confirm  # the question asked before a destructive command
        self.check = check  # "module:function" refusing the command before any question
        self.lab_wide = lab_wide  # changes the lab as a whole or another node: lab operators only over SSH
        self.aliases = aliases  # other spellings of the same command
        self.changes, self.example = changes, example  # for `help <command>`
        self.args = args or {}  # parameter name -> what it takes
        self._params: tuple[Param, ...] | None = None

    @property
    def spellings(self) -> tuple[tuple[str, ...], ...]:
        return (self.words, *self.aliases)

    @property
    def params(self) -> tuple[Param, ...]:
        if self._params is None:
            self._params = parse_usage(self.usage)
        return self._params

    @property
    def name(self) -> str:
        return " ".join(self.words)

    @property
    def synopsis(self) -> str:
        return f"{self.name} {shown(self.usage)}".strip()

    def __repr__(self) -> str:
        return f"Command({self.name!r})"


def shown(usage: str) -> str:
    """A usage string as users read it: a choice's name is for handlers only
    (`{state:on|off}` is shown `{on|off}`)."""
    parts = usage.split("{")
    for k in range(1, len(parts)):
        name, colon, rest = parts[k].partition(":")
        if colon and name.isidentifier():
            parts[k] = rest
    return "{".join(parts)


class Args:
    """A command's arguments as bound from its line, read by the kind each parameter has:
    `text` a required <arg> or {choice}, `get` an optional one or an option's value, `flag`
    a [word] or a [--flag], `many` a repeated one. Keys are the parameters' names (a
    choice's name before its colon, options without their dashes)."""

    __slots__ = ("values",)

    def __init__(self, values: dict[str, object]) -> None:
        self.values = values

    def text(self, key: str) -> str:
        value = self.values[key]
        if not isinstance(value, str):
            raise TypeError(f"argument {key} is not one value")
        return value

    def get(self, key: str) -> str | None:
        value = self.values.get(key)
        if value is not None and not isinstance(value, str):
            raise TypeError(f"argument {key} is not one value")
        return value

    def flag(self, key: str) -> bool:
        return self.values.get(key) is True

    def many(self, key: str) -> list[str]:
        value = self.values.get(key) or []
        if not isinstance(value, list):
            raise TypeError(f"argument {key} is not repeated")
        return [str(v) for v in value]

    def __repr__(self) -> str:
        return f"Args({self.values!r})"


_USAGE_TOKEN = r"\[[^\]]*\](?:\.\.\.)?|\{[^}]*\}|<[^>]*>(?:\.\.\.)?|\S+"


def parse_usage(usage: str) -> tuple[Param, ...]:
    """`<token> [force] {state:on|off} [--count N] [--premium] [<id>...]` -> parameters."""
    if not usage:
        return ()
    import re

    params: list[Param] = []
    for raw in re.findall(_USAGE_TOKEN, usage):
        many = raw.endswith("...")
        raw = raw.removesuffix("...")
        optional = raw.startswith("[")
        tok = raw[1:-1] if optional else raw
        if tok.endswith("..."):
            many, tok = True, tok.removesuffix("...")
        if tok.startswith("--"):
            name, _, metavar = tok.partition(" ")
            params.append(Param("opt", name, True, many, takes_value=bool(metavar), metavar=metavar))
        elif tok.startswith("<"):
            params.append(Param("arg", tok[1:-1], optional, many))
        elif tok.startswith("{"):
            name, colon, spelled = tok[1:-1].partition(":")
            if not colon:
                raise ValueError(f"choice {tok} has no name (write {{name:{tok[1:-1]}}})")
            params.append(Param("choice", name, optional, choices=tuple(spelled.split("|"))))
        else:
            params.append(Param("word", tok, optional))
    return tuple(params)


class TreeNode:
    __slots__ = ("word", "help", "children", "command")

    def __init__(self, word: str, help: str = "") -> None:
        self.word = word
        self.help = help
        self.children: dict[str, TreeNode] = {}
        self.command: Command | None = None


def build_tree(commands: list[Command], group_help: dict[tuple[str, ...], str]) -> TreeNode:
    root = TreeNode("")
    for cmd in commands:
        for words in cmd.spellings:
            node = root
            for depth, w in enumerate(words):
                key = w.lower()
                child = node.children.get(key)
                if child is None:
                    child = node.children[key] = TreeNode(w, group_help.get(words[: depth + 1], ""))
                node = child
            if node.command is not None:
                raise ValueError(f"duplicate command {' '.join(words)}")
            node.command = cmd
            node.help = cmd.help  # a command that also starts others is described one way: as itself
    return root


def tokenize(line: str) -> tuple[list[str], bool]:
    """Split a command line into words; `"…"` groups a quoted argument.

    Returns the words and whether a quote is still open (the line continues).
    """
    if len(line) > MAX_LINE:
        raise UsageError(f"Input line too long ({len(line)} characters, at most {MAX_LINE}).")
    words: list[str] = []
    cur: list[str] = []
    in_quote = False
    have = False
    for ch in line:
        if in_quote:
            if ch == '"':
                in_quote = False
            else:
                cur.append(ch)
        elif ch == '"':
            in_quote = True
            have = True
        elif ch.isspace():
            if have:
                words.append("".join(cur))
                cur, have = [], False
        else:
            cur.append(ch)
            have = True
    if have:
        words.append("".join(cur))
    return words, in_quote


def _match(node: TreeNode, tok: str) -> list[TreeNode]:
    low = tok.lower()
    if low in node.children:
        return [node.children[low]]
    return [c for w, c in node.children.items() if w.startswith(low)]


def _path(words: list[str]) -> str:
    return " ".join(words)


def _walk(root: TreeNode, tokens: list[str]) -> tuple[TreeNode, list[str], list[TreeNode]]:
    """Follow the keywords while each token names exactly one child. Returns the node
    reached, the keywords matched, and the candidates for the token where the walk
    stopped on a keyword level (none, or two and more: ambiguous)."""
    node: TreeNode = root
    seen: list[str] = []
    for tok in tokens:
        if not node.children:
            break
        found = _match(node, tok)
        if len(found) != 1:
            return node, seen, found
        node = found[0]
        seen.append(node.word)
    return node, seen, []


def _takes_params(node: TreeNode) -> bool:
    return node.command is not None and bool(node.command.params)


def resolve(root: TreeNode, tokens: list[str]) -> tuple[Command, list[str]]:
    """Walk the keyword tree; return the command and the tokens left for its parameters."""
    node, seen, found = _walk(root, tokens)
    i = len(seen)
    if found:
        names = ", ".join(sorted(c.word for c in found))  # display spelling
        raise UsageError(f"Ambiguous command '{_path(seen + [tokens[i]])}': could be {names}.")
    if i < len(tokens) and node.children and not _takes_params(node):
        where = f" after '{_path(seen)}'" if seen else ""
        raise UsageError(
            f"Invalid command: unknown word '{tokens[i]}'{where}. Type '{_path(seen + ['?'])}' for what may follow."
        )
    if node.command is None:
        nxt = ", ".join(c.word for _, c in sorted(node.children.items()))
        raise UsageError(f"Incomplete command '{_path(seen)}'; what may follow: {nxt}.")
    return node.command, tokens[i:]


def bind(cmd: Command, rest: list[str]) -> Args:
    """Bind the tokens after the keywords to the command's parameters."""
    values: dict[str, object] = {}
    opts = {p.name: p for p in cmd.params if p.kind == "opt"}
    positional = [p for p in cmd.params if p.kind != "opt"]
    plain: list[str] = []
    i = 0
    while i < len(rest):
        tok = rest[i]
        if tok.startswith("--") and len(tok) > 2:
            name, eq, val = tok.partition("=")
            matches = [o for o in opts if o == name] or [o for o in opts if o.startswith(name)]
            if len(matches) != 1:
                what = "Ambiguous" if matches else "Unknown"
                raise UsageError(f"{what} option '{name}'. Usage: {cmd.synopsis}")
            p = opts[matches[0]]
            key = p.name[2:].replace("-", "_")
            if p.takes_value:
                if not eq:
                    i += 1
                    if i >= len(rest):
                        raise UsageError(f"Option {p.name} needs a value. Usage: {cmd.synopsis}")
                    val = rest[i]
                if p.many:
                    repeated = values.setdefault(key, [])
                    assert isinstance(repeated, list)
                    repeated.append(val)
                else:
                    values[key] = val
            else:
                if eq:
                    raise UsageError(f"Option {p.name} takes no value. Usage: {cmd.synopsis}")
                values[key] = True
        else:
            plain.append(tok)
        i += 1
    j = 0
    for p in positional:
        key = p.name.replace("-", "_")
        if p.kind == "word":
            if j < len(plain) and p.name.startswith(plain[j].lower()):
                values[key] = True
                j += 1
            else:
                values[key] = False
            continue
        if j >= len(plain):
            if not p.optional:
                raise UsageError(f"Missing <{p.name}>. Usage: {cmd.synopsis}")
            values[key] = [] if p.many else None
            continue
        if p.kind == "choice":
            low = plain[j].lower()
            found = [c for c in p.choices if c == low] or [c for c in p.choices if c.startswith(low)]
            if len(found) != 1:
                raise UsageError(f"Invalid value '{plain[j]}': expected one of {', '.join(p.choices)}.")
            values[key] = found[0]
            j += 1
        elif p.many:
            values[key] = plain[j:]
            j = len(plain)
        else:
            values[key] = plain[j]
            j += 1
    if j < len(plain):
        raise UsageError(f"Unexpected argument '{plain[j]}'. Usage: {cmd.synopsis}")
    return Args(values)


def parse(root: TreeNode, tokens: list[str]) -> tuple[Command, Args]:
    cmd, rest = resolve(root, tokens)
    return cmd, bind(cmd, rest)


CR = "<cr>"


def suggest(root: TreeNode, words: list[str], partial: str) -> list[tuple[str, str]]:
    """What may come next after the complete `words`, starting with `partial`.

    Pure: the shell's `?`, its TAB completer and one-shot `?` all call this. Returns
    (word, one-line help) rows; `<name>` rows stand for free arguments and `<cr>`
    means the command may be run as it is.
    """
    node, seen, _ = _walk(root, words)
    i = len(seen)
    if i < len(words) and node.children and not _takes_params(node):
        return []
    rows: list[tuple[str, str]] = []
    low = partial.lower()
    if i == len(words):
        for key, child in sorted(node.children.items()):
            if key.startswith(low):
                rows.append((child.word, child.help))
    cmd = node.command
    if cmd is None:
        return rows
    rest = words[i:]
    if any(t.startswith("--") for t in rest[-1:]):
        opt = next((p for p in cmd.params if p.kind == "opt" and p.name == rest[-1]), None)
        if opt is not None and opt.takes_value:
            return [(f"<{opt.metavar or 'value'}>", f"value for {opt.name}")]
    plain = [t for k, t in enumerate(rest) if not t.startswith("--") and not (k > 0 and _takes_value(cmd, rest[k - 1]))]
    positional = [p for p in cmd.params if p.kind != "opt"]
    j = 0
    for p in positional:
        if p.kind == "word":
            if j < len(plain) and p.name.startswith(plain[j].lower()):
                j += 1
                continue
            if p.name.startswith(low):
                rows.append((p.name, f"optional keyword of '{cmd.name}'"))
            continue
        if j < len(plain):
            if p.many:
                j = len(plain)
                if not low.startswith("-"):
                    rows.append((f"<{p.name}>", "another value"))
            else:
                j += 1
            continue
        if p.kind == "choice":
            rows.extend((c, "") for c in p.choices if c.startswith(low))
        elif not low.startswith("-"):
            rows.append((f"<{p.name}>", cmd.help if not rows else ""))
        if not p.optional:
            break
    else:
        if j >= len(plain):
            for p in cmd.params:
                if p.kind == "opt" and p.name.startswith(low or "--") and (p.many or p.name not in rest):
                    rows.append((p.name + (f" {p.metavar}" if p.takes_value else ""), ""))
            if not low:
                rows.append((CR, f"run '{cmd.name}'"))
    return rows


def _takes_value(cmd: Command, tok: str) -> bool:
    return any(p.kind == "opt" and p.name == tok and p.takes_value for p in cmd.params)


def split_for_completion(line: str) -> tuple[list[str], str]:
    """Split what has been typed so far into the complete words and the partial last one."""
    words, open_quote = tokenize(line)
    if open_quote:
        return words[:-1], ""
    if words and not line[-1:].isspace():
        return words[:-1], words[-1]
    return words, ""
