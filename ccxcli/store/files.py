"""Versioned JSON files written atomically, private folders and files, and the lab lock.

Every file carries `{"schema": N}`. A newer schema or an unreadable file is refused
with StoreError and left untouched for inspection; nothing is ever silently reset.

Paths are `str` or `os.PathLike`; this module uses `os.path` only (`pathlib` imports `re`,
`urllib` and more, a visible part of a one-shot command's start-up).

Everything ccxcli writes is private to its user (folders 0700, files 0600: node states
hold proxy passwords and reservation secrets, SSM databases hold tokens) and no write
follows a symbolic link planted in the lab (O_NOFOLLOW, exclusive creation of temp files).
"""

from __future__ import annotations

import os
import time

from ccxcli.errors import StoreError, os_problem
from ccxcli.faults import kill_point
from ccxcli.runtime import tunables

TYPE_CHECKING = False  # `typing` and `pathlib` are not imported at run time: start-up cost
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

    Path = str | os.PathLike[str]

SCHEMA = 1
MAX_STATE = 32 * 1024 * 1024  # a node state is well under 1 MB; anything far larger is not one
NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
CLOEXEC = getattr(os, "O_CLOEXEC", 0)


def private_dir(path: Path) -> None:
    """Create a folder (and its parents) readable by its user only; tighten an existing
    one of ours that is wider (homes made by earlier versions were 0755)."""
    path = os.fspath(path)
    try:
        missing = []
        p = path
        while not os.path.exists(p) and p != os.path.dirname(p):
            missing.append(p)
            p = os.path.dirname(p)
        for folder in reversed(missing):  # every folder made here is private, not only the last
            try:
                os.mkdir(folder, 0o700)
            except FileExistsError:
                pass
        st = os.lstat(path)
    except OSError as e:
        raise os_problem(e, "create the folder") from None
    if not os.path.isdir(path):
        raise StoreError(f"{path} is not a folder.")
    if st.st_uid == os.getuid() and st.st_mode & 0o077:
        try:
            os.chmod(path, st.st_mode & 0o700)
        except OSError:
            pass


def read_bounded(path: Path, kind: str, limit: int = MAX_STATE) -> bytes:
    """A file's bytes, refusing it unread when it is larger than `limit`."""
    try:
        fd = os.open(path, os.O_RDONLY | CLOEXEC)
    except OSError as e:
        raise os_problem(e, f"read the {kind} file") from None
    try:
        with os.fdopen(fd, "rb") as f:
            data = f.read(limit + 1)
    except OSError as e:
        raise os_problem(e, f"read the {kind} file") from None
    if len(data) > limit:
        raise StoreError(f"The {kind} file {path} is too large to be one (over {limit // 1048576} MB); left untouched.")
    return data


def load_json(path: Path, kind: str) -> dict[str, Any]:
    """Load a versioned JSON document; raise StoreError if it is corrupt or too new."""
    return _parse(path, kind, read_bounded(path, kind))


def _parse(path: Path, kind: str, raw: bytes) -> dict[str, Any]:
    import json

    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise StoreError(
            f"The {kind} file {path} is corrupt (not valid JSON); it was left untouched for inspection."
        ) from None
    if not isinstance(data, dict) or not isinstance(data.get("schema"), int):
        raise StoreError(
            f"The {kind} file {path} is corrupt (no schema version); it was left untouched for inspection."
        )
    if data["schema"] > SCHEMA:
        raise StoreError(
            f"The {kind} file {path} has schema {data['schema']}, newer than this ccxcli understands "
            f"({SCHEMA}); upgrade ccxcli."
        )
    return data


def create_private(path: Path, data: bytes = b"") -> None:
    """Create a new private file exclusively (it must not exist, not even as a link)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | NOFOLLOW | CLOEXEC, 0o600)
    try:
        if data:
            os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomic(path: Path, data: bytes) -> None:
    """Never publish a partial file: write a new private temp file beside the target
    (created exclusively, under an unpredictable name), fsync, rename over the target."""
    import secrets

    path = os.fspath(path)
    folder, name = os.path.split(path)
    tmp = os.path.join(folder, f".{name}.{secrets.token_hex(6)}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | NOFOLLOW | CLOEXEC, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        kill_point("store-before-replace")
        os.replace(tmp, path)  # rename replaces a planted link itself, never its target
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    sync_dir(folder or ".")
    kill_point("store-after-replace")


def sync_dir(folder: Path) -> None:
    try:
        dfd = os.open(folder, os.O_RDONLY | CLOEXEC)
    except OSError:
        return
    try:
        os.fsync(dfd)
    except OSError:
        pass
    finally:
        os.close(dfd)


def save_json(path: Path, data: Mapping[str, object]) -> None:
    """Write a versioned JSON document atomically (with this version's schema number)."""
    import json

    raw = json.dumps({**data, "schema": SCHEMA}, separators=(",", ":"), sort_keys=True).encode()
    try:
        write_atomic(path, raw)
    except OSError as e:
        raise os_problem(e, "write") from None


def open_private_append(path: Path) -> int:
    """A private file opened for appending, refusing a symbolic link in its place."""
    return os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | NOFOLLOW | CLOEXEC, 0o600)


def lock_timeout() -> float:
    """How long to wait for the lab lock or a busy SSM database (the program's `Settings`)."""
    return tunables().lock_timeout


class Lock:
    """An exclusive advisory lock on a file (flock). The kernel drops it when the holder
    dies, so a killed process never leaves a stale lock behind. Threads of one process
    (the sessions `ccx serve` runs in its own process) first queue on a lock of the
    process, so that they wait asleep instead of polling the file lock."""

    def __init__(self, path: Path, timeout: float | None = None) -> None:
        self.path = path
        self.timeout = lock_timeout() if timeout is None else timeout
        self.fd: int | None = None
        self.local: Any = None

    def __enter__(self) -> Lock:
        import fcntl

        deadline = time.monotonic() + self.timeout
        local = _local_lock(self.path)
        if not local.acquire(timeout=self.timeout):
            raise self._busy()
        self.local = local
        try:
            self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT | NOFOLLOW | CLOEXEC, 0o600)
        except OSError as e:
            self._let_go()
            raise os_problem(e, "open the lab lock") from None
        while True:
            try:
                fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return self
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    self._let_go()
                    raise self._busy() from None
                time.sleep(0.005)

    def _busy(self) -> StoreError:
        return StoreError(f"The lab is busy: lock {self.path} not obtained within {self.timeout:g} s.")

    def _let_go(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None
        if self.local is not None:
            self.local.release()
            self.local = None

    def __exit__(self, *exc: object) -> None:
        self._let_go()


_LOCAL: dict[str, Any] = {}


def _local_lock(path: Path) -> Any:
    """The process's own lock for a lock file (a lock of `_thread`, what threading.Lock is,
    without threading's import on a one-shot command's start-up; made once per path)."""
    import _thread

    key = str(path)
    lock = _LOCAL.get(key)
    if lock is None:
        lock = _LOCAL.setdefault(key, _thread.allocate_lock())  # atomic: two threads get the same one
    return lock
