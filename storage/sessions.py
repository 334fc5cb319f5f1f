"""SQL about sessions and their answers, with the anonymity rules of anonymous rounds.

Rule: functions here take a `sqlite3.Connection` and run on its thread; writes are units for the
group-commit writer, so they never BEGIN or COMMIT themselves.

Anonymity (the whole model is in `storage/anonymity.py`): a session of an anonymous round has no
response; its answers live in its state while it is active, because resuming needs them, and the
transaction that finishes it stores the round's constant scrubbed state. Response and answer ids
are random in every round: a named one following the largest id would date an anonymous one.
"""

from __future__ import annotations

import secrets
import sqlite3
from datetime import datetime

from flows.state import SessionState
from storage.errors import (
    NotFoundError,
    RoundClosedError,
)
from storage.models import (
    AnswerRow,
    RoundId,
    Session,
    SessionId,
    UserId,
    from_json,
    from_optional_text,
    from_text,
    to_text,
)
from storage.people import require_person
from storage.rounds import answer_from_row, require_round

_SESSION = (
    "id, round_id, user_id, response_id, status, state_json, flow_version, prompt_message_id, "
    "started_at, updated_at, finished_at"
)


def session_from_row(row: sqlite3.Row) -> Session:
    return Session(
        id=SessionId(row["id"]),
        round_id=RoundId(row["round_id"]),
        user_id=UserId(row["user_id"]),
        response_id=row["response_id"],
        status=row["status"],
        state=SessionState.from_json(from_json(row["state_json"])),
        flow_version=row["flow_version"],
        prompt_message_id=row["prompt_message_id"],
        started_at=from_text(row["started_at"]),
        updated_at=from_text(row["updated_at"]),
        finished_at=from_optional_text(row["finished_at"]),
    )


def get_session(conn: sqlite3.Connection, session_id: SessionId) -> Session | None:
    row = conn.execute(f"SELECT {_SESSION} FROM sessions WHERE id = ?", (session_id,)).fetchone()
    return None if row is None else session_from_row(row)


def session_of(conn: sqlite3.Connection, round_id: RoundId, user_id: UserId) -> Session | None:
    row = conn.execute(
        f"SELECT {_SESSION} FROM sessions WHERE round_id = ? AND user_id = ?", (round_id, user_id)
    ).fetchone()
    return None if row is None else session_from_row(row)


def active_sessions_of(conn: sqlite3.Connection, user_id: UserId) -> list[Session]:
    rows = conn.execute(
        f"SELECT {_SESSION} FROM sessions WHERE user_id = ? AND status = 'active' "
        "ORDER BY started_at, id",
        (user_id,),
    )
    return [session_from_row(row) for row in rows]


def active_sessions_of_round(conn: sqlite3.Connection, round_id: RoundId) -> list[Session]:
    # Session ids grow with each start: id order is start order, with no sort.
    rows = conn.execute(
        f"SELECT {_SESSION} FROM sessions WHERE round_id = ? AND status = 'active' ORDER BY id",
        (round_id,),
    )
    return [session_from_row(row) for row in rows]


def start_session(
    conn: sqlite3.Connection,
    round_id: RoundId,
    user_id: UserId,
    state_json: str,
    flow_version: int,
    at: datetime,
) -> Session:
    existing = session_of(conn, round_id, user_id)
    if existing is not None:
        return existing
    found = require_round(conn, round_id)
    if found.status != "open":
        raise RoundClosedError(f"round {round_id} is closed: no new session can start")
    require_person(conn, user_id)
    response_id: int | None = None  # an anonymous session's answers stay in its state
    if not found.anonymous:
        # Random: a named response numbered after the largest id would tell when the anonymous
        # response holding that id was written.
        response_id = _random_id(conn, "responses")
        conn.execute(
            "INSERT INTO responses (id, round_id, user_id) VALUES (?, ?, ?)",
            (response_id, round_id, user_id),
        )
    conn.execute(
        "INSERT INTO sessions (round_id, user_id, response_id, status, state_json, flow_version, "
        "started_at, updated_at) VALUES (?, ?, ?, 'active', ?, ?, ?, ?)",
        (round_id, user_id, response_id, state_json, flow_version, to_text(at), to_text(at)),
    )
    started = session_of(conn, round_id, user_id)
    assert started is not None, "the session was inserted just above"
    return started


def set_prompt_message(
    conn: sqlite3.Connection, session_id: SessionId, message_id: int | None
) -> None:
    cursor = conn.execute(
        "UPDATE sessions SET prompt_message_id = ? WHERE id = ?", (message_id, session_id)
    )
    if cursor.rowcount == 0:
        raise NotFoundError(f"no session with id {session_id}")


def live_answers(conn: sqlite3.Connection, session_id: SessionId) -> dict[str, AnswerRow]:
    if get_session(conn, session_id) is None:
        raise NotFoundError(f"no session with id {session_id}")
    rows = conn.execute(
        "SELECT a.id, a.response_id, r.user_id, a.step_id, a.value_json, a.detail, "
        "a.answered_at, a.retracted, r.submitted_at "
        "FROM sessions s JOIN responses r ON r.id = s.response_id "
        "JOIN answers a ON a.response_id = r.id AND a.retracted = 0 "
        "WHERE s.id = ? ORDER BY a.step_id",
        (session_id,),
    )
    return {row["step_id"]: answer_from_row(row) for row in rows}


def _random_id(conn: sqlite3.Connection, table: str) -> int:
    while True:
        candidate = secrets.randbits(62) + 1  # in [1, 2**62]
        if conn.execute(f"SELECT 1 FROM {table} WHERE id = ?", (candidate,)).fetchone() is None:
            return candidate
