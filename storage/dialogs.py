"""SQL about dialogs: the shell's short conversations (onboarding…), one per person at a time.

Rule: functions here take a `sqlite3.Connection` and run on its thread; writes are units for the
group-commit writer, so they never BEGIN or COMMIT themselves. A write that comes from a Telegram
update claims its update id in the same unit, so a re-delivered update changes nothing, and a
failing unit gives the claim back with the rest of its savepoint.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime

from storage.models import ApplyResult, Dialog, UpdateId, UserId, from_json, from_text, to_text
from storage.people import require_person
from storage.updates import claim_update


def get_dialog(conn: sqlite3.Connection, user_id: UserId) -> Dialog | None:
    row = conn.execute(
        "SELECT user_id, kind, payload_json, updated_at FROM dialogs WHERE user_id = ?",
        (user_id,),
    ).fetchone()
    if row is None:
        return None
    return Dialog(
        user_id=UserId(row["user_id"]),
        kind=row["kind"],
        payload=from_json(row["payload_json"]),
        updated_at=from_text(row["updated_at"]),
    )


def set_dialog(
    conn: sqlite3.Connection,
    user_id: UserId,
    kind: str,
    payload_json: str,
    at: datetime,
    update_id: UpdateId | None,
) -> ApplyResult:
    if update_id is not None and not claim_update(conn, update_id, at):
        return ApplyResult.DUPLICATE
    require_person(conn, user_id)
    conn.execute(
        "INSERT INTO dialogs (user_id, kind, payload_json, updated_at) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (user_id) DO UPDATE SET kind = excluded.kind, "
        "payload_json = excluded.payload_json, updated_at = excluded.updated_at",
        (user_id, kind, payload_json, to_text(at)),
    )
    return ApplyResult.APPLIED


def clear_dialog(
    conn: sqlite3.Connection, user_id: UserId, at: datetime, update_id: UpdateId | None
) -> ApplyResult:
    if update_id is not None and not claim_update(conn, update_id, at):
        return ApplyResult.DUPLICATE
    delete_dialog(conn, user_id)
    return ApplyResult.APPLIED


def delete_dialog(conn: sqlite3.Connection, user_id: UserId) -> None:
    """Drop the person's dialog, if any (it may have ended already: that is not an error)."""
    conn.execute("DELETE FROM dialogs WHERE user_id = ?", (user_id,))
