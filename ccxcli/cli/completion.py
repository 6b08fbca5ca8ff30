"""Shell completion scripts for `ccx`, generated from the command table (the files in
`completions/` are these outputs; a test fails when they are stale)."""

from __future__ import annotations

from ccxcli.cli import commands
from ccxcli.cli.grammar import TreeNode

SHELLS = ("bash", "zsh", "fish")
HOST = ["shell", "run", "completion"]
GLOBAL = ["--home", "--node", "--json", "--yes", "--help", "--version"]


def _paths() -> dict[str, list[str]]:
    """Each keyword path (space-joined) -> the words that may follow it."""
    out: dict[str, list[str]] = {}

    def walk(node: TreeNode, path: list[str]) -> None:
        nxt = [c.word for _, c in sorted(node.children.items())]
        if node.command is not None:
            for p in node.command.params:
                if p.kind == "choice":
                    nxt += list(p.choices)
                elif p.kind in ("word", "opt"):
                    nxt.append(p.name)
        if nxt:
            out[" ".join(path)] = nxt
        for _, child in sorted(node.children.items()):
            walk(child, path + [child.word])

    walk(commands.tree(), [])
    out[""] = out.get("", []) + HOST + GLOBAL
    return out


def script(shell: str) -> str:
    paths = _paths()
    if shell == "fish":
        lines = [
            "# fish completion for ccx (generated from the ccxcli command table; do not edit)",
            "function __ccx_path",
            "    set -l words (commandline -opc)",
            "    set -e words[1]",
            "    set -l out",
            "    set -l skip 0",
            "    for w in $words",
            "        if test $skip = 1; set skip 0; continue; end",
            "        switch $w",
            "            case --home --node; set skip 1",
            "            case '-*'",
            "            case '*'; set out $out $w",
            "        end",
            "    end",
            "    echo (string join ' ' $out)",
            "end",
            "complete -c ccx -f",
        ]
        for path, words in sorted(paths.items()):
            lines.append(f"complete -c ccx -n 'test \"(__ccx_path)\" = \"{path}\"' -a '{' '.join(words)}'")
        return "\n".join(lines) + "\n"
    body = ['    case "$path" in']
    for path, words in sorted(paths.items()):
        body.append(f'        "{path}") words="{" ".join(words)}" ;;')
    body.append('        *) words="" ;;')
    body.append("    esac")
    func = "\n".join(
        [
            "_ccx() {",
            '    local cur="${COMP_WORDS[COMP_CWORD]}" path="" words i w',
            "    for ((i = 1; i < COMP_CWORD; i++)); do",
            '        w="${COMP_WORDS[i]}"',
            '        case "$w" in',
            "            --home|--node) ((i++)) ;;",
            "            -*) ;;",
            '            *) path="${path:+$path }$w" ;;',
            "        esac",
            "    done",
            *body,
            '    COMPREPLY=($(compgen -W "$words" -- "$cur"))',
            "}",
        ]
    )
    if shell == "bash":
        return (
            "# bash completion for ccx (generated from the ccxcli command table; do not edit)\n"
            f"{func}\ncomplete -F _ccx ccx\n"
        )
    return (
        "#compdef ccx\n# zsh completion for ccx (generated from the ccxcli command table; do not edit)\n"
        "autoload -U +X bashcompinit && bashcompinit\n"
        f"{func}\ncomplete -F _ccx ccx\n"
    )


BEGIN, END = "<!-- BEGIN COMMANDS (python -m ccxcli.cli.completion) -->", "<!-- END COMMANDS -->"


def reference() -> str:
    """The command reference of the documentation (docs/reference/ccx.md): every command's synopsis, help and
    other spellings, in table order."""
    body = "\n".join(
        f"{c.synopsis}\n    {c.help}" + "".join(f"\n    also: {' '.join(w)}" for w in c.aliases)
        for c in commands.COMMANDS
    )
    return f"{BEGIN}\n```text\n{body}\n```\n{END}"


def write_all(folder: str = "completions", readme: str = "docs/reference/ccx.md") -> None:
    from pathlib import Path

    for shell in SHELLS:
        (Path(folder) / f"ccx.{shell}").write_text(script(shell), encoding="utf-8")
    path = Path(readme)
    text = path.read_text(encoding="utf-8")
    start, end = text.index(BEGIN), text.index(END) + len(END)
    path.write_text(text[:start] + reference() + text[end:], encoding="utf-8")


if __name__ == "__main__":
    write_all()
