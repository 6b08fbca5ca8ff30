"""A served SSM's node messages in batches (issue 36): the messages that arrive together are
applied one after the other on the event loop, each all or nothing, and made durable by one
commit before any is answered; a refused one changes nothing and the others stand; a database
held by another writer sends them, one by one, to a worker thread that waits."""

from __future__ import annotations

import asyncio
import json
import secrets
import sqlite3
import threading
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

import pytest

from ccxcli.errors import InstanceGone, RuleError
from ccxcli.ssm.core.db import SsmDb
from ccxcli.ssm.core.device import handle
from ccxcli.ssm.core.smart import token_create
from ccxcli.ssm.core.txn import Busy
from ccxcli.ssm.web.gateway import MAX_BATCH, Gateway
from ccxcli.ssm.web.site import Site
from ccxcli.urls import GATEWAY_PATH

NOW = 1_772_442_450  # 2026-03-02T09:07:30Z, the tests' lab start


def _farm(tmp_path: Path, nodes: int) -> tuple[Path, list[str]]:
    """An SSM with `nodes` registered product instances; their UUIDs."""
    folder = tmp_path / "farm"
    ssm = SsmDb.create(folder, "Demo Smart Account", NOW, demo=True)
    token = token_create(ssm, None, NOW)
    uuids = []
    for _ in range(nodes):
        uuid = secrets.token_hex(16)
        hello = {"uuid": uuid, "sn": uuid[-5:], "license_type": "flex", "hostname": f"n{len(uuids)}"}
        handle(ssm, "register", {"token": token, "hello": hello, "now": NOW, "force": False, "msg_id": uuid})
        uuids.append(uuid)
    ssm.close()
    return folder, uuids


def _report(uuid: str, n: int, k: int = 0) -> dict[str, object]:
    return {"uuid": uuid, "use": {"flex-standard": n}, "now": NOW + 60 * (k + 1), "msg_id": f"r{k}"}


def _usage(folder: Path) -> dict[str, dict[str, int]]:
    with closing(sqlite3.connect(folder / "ssm.db")) as db:
        return {u: json.loads(t) for u, t in db.execute("SELECT uuid, usage FROM instance")}


def _purchased(folder: Path) -> int:
    with closing(sqlite3.connect(folder / "ssm.db")) as db:
        return int(db.execute("SELECT purchased FROM pool WHERE va='DEFAULT' AND alias='flex-standard'").fetchone()[0])


def test_a_batch_is_durable_only_at_its_end_and_a_refused_part_is_undone(tmp_path: Path) -> None:
    folder, (a, b) = _farm(tmp_path, 2)
    before = _purchased(folder)
    ssm = SsmDb.open(folder)
    with ssm.batch():
        handle(ssm, "report", _report(a, 3))
        with pytest.raises(InstanceGone):
            handle(ssm, "report", _report("f" * 32, 1))  # unknown: refused
        with pytest.raises(RuleError), ssm.tx() as db:  # a change, then a refusal: its savepoint undone
            db.execute("UPDATE pool SET purchased = purchased + 5 WHERE va='DEFAULT' AND alias='flex-standard'")
            raise RuleError("refused after a change")
        handle(ssm, "report", _report(b, 4))
        assert _usage(folder)[a] == {}  # another connection sees nothing before the commit
    assert _usage(folder) == {a: {"flex-standard": 3}, b: {"flex-standard": 4}}
    assert _purchased(folder) == before
    with pytest.raises(RuntimeError), ssm.batch():  # a batch that fails itself commits nothing
        handle(ssm, "report", _report(a, 5, 1))
        raise RuntimeError("the batch breaks")
    assert _usage(folder)[a] == {"flex-standard": 3}
    ssm.close()


def test_a_batch_that_would_wait_for_another_writer_does_nothing(tmp_path: Path) -> None:
    folder, (a,) = _farm(tmp_path, 1)
    ssm = SsmDb.open(folder)
    ssm.never_wait()
    holder = sqlite3.connect(folder / "ssm.db", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(Busy), ssm.batch():
            handle(ssm, "report", _report(a, 2))
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert _usage(folder)[a] == {}
    with ssm.batch():  # let go: the same connection works
        handle(ssm, "report", _report(a, 2))
    assert _usage(folder)[a] == {"flex-standard": 2}
    ssm.close()


async def _together(gateway: Gateway, messages: list[dict[str, object]]) -> list[object]:
    return await asyncio.gather(*(gateway.apply("report", m) for m in messages), return_exceptions=True)


def test_messages_that_arrive_together_are_committed_together(tmp_path: Path) -> None:
    folder, uuids = _farm(tmp_path, 8)
    site = Site(folder, None)
    gateway = Gateway(site, (GATEWAY_PATH,))
    statements: list[str] = []

    async def main() -> list[object]:
        with site.ssm() as ssm:  # the loop's own connection, which the batch uses
            ssm.db.set_trace_callback(statements.append)
        messages = [_report(u, 1 + k % 3) for k, u in enumerate(uuids)]
        # the same node's second report, after its first, and one from nobody
        messages += [_report(uuids[0], 6, 1), _report("e" * 32, 1)]
        return await _together(gateway, messages)

    answers = asyncio.run(main())
    assert all(isinstance(r, dict) and r["deficit"] == {} for r in answers[:9]), answers
    assert isinstance(answers[9], InstanceGone)  # refused alone
    assert statements.count("BEGIN IMMEDIATE") == 1 and statements.count("COMMIT") == 1, statements
    usage = _usage(folder)
    assert usage[uuids[0]] == {"flex-standard": 6}  # a node's messages keep their order
    assert [usage[u] for u in uuids[1:]] == [{"flex-standard": 1 + k % 3} for k in range(1, 8)]


def test_a_batch_holds_at_most_max_batch_messages(tmp_path: Path) -> None:
    """More messages than a batch holds at once make several batches, in their order: the
    loop's time per batch is bounded."""
    folder, uuids = _farm(tmp_path, 1)
    site = Site(folder, None)
    gateway = Gateway(site, (GATEWAY_PATH,))
    statements: list[str] = []
    count = 2 * MAX_BATCH + 5

    async def main() -> list[object]:
        with site.ssm() as ssm:
            ssm.db.set_trace_callback(statements.append)
        return await _together(gateway, [_report(uuids[0], k % 50, k) for k in range(count)])

    answers = asyncio.run(main())
    assert all(isinstance(r, dict) for r in answers), answers
    assert statements.count("BEGIN IMMEDIATE") == 3 and statements.count("COMMIT") == 3
    assert _usage(folder)[uuids[0]] == {"flex-standard": (count - 1) % 50}  # the last one last


def test_messages_the_database_is_held_from_wait_off_the_loop_and_are_applied_once_let_go(tmp_path: Path) -> None:
    """Another process holds the database until the loop has turned five times: the messages
    wait on worker threads meanwhile. (Were the loop to wait for the writer, it would not turn,
    and the holder gives up after 5 s, before the 15 s the SSM waits for a busy database.)"""
    folder, uuids = _farm(tmp_path, 3)
    site = Site(folder, None)
    gateway = Gateway(site, (GATEWAY_PATH,))
    holder = sqlite3.connect(folder / "ssm.db", isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    turned = threading.Event()
    ticks: list[int] = []

    def let_go() -> None:
        turned.wait(5)
        ticks.append(-1)  # when the holder let go
        holder.execute("ROLLBACK")

    async def main() -> list[object]:
        async def tick() -> None:  # the loop keeps turning while the messages wait
            for k in range(5):
                await asyncio.sleep(0.01)
                ticks.append(k)
            turned.set()

        answers, _ = await asyncio.gather(_together(gateway, [_report(u, 2) for u in uuids]), tick())
        return answers

    releaser = threading.Thread(target=let_go)
    releaser.start()
    try:
        answers = asyncio.run(main())
    finally:
        releaser.join()
        holder.close()
    assert ticks == [0, 1, 2, 3, 4, -1]  # the loop turned while the database was held
    assert all(isinstance(r, dict) for r in answers), answers
    assert all(u == {"flex-standard": 2} for u in _usage(folder).values())


def _instructions(ssm: SsmDb, work: Callable[[], object]) -> int:
    """SQLite's virtual-machine instructions that `work` costs (in hundreds): its work, not its time."""
    steps = [0]

    def step() -> int:
        steps[0] += 1
        return 0

    ssm.db.set_progress_handler(step, 100)
    try:
        work()
    finally:
        ssm.db.set_progress_handler(None, 100)
    return steps[0]


def test_a_report_costs_the_same_however_long_the_pool_history(tmp_path: Path) -> None:
    """Each report that moves the pool adds to its history (`license chart`) what changed since
    the history's last row per license: found through the index, not by reading the history,
    which only grows (a month of a class's reports is thousands of rows)."""
    folder, (a,) = _farm(tmp_path, 1)
    ssm = SsmDb.open(folder)
    costs = []
    for k, rows in enumerate((0, 20_000)):
        with ssm.tx() as db:
            db.executemany(
                "INSERT INTO pool_history(va, alias, t, purchased, in_use, reserved, reported) "
                "VALUES ('DEFAULT', ?, ?, 0, 0, 0, 0)",
                [(alias, NOW - 10**6 + t) for t in range(rows // 2) for alias in ("flex-standard", "server")],
            )
        costs.append(_instructions(ssm, lambda k=k: handle(ssm, "report", _report(a, k + 1, k))))
    ssm.close()
    assert costs[1] < 1.5 * costs[0], costs
