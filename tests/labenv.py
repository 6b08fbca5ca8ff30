"""The environment of the `ccx`/`ccx-ssm` programs the tests run: set here, explicitly, never
inherited from the runner (a `TERM=dumb` or a CCX_* variable of the machine running pytest must
not change what a test sees)."""

from __future__ import annotations

import os
from pathlib import Path

# Only what finds programs and a home for the clients' own files, and the time zone (itself under
# test: `.ci/run` runs the suite in a zone far from UTC, and nothing may depend on it).
PASSED = ("PATH", "HOME", "TZ")
# Every test lab starts at this lab time, whatever the time of day the suite runs at (a move of
# 8 h 15 min from it never crosses midnight); a test that needs another sets CCX_LAB_START itself.
LAB_START = "2026-03-02T09:07:30Z"  # not on an interval boundary, as a wall-clock start almost never is


def clean_env(**extra: str) -> dict[str, str]:
    """An explicit environment: the few host variables in `PASSED`, a UTF-8 locale, the fixed
    start of a new lab's clock, then `extra`."""
    env = {k: os.environ[k] for k in PASSED if k in os.environ}
    return {**env, "LANG": "C.UTF-8", "CCX_LAB_START": LAB_START, **extra}


def child_env(home: Path, **extra: str) -> dict[str, str]:
    """The environment of a `ccx`/`ccx-ssm` child process on lab `home`."""
    return clean_env(CCX_HOME=str(home), **extra)


def ssm_state(folder: Path) -> str:
    """What an SSM database holds, as SQL: wherever SQLite keeps it (its write-ahead log
    included), to prove that a refusal changed nothing."""
    import sqlite3

    conn = sqlite3.connect(f"file:{folder / 'ssm.db'}?mode=ro", uri=True)
    try:
        return "\n".join(conn.iterdump())
    finally:
        conn.close()


def ssm_bytes(folder: Path) -> bytes:
    """Every byte an SSM database keeps on disk (its write-ahead log included), to prove a
    secret is not stored."""
    return b"".join(p.read_bytes() for p in (folder / "ssm.db", folder / "ssm.db-wal") if p.exists())
