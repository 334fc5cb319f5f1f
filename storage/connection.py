"""SQLite connections with the project's settings, each on one thread of its own.

Rule: a `Connection` is a plain `sqlite3.Connection` created on, and only ever used from, its
own single-thread executor (as datasette does). Work reaches it as a sync function of the
connection, run in one trip (`run`): a whole group commit is one hop between the event loop and
the thread, however many statements it holds.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import Literal, TypeVar, cast, get_args

from storage.errors import ReadOnlyDatabaseError, SettingError, StoreClosedError, translate
from storage.models import Synchronous

T = TypeVar("T")

BUSY_TIMEOUT_MS = 5_000

Purpose = Literal["write", "read"]


class Connection:
    """One SQLite connection and the one thread that uses it; `connect` opens one."""

    def __init__(self, executor: ThreadPoolExecutor, conn: sqlite3.Connection) -> None:
        self._executor = executor
        self._conn = conn
        self._closed = False

    async def run(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """Run `work(connection)` on the connection's thread and return its result.

        Raises:
            StoreClosedError: the connection is closed.
        """
        if self._closed:
            raise StoreClosedError("storage is closed")
        return await asyncio.get_running_loop().run_in_executor(self._executor, work, self._conn)

    async def close(self) -> None:
        """Close the connection once the work already sent to it is done, and stop its thread."""
        if self._closed:
            return
        self._closed = True
        try:
            await asyncio.get_running_loop().run_in_executor(self._executor, self._conn.close)
        finally:
            await asyncio.to_thread(self._executor.shutdown)


def check_synchronous(value: str) -> Synchronous:
    """Raises: SettingError: `value` is not a level SQLite knows."""
    for level in get_args(Synchronous):
        if value.upper() == level:
            return cast(Synchronous, level)
    raise SettingError(
        f"storage synchronous must be one of {', '.join(get_args(Synchronous))}, not {value!r}"
    )


async def connect(path: Path, purpose: Purpose, synchronous: Synchronous) -> Connection:
    """Open `path` for `purpose` with WAL, foreign keys and a busy timeout.

    Raises:
        StorageError: a one-line reason when the file cannot be opened or set up.
    """
    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"storage-{purpose}")
    try:
        conn = await asyncio.get_running_loop().run_in_executor(
            executor, partial(_open, path, purpose, synchronous)
        )
    except BaseException:
        # Waited for: a thread still alive when a short-lived loop (a CLI command, a test)
        # closes would outlive it.
        await asyncio.to_thread(executor.shutdown)
        raise
    return Connection(executor, conn)


def _open(path: Path, purpose: Purpose, synchronous: Synchronous) -> sqlite3.Connection:
    try:
        # isolation_level=None: the store writes BEGIN/COMMIT itself; Python's implicit
        # transactions would otherwise open a deferred one behind our back.
        conn = sqlite3.connect(path, isolation_level=None)
    except sqlite3.Error as error:
        raise translate(error, path, "opening it") from error
    try:
        _configure(conn, path, purpose, synchronous)
    except BaseException:
        conn.close()
        raise
    return conn


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
        # ON, not FAST: FAST leaves whole freed pages (an overflowing session state, a pool of
        # anonymous answers) as they were, and those held what was erased.
        conn.execute("PRAGMA secure_delete = ON")
        # A WAL reused after a checkpoint is cut back to nothing, not left holding old frames.
        conn.execute("PRAGMA journal_size_limit = 0")
        # VACUUM copies the whole database through a temporary one: kept in memory, it leaves
        # no deleted file with every answer in it on the disk.
        conn.execute("PRAGMA temp_store = MEMORY")
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
