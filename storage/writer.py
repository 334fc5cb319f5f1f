"""Group commit: every write of the process goes through one task and one connection.

Rule: a write is a *unit*, a plain function of the connection that runs its statements and
returns a value. The writer takes every unit queued at that moment, runs them all in one
`BEGIN IMMEDIATE … COMMIT` (each inside its own SAVEPOINT when one of them fails), and only
then resolves the callers' futures. So a caller's `await` returns after the COMMIT that holds
its write (durable, with `synchronous=FULL`), a failing unit fails only its own caller, and 70
participants answering at once share one fsync instead of queueing for 70 (the model is datasette's single write
connection; group commit is what databases do with their log).

A unit may run more than once: if SQLite aborts the whole transaction (a full disk, an I/O
error), the units that had succeeded are run again in a fresh one. Units are therefore pure
functions of the connection and their arguments.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, Generic, Protocol, TypeVar

import aiosqlite

from storage.connection import start_sync
from storage.errors import StorageError, StoreClosedError, translate
from storage.models import WriteStats

log = logging.getLogger(__name__)
T = TypeVar("T")
Unit = Callable[[sqlite3.Connection], T]

# Enough for every participant of several cohorts at once; a bound keeps one batch's latency
# (and the time the write lock is held) in check.
MAX_BATCH = 512
# Callers woken together by one commit, from which the writer splits them into two groups. A few
# callers are no convoy: they keep meeting in one batch, as concurrent writes do.
SPLIT_FROM = 16
# How long writes that nobody awaits (the ids of the messages on screen) wait in the queue for an
# awaited write to ride with. Sent alone, they took a commit of their own, and the answers that
# arrived meanwhile all queued behind it: with participants taking turns, every answer ended up
# in one batch, and the event loop sat idle through each commit.
QUEUED_DELAY_SECONDS = 0.25


# Told what a unit did once its batch is over, on the event loop, before any caller resumes and
# whether or not the caller is still waiting (its write stands even if it was cancelled).
Ended = Callable[[Any, Exception | None], None]
# Builds a unit when its batch leaves (`submit_collected`); None when there is nothing to do.
Collect = Callable[[], tuple[Unit[Any], Ended] | None]


class Collection(Protocol):
    """Gathers small writes into one collected unit (`Gather`, the repository's prompt notes)."""

    def seal(self) -> None:
        """Take nothing more into the collection already queued: the next write starts a new one."""
        ...


@dataclass(slots=True)
class _Request(Generic[T]):
    unit: Unit[T]
    future: asyncio.Future[T] | None  # None: nobody waits (`submit_later`)
    ended: Ended | None = None


@dataclass(slots=True)
class _Collected:
    collect: Collect
    awaited: bool  # its writes have callers waiting for them (`Gather`)


@dataclass(slots=True)
class _Outcome:
    value: Any = None
    error: Exception | None = None


@dataclass(slots=True)
class _Counters:
    batches: int = 0
    requests: int = 0
    queued: int = 0


# Runs the items gathered for one batch in one unit: per item, in order, a value or an error.
RunAll = Callable[[sqlite3.Connection, Sequence[Any]], Sequence[Any]]


class GroupCommitWriter:
    """The single writer of a store; `submit` is the only way to write.

    A batch starts when the writer is free, someone awaits a write, and the writer's task gets
    a turn of the loop, or, after a batch of many callers, as soon as half as many wait
    (`_arrived`). Writes that nobody awaits go with the next batch, or on their own after
    `QUEUED_DELAY_SECONDS`. The many callers a commit wakes together would otherwise stay
    together: the task's turn comes after all of them have run, so the next batch took them all
    again, and the loop idled through every commit. Starting at half splits them in two groups,
    one committing while the other runs.
    """

    def __init__(
        self, db: aiosqlite.Connection, path: Path, on_stop: Callable[[], None] | None = None
    ) -> None:
        self._db = db
        self._path = path
        self._on_stop = on_stop  # the writer died: a batch in flight may still commit
        self._queue: deque[_Request[Any] | _Collected] = deque()
        self._awaited = 0  # items of the queue that someone awaits
        # Starts a batch of writes nobody awaits once they have waited long enough.
        self._timer: asyncio.TimerHandle | None = None
        self._flight: _Flight | None = None  # the batch on the connection's thread
        self._wake: asyncio.Future[None] | None = None  # the idle task waits on it
        self._waiting = 0  # callers that arrived since the last batch started
        self._last_batch = 0  # callers in the last batch started
        self._closing = False
        self._stopped = False
        self._counters = _Counters()
        self._collections: list[Collection] = []
        self._task = asyncio.create_task(self._run(), name="storage-writer")

    @property
    def stats(self) -> WriteStats:
        counters = self._counters
        return WriteStats(counters.batches, counters.requests, counters.queued)

    async def submit(self, unit: Unit[T], ended: Ended | None = None) -> T:
        """Run `unit` in the next group commit; return once that commit is on disk.

        `ended(value, error)` is called when the batch is over, before any caller resumes: the
        place to update what is kept in memory about the database.

        Raises:
            StoreClosedError: the store is closing.
            StorageError: the unit, or the commit holding it, failed; nothing of it is stored.
        """
        self._check_open()
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._seal_collections()
        self._queue.append(_Request(unit, future, ended))
        self._awaited += 1
        self._arrived()
        return await future

    def submit_later(self, unit: Unit[Any], ended: Ended | None = None) -> None:
        """Queue `unit` for the next group commit without waiting for it; a failure is logged.

        Raises:
            StoreClosedError: the store is closing.
        """
        self._check_open()
        self._seal_collections()
        self._queue.append(_Request(unit, None, ended))
        self._counters.queued += 1
        self._poke()

    def submit_collected(self, collect: Collect, *, awaited: bool = False) -> None:
        """Queue a write whose unit `collect` builds when its batch leaves.

        For many small writes that one unit does at once (see `Gather`, and the repository's
        prompt notes): the caller gathers them and queues one collection at a time. Writes keep
        the order they were submitted in: any other write seals the collections already queued
        (`Collection.seal`), so what is gathered after it is written after it. Nobody waits for
        the unit itself; its outcome goes to the `Ended` hook that `collect` returns. `awaited`:
        callers wait for what the collection writes, so its batch starts as an awaited write's.

        Raises:
            StoreClosedError: the store is closing.
        """
        self._check_open()
        self._queue.append(_Collected(collect, awaited))
        self._awaited += awaited
        self._counters.queued += 1
        self._poke()

    def add_collection(self, collection: Collection) -> None:
        """Have `collection` sealed whenever another write is submitted."""
        self._collections.append(collection)

    def _check_open(self) -> None:
        if self._closing or self._stopped or self._task.done():
            raise StoreClosedError("storage is closed: no more writes")

    def _seal_collections(self) -> None:
        for collection in self._collections:
            collection.seal()

    def _arrived(self) -> None:
        """A caller waits for the next batch: start it now if half the last one's callers do."""
        self._waiting += 1
        if (
            self._flight is None
            and not self._stopped
            and self._last_batch >= SPLIT_FROM
            and self._waiting * 2 >= self._last_batch
        ):
            self._start()
        else:
            self._poke()

    def _poke(self) -> None:
        if self._wake is not None and not self._wake.done():
            self._wake.set_result(None)

    def _queued_due(self) -> None:
        # Armed only while no batch is in flight, and stopped by whatever starts one or stops
        # the writer: the writes nobody awaits are still queued, and the writer is free.
        self._timer = None
        self._start()

    def _stop_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _start(self) -> None:
        """Send what is queued to the connection's thread, as one batch, at once."""
        batch: list[_Request[Any]] = []
        while self._queue and len(batch) < MAX_BATCH:
            item = self._queue.popleft()
            self._awaited -= _is_awaited(item)
            _take(item, batch)
        self._stop_timer()
        if not batch:  # only collections with nothing left to write
            return
        self._last_batch, self._waiting = self._waiting, 0
        units = [request.unit for request in batch]
        try:
            done = start_sync(self._db, partial(run_batch, units=units))
        except Exception as error:  # the connection is closed: this batch is lost
            done = asyncio.get_running_loop().create_future()
            done.set_exception(error)
        self._flight = _Flight(batch, done)
        self._poke()

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
            while True:
                if self._flight is None:
                    if self._queue and (self._awaited or self._closing):
                        self._start()
                        continue
                    if self._closing:
                        return
                    loop = asyncio.get_running_loop()
                    if self._queue and self._timer is None:  # only writes nobody awaits
                        self._timer = loop.call_later(QUEUED_DELAY_SECONDS, self._queued_due)
                    self._wake = loop.create_future()
                    await self._wake
                    continue
                # No turn of the loop to wait for more: while this batch commits, the next one
                # gathers. Waiting would line every caller up behind each commit.
                await self._finish(self._flight)
        except BaseException as error:
            self._fail_all(error)
            raise

    async def _finish(self, flight: _Flight) -> None:
        try:
            outcomes = await flight.done
        except Exception as error:  # the connection itself failed: this batch is lost
            outcomes = [_Outcome(error=error) for _ in flight.batch]
        self._flight = None
        self._counters.batches += 1
        self._counters.requests += len(flight.batch)
        _deliver(flight.batch, outcomes, self.public)

    def public(self, error: Exception) -> Exception:
        """`error` as callers see it: SQLite's errors in the store's own words."""
        if isinstance(error, sqlite3.Error):
            public = translate(error, self._path, "writing")
            public.__cause__ = error
            return public
        return error

    def _fail_all(self, error: BaseException) -> None:
        """Never leave a caller waiting forever if the writer itself dies."""
        self._stopped = True
        self._stop_timer()
        if self._on_stop is not None:
            self._on_stop()
        pending = list(self._flight.batch) if self._flight is not None else []
        self._flight = None
        while self._queue:
            _take(self._queue.popleft(), pending)
        self._awaited = 0
        for request in pending:
            if request.ended is not None:
                with contextlib.suppress(Exception):
                    request.ended(None, StorageError("storage writer stopped"))
            if request.future is not None and not request.future.done():
                failure = StorageError(f"storage writer stopped: {error!r}")
                request.future.set_exception(failure)


@dataclass(slots=True)
class _Flight:
    batch: list[_Request[Any]]
    done: asyncio.Future[list[_Outcome]]


@dataclass(slots=True)
class _Item:
    value: Any
    future: asyncio.Future[Any]
    ended: Ended | None


class Gather:
    """Awaited writes of one kind that a batch runs as one unit, with a result for each.

    `run_all(conn, items)` does the items gathered, in as few statements as it can (a
    multi-row INSERT, an UPDATE with a CASE), and returns per item its value or the exception
    that failed it alone; an exception it raises fails them all. Each caller resumes once the
    commit is on disk, as with `submit`. Items are gathered until their batch leaves, or until
    another write is submitted (which is then written after them).
    """

    def __init__(self, writer: GroupCommitWriter, run_all: RunAll) -> None:
        self._writer = writer
        self._run_all = run_all
        self._open: list[_Item] | None = None  # the items of the collection queued, not built
        self.items = 0  # gathered so far, for benchmarks
        writer.add_collection(self)

    async def submit(self, item: Any, ended: Ended | None = None) -> Any:
        """Raises: StoreClosedError, StorageError: as `GroupCommitWriter.submit`."""
        future = asyncio.get_running_loop().create_future()
        gathered = self._open
        if gathered is None:  # no collection open: queue one for a new list
            gathered = []
            self._writer.submit_collected(partial(self._collect, gathered), awaited=True)
            self._open = gathered
        gathered.append(_Item(item, future, ended))
        self.items += 1
        self._writer._arrived()
        return await future

    def seal(self) -> None:
        self._open = None  # the queued collection keeps the items it has

    def _collect(self, gathered: list[_Item]) -> tuple[Unit[Any], Ended] | None:
        if gathered is self._open:
            self._open = None
        if not gathered:
            return None
        values = [item.value for item in gathered]
        run_all = self._run_all
        return (lambda conn: run_all(conn, values)), partial(self._ended, gathered)

    def _ended(self, gathered: list[_Item], results: Any, error: Exception | None) -> None:
        try:
            if error is None and len(results) != len(gathered):
                error = StorageError(f"{len(results)} results for {len(gathered)} writes")
            outcomes = (
                [_Outcome(error=error) for _ in gathered]
                if error is not None
                else [
                    _Outcome(error=r) if isinstance(r, Exception) else _Outcome(value=r)
                    for r in results
                ]
            )
        except Exception as odd:  # results that are not a sequence: a bug in `run_all`
            outcomes = [_Outcome(error=StorageError(f"gathered writes: {odd!r}")) for _ in gathered]
        # Inside the writer's own hooks: the callers still resume only after them all.
        _deliver(gathered, outcomes, self._writer.public)


def _deliver(
    requests: Sequence[_Request[Any] | _Item],
    outcomes: Sequence[_Outcome],
    public: Callable[[Exception], Exception],
) -> None:
    """Every end hook first, then the futures: no caller resumes before the bookkeeping is done.

    The futures are set even if a hook raises what stops the writer (a BaseException): what
    the callers wrote stands, and nobody else would tell them.
    """
    try:
        for request, outcome in zip(requests, outcomes, strict=True):
            if request.ended is not None:
                try:
                    request.ended(outcome.value, outcome.error)
                except Exception:  # bookkeeping must not keep the callers waiting
                    log.exception("a write's end hook failed")
    finally:
        _settle(requests, outcomes, public)


def _settle(
    requests: Sequence[_Request[Any] | _Item],
    outcomes: Sequence[_Outcome],
    public: Callable[[Exception], Exception],
) -> None:
    for request, outcome in zip(requests, outcomes, strict=True):
        future = request.future
        if future is None:
            if outcome.error is not None:
                log.error("a queued write failed", exc_info=outcome.error)
            continue
        if future.done():  # the caller was cancelled; its write stands anyway
            continue
        if outcome.error is None:
            future.set_result(outcome.value)
        else:
            future.set_exception(public(outcome.error))


def _is_awaited(item: _Request[Any] | _Collected) -> bool:
    return item.future is not None if isinstance(item, _Request) else item.awaited


def _take(item: _Request[Any] | _Collected, batch: list[_Request[Any]]) -> None:
    """Add `item` to the batch; a collection's unit is built now that its batch leaves."""
    if isinstance(item, _Request):
        batch.append(item)
        return
    try:
        built = item.collect()
    except Exception:  # a caller's bug must not stop the writer for everyone
        log.exception("a collected write could not be built")
        return
    if built is not None:
        batch.append(_Request(built[0], None, built[1]))


def run_batch(conn: sqlite3.Connection, units: Sequence[Unit[Any]]) -> list[_Outcome]:
    """Run `units` in one transaction; runs on the connection's thread.

    First all together, as nearly every batch succeeds: a savepoint per unit would double the
    statements the writer runs. If one fails, the transaction is rolled back and the batch runs
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
