"""The ordered registry of schema migrations, and the code that applies them.

Rule: a migration is a function of a `sqlite3.Connection`, named `mNNNN_what`, appended to
`MIGRATIONS` and never renamed, reordered or edited once released. Each one runs inside its own
`BEGIN IMMEDIATE` transaction together with its row in the `migrations` table, so a failing
migration leaves neither its changes nor its row (the model is sqlite-utils' migrations).

Inside a migration, never call `executescript` (it commits first, which would split the
migration from its row) and never toggle `PRAGMA foreign_keys` (a no-op inside a transaction);
use `execute_script` and `PRAGMA defer_foreign_keys` instead.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from pathlib import Path

from storage import schema
from storage.errors import DatabaseOpenError, MigrationError, SchemaTooNewError, translate

Migration = Callable[[sqlite3.Connection], None]

# Errors about the file rather than the migration keep their own class: "disk full" is more
# useful at start than "migration failed".
_FILE_ERRORS = (5, 8, 10, 11, 13, 14, 26)  # BUSY READONLY IOERR CORRUPT FULL CANTOPEN NOTADB


def execute_script(conn: sqlite3.Connection, script: str) -> None:
    """Run each statement of `script` inside the caller's transaction."""
    statement = ""
    for line in script.splitlines(keepends=True):
        statement += line
        if sqlite3.complete_statement(statement):
            conn.execute(statement)
            statement = ""
    if statement.strip():
        raise ValueError(f"incomplete SQL statement at the end of a script: {statement[:60]!r}")


def m0001_initial(conn: sqlite3.Connection) -> None:
    execute_script(conn, schema.INITIAL)


def m0002_dialogs(conn: sqlite3.Connection) -> None:
    execute_script(conn, schema.DIALOGS)


def m0003_flow_definitions(conn: sqlite3.Connection) -> None:
    execute_script(conn, schema.FLOW_DEFINITIONS)


def m0004_cohort_timezone(conn: sqlite3.Connection) -> None:
    execute_script(conn, schema.COHORT_TIMEZONE)


def m0005_anonymous_pools(conn: sqlite3.Connection) -> None:
    execute_script(conn, schema.ANONYMOUS_POOLS)
    execute_script(conn, schema.UNLINK_ANONYMOUS_SESSIONS)


def m0006_boards(conn: sqlite3.Connection) -> None:
    execute_script(conn, schema.BOARDS)


MIGRATIONS: tuple[Migration, ...] = (
    m0001_initial,
    m0002_dialogs,
    m0003_flow_definitions,
    m0004_cohort_timezone,
    m0005_anonymous_pools,
    m0006_boards,
)


def migrate(conn: sqlite3.Connection, path: Path, migrations: Sequence[Migration]) -> int:
    """Apply the migrations `conn` has not seen yet, in order; return the schema version.

    Raises:
        SchemaTooNewError: the database knows a migration that `migrations` does not.
        DatabaseOpenError: the file holds another application's tables.
        MigrationError: a migration failed (it was rolled back) or the history disagrees.
    """
    names = [migration.__name__ for migration in migrations]
    if len(set(names)) != len(names):
        raise MigrationError(f"two migrations share a name in {names}")
    applied = _history(conn, path)
    (user_version,) = conn.execute("PRAGMA user_version").fetchone()
    if user_version > len(names) or any(name not in names for name in applied):
        raise SchemaTooNewError(
            f"database {path} has schema version {max(user_version, len(applied))} but this "
            f"bilan-bot knows only up to {len(names)}: upgrade bilan-bot"
        )
    if applied != names[: len(applied)]:
        raise MigrationError(
            f"database {path} was migrated in another order than this bilan-bot's: {applied}"
        )
    for index, migration in enumerate(migrations[len(applied) :], start=len(applied) + 1):
        _apply(conn, path, migration, index)
    return len(names)


def _history(conn: sqlite3.Connection, path: Path) -> list[str]:
    """The names of the applied migrations, oldest first (an empty file gets its log)."""
    has_log = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'migrations'"
    ).fetchone()
    if has_log is None and conn.execute("SELECT 1 FROM sqlite_master").fetchone() is not None:
        # Migrating another application's tables would mix two schemas in one file.
        raise DatabaseOpenError(
            f"{path} is the SQLite database of something other than bilan-bot "
            "(it has tables but no migrations table)"
        )
    conn.execute(
        "CREATE TABLE IF NOT EXISTS migrations (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE)"
    )
    return [name for (name,) in conn.execute("SELECT name FROM migrations ORDER BY id")]


def _apply(conn: sqlite3.Connection, path: Path, migration: Migration, index: int) -> None:
    name = migration.__name__
    conn.execute("BEGIN IMMEDIATE")
    try:
        migration(conn)
        if not conn.in_transaction:
            raise MigrationError(f"migration {name} ended its own transaction (executescript?)")
        conn.execute("INSERT INTO migrations (id, name) VALUES (?, ?)", (index, name))
        # The header field lets any SQLite tool see the version without knowing our tables.
        conn.execute(f"PRAGMA user_version = {index:d}")
        conn.execute("COMMIT")
    except BaseException as error:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        if isinstance(error, sqlite3.Error):
            if getattr(error, "sqlite_errorcode", 0) & 0xFF in _FILE_ERRORS:
                raise translate(error, path, f"applying migration {name}") from error
            raise MigrationError(f"migration {name} failed and was rolled back: {error}") from error
        if isinstance(error, Exception) and not isinstance(error, MigrationError):
            raise MigrationError(
                f"migration {name} failed and was rolled back: {error!r}"
            ) from error
        raise
