"""One error hierarchy; each error carries its exit code (SPEC §7)."""

from __future__ import annotations

OK = 0
RULE = 1
USAGE = 2
STORE = 3
COMM = 4
INTERRUPTED = 130


class CcxError(Exception):
    """A refusal shown to the user as one or two plain sentences."""

    exit_code = RULE

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class RuleError(CcxError):
    """Refused by a licensing rule (wrong state, bad code, License Control, Enforcement)."""

    exit_code = RULE


class UsageError(CcxError):
    """Unknown, ambiguous or incomplete command, bad argument, confirmation needed."""

    exit_code = USAGE


class StoreError(CcxError):
    """Corrupt or unreadable state, newer schema, lock not obtained."""

    exit_code = STORE


class CommError(CcxError):
    """Communication with the SSM failed."""

    exit_code = COMM
