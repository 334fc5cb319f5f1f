"""SQL of a session's step: its state, its answers and the update they came from, together.

Rule: as in `sessions`, functions take a `sqlite3.Connection` and run on the writer's thread,
inside the writer's transaction, so they never BEGIN or COMMIT themselves.

Anonymity is as `storage/anonymity.py` says: in an anonymous round a step writes no answer row
(the answers live in the session's state), sending deposits the final answers in the round's
pool, and the transaction that finishes the session stores the constant scrubbed state. Answer
ids are random in every round.
"""

from __future__ import annotations

import secrets
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from storage import anonymity
from storage.errors import ConstraintError, NotFoundError, RoundClosedError, SessionFinishedError
from storage.models import (
    UNCHANGED,
    ApplyResult,
    RoundId,
    SessionId,
    SessionStatus,
    Unchanged,
    UpdateId,
    UserId,
    to_text,
)
from storage.updates import claim_update
from storage.writer import Erase

_INSERT_ATTEMPTS = 8  # a retraction, then random ids that collide with odds of 2**-62 each

# (step_id, value as JSON text, detail): the JSON is encoded by the caller, on the event loop,
# so a value that is not JSON fails its caller before it reaches the writer.
EncodedAnswer = tuple[str, str, str | None]


@dataclass(frozen=True, slots=True)
class _Stepped:
    """What a step reads of its session before writing."""

    round_id: RoundId
    user_id: UserId
    response_id: int | None  # None in an anonymous round (see storage/anonymity.py)
    anonymous: bool  # the round's


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
    sent: Sequence[EncodedAnswer] = (),
    scrubbed_json: str | None = None,
) -> tuple[ApplyResult, Erase]:
    """One step of an active session: its state, answers and update id, in one transaction.

    In an anonymous round `recorded` and `retracted` are not written (the state holds them);
    finishing stores `scrubbed_json` instead of `state_json`, and a submit deposits `sent`, the
    session's final answers, in the round's pool. Returns what the writer must then erase.

    Raises:
        NotFoundError: no session has this id.
        SessionFinishedError: the session is not active (the writer's savepoint then undoes
            the update id claimed here, so a later delivery is not taken for a duplicate).
        RoundClosedError: the round is closed and the step does not end the session as timed
            out (likewise undone).
    """
    if update_id is not None and not claim_update(conn, update_id, at):
        return ApplyResult.DUPLICATE, Erase.NOTHING
    row = conn.execute(
        "SELECT s.round_id, s.user_id, s.response_id, s.status, r.anonymous, r.status AS state "
        "FROM sessions s JOIN rounds r ON r.id = s.round_id WHERE s.id = ?",
        (session_id,),
    ).fetchone()
    if row is None:
        raise NotFoundError(f"no session with id {session_id}")
    if row["status"] != "active":
        raise SessionFinishedError(f"session {session_id} is {row['status']}: it takes no step")
    if row["state"] == "closed" and status != "timed_out":
        # Closed between the caller's read of the round and this commit: a late answer would be
        # written after the close's flush, alone, and so be known as the last sender's.
        raise RoundClosedError(f"round {row['round_id']} is closed: session {session_id} only ends")
    session = _Stepped(
        RoundId(row["round_id"]), UserId(row["user_id"]), row["response_id"], bool(row["anonymous"])
    )
    if not session.anonymous:
        _write_answers(conn, session, recorded, retracted, at)
        _write_session(conn, session_id, state_json, at, status, prompt_message_id)
        if status != "active":
            _finish(conn, session, status, at)
        return ApplyResult.APPLIED, Erase.NOTHING
    if status == "active":
        _write_session(conn, session_id, state_json, at, status, prompt_message_id)
        return ApplyResult.APPLIED, Erase.NOTHING
    if scrubbed_json is None:
        raise ValueError(f"session {session_id} finishes in an anonymous round: no scrubbed state")
    # No prompt message: its id counts the messages of the chat, and so the questions shown.
    _write_session(conn, session_id, scrubbed_json, at, status, None)
    _finish(conn, session, status, at)
    return ApplyResult.APPLIED, _send(conn, session, status, sent)


def _send(
    conn: sqlite3.Connection,
    session: _Stepped,
    status: SessionStatus,
    sent: Sequence[EncodedAnswer],
) -> Erase:
    """An anonymous session's answers go to the pool if sent; a cancelled one's are dropped."""
    if status != "submitted":
        return Erase.CHECKPOINT
    anonymity.deposit(conn, session.round_id, "response", {"answers": list(sent)})
    return Erase.CHECKPOINT


def _write_answers(
    conn: sqlite3.Connection,
    session: _Stepped,
    recorded: Sequence[EncodedAnswer],
    retracted: Sequence[str],
    at: datetime,
) -> None:
    assert session.response_id is not None, "a named session has its response"
    for step_id, value_json, detail in recorded:
        _insert_answer(conn, session.response_id, step_id, value_json, detail, to_text(at))
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
        answer_id = secrets.randbits(62) + 1  # in [1, 2**62]
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
    at: datetime,
    status: SessionStatus,
    prompt_message_id: int | Unchanged | None,
) -> None:
    conn.execute(
        "UPDATE sessions SET state_json = :state, updated_at = :at, status = :status, "
        "finished_at = CASE WHEN :ending THEN :at END, "
        "prompt_message_id = CASE WHEN :keep_prompt THEN prompt_message_id ELSE :prompt END "
        "WHERE id = :id",
        {
            "state": state_json,
            "at": to_text(at),
            "status": status,
            "ending": status != "active",
            "keep_prompt": prompt_message_id is UNCHANGED,
            "prompt": None if prompt_message_id is UNCHANGED else prompt_message_id,
            "id": session_id,
        },
    )


def _finish(
    conn: sqlite3.Connection, session: _Stepped, status: SessionStatus, at: datetime
) -> None:
    conn.execute(
        "INSERT INTO completions (round_id, user_id, status, completed_at) VALUES (?, ?, ?, ?)",
        (session.round_id, session.user_id, status, to_text(at)),
    )
    if status == "submitted" and not session.anonymous:
        conn.execute(
            "UPDATE responses SET submitted_at = ? WHERE id = ?", (to_text(at), session.response_id)
        )
