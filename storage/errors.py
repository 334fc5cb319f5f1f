"""Errors of the storage layer: one base, one line each.

Rule: every error a caller can see from `storage/` is a `StorageError` whose message is one human
line, fit to print as the bot's last words at start (`bilan-bot: <message>`). Raw `sqlite3`
errors are translated here and nowhere else, so the rest of the package never matches on SQLite
error codes.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path


class StorageError(Exception):
    """Base of every error raised by `storage/`; `str(error)` is one line for a person."""

    def __init__(self, message: str) -> None:
        # SQLite messages and paths may carry newlines; a one-line reason is the contract.
        super().__init__(" ".join(message.split()))


class DatabaseOpenError(StorageError):
    """The database file cannot be opened: wrong path, missing directory, not a database."""


class ReadOnlyDatabaseError(StorageError):
    """The database file, its directory or its journal cannot be written."""


class DiskFullError(StorageError):
    """The disk (or the database's size limit) is full; the write did not happen."""


class DiskIOError(StorageError):
    """The operating system reported an I/O error; the write did not happen."""


class CorruptDatabaseError(StorageError):
    """The file is not a SQLite database, or its content is damaged."""


class DatabaseBusyError(StorageError):
    """Another connection held the database longer than the busy timeout."""


class DatabaseInUseError(StorageError):
    """Another bilan-bot process holds the database (single-instance guard)."""


class SchemaTooNewError(StorageError):
    """The database was migrated by a newer bilan-bot than this one."""


class MigrationError(StorageError):
    """A migration failed; it was rolled back and left nothing behind."""


class SettingError(StorageError):
    """A storage setting has a value the storage does not accept."""


class StoreClosedError(StorageError):
    """The repository was used after `close()`."""


class BackupError(StorageError):
    """A backup could not be written."""


class NotFoundError(StorageError):
    """A row the call depends on (person, cohort, round, session, flow) does not exist."""


class ConstraintError(StorageError):
    """A write broke a rule of the schema (a caller bug, reported without a traceback)."""


class FlowConflictError(StorageError):
    """The same flow id and version was registered before with a different source."""


class InviteCodeTakenError(StorageError):
    """Another cohort already uses this invite code."""


class RoundClosedError(StorageError):
    """The round is closed: no new session can start in it."""


class SessionFinishedError(StorageError):
    """The session is no longer active: its answers are final."""


class BoardExistsError(StorageError):
    """The cohort already runs a SWOT board that has not reached its results."""


class StaleBoardError(StorageError):
    """The board changed since the state a write was computed from was read: read it again."""


# SQLite's primary result codes (https://sqlite.org/rescode.html); extended codes keep them in
# their low byte.
_BUSY, _READONLY, _IOERR, _CORRUPT, _FULL, _CANTOPEN, _NOTADB = 5, 8, 10, 11, 13, 14, 26


def translate(error: sqlite3.Error, path: Path, doing: str) -> StorageError:
    """Turn a `sqlite3` error met while `doing` something on `path` into a `StorageError`."""
    code = getattr(error, "sqlite_errorcode", 0) & 0xFF
    reason = str(error)
    if code == _CANTOPEN:
        return DatabaseOpenError(
            f"cannot open database {path}: {reason} (does its directory exist, is it writable?)"
        )
    if code == _READONLY:
        return ReadOnlyDatabaseError(
            f"cannot write database {path}: the file or its directory is read-only ({reason})"
        )
    if code == _FULL:
        return DiskFullError(f"cannot write database {path} while {doing}: disk is full")
    if code == _IOERR:
        return DiskIOError(f"disk I/O error on database {path} while {doing} ({reason})")
    if code in (_NOTADB, _CORRUPT):
        return CorruptDatabaseError(f"{path} is not a usable bilan-bot database: {reason}")
    if code == _BUSY:
        return DatabaseBusyError(f"database {path} stayed busy while {doing} ({reason})")
    if isinstance(error, sqlite3.IntegrityError):
        return ConstraintError(f"rejected by the database while {doing}: {reason}")
    return StorageError(f"database {path} failed while {doing}: {reason}")
