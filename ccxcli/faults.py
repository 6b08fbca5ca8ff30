"""Test seam: named points where a test makes the process die as SIGKILL would, to prove
that node and SSM agree whatever the moment of a crash (`tests/test_agreement.py`).

Set `CCX_TEST_KILL_AT=<point>` in a child process's environment; unset, each point costs
one dictionary lookup."""

from __future__ import annotations

import os


def kill_point(name: str) -> None:
    if os.environ.get("CCX_TEST_KILL_AT") == name:
        import signal

        os.kill(os.getpid(), signal.SIGKILL)
