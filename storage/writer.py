"""Group commit: every write of the process goes through one task and one connection.

Rule: a write is a *unit*, a plain function of the connection that runs its statements and
returns a value. The writer takes every unit queued at that moment, runs them all in one
`BEGIN IMMEDIATE … COMMIT` (each inside its own SAVEPOINT when one of them fails), and only
then resolves the callers' futures. So a caller's `await` returns after the COMMIT that holds
its write (durable, with `synchronous=FULL`), a failing unit fails only its own caller, and 70
participants answering at once share one fsync instead of queueing for 70 (the model is
datasette's single write connection; group commit is what databases do with their log).

A unit may run more than once: if SQLite aborts the whole transaction (a full disk, an I/O
error), the units that had succeeded are run again in a fresh one. Units are therefore pure
functions of the connection and their arguments.

Erasing: a write that removed what must not survive (an anonymous session scrubbed, a pool of
anonymous answers written out, a person forgotten) asks, through `erase`, for the old images to be
overwritten too. After the batch's COMMIT, and before any caller's future resolves, the writer
then runs one `VACUUM` (when a unit asked for it: every table and index rebuilt in key order, no
free page, no cell where insertion history put it) and one `wal_checkpoint(TRUNCATE)` (the -wal
file, which holds old page images, emptied to zero bytes), for the whole batch. The data is
committed by then: a failing erasure is logged and fails nobody, and the next one catches up.
`VACUUM` cannot run inside a transaction, hence after the COMMIT rather than in a unit.
"""

from __future__ import annotations

import asyncio
import enum
import logging
import sqlite3
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from storage.connection import Connection
from storage.errors import StorageError, StoreClosedError, translate
from storage.models import WriteStats

log = logging.getLogger(__name__)
T = TypeVar("T")
Unit = Callable[[sqlite3.Connection], T]

# Enough for every participant of several cohorts at once; a bound keeps one batch's latency
# (and the time the write lock is held) in check.
MAX_BATCH = 512


class Erase(enum.IntEnum):
    """What a committed write needs overwritten after its COMMIT; a batch does the most asked."""

    NOTHING = 0
    CHECKPOINT = 1  # wal_checkpoint(TRUNCATE): old page images leave the -wal file
    VACUUM = 2  # VACUUM, then the checkpoint: free pages and insertion order go as well


def _nothing(value: object) -> Erase:
    return Erase.NOTHING


@dataclass(slots=True)
class _Request:
    unit: Unit[Any]
    future: asyncio.Future[Any]
    erase: Callable[[Any], Erase]


@dataclass(slots=True)
class _Outcome:
    value: Any = None
    error: Exception | None = None


class GroupCommitWriter:
    """The single writer of a store; `submit` is the only way to write."""

    def __init__(self, db: Connection, path: Path) -> None:
        self._db = db
        self._path = path
        self._queue: deque[_Request] = deque()
        self._flight: list[_Request] = []  # the batch on the connection's thread
        self._wake: asyncio.Future[None] | None = None  # the idle task waits on it
        self._closing = False
        self._stats = WriteStats(batches=0, requests=0)
        # An erasure a batch could not finish (a reader held the WAL): the next batch retries it.
        self._owed = Erase.NOTHING
        self._task = asyncio.create_task(self._run(), name="storage-writer")

    @property
    def stats(self) -> WriteStats:
        return self._stats

    async def submit(self, unit: Unit[T], erase: Callable[[T], Erase] = _nothing) -> T:
        """Run `unit` in the next group commit; return once that commit is on disk.

        `erase(value)`, given what the unit returned, says what must be overwritten after the
        COMMIT (see the module's comment); it is done before this returns. A caller cancelled
        meanwhile does not undo the write: it stands once committed.

        Raises:
            StoreClosedError: the store is closing.
            StorageError: the unit, or the commit holding it, failed; nothing of it is stored.
        """
        if self._closing or self._task.done():
            raise StoreClosedError("storage is closed: no more writes")
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._queue.append(_Request(unit, future, erase))
        self._poke()
        return await future

    def _poke(self) -> None:
        if self._wake is not None and not self._wake.done():
            self._wake.set_result(None)

    async def close(self) -> None:
        """Finish every queued write, then stop.

        A writer that stopped earlier does not make closing fail: its callers were told then.
        """
        self._closing = True
        self._poke()
        await asyncio.wait([self._task])
        if self._task.cancelled():
            log.error("the storage writer had been cancelled")
        elif (error := self._task.exception()) is not None:
            log.error("the storage writer had stopped", exc_info=error)

    async def _run(self) -> None:
        try:
            while self._queue or not self._closing:
                if not self._queue:
                    self._wake = asyncio.get_running_loop().create_future()
                    await self._wake
                    continue
                count = min(len(self._queue), MAX_BATCH)
                self._flight = [self._queue.popleft() for _ in range(count)]
                await self._commit(self._flight)
                self._flight = []
        except BaseException as error:
            self._fail_all(error)
            raise

    async def _commit(self, batch: list[_Request]) -> None:
        units = [request.unit for request in batch]
        erasers = [request.erase for request in batch]
        try:
            outcomes, self._owed = await self._db.run(
                partial(_commit_and_erase, units=units, erasers=erasers, owed=self._owed)
            )
        except Exception as error:  # the connection itself failed: this batch is lost
            outcomes = [_Outcome(error=error) for _ in batch]
        self._stats = WriteStats(self._stats.batches + 1, self._stats.requests + len(batch))
        for request, outcome in zip(batch, outcomes, strict=True):
            if request.future.done():  # the caller was cancelled; its write stands anyway
                continue
            if outcome.error is None:
                request.future.set_result(outcome.value)
            else:
                request.future.set_exception(self._public(outcome.error))

    def _public(self, error: Exception) -> Exception:
        """`error` as callers see it: SQLite's errors in the store's own words."""
        if isinstance(error, sqlite3.Error):
            public = translate(error, self._path, "writing")
            public.__cause__ = error
            return public
        return error

    def _fail_all(self, error: BaseException) -> None:
        """Never leave a caller waiting forever if the writer itself dies.

        A batch in flight may still commit on the connection's thread: its callers are told
        the writer stopped, which is true, and a retry of theirs is idempotent by update id.
        """
        pending = [*self._flight, *self._queue]
        self._flight = []
        self._queue.clear()
        for request in pending:
            if not request.future.done():
                request.future.set_exception(StorageError(f"storage writer stopped: {error!r}"))


def _commit_and_erase(
    conn: sqlite3.Connection,
    units: Sequence[Unit[Any]],
    erasers: Sequence[Callable[[Any], Erase]],
    owed: Erase,
) -> tuple[list[_Outcome], Erase]:
    """`run_batch`, then the erasure the committed units asked for, with any an earlier batch
    could not finish; on the connection's thread. Returns the outcomes and what is still owed."""
    outcomes = run_batch(conn, units)
    level = owed
    try:
        level = max(
            (
                eraser(o.value)
                for eraser, o in zip(erasers, outcomes, strict=True)
                if o.error is None
            ),
            default=owed,
        )
        level = max(level, owed)
        erase(conn, level)
    except Exception:  # committed already: the callers' writes stand; the next batch tries again
        log.exception("could not overwrite erased data after a commit")
        return outcomes, level
    return outcomes, Erase.NOTHING


def erase(conn: sqlite3.Connection, level: Erase) -> None:
    """Overwrite what committed deletions left behind: free pages, old cells, old WAL frames.

    Raises:
        sqlite3.Error: the VACUUM or the checkpoint failed (a reader held on past the timeout).
    """
    if level >= Erase.VACUUM:
        conn.execute("VACUUM")
    if level >= Erase.CHECKPOINT:
        (busy, _, _) = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        if busy:
            raise sqlite3.OperationalError("the WAL checkpoint stayed blocked by a reader")


def run_batch(conn: sqlite3.Connection, units: Sequence[Unit[Any]]) -> list[_Outcome]:
    """Run `units` in one transaction; runs on the connection's thread.

    First all together, as nearly every batch succeeds: a savepoint per unit would double the
    statements of every commit. If one fails, the transaction is rolled back and the batch runs
    again with each unit in a savepoint, so that only the failing one fails.
    """
    together = _all_together(conn, units)
    if together is not None:
        return together
    outcomes = [_Outcome() for _ in units]
    todo = list(range(len(units)))
    while todo:
        aborted = _attempt(conn, units, todo, outcomes)
        if aborted is None:
            break
        # SQLite rolled the whole transaction back: the others run again without the culprit.
        todo.remove(aborted)
    return outcomes


def _all_together(conn: sqlite3.Connection, units: Sequence[Unit[Any]]) -> list[_Outcome] | None:
    """Every unit in one transaction, no savepoints; None if any failed (nothing is kept)."""
    if conn.in_transaction:  # left open by an interrupted batch
        conn.execute("ROLLBACK")
    try:
        conn.execute("BEGIN IMMEDIATE")
        values = [unit(conn) for unit in units]
        conn.execute("COMMIT")
    except Exception:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        return None
    return [_Outcome(value=value) for value in values]


def _attempt(
    conn: sqlite3.Connection, units: Sequence[Unit[Any]], todo: list[int], out: list[_Outcome]
) -> int | None:
    """One transaction over `todo`; returns the unit that aborted it, if one did."""
    if conn.in_transaction:  # left open by an interrupted batch
        conn.execute("ROLLBACK")
    try:
        conn.execute("BEGIN IMMEDIATE")
    except sqlite3.Error as error:
        for index in todo:
            out[index] = _Outcome(error=error)
        return None
    for index in todo:
        conn.execute("SAVEPOINT unit")
        try:
            out[index] = _Outcome(value=units[index](conn))
            conn.execute("RELEASE unit")
        except Exception as error:
            out[index] = _Outcome(error=error)
            if not conn.in_transaction:
                return index
            conn.execute("ROLLBACK TO unit")
            conn.execute("RELEASE unit")
    try:
        conn.execute("COMMIT")
    except sqlite3.Error as error:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        for index in todo:
            out[index] = _Outcome(error=error)
    return None
