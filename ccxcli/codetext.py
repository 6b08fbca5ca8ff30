"""Reading a code given on the command line: inline, `-` (stdin) or `@FILE`. One place,
bounded, for both `ccx` and `ccx-ssm`."""

from __future__ import annotations

import sys
from pathlib import Path

from ccxcli.errors import RuleError, UsageError

MAX_CODE = 64 * 1024  # an Authorization Code is about 1 kB per license line


def read_file(path: str) -> str:
    try:
        with open(Path(path).expanduser(), encoding="utf-8") as f:
            text = f.read(MAX_CODE + 1)
    except (OSError, UnicodeDecodeError) as e:
        raise UsageError(f"Cannot read {path}: {getattr(e, 'strerror', None) or 'not a text file'}.") from None
    if len(text) > MAX_CODE:
        raise RuleError(f"{path} is too large to be a code (at most {MAX_CODE} characters).")
    return text


def read_code(text: str) -> str:
    """The code itself, or what `-` (stdin) or `@FILE` holds."""
    if text == "-":
        data = sys.stdin.read(MAX_CODE + 1)
        if len(data) > MAX_CODE:
            raise RuleError(f"The code on standard input is too large (at most {MAX_CODE} characters).")
        return data
    if text.startswith("@"):
        return read_file(text[1:])
    return text
