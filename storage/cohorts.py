"""SQL about cohorts, their members and the Telegram chats bound to them.

Rule: functions here take a `sqlite3.Connection` and run on its thread; writes are units for the
group-commit writer, so they never BEGIN or COMMIT themselves.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime

from storage.dialogs import delete_dialog
from storage.errors import InviteCodeTakenError, NotFoundError
from storage.models import (
    ApplyResult,
    Chat,
    ChatId,
    ChatKind,
    Cohort,
    CohortId,
    Membership,
    Role,
    UpdateId,
    UserId,
    from_optional_text,
    from_text,
    to_text,
)
from storage.people import require_person, set_language, set_profile
from storage.updates import claim_update

_COHORT = "id, name, invite_code, created_by, created_at, archived_at, timezone"
_MEMBERSHIP = "cohort_id, user_id, role, joined_at"
_CHAT = "chat_id, cohort_id, title, kind, bound_at"


def cohort_from_row(row: sqlite3.Row) -> Cohort:
    return Cohort(
        id=CohortId(row["id"]),
        name=row["name"],
        invite_code=row["invite_code"],
        created_by=UserId(row["created_by"]),
        created_at=from_text(row["created_at"]),
        archived_at=from_optional_text(row["archived_at"]),
        timezone=row["timezone"],
    )


def membership_from_row(row: sqlite3.Row) -> Membership:
    return Membership(
        cohort_id=CohortId(row["cohort_id"]),
        user_id=UserId(row["user_id"]),
        role=row["role"],
        joined_at=from_text(row["joined_at"]),
    )


def chat_from_row(row: sqlite3.Row) -> Chat:
    return Chat(
        chat_id=ChatId(row["chat_id"]),
        cohort_id=None if row["cohort_id"] is None else CohortId(row["cohort_id"]),
        title=row["title"],
        kind=row["kind"],
        bound_at=from_text(row["bound_at"]),
    )


def create_cohort(
    conn: sqlite3.Connection,
    name: str,
    invite_code: str,
    created_by: UserId,
    at: datetime,
    timezone: str,
) -> Cohort:
    require_person(conn, created_by)
    if get_cohort_by_code(conn, invite_code) is not None:
        raise InviteCodeTakenError(f"invite code {invite_code!r} is already used by a cohort")
    cursor = conn.execute(
        "INSERT INTO cohorts (name, invite_code, created_by, created_at, timezone) "
        "VALUES (?, ?, ?, ?, ?)",
        (name, invite_code, created_by, to_text(at), timezone),
    )
    cohort_id = CohortId(cursor.lastrowid or 0)
    add_member(conn, cohort_id, created_by, "facilitator", at)
    return require_cohort(conn, cohort_id)


def get_cohort(conn: sqlite3.Connection, cohort_id: CohortId) -> Cohort | None:
    row = conn.execute(f"SELECT {_COHORT} FROM cohorts WHERE id = ?", (cohort_id,)).fetchone()
    return None if row is None else cohort_from_row(row)


def require_cohort(conn: sqlite3.Connection, cohort_id: CohortId) -> Cohort:
    """Raises: NotFoundError: no cohort has this id."""
    cohort = get_cohort(conn, cohort_id)
    if cohort is None:
        raise NotFoundError(f"no cohort with id {cohort_id}")
    return cohort


def get_cohort_by_code(conn: sqlite3.Connection, invite_code: str) -> Cohort | None:
    row = conn.execute(
        f"SELECT {_COHORT} FROM cohorts WHERE invite_code = ?", (invite_code,)
    ).fetchone()
    return None if row is None else cohort_from_row(row)


def add_member(
    conn: sqlite3.Connection, cohort_id: CohortId, user_id: UserId, role: Role, at: datetime
) -> bool:
    require_cohort(conn, cohort_id)
    require_person(conn, user_id)
    cursor = conn.execute(
        f"INSERT OR IGNORE INTO memberships ({_MEMBERSHIP}) VALUES (?, ?, ?, ?)",
        (cohort_id, user_id, role, to_text(at)),
    )
    return cursor.rowcount == 1


def join_cohort(
    conn: sqlite3.Connection,
    cohort_id: CohortId,
    user_id: UserId,
    role: Role,
    display_name: str,
    organisation: str | None,
    language: str,
    at: datetime,
    update_id: UpdateId | None,
) -> ApplyResult:
    # One unit, so a crash never leaves a member without the name they gave, or a finished
    # onboarding still open (it would ask its last question again after a restart).
    if update_id is not None and not claim_update(conn, update_id, at):
        return ApplyResult.DUPLICATE
    add_member(conn, cohort_id, user_id, role, at)  # already a member: joining again is harmless
    set_profile(conn, user_id, display_name, organisation, at)
    set_language(conn, user_id, language, at)
    delete_dialog(conn, user_id)
    return ApplyResult.APPLIED


def memberships_of(conn: sqlite3.Connection, user_id: UserId) -> list[Membership]:
    rows = conn.execute(
        f"SELECT {_MEMBERSHIP} FROM memberships WHERE user_id = ? ORDER BY cohort_id, role",
        (user_id,),
    )
    return [membership_from_row(row) for row in rows]


def members_of(
    conn: sqlite3.Connection, cohort_id: CohortId, role: Role | None
) -> list[Membership]:
    if role is None:
        rows = conn.execute(
            f"SELECT {_MEMBERSHIP} FROM memberships WHERE cohort_id = ? ORDER BY user_id, role",
            (cohort_id,),
        )
    else:
        rows = conn.execute(
            f"SELECT {_MEMBERSHIP} FROM memberships WHERE cohort_id = ? AND role = ? "
            "ORDER BY user_id",
            (cohort_id, role),
        )
    return [membership_from_row(row) for row in rows]


def member_names(conn: sqlite3.Connection, cohort_id: CohortId) -> dict[UserId, str]:
    rows = conn.execute(
        "SELECT DISTINCT m.user_id, p.display_name FROM memberships m "
        "JOIN people p ON p.user_id = m.user_id WHERE m.cohort_id = ? ORDER BY m.user_id",
        (cohort_id,),
    )
    return {UserId(row["user_id"]): row["display_name"] for row in rows}


def bind_chat(
    conn: sqlite3.Connection,
    chat_id: ChatId,
    cohort_id: CohortId | None,
    title: str | None,
    kind: ChatKind,
    at: datetime,
) -> Chat:
    if cohort_id is not None:
        require_cohort(conn, cohort_id)
    conn.execute(
        f"INSERT INTO chats ({_CHAT}) VALUES (?, ?, ?, ?, ?) ON CONFLICT (chat_id) DO UPDATE "
        "SET cohort_id = excluded.cohort_id, title = excluded.title, kind = excluded.kind, "
        "bound_at = excluded.bound_at",
        (chat_id, cohort_id, title, kind, to_text(at)),
    )
    row = conn.execute(f"SELECT {_CHAT} FROM chats WHERE chat_id = ?", (chat_id,)).fetchone()
    return chat_from_row(row)


def chats_of_cohort(conn: sqlite3.Connection, cohort_id: CohortId) -> list[Chat]:
    rows = conn.execute(
        f"SELECT {_CHAT} FROM chats WHERE cohort_id = ? ORDER BY chat_id", (cohort_id,)
    )
    return [chat_from_row(row) for row in rows]


def cohort_of_chat(conn: sqlite3.Connection, chat_id: ChatId) -> Cohort | None:
    row = conn.execute(
        f"SELECT {', '.join('c.' + c for c in _COHORT.split(', '))} "
        "FROM chats JOIN cohorts c ON c.id = chats.cohort_id WHERE chats.chat_id = ?",
        (chat_id,),
    ).fetchone()
    return None if row is None else cohort_from_row(row)
