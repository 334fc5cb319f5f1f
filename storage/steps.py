"""SQL of a session's steps: its state, its answers and the update they came from, together.

Rule: as in `sessions`, functions take a `sqlite3.Connection` and run on the writer's thread,
inside the writer's transaction. `apply_step` does one step; `apply_known_steps` does the steps
of known sessions of a whole batch in three statements (three more when some finish), because
every statement costs Python work to bind, and a hand-over of the GIL from the event loop to the
writer's thread.

Anonymity is as `sessions` says: random answer ids, answer times kept to the day in anonymous
rounds, and the session's link to its response dropped in the transaction that finishes it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from storage import random_ids
from storage.errors import ConstraintError, NotFoundError, SessionFinishedError
from storage.models import (
    UNCHANGED,
    ApplyResult,
    RoundId,
    SessionId,
    SessionStatus,
    Unchanged,
    UpdateId,
    UserId,
    day_of_text,
    to_day_text,
    to_text,
)
from storage.updates import claim_update

T = TypeVar("T")

_INSERT_ATTEMPTS = 8  # a retraction, then random ids that collide with odds of 2**-62 each

# (step_id, value as JSON text, detail): the JSON is encoded by the caller, off the writer thread.
EncodedAnswer = tuple[str, str, str | None]


@dataclass(frozen=True, slots=True)
class KnownSession:
    """What this process already read of an active session: lets a step skip reading it again.

    The step's UPDATE checks all of it (a session forgotten and its id reused does not match),
    and falls back to reading the session when anything differs.
    """

    round_id: RoundId
    user_id: UserId
    response_id: int
    anonymous: bool  # the round's, which never changes once it is opened


@dataclass(frozen=True, slots=True)
class Applied:
    result: ApplyResult
    known: KnownSession | None = None  # what the step found, for the next one


def apply_step(
    conn: sqlite3.Connection,
    update_id: UpdateId | None,
    session_id: SessionId,
    state_json: str,
    recorded: Sequence[EncodedAnswer],
    retracted: Sequence[str],
    at: datetime,
    status: SessionStatus,
    prompt_message_id: int | Unchanged | None,
    known: KnownSession | None = None,
) -> Applied:
    """One step of an active session: its state, answers and update id, in one transaction.

    With `known`, a step that keeps the session active is three statements (update id, session,
    answer): every statement costs a hand-over of the GIL to the writer's thread.
    """
    if update_id is not None and not claim_update(conn, update_id, at):
        return Applied(ApplyResult.DUPLICATE)
    if (
        known is not None
        and status == "active"
        and _write_known_session(conn, session_id, known, state_json, at, prompt_message_id)
    ):
        _write_answers(conn, known, recorded, retracted, at)
        return Applied(ApplyResult.APPLIED, known)
    row = conn.execute(
        "SELECT s.round_id, s.user_id, s.response_id, s.status, r.anonymous "
        "FROM sessions s JOIN rounds r ON r.id = s.round_id WHERE s.id = ?",
        (session_id,),
    ).fetchone()
    if row is None:
        raise NotFoundError(f"no session with id {session_id}")
    if row["status"] != "active":
        raise SessionFinishedError(f"session {session_id} is {row['status']}: it takes no step")
    found = KnownSession(
        RoundId(row["round_id"]), UserId(row["user_id"]), row["response_id"], bool(row["anonymous"])
    )
    _write_answers(conn, found, recorded, retracted, at)
    _write_session(conn, session_id, state_json, to_text(at), status, prompt_message_id, found)
    if status != "active":
        _finish(conn, found, status, at)
    return Applied(ApplyResult.APPLIED, found)


@dataclass(frozen=True, slots=True)
class KnownStep:
    """A step that `apply_known_steps` may run with others: its session is known and nothing
    is retracted. `status` is the session's after it: a step that finishes it is one too."""

    update_id: UpdateId | None
    session_id: SessionId
    state_json: str
    recorded: Sequence[EncodedAnswer]
    at: datetime
    known: KnownSession
    status: SessionStatus = "active"


# Rows per statement: at most 9 parameters a row stays under SQLite's oldest limit of 999.
_ROWS_PER_STATEMENT = 100
# Ending a session binds 15 parameters (`_finish_known_sessions`): 66 of them stay under 999.
_FINISHING_PER_STATEMENT = 66


def apply_known_steps(
    conn: sqlite3.Connection, items: Sequence[KnownStep]
) -> list[Applied | Exception]:
    """Steps of many sessions in three statements per 100 (update ids, sessions, answers), and
    three more for the steps that finish their session (sessions, completions, responses).

    If any of them is not plain (an update seen before, a session no longer as known, an answer
    given before, two steps of one session), all are undone and run one by one, each failing
    alone: the result is the same as `apply_step` for each, in order.
    """
    conn.execute("SAVEPOINT steps")
    try:
        together = _steps_together(conn, items)
    except Exception:  # an answer given before, a random id drawn twice, one bad value…
        if not conn.in_transaction:  # SQLite gave the whole transaction up: so do all
            raise
        together = False  # …each runs alone below, and only the bad one fails
    if together:
        conn.execute("RELEASE steps")
        return [Applied(ApplyResult.APPLIED, item.known) for item in items]
    conn.execute("ROLLBACK TO steps")
    conn.execute("RELEASE steps")
    return [_step_alone(conn, item) for item in items]


def _steps_together(conn: sqlite3.Connection, items: Sequence[KnownStep]) -> bool:
    if len({item.session_id for item in items}) != len(items):
        return False
    # Python here holds the GIL that the event loop waits for: each time is formatted once.
    times = {id(item): to_text(item.at) for item in items}
    claimed = [item for item in items if item.update_id is not None]
    for chunk in _chunks(claimed):
        cursor = conn.execute(
            "INSERT OR IGNORE INTO processed_updates (update_id, processed_at) VALUES "
            + _marks(len(chunk), 2),
            [value for item in chunk for value in (item.update_id, times[id(item)])],
        )
        if cursor.rowcount != len(chunk):
            return False
    going_on = [item for item in items if item.status == "active"]
    for chunk in _chunks(going_on):
        if not _write_known_sessions(conn, chunk, times):
            return False
    finishing = [item for item in items if item.status != "active"]
    for chunk in _chunks(finishing, _FINISHING_PER_STATEMENT):
        if not _finish_known_sessions(conn, chunk, times):
            return False
    rows = [
        (
            random_ids.random_id(),  # random in every round, as in `_insert_answer`
            item.known.response_id,
            step_id,
            value_json,
            detail,
            day_of_text(times[id(item)]) if item.known.anonymous else times[id(item)],
        )
        for item in items
        for step_id, value_json, detail in item.recorded
    ]
    for answers in _chunks(rows):
        conn.execute(
            "INSERT INTO answers (id, response_id, step_id, value_json, detail, answered_at) "
            "VALUES " + _marks(len(answers), 6),
            [value for row in answers for value in row],
        )
    return True


def _write_known_sessions(
    conn: sqlite3.Connection, chunk: Sequence[KnownStep], times: dict[int, str]
) -> bool:
    """The states of sessions still as known and active; False if one is not (anymore)."""
    return _update_known_sessions(conn, chunk, _state_columns(times))


def _finish_known_sessions(
    conn: sqlite3.Connection, chunk: Sequence[KnownStep], times: dict[int, str]
) -> bool:
    """As `_write_session` and `_finish` for each finishing step; False if a session is not
    (anymore) as known and active."""
    if not _update_known_sessions(
        conn,
        chunk,
        [
            *_state_columns(times),
            ("finished_at", lambda item: times[id(item)]),
            ("status", lambda item: item.status),
            # the scrub drops the one link of an anonymous session
            ("response_id", lambda item: None if item.known.anonymous else item.known.response_id),
        ],
    ):
        return False
    conn.execute(
        "INSERT INTO completions (round_id, user_id, status, completed_at) VALUES "
        + _marks(len(chunk), 4),
        [
            value
            for item in chunk
            for value in (item.known.round_id, item.known.user_id, item.status, times[id(item)])
        ],
    )
    submitted = [item for item in chunk if item.status == "submitted"]
    if submitted:
        # An exact submit time would match the session's finished_at: keep the day only.
        cases = " ".join("WHEN ? THEN ?" for _ in submitted)
        conn.execute(
            f"UPDATE responses SET submitted_at = CASE id {cases} END "
            f"WHERE id IN ({', '.join('?' for _ in submitted)})",
            [
                *(
                    value
                    for item in submitted
                    for value in (
                        item.known.response_id,
                        day_of_text(times[id(item)]) if item.known.anonymous else times[id(item)],
                    )
                ),
                *(item.known.response_id for item in submitted),
            ],
        )
    return True


def _state_columns(times: dict[int, str]) -> list[tuple[str, Callable[[KnownStep], object]]]:
    """What every step of a known session sets: its state, and when."""
    return [
        ("state_json", lambda item: item.state_json),
        ("updated_at", lambda item: times[id(item)]),
    ]


def _update_known_sessions(
    conn: sqlite3.Connection,
    chunk: Sequence[KnownStep],
    columns: Sequence[tuple[str, Callable[[KnownStep], object]]],
) -> bool:
    """Set each column, per session, of sessions still as known and active, in one statement;
    False if one is not (anymore)."""
    cases = " ".join("WHEN ? THEN ?" for _ in chunk)
    assignments = ", ".join(f"{column} = CASE id {cases} END" for column, _ in columns)
    cursor = conn.execute(
        f"UPDATE sessions SET {assignments} "
        f"WHERE id IN ({', '.join('?' for _ in chunk)}) AND status = 'active' "
        f"AND (id, round_id, user_id, response_id) IN (VALUES {_marks(len(chunk), 4)})",
        [
            *(
                value
                for _, value_of in columns
                for item in chunk
                for value in (item.session_id, value_of(item))
            ),
            *(item.session_id for item in chunk),
            *(
                value
                for item in chunk
                for value in (
                    item.session_id,
                    item.known.round_id,
                    item.known.user_id,
                    item.known.response_id,
                )
            ),
        ],
    )
    return cursor.rowcount == len(chunk)


def _step_alone(conn: sqlite3.Connection, item: KnownStep) -> Applied | Exception:
    conn.execute("SAVEPOINT step")
    try:
        applied = apply_step(
            conn,
            item.update_id,
            item.session_id,
            item.state_json,
            item.recorded,
            [],
            item.at,
            item.status,
            UNCHANGED,
            item.known,
        )
    except Exception as error:
        if not conn.in_transaction:  # SQLite gave the whole transaction up: so do all
            raise
        conn.execute("ROLLBACK TO step")
        conn.execute("RELEASE step")
        return error
    conn.execute("RELEASE step")
    return applied


def _chunks(rows: Sequence[T], size: int = _ROWS_PER_STATEMENT) -> list[Sequence[T]]:
    return [rows[start : start + size] for start in range(0, len(rows), size)]


def _marks(rows: int, columns: int) -> str:
    """`(?, ?), (?, ?)` for 2 rows of 2 columns."""
    row = "(" + ", ".join("?" for _ in range(columns)) + ")"
    return ", ".join(row for _ in range(rows))


def _write_known_session(
    conn: sqlite3.Connection,
    session_id: SessionId,
    known: KnownSession,
    state_json: str,
    at: datetime,
    prompt_message_id: int | Unchanged | None,
) -> bool:
    """The state of a session still as `known` and active; False if it is not (anymore)."""
    prompt = "" if prompt_message_id is UNCHANGED else ", prompt_message_id = :prompt"
    cursor = conn.execute(
        f"UPDATE sessions SET state_json = :state, updated_at = :at{prompt} "
        "WHERE id = :id AND round_id = :round AND user_id = :user AND response_id = :response "
        "AND status = 'active'",
        {
            "state": state_json,
            "at": to_text(at),
            "prompt": prompt_message_id,
            "id": session_id,
            "round": known.round_id,
            "user": known.user_id,
            "response": known.response_id,
        },
    )
    return cursor.rowcount == 1


def _write_answers(
    conn: sqlite3.Connection,
    session: KnownSession,
    recorded: Sequence[EncodedAnswer],
    retracted: Sequence[str],
    at: datetime,
) -> None:
    answered_at = to_day_text(at) if session.anonymous else to_text(at)
    for step_id, value_json, detail in recorded:
        _insert_answer(conn, session.response_id, step_id, value_json, detail, answered_at)
    for step_id in retracted:
        _retract(conn, session.response_id, step_id)


def _insert_answer(
    conn: sqlite3.Connection,
    response_id: int,
    step_id: str,
    value_json: str,
    detail: str | None,
    answered_at: str,
) -> None:
    """Insert the step's live answer, in one statement when it is the step's first answer.

    The unique indexes say the rest: a live answer already there (`answers_live`) is retracted
    first, and a random id already taken is drawn again.
    """
    for _ in range(_INSERT_ATTEMPTS):
        # Random in every round: a named answer numbered after the largest id would tell when
        # the anonymous answer holding that id was written.
        answer_id = random_ids.random_id()
        try:
            conn.execute(
                "INSERT INTO answers (id, response_id, step_id, value_json, detail, answered_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (answer_id, response_id, step_id, value_json, detail, answered_at),
            )
            return
        except sqlite3.IntegrityError as error:
            if "answers.response_id" in str(error):  # answers_live: a re-answer
                _retract(conn, response_id, step_id)
            elif "answers.id" not in str(error):  # not a random id drawn twice
                raise
    raise ConstraintError(f"could not store the answer to {step_id!r}: every id drawn is taken")


def _retract(conn: sqlite3.Connection, response_id: int, step_id: str) -> None:
    conn.execute(
        "UPDATE answers SET retracted = 1 WHERE response_id = ? AND step_id = ? AND retracted = 0",
        (response_id, step_id),
    )


def _write_session(
    conn: sqlite3.Connection,
    session_id: SessionId,
    state_json: str,
    at: str,
    status: SessionStatus,
    prompt_message_id: int | Unchanged | None,
    session: KnownSession,
) -> None:
    prompt = "" if prompt_message_id is UNCHANGED else ", prompt_message_id = :prompt"
    values = {"state": state_json, "at": at, "prompt": prompt_message_id, "id": session_id}
    if status == "active":
        # Assigning an indexed column rewrites its index entries even when the value is the
        # same: the step of an active session leaves status and response_id out.
        conn.execute(
            f"UPDATE sessions SET state_json = :state, updated_at = :at{prompt} WHERE id = :id",
            values,
        )
        return
    conn.execute(
        "UPDATE sessions SET state_json = :state, updated_at = :at, status = :status, "
        f"finished_at = :at, response_id = CASE WHEN :scrub THEN NULL ELSE response_id END{prompt} "
        "WHERE id = :id",
        # the scrub drops the one link
        {**values, "status": status, "scrub": int(session.anonymous)},
    )


def _finish(
    conn: sqlite3.Connection, session: KnownSession, status: SessionStatus, at: datetime
) -> None:
    conn.execute(
        "INSERT INTO completions (round_id, user_id, status, completed_at) VALUES (?, ?, ?, ?)",
        (session.round_id, session.user_id, status, to_text(at)),
    )
    if status == "submitted":
        # An exact submit time would match the session's finished_at: keep the day only.
        submitted_at = to_day_text(at) if session.anonymous else to_text(at)
        conn.execute(
            "UPDATE responses SET submitted_at = ? WHERE id = ?",
            (submitted_at, session.response_id),
        )
