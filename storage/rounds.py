"""SQL about flows and rounds: which flow versions exist, which rounds run, who has answered.

Rule: functions here take a `sqlite3.Connection` and run on its thread; writes are units for the
group-commit writer, so they never BEGIN or COMMIT themselves.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime

from storage import anonymity
from storage.cohorts import require_cohort
from storage.errors import FlowConflictError, NotFoundError
from storage.models import (
    AnswerRow,
    CohortId,
    Round,
    RoundId,
    RoundStatus,
    UserId,
    from_json,
    from_optional_text,
    from_text,
    to_text,
)
from storage.people import require_person

_ROUND = (
    "id, cohort_id, flow_id, flow_version, anonymous, status, opened_by, opened_at, deadline, "
    "closed_at"
)


def round_from_row(row: sqlite3.Row) -> Round:
    return Round(
        id=RoundId(row["id"]),
        cohort_id=CohortId(row["cohort_id"]),
        flow_id=row["flow_id"],
        flow_version=row["flow_version"],
        anonymous=bool(row["anonymous"]),
        status=row["status"],
        opened_by=UserId(row["opened_by"]),
        opened_at=from_text(row["opened_at"]),
        deadline=from_optional_text(row["deadline"]),
        closed_at=from_optional_text(row["closed_at"]),
    )


def answer_from_row(row: sqlite3.Row) -> AnswerRow:
    return AnswerRow(
        id=row["id"],
        response_id=row["response_id"],
        user_id=None if row["user_id"] is None else UserId(row["user_id"]),
        step_id=row["step_id"],
        value=from_json(row["value_json"]),
        detail=row["detail"],
        answered_at=from_text(row["answered_at"]),
        retracted=bool(row["retracted"]),
        submitted=row["submitted_at"] is not None,
    )


def register_flow(
    conn: sqlite3.Connection,
    flow_id: str,
    version: int,
    source_hash: str,
    title: str,
    at: datetime,
    definition_json: str | None = None,
) -> bool:
    known = conn.execute(
        "SELECT source_hash, definition_json FROM flows WHERE flow_id = ? AND version = ?",
        (flow_id, version),
    ).fetchone()
    if known is not None:
        if known["source_hash"] != source_hash:
            # Sessions are tagged with (flow, version): two sources under one tag would make
            # stored states ambiguous. A changed flow needs a new version.
            raise FlowConflictError(
                f"flow {flow_id!r} version {version} is already registered with another source "
                f"(hash {known['source_hash'][:12]}…, now {source_hash[:12]}…): bump its version"
            )
        if known["definition_json"] is None and definition_json is not None:
            # Registered before definitions were kept: keep it now, the hash says it is the same.
            conn.execute(
                "UPDATE flows SET definition_json = ? WHERE flow_id = ? AND version = ?",
                (definition_json, flow_id, version),
            )
        return False
    conn.execute(
        "INSERT INTO flows (flow_id, version, source_hash, title, registered_at, definition_json) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (flow_id, version, source_hash, title, to_text(at), definition_json),
    )
    return True


def flow_definitions_in_use(conn: sqlite3.Connection) -> list[tuple[str, int, str | None]]:
    """(flow id, version, definition or None) of every flow version that an open round or an
    active session is on."""
    rows = conn.execute(
        "SELECT f.flow_id, f.version, f.definition_json FROM flows f "
        "WHERE EXISTS (SELECT 1 FROM rounds r WHERE r.flow_id = f.flow_id "
        "  AND r.flow_version = f.version AND r.status = 'open') "
        "OR EXISTS (SELECT 1 FROM rounds r JOIN sessions s ON s.round_id = r.id "
        "  WHERE r.flow_id = f.flow_id AND s.flow_version = f.version AND s.status = 'active') "
        "ORDER BY f.flow_id, f.version"
    )
    return [(row["flow_id"], row["version"], row["definition_json"]) for row in rows]


def open_round(
    conn: sqlite3.Connection,
    cohort_id: CohortId,
    flow_id: str,
    flow_version: int,
    anonymous: bool,
    opened_by: UserId,
    at: datetime,
    deadline: datetime | None,
) -> Round:
    require_cohort(conn, cohort_id)
    require_person(conn, opened_by)
    flow = conn.execute(
        "SELECT 1 FROM flows WHERE flow_id = ? AND version = ?", (flow_id, flow_version)
    ).fetchone()
    if flow is None:
        raise NotFoundError(f"flow {flow_id!r} version {flow_version} is not registered")
    cursor = conn.execute(
        "INSERT INTO rounds (cohort_id, flow_id, flow_version, anonymous, opened_by, opened_at, "
        "deadline) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            cohort_id,
            flow_id,
            flow_version,
            int(anonymous),
            opened_by,
            to_text(at),
            None if deadline is None else to_text(deadline),
        ),
    )
    return require_round(conn, RoundId(cursor.lastrowid or 0))


def close_round(conn: sqlite3.Connection, round_id: RoundId, at: datetime) -> tuple[Round, bool]:
    """Close the round and write out its pool of anonymous answers; True if there was one."""
    require_round(conn, round_id)
    conn.execute(
        "UPDATE rounds SET status = 'closed', closed_at = ? WHERE id = ? AND status = 'open'",
        (to_text(at), round_id),
    )
    flushed = anonymity.flush(conn, round_id)
    return require_round(conn, round_id), flushed


def get_round(conn: sqlite3.Connection, round_id: RoundId) -> Round | None:
    row = conn.execute(f"SELECT {_ROUND} FROM rounds WHERE id = ?", (round_id,)).fetchone()
    return None if row is None else round_from_row(row)


def require_round(conn: sqlite3.Connection, round_id: RoundId) -> Round:
    """Raises: NotFoundError: no round has this id."""
    found = get_round(conn, round_id)
    if found is None:
        raise NotFoundError(f"no round with id {round_id}")
    return found


def rounds_of_cohort(conn: sqlite3.Connection, cohort_id: CohortId, only_open: bool) -> list[Round]:
    """The cohort's questionnaires: a SWOT board's round is answered on the board, not by
    sessions, so it is not among them (`storage/boards.py` has its own queries)."""
    status = "AND status = 'open' " if only_open else ""
    rows = conn.execute(
        f"SELECT {_ROUND} FROM rounds WHERE cohort_id = ? {status}"
        "AND NOT EXISTS (SELECT 1 FROM boards WHERE boards.round_id = rounds.id) "
        "ORDER BY opened_at, id",
        (cohort_id,),
    )
    return [round_from_row(row) for row in rows]


def open_rounds_due(conn: sqlite3.Connection, before: datetime) -> list[Round]:
    rows = conn.execute(
        f"SELECT {_ROUND} FROM rounds WHERE status = 'open' AND deadline <= ? "
        "ORDER BY deadline, id",
        (to_text(before),),
    )
    return [round_from_row(row) for row in rows]


def closed_rounds_with_active_sessions(conn: sqlite3.Connection) -> list[RoundId]:
    rows = conn.execute(
        "SELECT id FROM rounds r WHERE status = 'closed' AND EXISTS ("
        "SELECT 1 FROM sessions s WHERE s.round_id = r.id AND s.status = 'active') ORDER BY id"
    )
    return [RoundId(row["id"]) for row in rows]


def all_open_rounds(conn: sqlite3.Connection) -> list[Round]:
    rows = conn.execute(f"SELECT {_ROUND} FROM rounds WHERE status = 'open' ORDER BY opened_at, id")
    return [round_from_row(row) for row in rows]


def round_status(conn: sqlite3.Connection, round_id: RoundId) -> RoundStatus:
    require_round(conn, round_id)
    rows = conn.execute(
        "SELECT m.user_id, s.status FROM rounds r "
        "JOIN memberships m ON m.cohort_id = r.cohort_id AND m.role = 'participant' "
        "LEFT JOIN sessions s ON s.round_id = r.id AND s.user_id = m.user_id "
        "WHERE r.id = ? ORDER BY m.user_id",
        (round_id,),
    ).fetchall()
    by_status: dict[str | None, list[UserId]] = {}
    for row in rows:
        by_status.setdefault(row["status"], []).append(UserId(row["user_id"]))
    return RoundStatus(
        round_id=round_id,
        not_started=tuple(by_status.get(None, [])),
        active=tuple(by_status.get("active", [])),
        submitted=tuple(by_status.get("submitted", [])),
        stopped=tuple(sorted(by_status.get("cancelled", []) + by_status.get("timed_out", []))),
    )


def answers_of_round(conn: sqlite3.Connection, round_id: RoundId) -> list[AnswerRow]:
    rows = conn.execute(
        "SELECT a.id, a.response_id, r.user_id, a.step_id, a.value_json, a.detail, "
        "a.answered_at, a.retracted, r.submitted_at "
        "FROM responses r JOIN answers a ON a.response_id = r.id AND a.retracted = 0 "
        "WHERE r.round_id = ? ORDER BY r.id, a.step_id",
        (round_id,),
    )
    return [answer_from_row(row) for row in rows]
