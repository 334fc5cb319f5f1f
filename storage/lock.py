"""The single-instance guard: one bilan-bot process per database file.

Rule: the guard is an exclusive `flock` on the sidecar file `<db>.lock`, held for the life of the
store. The kernel drops it when the process dies, even by SIGKILL, so a crash never leaves a
stale lock to clean by hand. The lock file is never deleted: unlinking it would let a third
process lock a fresh inode while the second still holds the old one.

SQLite's own locks do not serve here: in WAL mode two processes may both open and write the
file, and two bots would then both answer the same Telegram updates.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
from pathlib import Path

from storage.errors import DatabaseInUseError, DatabaseOpenError, ReadOnlyDatabaseError


class InstanceLock:
    """An exclusive lock on `<db>.lock`, with the holder's pid written inside."""

    def __init__(self, fd: int, path: Path) -> None:
        self._fd: int | None = fd
        self.path = path

    @classmethod
    def acquire(cls, database: Path) -> InstanceLock:
        """Take the lock for `database`, or fail at once.

        Raises:
            DatabaseInUseError: another process (or another store in this one) holds it.
            DatabaseOpenError, ReadOnlyDatabaseError: the lock file cannot be created.
        """
        path = database.with_name(database.name + ".lock")
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        except OSError as error:
            raise _open_error(database, path, error) from error
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as error:
            holder = _read_pid(fd)
            os.close(fd)
            if error.errno not in (errno.EWOULDBLOCK, errno.EAGAIN):
                raise DatabaseOpenError(f"cannot lock {path}: {error.strerror}") from error
            raise DatabaseInUseError(
                f"database {database} is already used by another bilan-bot process "
                f"(pid {holder or 'unknown'})"
            ) from error
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        return cls(fd, path)

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the descriptor drops the flock
            self._fd = None


def _read_pid(fd: int) -> str:
    with contextlib.suppress(OSError):
        return os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    return ""


def _open_error(database: Path, path: Path, error: OSError) -> Exception:
    if error.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return ReadOnlyDatabaseError(
            f"cannot create lock file {path} next to database {database}: {error.strerror}"
        )
    if error.errno == errno.ENOENT:
        return DatabaseOpenError(
            f"cannot open database {database}: directory {database.parent} does not exist"
        )
    return DatabaseOpenError(f"cannot open database {database}: {error.strerror}")
