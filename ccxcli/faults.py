"""Test seam: named points where a test makes the process die as SIGKILL would, or stop
there until something else ends it, to prove that node and SSM agree whatever the moment of a
crash or a hang-up (`tests/test_trust.py`, `test_model.py`, `test_hardening.py`, `test_serve_bounds.py`).

- `CCX_TEST_KILL_AT=<point>`: the process kills itself (SIGKILL) at that point;
  `<point>@N` at its Nth hit in the process (1: the first), so a test can kill a server at
  every hit of a point in turn, not only the first.
- `CCX_TEST_PAUSE_AT=<point>`: the process writes `[paused at <point>]` on stderr and waits
  there for ever, so a test can hang up on it (or kill it) at exactly that point.

Unset, each point costs two dictionary lookups. Points: `store-before-replace` and
`store-after-replace` (every atomic file write), `ssm-before-commit` and `ssm-after-commit`
(every SSM transaction, or batch of them), `ssm-committed` (a change durable; in a served
SSM's batch, once for each message after the batch's commit), `exchange-recorded`,
`exchange-answered`, `adopted` (a scenario loaded into one node: its SSM side committed, its
node not yet placed), `key-rolled` (`ccx-ssm key roll`, between its two files)."""

from __future__ import annotations

import os

from ccxcli.runtime import tunables

_HITS: dict[str, int] = {}  # hits of each point in this process (for `point@N`)


def kill_point(name: str) -> None:
    seams = tunables()  # the program's Env, never the process's: a server's sessions have their own
    if seams.kill_at and seams.kill_at.split("@")[0] == name:
        _, _, nth = seams.kill_at.partition("@")
        _HITS[name] = hits = _HITS.get(name, 0) + 1
        if not nth or (nth.isdigit() and hits == int(nth)):
            import signal

            os.kill(os.getpid(), signal.SIGKILL)
    if seams.pause_at == name:
        import time

        os.write(2, f"[paused at {name}]\n".encode())
        while True:
            time.sleep(3600)
