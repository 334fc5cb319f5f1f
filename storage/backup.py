"""Online backup: a consistent copy of a live database, without stopping the bot.

Rule: a backup reads through its own read-only connection and takes no single-instance lock, so
`bilan-bot backup PATH` works from a second process while the bot runs. The copy is written
beside the target and renamed into place, so a crash never leaves a half backup under the name;
an existing file is never replaced.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
from os import PathLike
from pathlib import Path

from storage.connection import BUSY_TIMEOUT_MS
from storage.errors import BackupError


async def backup_database(source: str | PathLike[str], target: str | PathLike[str]) -> None:
    """Copy the database at `source` to `target` with `VACUUM INTO`, while writes go on.

    The target's missing parent directories are created.

    Raises:
        BackupError: the source is missing or unreadable, the target exists, or it cannot be
            written.
    """
    await asyncio.to_thread(_copy, Path(source), Path(target))


def _copy(source: Path, target: Path) -> None:
    source, target = source.resolve(), target.resolve()
    if not source.is_file():
        raise BackupError(f"cannot back up {source}: no such database file")
    if target.exists() and target.samefile(source):
        raise BackupError(f"cannot back up {source} onto itself")
    if target.exists():
        # An older backup is worth keeping: the person names a new file for a new copy.
        raise BackupError(f"cannot back up to {target}: the file exists (choose a new name)")
    partial = target.with_name(f".{target.name}.partial")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        partial.unlink(missing_ok=True)
        _snapshot(source, partial)
        _fsync(partial)
        os.replace(partial, target)
        _fsync(target.parent)
    except sqlite3.Error as error:
        raise BackupError(f"cannot back up {source} to {target}: {error}") from error
    except OSError as error:
        raise BackupError(f"cannot back up {source} to {target}: {error.strerror}") from error
    finally:
        partial.unlink(missing_ok=True)


def _snapshot(source: Path, partial: Path) -> None:
    # VACUUM INTO reads in one transaction (in WAL mode a consistent snapshot, and the writer
    # goes on meanwhile) and writes a fresh, compact file: no free page, no old cell, no row
    # where insertion order put it, where a page-by-page copy would carry all of those along.
    reader = sqlite3.connect(source.as_uri() + "?mode=ro", uri=True, isolation_level=None)
    try:
        reader.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS:d}")
        reader.execute("PRAGMA temp_store = MEMORY")
        reader.execute("VACUUM INTO ?", (str(partial),))
    finally:
        reader.close()
    copy = sqlite3.connect(partial, isolation_level=None)
    try:
        # A backup is one self-contained file, with no -wal beside it to lose.
        copy.execute("PRAGMA journal_mode = DELETE")
        (verdict,) = copy.execute("PRAGMA quick_check").fetchone()
    finally:
        copy.close()
    if verdict != "ok":
        raise BackupError(f"the copy of {source} failed its check: {verdict}")


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
