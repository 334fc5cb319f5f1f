"""SQL about the audit log: what facilitators did, to which cohort, when.

Rule: functions here take a `sqlite3.Connection` and run on its thread; writes are units for the
group-commit writer, so they never BEGIN or COMMIT themselves. The log is append-only.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime

from storage.models import AuditEntry, CohortId, UserId, from_json, from_text, to_text


def record(
    conn: sqlite3.Connection,
    actor_user_id: UserId,
    action: str,
    cohort_id: CohortId | None,
    detail_json: str,
    at: datetime,
) -> None:
    conn.execute(
        "INSERT INTO audit_log (at, actor_user_id, cohort_id, action, detail_json) "
        "VALUES (?, ?, ?, ?, ?)",
        (to_text(at), actor_user_id, cohort_id, action, detail_json),
    )


def of_cohort(conn: sqlite3.Connection, cohort_id: CohortId, limit: int) -> list[AuditEntry]:
    rows = conn.execute(
        "SELECT id, at, actor_user_id, cohort_id, action, detail_json FROM audit_log "
        "WHERE cohort_id = ? ORDER BY at DESC, id DESC LIMIT ?",
        (cohort_id, limit),
    )
    return [
        AuditEntry(
            id=row["id"],
            at=from_text(row["at"]),
            actor_user_id=UserId(row["actor_user_id"]),
            cohort_id=CohortId(row["cohort_id"]),
            action=row["action"],
            detail=from_json(row["detail_json"]),
        )
        for row in rows
    ]
