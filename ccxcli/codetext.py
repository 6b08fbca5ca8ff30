"""Reading a code given on the command line: inline, `-` (stdin) or `@FILE`. One place,
bounded before anything is parsed, for both `ccx` and `ccx-ssm`."""

from __future__ import annotations

from ccxcli.errors import RuleError, UsageError
from ccxcli.values import MAX_CODE

TYPE_CHECKING = False  # `typing` is not imported at run time: it costs a one-shot command start-up
if TYPE_CHECKING:
    from typing import TextIO


def read_file(path: str, limit: int = MAX_CODE, what: str = "a code", *, root: str | None) -> str:
    """A text file of at most `limit` characters (refused unread beyond that). `root`: the
    folder files must be in (the upload folder, for a command an SSH session runs), or None
    for anywhere; every caller says which."""
    from ccxcli.uploads import confine

    try:
        with open(confine(path, root), encoding="utf-8") as f:
            text = f.read(limit + 1)
    except (OSError, UnicodeDecodeError, ValueError) as e:
        raise UsageError(f"Cannot read {path}: {getattr(e, 'strerror', None) or 'not a text file'}.") from None
    if len(text) > limit:
        raise RuleError(f"{path} is too large to be {what} (at most {limit} characters).")
    return text


def read_code(text: str, inp: TextIO, *, root: str | None) -> str:
    """The code itself, or what `-` (standard input) or `@FILE` holds (`root` as for `read_file`)."""
    if text == "-":
        data = inp.read(MAX_CODE + 1)
        if len(data) > MAX_CODE:
            raise RuleError(f"The code on standard input is too large (at most {MAX_CODE} characters).")
        return data
    if text.startswith("@"):
        return read_file(text[1:], root=root)
    return text


def read_password(path: str, *, root: str | None) -> str:
    """The first line of a password file (a password never goes on a command line)."""
    lines = read_file(path, 4096, "a password file", root=root).splitlines()
    if not lines or not lines[0].strip():
        raise UsageError(f"The password file {path} is empty.")
    return lines[0].strip()
