"""The group-commit writer: savepoints isolate callers, an aborted transaction is re-run."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from storage import SqliteRepository, StorageError, UserId, open_repository, writer
from storage.writer import Gather, run_batch
from tests.storage.conftest import at


@pytest.fixture
def conn(tmp_path: Path) -> Iterator[sqlite3.Connection]:
    with contextlib.closing(sqlite3.connect(tmp_path / "w.db", isolation_level=None)) as opened:
        opened.execute("PRAGMA journal_mode = WAL")
        opened.execute("CREATE TABLE t (x INTEGER PRIMARY KEY)")
        yield opened


def _insert(x: int) -> Callable[[sqlite3.Connection], int]:
    def unit(conn: sqlite3.Connection) -> int:
        conn.execute("INSERT INTO t VALUES (?)", (x,))
        return x

    return unit


@pytest.fixture
def batch_sizes(repo: SqliteRepository, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The number of units of each batch the writer runs once `repo` is open."""
    del repo  # opened first: its own writes are not counted
    sizes: list[int] = []

    def recording(conn: sqlite3.Connection, units: Sequence[Any]) -> list[Any]:
        sizes.append(len(units))
        return run_batch(conn, units)

    monkeypatch.setattr(writer, "run_batch", recording)
    return sizes


def _values(conn: sqlite3.Connection) -> list[int]:
    return [x for (x,) in conn.execute("SELECT x FROM t ORDER BY x")]


def test_a_failing_unit_is_rolled_back_alone(conn: sqlite3.Connection) -> None:
    def half_then_fail(c: sqlite3.Connection) -> None:
        c.execute("INSERT INTO t VALUES (50)")
        raise RuntimeError("engine bug")

    outcomes = run_batch(conn, [_insert(1), half_then_fail, _insert(1), _insert(2)])
    assert [o.value for o in outcomes] == [1, None, None, 2]
    assert isinstance(outcomes[1].error, RuntimeError)
    assert isinstance(outcomes[2].error, sqlite3.IntegrityError)  # duplicate key, its own fault
    assert _values(conn) == [1, 2]
    assert not conn.in_transaction


def test_a_unit_that_aborts_the_transaction_makes_the_others_run_again(
    conn: sqlite3.Connection,
) -> None:
    runs: list[int] = []

    def counted(x: int) -> Callable[[sqlite3.Connection], int]:
        def unit(c: sqlite3.Connection) -> int:
            runs.append(x)
            c.execute("INSERT INTO t VALUES (?)", (x,))
            return x

        return unit

    def aborts(c: sqlite3.Connection) -> None:
        # What SQLite itself does on SQLITE_FULL or SQLITE_IOERR: the whole transaction goes.
        c.execute("ROLLBACK")
        raise sqlite3.OperationalError("database or disk is full")

    outcomes = run_batch(conn, [counted(1), aborts, counted(2)])
    assert [o.value for o in outcomes] == [1, None, 2]
    assert isinstance(outcomes[1].error, sqlite3.OperationalError)
    # All together first (1, then the abort), then one savepoint each (1, the abort again),
    # then unit 1 again in a fresh transaction, and 2.
    assert runs == [1, 1, 1, 2]
    assert _values(conn) == [1, 2]


def test_a_batch_that_succeeds_runs_each_unit_once_without_savepoints(
    conn: sqlite3.Connection,
) -> None:
    statements: list[str] = []
    conn.set_trace_callback(statements.append)
    outcomes = run_batch(conn, [_insert(1), _insert(2)])
    assert [o.value for o in outcomes] == [1, 2]
    assert statements == [
        "BEGIN IMMEDIATE",
        "INSERT INTO t VALUES (1)",
        "INSERT INTO t VALUES (2)",
        "COMMIT",
    ]


def test_a_failed_commit_fails_every_unit(conn: sqlite3.Connection) -> None:
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("CREATE TABLE child (p INTEGER REFERENCES t (x) DEFERRABLE INITIALLY DEFERRED)")

    def orphan(c: sqlite3.Connection) -> None:
        c.execute("INSERT INTO child VALUES (99)")  # checked only at COMMIT

    outcomes = run_batch(conn, [_insert(1), orphan])
    assert all(isinstance(o.error, sqlite3.IntegrityError) for o in outcomes)
    assert _values(conn) == []
    assert not conn.in_transaction


async def test_a_cancelled_caller_s_write_still_commits(repo: SqliteRepository) -> None:
    task = asyncio.create_task(repo.upsert_person(UserId(1), "Ada", "en", at(0)))
    await asyncio.sleep(0)  # queued, not yet committed
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await repo.upsert_person(UserId(2), "Bo", "en", at(0))  # after the cancelled one
    assert await repo.get_person(UserId(1)) is not None


async def test_close_waits_for_queued_writes(db_path: Path) -> None:
    repo = await open_repository(db_path)
    writes = [
        asyncio.create_task(repo.upsert_person(UserId(n), f"P{n}", "en", at(0))) for n in range(20)
    ]
    await asyncio.sleep(0)
    await repo.close()
    assert len(await asyncio.gather(*writes)) == 20
    async with await open_repository(db_path) as reopened:
        assert await reopened.get_person(UserId(19)) is not None


async def test_a_queued_write_that_fails_is_logged_and_fails_alone(
    repo: SqliteRepository, caplog: pytest.LogCaptureFixture
) -> None:
    def fails(c: sqlite3.Connection) -> None:
        c.execute("INSERT INTO no_such_table VALUES (1)")

    ended: list[Exception | None] = []
    repo._writer.submit_later(fails, lambda value, error: ended.append(error))
    await repo.upsert_person(UserId(1), "Ada", "en", at(0))  # in the same batch, or the next
    assert isinstance(ended[0], sqlite3.OperationalError)
    assert "a queued write failed" in caplog.text
    assert await repo.get_person(UserId(1)) is not None


def _tens(conn: sqlite3.Connection, items: Sequence[Any]) -> list[object]:
    """A gathered unit: odd items fail alone, the others become tens."""
    del conn
    return [ValueError(f"odd {x}") if x % 2 else x * 10 for x in items]


async def test_gathered_writes_each_get_their_own_outcome(repo: SqliteRepository) -> None:
    gather = Gather(repo._writer, _tens)
    ended: list[tuple[object, Exception | None]] = []
    before = repo.write_stats
    results = await asyncio.gather(
        *(gather.submit(x, lambda v, e: ended.append((v, e))) for x in range(4)),
        return_exceptions=True,
    )
    assert results[0] == 0
    assert results[2] == 20
    assert [str(r) for r in results[1::2]] == ["odd 1", "odd 3"]
    assert [v for v, _ in ended] == [0, None, 20, None]  # every hook ran, in order
    assert repo.write_stats.requests - before.requests == 1  # one unit for the four


async def test_gathered_writes_fail_together_when_their_unit_fails(
    repo: SqliteRepository,
) -> None:
    def broken(conn: sqlite3.Connection, items: Sequence[Any]) -> list[object]:
        conn.execute("INSERT INTO no_such_table VALUES (1)")
        return list(items)

    gather = Gather(repo._writer, broken)
    results = await asyncio.gather(*(gather.submit(x) for x in range(3)), return_exceptions=True)
    assert all(isinstance(r, StorageError) for r in results)
    await repo.upsert_person(UserId(1), "Ada", "en", at(0))  # the writer goes on
    assert await repo.get_person(UserId(1)) is not None


async def test_gathered_callers_are_told_when_the_writer_stops(repo: SqliteRepository) -> None:
    gather = Gather(repo._writer, _tens)
    waiting = [asyncio.create_task(gather.submit(x)) for x in range(3)]
    await asyncio.sleep(0)  # submitted; the writer has taken them
    repo._writer._task.cancel()
    results = await asyncio.wait_for(asyncio.gather(*waiting, return_exceptions=True), 5)
    assert all(isinstance(r, StorageError) for r in results)
    await repo.close()  # closing after the writer stopped still closes, quietly


async def test_gathered_callers_are_never_left_waiting(repo: SqliteRepository) -> None:
    def too_few(conn: sqlite3.Connection, items: Sequence[Any]) -> list[object]:
        del conn
        return list(items)[:-1]  # a bug: one result short

    gather = Gather(repo._writer, too_few)
    results = await asyncio.wait_for(
        asyncio.gather(*(gather.submit(x) for x in range(3)), return_exceptions=True), 5
    )
    assert all(isinstance(r, StorageError) for r in results)


async def test_a_write_submitted_after_gathered_ones_is_written_after_them(
    repo: SqliteRepository,
) -> None:
    order: list[str] = []

    def run_all(conn: sqlite3.Connection, items: Sequence[Any]) -> list[object]:
        del conn
        order.extend(items)
        return list(items)

    def plain(conn: sqlite3.Connection) -> None:
        del conn
        order.append("plain")

    gather = Gather(repo._writer, run_all)
    await asyncio.gather(
        gather.submit("a"), repo._writer.submit(plain), gather.submit("b"), gather.submit("c")
    )
    assert order == ["a", "plain", "b", "c"]


async def test_gathered_hooks_hear_of_a_unit_that_returned_nonsense(
    repo: SqliteRepository,
) -> None:
    def nonsense(conn: sqlite3.Connection, items: Sequence[Any]) -> Any:
        del conn, items
        return None  # a bug: not one result per item

    gather = Gather(repo._writer, nonsense)
    told: list[Exception | None] = []
    results = await asyncio.wait_for(
        asyncio.gather(
            *(gather.submit(x, lambda v, e: told.append(e)) for x in range(2)),
            return_exceptions=True,
        ),
        5,
    )
    assert all(isinstance(r, StorageError) for r in results)
    assert len(told) == 2
    assert all(isinstance(e, StorageError) for e in told)  # the cache would forget them


async def _two_writes_each(repo: SqliteRepository, callers: int) -> None:
    def unit(conn: sqlite3.Connection) -> None:
        conn.execute("SELECT 1")

    async def caller() -> None:
        await repo._writer.submit(unit)
        await repo._writer.submit(unit)

    await asyncio.gather(*(caller() for _ in range(callers)))


@pytest.mark.parametrize(
    ("callers", "batches"),
    [
        # Woken together by the first commit, they would all meet in the next one again, and
        # the event loop would idle while it runs: half of them start it, the others follow.
        (40, [40, 20, 20]),
        (10, [10, 10]),  # a few are no convoy: they stay together
    ],
)
async def test_callers_woken_together_by_a_commit_are_split_in_two(
    repo: SqliteRepository, batch_sizes: list[int], callers: int, batches: list[int]
) -> None:
    await _two_writes_each(repo, callers)
    assert batch_sizes == batches


class _WriterStops(BaseException):
    """What no hook should raise, and what stops the writer if one does."""


async def test_callers_get_their_results_when_a_hook_stops_the_writer(
    repo: SqliteRepository,
) -> None:
    hooks: list[object] = []

    def stopping(value: object, error: Exception | None) -> None:
        hooks.append(value)
        if len(hooks) == 1:
            raise _WriterStops

    def unit(n: int) -> Callable[[sqlite3.Connection], int]:
        return lambda conn: n

    results = await asyncio.wait_for(
        asyncio.gather(
            repo._writer.submit(unit(1), stopping),
            repo._writer.submit(unit(2), stopping),
            return_exceptions=True,
        ),
        5,
    )
    assert results == [1, 2]  # both committed: nobody is left waiting
    assert hooks == [1]  # the writer stopped at the first hook
    with pytest.raises(StorageError):
        await repo.upsert_person(UserId(1), "Ada", "en", at(0))
    await repo.close()


async def test_a_write_nobody_awaits_goes_with_the_next_awaited_one(
    repo: SqliteRepository, batch_sizes: list[int]
) -> None:
    # Alone it took a commit of its own, and the answers that arrived meanwhile queued behind it.
    ended: list[object] = []
    repo._writer.submit_later(lambda conn: "noted", lambda value, error: ended.append(value))
    await asyncio.sleep(0.05)  # many turns of the loop, well within the delay
    assert (batch_sizes, ended) == ([], [])
    await repo.upsert_person(UserId(1), "Ada", "en", at(0))
    assert (batch_sizes, ended) == ([2], ["noted"])


async def test_a_write_nobody_awaits_leaves_alone_after_the_delay(
    repo: SqliteRepository, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(writer, "QUEUED_DELAY_SECONDS", 0.01)
    done = asyncio.get_running_loop().create_future()
    repo._writer.submit_later(lambda conn: "noted", lambda value, error: done.set_result(value))
    assert await asyncio.wait_for(done, timeout=5) == "noted"
