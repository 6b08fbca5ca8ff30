"""`python -m ccxcli.ssm.cli.reference`: the `ccx-ssm` command reference of the documentation
(docs/reference/ccx-ssm.md, between its markers), written from the command declarations;
a test fails when the page and the declarations differ."""

from __future__ import annotations

from pathlib import Path

from ccxcli.ssm.cli.app import PROG
from ccxcli.ssm.cli.main import fill_aliases  # importing it registers every command

BEGIN = "<!-- BEGIN COMMANDS (python -m ccxcli.ssm.cli.reference) -->"
END = "<!-- END COMMANDS -->"


def reference() -> str:
    PROG.fill = fill_aliases
    return f"{BEGIN}\n{PROG.reference()}\n{END}"


def write(page: str = "docs/reference/ccx-ssm.md") -> None:
    path = Path(page)
    text = path.read_text(encoding="utf-8")
    if BEGIN in text:
        start, end = text.index(BEGIN), text.index(END) + len(END)
        text = text[:start] + reference() + text[end:]
    else:
        text = text.rstrip("\n") + "\n\n## Every command\n\n" + reference() + "\n"
    path.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    write()
