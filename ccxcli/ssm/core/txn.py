"""The SSM store's transactions: one `BEGIN IMMEDIATE` transaction per change, all of it or
nothing, so two processes never lose an update and a killed process leaves the database as it
was before or after; and batches, in which several such transactions (a served SSM's node
messages that arrived together) are each still all or nothing (a savepoint) and are made
durable by one commit."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from ccxcli.errors import StoreError, sqlite_problem
from ccxcli.faults import kill_point
from ccxcli.runtime import tunables


class Busy(StoreError):
    """A write transaction that was not to wait found the database held by another writer;
    nothing was done (its caller tries again where waiting does no harm)."""

    def __init__(self) -> None:
        super().__init__("The SSM database is busy (another writer holds it); try again.")


class Transactions:
    """A connection to an SSM database and its write transactions. A subclass settles what a
    transaction changed before it ends (`_settle`) and forgets it when it is undone (`_discard`)."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db
        # a lock that the connections of one process share (a served SSM's worker threads): its
        # write transactions queue on it rather than sleep in SQLite's busy wait
        self.writer: threading.Lock | None = None
        self.waits = True  # False: a transaction that would wait for another writer raises Busy (`never_wait`)
        self._batched = -1  # outside a batch; in one, how many of its transactions called `committed`

    def _settle(self) -> None:
        """What a transaction does last, before it is committed (or released in a batch)."""

    def _discard(self) -> None:
        """Forget what an undone transaction changed."""

    def never_wait(self) -> None:
        """From now on a write transaction that finds another writer (a thread of this process
        or another process) raises Busy at once, before doing anything, instead of waiting: a
        served SSM's event loop applies node messages on such a connection."""
        self.waits = False
        self.db.execute("PRAGMA busy_timeout=0")

    @contextmanager
    def tx(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: all of it or nothing. In a batch, a savepoint of it."""
        if self._batched >= 0:
            with self._savepoint() as db:
                yield db
            return
        with self._held(), self._transaction():
            yield self.db

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Transactions made durable together by one commit (`tx` inside is a savepoint: each
        still all or nothing). Nothing of the batch is durable before its end: a caller answers
        for its transactions only after it. `ssm-committed` (`committed`) is hit once for each
        transaction of the batch, after the commit."""
        with self._held(), self._transaction():
            self._batched = 0
            try:
                yield
            finally:
                released, self._batched = self._batched, -1
        for _ in range(released):
            kill_point("ssm-committed")

    def committed(self) -> None:
        """A transaction's change is durable (a test's kill point); in a batch, only at its end."""
        if self._batched >= 0:
            self._batched += 1
        else:
            kill_point("ssm-committed")

    @contextmanager
    def _held(self) -> Iterator[None]:
        """This process's writer lock, for one transaction (or batch)."""
        writer = self.writer
        if writer is not None and not (
            writer.acquire(timeout=tunables().lock_timeout) if self.waits else writer.acquire(blocking=False)
        ):
            if not self.waits:
                raise Busy()
            raise StoreError("The SSM database is busy (another request is changing it); try again.")
        try:
            yield
        finally:
            if writer is not None:
                writer.release()

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        try:
            self.db.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as e:
            problem = sqlite_problem(e)
            if not self.waits and "busy" in problem.message:
                raise Busy() from None
            raise problem from None
        try:
            yield
            self._settle()
        except BaseException:
            self._discard()
            self.db.execute("ROLLBACK")
            raise
        else:
            kill_point("ssm-before-commit")
            try:
                self.db.execute("COMMIT")
            except sqlite3.OperationalError as e:
                self.db.execute("ROLLBACK")
                raise sqlite_problem(e) from None
            kill_point("ssm-after-commit")

    @contextmanager
    def _savepoint(self) -> Iterator[sqlite3.Connection]:
        self.db.execute("SAVEPOINT one")
        try:
            yield self.db
            self._settle()
        except BaseException:
            self._discard()
            self.db.execute("ROLLBACK TO one")
            self.db.execute("RELEASE one")
            raise
        self.db.execute("RELEASE one")
