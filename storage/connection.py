"""Opening SQLite connections with the project's settings, and running work on their thread.

Rule: this is the only module that touches aiosqlite's internals, and it touches two: starting
a plain function on the connection's own thread (`start_sync`, which `run_sync` awaits), and
waiting for that thread after a failed open. aiosqlite's public calls cost one
thread round trip per statement (about 80 µs); a group commit of 70 steps runs about 350
statements, so the round trips alone would cap throughput near the disk's single-commit rate.
Running the whole batch in one trip keeps the cost at one fsync per batch.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Literal, TypeVar, cast, get_args

import aiosqlite

from storage.errors import ReadOnlyDatabaseError, SettingError, translate
from storage.models import Synchronous

T = TypeVar("T")

BUSY_TIMEOUT_MS = 5_000

Purpose = Literal["write", "read"]


async def run_sync(db: aiosqlite.Connection, work: Callable[[sqlite3.Connection], T]) -> T:
    """Run `work(connection)` on `db`'s thread, in one round trip, and return its result."""
    return await start_sync(db, work)


def start_sync(
    db: aiosqlite.Connection, work: Callable[[sqlite3.Connection], T]
) -> asyncio.Future[T]:
    """Start `work(connection)` on `db`'s thread now; the future gets its result.

    From plain code, without an await: the group-commit writer sends a batch while the callers
    that filled it are still running.

    Raises:
        ValueError: the connection is closed (as aiosqlite's own calls raise).
    """
    raw = db._connection  # the sqlite3 connection; only used inside `work`, on its own thread
    if not db._running or raw is None:
        raise ValueError("Connection closed")
    future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
    # What aiosqlite's `_execute`, behind all its public calls, does before its await.
    db._tx.put_nowait((future, partial(work, raw)))
    return future


def check_synchronous(value: str) -> Synchronous:
    """Raises: SettingError: `value` is not a level SQLite knows."""
    for level in get_args(Synchronous):
        if value.upper() == level:
            return cast(Synchronous, level)
    raise SettingError(
        f"storage synchronous must be one of {', '.join(get_args(Synchronous))}, not {value!r}"
    )


async def connect(path: Path, purpose: Purpose, synchronous: Synchronous) -> aiosqlite.Connection:
    """Open `path` for `purpose` with WAL, foreign keys and a busy timeout.

    Raises:
        StorageError: a one-line reason when the file cannot be opened or set up.
    """
    try:
        # isolation_level=None: the store writes BEGIN/COMMIT itself; Python's implicit
        # transactions would otherwise open a deferred one behind our back.
        db = aiosqlite.connect(path, isolation_level=None)
        await db
    except sqlite3.Error as error:
        await _worker_stopped(db)
        raise translate(error, path, "opening it") from error
    try:
        await run_sync(db, lambda conn: _configure(conn, path, purpose, synchronous))
    except BaseException:
        await db.close()
        raise
    return db


async def _worker_stopped(db: aiosqlite.Connection) -> None:
    """Wait for the worker thread of a connection that failed to open.

    aiosqlite stops it without waiting; the thread then hands a result to this event loop. If
    the loop closed first (a short-lived loop: a CLI command, a test), the thread dies with
    "Event loop is closed" on its way out.
    """
    await asyncio.to_thread(db._thread.join, 5.0)


def _configure(
    conn: sqlite3.Connection, path: Path, purpose: Purpose, synchronous: Synchronous
) -> None:
    conn.row_factory = sqlite3.Row
    try:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS:d}")
        (mode,) = conn.execute("PRAGMA journal_mode = WAL").fetchone()
        if str(mode).lower() != "wal":
            raise ReadOnlyDatabaseError(
                f"cannot put database {path} in WAL mode (it stays in {mode} mode): "
                "is the file or its directory read-only?"
            )
        conn.execute(f"PRAGMA synchronous = {synchronous}")
        conn.execute("PRAGMA foreign_keys = ON")
        # FAST zeroes deleted content in pages that are written anyway: scrubbed anonymous
        # links do not linger in the file, at no extra I/O.
        conn.execute("PRAGMA secure_delete = FAST")
        if purpose == "read":
            conn.execute("PRAGMA query_only = ON")
        else:
            _check_writable(conn)
    except sqlite3.Error as error:
        raise translate(error, path, "opening it") from error


def _check_writable(conn: sqlite3.Connection) -> None:
    """Fail at start, not at the first answer, on a file SQLite could only open read-only.

    A read-only file opens without error and, in WAL mode, even takes BEGIN IMMEDIATE; only a
    real write fails. Rewriting the header field with its own value is one, then rolled back.
    """
    (version,) = conn.execute("PRAGMA user_version").fetchone()
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.execute(f"PRAGMA user_version = {int(version):d}")
    finally:
        conn.execute("ROLLBACK")
