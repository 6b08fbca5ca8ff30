"""One error hierarchy, one set of exit statuses (SPEC §7), and the one boundary that
turns any exception into a one-line message and its exit status.

Both programs (`ccx`, `ccx-ssm`), the shell, script mode and the host commands report
through `report`; nothing else maps exceptions to exit codes.
"""

from __future__ import annotations

import sys

from ccxcli.runtime import tunables

TYPE_CHECKING = False  # `typing` is not imported at run time: it costs a one-shot command start-up
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import TextIO


class Exit:
    """The exit statuses (SPEC §7). A plain class of int constants rather than an
    `enum.IntEnum`: the `enum` module is not imported on the one-shot start-up path."""

    OK = 0
    RULE = 1  # refused by a licensing rule
    USAGE = 2  # unknown/ambiguous/incomplete command, bad argument, confirmation needed
    STORE = 3  # state store: corrupt, unreadable, busy, read-only, full
    COMM = 4  # communication with the SSM failed
    SOFTWARE = 70  # a bug (never expected): one line, CCX_DEBUG=1 shows the traceback
    INTERRUPTED = 130


EXIT_HELP = (
    "Exit codes: 0 done; 1 refused by a licensing rule; 2 usage (unknown command, bad argument, answer 'n');\n"
    "  3 state store (corrupt, busy, read-only, disk full); 4 communication with the SSM failed; 130 interrupted."
)

# Kept for the modules and tests that name them directly.
OK, RULE, USAGE, STORE, COMM, INTERRUPTED = Exit.OK, Exit.RULE, Exit.USAGE, Exit.STORE, Exit.COMM, Exit.INTERRUPTED

MAX_MESSAGE = 600


def printable(text: str) -> str:
    """Text from a state file, the SSM or the user, made safe for a terminal: control
    characters (newlines, ESC, …) are shown escaped instead of acting on the screen."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def printable_lines(text: str) -> str:
    """`printable` line by line: the line breaks of the output stay, nothing else acts."""
    if text.isprintable():
        return text
    return "\n".join(printable(line) for line in text.split("\n"))


def one_line(message: str) -> str:
    """A message fit for one terminal line: user text echoed in it may hold control
    characters or be huge, so escape the former and cut the latter."""
    text = printable(message)
    return text if len(text) <= MAX_MESSAGE else text[: MAX_MESSAGE - 1] + "…"


class CcxError(Exception):
    """A refusal shown to the user as one or two plain sentences."""

    exit_code = Exit.RULE

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class RuleError(CcxError):
    """Refused by a licensing rule (wrong state, bad code, License Control, Enforcement)."""

    exit_code = Exit.RULE


class InstanceGone(RuleError):
    """The SSM no longer knows the product instance (it was removed there)."""


class UsageError(CcxError):
    """Unknown, ambiguous or incomplete command, bad argument, confirmation needed."""

    exit_code = Exit.USAGE


class Cancelled(UsageError):
    """The user answered no (or nothing) at `Continue (y/n)?`; nothing was changed."""


class StoreError(CcxError):
    """Corrupt or unreadable state, newer schema, lock not obtained, disk full or read-only."""

    exit_code = Exit.STORE


class CommError(CcxError):
    """Communication with the SSM failed."""

    exit_code = Exit.COMM


_ERRNO_TEXT = {
    "ENOSPC": "the disk is full",
    "EDQUOT": "the disk quota is exceeded",
    "EROFS": "the file system is read-only",
    "EACCES": "permission denied",
    "EPERM": "operation not permitted",
    "ELOOP": "a symbolic link was found where a file was expected (refused)",
}


def os_problem(e: OSError, what: str = "") -> StoreError:
    """An operating-system error while reading or writing the lab, as one StoreError."""
    import errno

    name = errno.errorcode.get(e.errno or 0, "")
    reason = _ERRNO_TEXT.get(name) or (e.strerror or str(e))
    where = f" {e.filename}" if getattr(e, "filename", None) else ""
    return StoreError(f"Cannot {what or 'access the lab'}{where}: {reason}.")


def sqlite_problem(e: Exception) -> StoreError:
    """An SQLite error, told apart: busy/locked, read-only, full, corrupt."""
    text = str(e).lower()
    if "locked" in text or "busy" in text:
        return StoreError("The SSM database is busy (locked by another process); try again.")
    if "readonly" in text or "read-only" in text:
        return StoreError("The SSM database cannot be written: the file or its folder is read-only.")
    if "full" in text:
        return StoreError("The SSM database cannot be written: the disk is full.")
    if "disk i/o" in text:
        return StoreError("The SSM database cannot be read or written: disk I/O error.")
    if "not a database" in text or "malformed" in text or "no such table" in text or "no such column" in text:
        return StoreError("The SSM database is corrupt or not an SSM database; it was left untouched.")
    return StoreError(f"The SSM database failed: {e}.")


def classify(e: BaseException) -> CcxError | None:
    """The refusal an exception stands for, or None for a bug. Duck-typed so that neither
    sqlite3 nor typer is imported here."""
    if isinstance(e, CcxError):
        return e
    sqlite3 = sys.modules.get("sqlite3")
    if sqlite3 is not None and isinstance(e, sqlite3.Error):
        if isinstance(e, sqlite3.IntegrityError | sqlite3.ProgrammingError | sqlite3.InterfaceError):
            return None  # input is bounded before it reaches the database: this is a bug
        return sqlite_problem(e)
    if isinstance(e, OSError):
        return os_problem(e)
    if isinstance(e, RecursionError | MemoryError):
        return StoreError("The input is too large or too deeply nested to process.")
    if hasattr(e, "format_message") and hasattr(e, "exit_code"):  # typer's (click's) usage errors
        message = e.format_message()
        return UsageError(f"Usage error: {message} (see '{{program}} --help')" if message else "")
    return None


KINDS = {
    Exit.RULE: "rule",
    Exit.USAGE: "usage",
    Exit.STORE: "store",
    Exit.COMM: "comm",
    Exit.SOFTWARE: "internal",
    Exit.INTERRUPTED: "interrupted",
}


# A refusal of the SSM core names an action, and each surface says how it is done there: the
# message holds `{update}`, `{return_code}` or `{force}`, filled with these words for ccx-ssm
# (the default) and with its own by the portal and Cisco's API (`ssm/web/site.py`).
CLI_WORDS = {
    "update": "'ccx-ssm reservation update'",
    "return_code": "its Reservation Return Code (--return-code)",
    "force": "--force",
}


def worded(message: str, words: Mapping[str, str] | None = None) -> str:
    """`message` with its action placeholders in the words of where it is shown."""
    for key, text in (CLI_WORDS if words is None else words).items():
        message = message.replace("{" + key + "}", text)
    return message


def error_document(code: int, message: str) -> str:
    """A failure as `--json` prints it on stdout, for both programs: one object, so a script
    reads one channel (the one-line message is on stderr too)."""
    import json

    doc = {"error": {"kind": KINDS.get(code, "error"), "message": message, "exit_status": code}}
    return json.dumps(doc, indent=2, sort_keys=True) + "\n"


def describe(e: BaseException, program: str = "ccx", err: TextIO | None = None) -> tuple[int, str]:
    """The exit status of `e` and its one-line message ("" when there is nothing to say:
    an incomplete ccx-ssm command has just shown its help). A bug is one `Internal error`
    line; with CCX_DEBUG=1 in the program's Env its traceback is written on `err` first."""
    if isinstance(e, KeyboardInterrupt):
        return Exit.INTERRUPTED, "Interrupted."
    refusal = classify(e)
    if refusal is None:
        if err is not None and tunables().debug:
            import traceback

            traceback.print_exception(e, file=err)
        return Exit.SOFTWARE, one_line(f"Internal error ({type(e).__name__}: {e}); set CCX_DEBUG=1 for details.")
    return refusal.exit_code, one_line(worded(refusal.message.replace("{program}", program))) if refusal.message else ""


def report(
    e: BaseException, err: TextIO, program: str = "ccx", prefix: str = "", json_out: TextIO | None = None
) -> int:
    """The one boundary: write the one-line message for `e` on `err`, return its exit status.
    A bug prints one `Internal error` line (after its traceback, with CCX_DEBUG=1). With
    `json_out` (the command asked for --json) the failure is also one JSON document there."""
    code, message = describe(e, program, err)
    if message:
        err.write(prefix + message + "\n")
        err.flush()
    if json_out is not None and message:
        json_out.write(error_document(code, message))
        json_out.flush()
    return code
