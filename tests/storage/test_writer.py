"""The group-commit writer: one commit for what arrives together, savepoints isolate callers,
an aborted transaction is re-run."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from storage import SqliteRepository, StorageError, UserId, open_repository, writer
from storage.models import to_text
from storage.writer import run_batch
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


async def test_callers_are_told_when_the_writer_stops(repo: SqliteRepository) -> None:
    def slow(conn: sqlite3.Connection) -> None:
        conn.execute("SELECT 1")

    waiting = [asyncio.create_task(repo._writer.submit(slow)) for _ in range(3)]
    await asyncio.sleep(0)  # submitted; the writer has taken them
    repo._writer._task.cancel()
    results = await asyncio.wait_for(asyncio.gather(*waiting, return_exceptions=True), 5)
    assert all(isinstance(r, StorageError) for r in results)
    with pytest.raises(StorageError):
        await repo.upsert_person(UserId(1), "Ada", "en", at(0))
    await repo.close()  # closing after the writer stopped still closes, quietly


async def test_writes_that_arrive_together_share_one_commit(
    repo: SqliteRepository, batch_sizes: list[int]
) -> None:
    await asyncio.gather(*(repo.upsert_person(UserId(n), f"P{n}", "en", at(0)) for n in range(40)))
    assert batch_sizes == [40]


async def test_one_erasure_per_batch_after_its_commit(
    repo: SqliteRepository, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The most any committed unit asked for, once, after the COMMIT; a failed unit asks nothing."""
    done: list[tuple[writer.Erase, bool]] = []

    def recording(conn: sqlite3.Connection, level: writer.Erase) -> None:
        done.append((level, conn.in_transaction))

    monkeypatch.setattr(writer, "erase", recording)

    def failing(conn: sqlite3.Connection) -> None:
        raise ValueError("refused")

    async def write(n: int, level: writer.Erase) -> None:
        # The writer is internal: its erase protocol is what this test is about.
        await repo._writer.submit(lambda conn: repo_person(conn, n), lambda _: level)

    results = await asyncio.gather(
        write(1, writer.Erase.CHECKPOINT),
        write(2, writer.Erase.NOTHING),
        repo._writer.submit(failing, lambda _: writer.Erase.VACUUM),
        return_exceptions=True,
    )
    assert [type(r) for r in results] == [type(None), type(None), ValueError]
    assert done == [(writer.Erase.CHECKPOINT, False)]


def repo_person(conn: sqlite3.Connection, n: int) -> None:
    conn.execute(
        "INSERT INTO people (user_id, display_name, created_at, updated_at) VALUES (?, 'p', ?, ?)",
        (n, to_text(at(0)), to_text(at(0))),
    )


async def test_a_failed_erasure_is_logged_and_fails_no_caller(
    repo: SqliteRepository, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(value: object) -> writer.Erase:
        raise RuntimeError("cannot tell")

    await repo._writer.submit(lambda conn: repo_person(conn, 7), broken)
    assert await repo.get_person(UserId(7)) is not None
    assert "could not overwrite erased data" in caplog.text


async def test_an_erasure_that_failed_is_done_with_the_next_batch(
    repo: SqliteRepository, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A reader holding the WAL past the timeout must not leave old images there for good."""
    done: list[writer.Erase] = []

    def blocked_once(conn: sqlite3.Connection, level: writer.Erase) -> None:
        done.append(level)
        if len(done) == 1:
            raise sqlite3.OperationalError("the WAL checkpoint stayed blocked by a reader")

    monkeypatch.setattr(writer, "erase", blocked_once)
    await repo._writer.submit(lambda conn: repo_person(conn, 1), lambda _: writer.Erase.VACUUM)
    await repo._writer.submit(lambda conn: repo_person(conn, 2), lambda _: writer.Erase.NOTHING)
    await repo._writer.submit(lambda conn: repo_person(conn, 3), lambda _: writer.Erase.NOTHING)
    assert done == [writer.Erase.VACUUM, writer.Erase.VACUUM, writer.Erase.NOTHING]
    assert "could not overwrite erased data" in caplog.text
