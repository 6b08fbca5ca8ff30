"""Versioned JSON files written atomically, and the lab lock.

Every file carries `{"schema": N}`. A newer schema or an unreadable file is refused
with StoreError and left untouched for inspection; nothing is ever silently reset.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

from ccxcli.errors import StoreError

SCHEMA = 1
LOCK_TIMEOUT = 15.0


def load_json(path: Path, kind: str) -> dict[str, Any]:
    """Load a versioned JSON document; raise StoreError if it is corrupt or too new."""
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise StoreError(f"Cannot read {kind} file {path}: {e.strerror}.") from None
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
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


def write_atomic(path: Path, data: bytes) -> None:
    """Never publish a partial file: write a temp file beside the target, fsync, rename."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            tmp.unlink()
        except OSError:
            pass
        raise
    try:
        dfd = os.open(path.parent, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dfd)
    except OSError:
        pass
    finally:
        os.close(dfd)


def save_json(path: Path, data: dict[str, Any]) -> None:
    data["schema"] = SCHEMA
    try:
        write_atomic(path, json.dumps(data, separators=(",", ":"), sort_keys=True).encode())
    except OSError as e:
        raise StoreError(f"Cannot write {path}: {e.strerror}.") from None


class Lock:
    """An exclusive advisory lock on a file (flock). The kernel drops it when the holder
    dies, so a killed process never leaves a stale lock behind."""

    def __init__(self, path: Path, timeout: float = LOCK_TIMEOUT) -> None:
        self.path = path
        self.timeout = timeout
        self.fd: int | None = None

    def __enter__(self) -> Lock:
        import fcntl

        try:
            self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as e:
            raise StoreError(f"Cannot open lock file {self.path}: {e.strerror}.") from None
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return self
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    os.close(self.fd)
                    self.fd = None
                    raise StoreError(
                        f"The lab is busy: lock {self.path} not obtained within {self.timeout:.0f} s."
                    ) from None
                time.sleep(0.005)

    def __exit__(self, *exc: object) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None
