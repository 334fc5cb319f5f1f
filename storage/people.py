"""SQL about people: who they are, which language they chose, whether the bot can reach them.

Rule: functions here take a `sqlite3.Connection` and run on its thread; writes are units for the
group-commit writer (`storage/writer.py`), so they never BEGIN or COMMIT themselves.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime

from storage.errors import NotFoundError
from storage.models import Person, UserId, from_text, to_text

_COLUMNS = "user_id, display_name, organisation, language, reachable, created_at, updated_at"


def person_from_row(row: sqlite3.Row) -> Person:
    return Person(
        user_id=UserId(row["user_id"]),
        display_name=row["display_name"],
        organisation=row["organisation"],
        language=row["language"],
        reachable=bool(row["reachable"]),
        created_at=from_text(row["created_at"]),
        updated_at=from_text(row["updated_at"]),
    )


def get_person(conn: sqlite3.Connection, user_id: UserId) -> Person | None:
    row = conn.execute(f"SELECT {_COLUMNS} FROM people WHERE user_id = ?", (user_id,)).fetchone()
    return None if row is None else person_from_row(row)


def require_person(conn: sqlite3.Connection, user_id: UserId) -> Person:
    """Raises: NotFoundError: nobody has this user id."""
    person = get_person(conn, user_id)
    if person is None:
        raise NotFoundError(f"no person with user id {user_id}")
    return person


def upsert_person(
    conn: sqlite3.Connection,
    user_id: UserId,
    display_name: str,
    language: str | None,
    at: datetime,
    force: bool,
) -> Person:
    # Telegram sends its name and language with every update; once a person has chosen theirs
    # in the bot, Telegram's must not undo the choice.
    known = get_person(conn, user_id)
    if known is None:
        conn.execute(
            f"INSERT INTO people ({_COLUMNS}) VALUES (?, ?, NULL, ?, 0, ?, ?)",
            (user_id, display_name, language, to_text(at), to_text(at)),
        )
        return require_person(conn, user_id)
    name = display_name if force else known.display_name
    chosen = language if force else (known.language or language)
    if (name, chosen) != (known.display_name, known.language):
        conn.execute(
            "UPDATE people SET display_name = ?, language = ?, updated_at = ? WHERE user_id = ?",
            (name, chosen, to_text(at), user_id),
        )
    return require_person(conn, user_id)


def set_language(conn: sqlite3.Connection, user_id: UserId, language: str, at: datetime) -> Person:
    _update(conn, user_id, "language = ?", (language,), at)
    return require_person(conn, user_id)


def set_profile(
    conn: sqlite3.Connection,
    user_id: UserId,
    display_name: str,
    organisation: str | None,
    at: datetime,
) -> Person:
    _update(conn, user_id, "display_name = ?, organisation = ?", (display_name, organisation), at)
    return require_person(conn, user_id)


def set_reachable(conn: sqlite3.Connection, user_id: UserId, reachable: bool, at: datetime) -> None:
    _update(conn, user_id, "reachable = ?", (int(reachable),), at)


def _update(
    conn: sqlite3.Connection,
    user_id: UserId,
    assignments: str,
    values: tuple[object, ...],
    at: datetime,
) -> None:
    cursor = conn.execute(
        f"UPDATE people SET {assignments}, updated_at = ? WHERE user_id = ?",
        (*values, to_text(at), user_id),
    )
    if cursor.rowcount == 0:
        raise NotFoundError(f"no person with user id {user_id}")
