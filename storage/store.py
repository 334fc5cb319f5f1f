"""The open store: its two connections, its writer, its lock, and their lifetime.

Rule: this base class owns the plumbing every repository method shares (a write is a unit for the
writer, a read is one trip on the read connection) and nothing of any use case; the routing of the
use cases lives in `storage/sqlite.py`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from os import PathLike
from pathlib import Path
from types import TracebackType
from typing import Self, TypeVar

from storage.backup import backup_database
from storage.connection import Connection
from storage.errors import StoreClosedError, translate
from storage.lock import InstanceLock
from storage.models import WriteStats
from storage.writer import Erase, GroupCommitWriter

T = TypeVar("T")


class SqliteStore:
    """One SQLite file held open: one write connection behind the writer, one read connection."""

    def __init__(
        self,
        path: Path,
        lock: InstanceLock,
        write_db: Connection,
        read_db: Connection,
        schema_version: int,
    ) -> None:
        self.path = path
        self.schema_version = schema_version
        self._lock = lock
        self._write_db = write_db
        self._read_db = read_db
        self._writer = GroupCommitWriter(write_db, path)
        self._closed = False
        self.reads = 0  # round trips on the read connection, for benchmarks

    @property
    def write_stats(self) -> WriteStats:
        return self._writer.stats

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            await self._writer.close()
        finally:
            try:
                await self._read_db.close()
            finally:
                # The writer closes last: as the last connection it checkpoints and removes
                # the -wal file, leaving one self-contained database file.
                try:
                    await self._write_db.close()
                finally:
                    self._lock.release()

    async def backup(self, target: str | PathLike[str]) -> None:
        await backup_database(self.path, target)

    async def _write(
        self,
        unit: Callable[[sqlite3.Connection], T],
        erase: Callable[[T], Erase] = lambda _: Erase.NOTHING,
    ) -> T:
        return await self._writer.submit(unit, erase)

    async def _read(self, work: Callable[[sqlite3.Connection], T]) -> T:
        if self._closed:
            raise StoreClosedError("storage is closed: no more reads")
        self.reads += 1
        try:
            return await self._read_db.run(work)
        except sqlite3.Error as error:
            raise translate(error, self.path, "reading") from error
