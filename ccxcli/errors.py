"""One error hierarchy; each error carries its exit code (SPEC §7)."""

from __future__ import annotations

OK = 0
RULE = 1
USAGE = 2
STORE = 3
COMM = 4
INTERRUPTED = 130


MAX_MESSAGE = 600


def one_line(message: str) -> str:
    """A message fit for one terminal line: user text echoed in it may hold control
    characters or be huge, so escape the former and cut the latter."""
    text = "".join(c if c.isprintable() else repr(c)[1:-1] for c in message)
    return text if len(text) <= MAX_MESSAGE else text[: MAX_MESSAGE - 1] + "…"


class CcxError(Exception):
    """A refusal shown to the user as one or two plain sentences."""

    exit_code = RULE

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class RuleError(CcxError):
    """Refused by a licensing rule (wrong state, bad code, License Control, Enforcement)."""

    exit_code = RULE


class InstanceGone(RuleError):
    """The SSM no longer knows the product instance (it was removed there)."""


class UsageError(CcxError):
    """Unknown, ambiguous or incomplete command, bad argument, confirmation needed."""

    exit_code = USAGE


class StoreError(CcxError):
    """Corrupt or unreadable state, newer schema, lock not obtained."""

    exit_code = STORE


class CommError(CcxError):
    """Communication with the SSM failed."""

    exit_code = COMM
