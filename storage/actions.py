"""SQL about a cohort's actions: what `/actions` lists, and an owner marking theirs done.

Rule: an action is the cohort's commitment, written by the board that created it
(`storage/board_steps.py`) and then living on its own: its status changes here, keyed by the
update that caused it, and it outlives its board, its round and its owner (forgetting the owner
leaves it without one). Functions take a `sqlite3.Connection` and run on its thread; writes are
units for the group-commit writer, so they never BEGIN or COMMIT themselves.
"""

from __future__ import annotations

import sqlite3
from datetime import date, datetime

from flows.board import ActionId, ItemId
from storage.errors import NotFoundError
from storage.models import (
    ActionRow,
    ActionStatus,
    ApplyResult,
    CohortId,
    RoundId,
    UpdateId,
    UserId,
    from_text,
    to_text,
)
from storage.updates import claim_update

_ACTION = (
    "SELECT a.id, a.cohort_id, a.round_id, a.item_id, a.title, a.owner_user_id, "
    "p.display_name AS owner_name, a.due_date, a.status, a.created_at, a.updated_at "
    "FROM actions a LEFT JOIN people p ON p.user_id = a.owner_user_id "
)


def action_from_row(row: sqlite3.Row) -> ActionRow:
    return ActionRow(
        id=ActionId(row["id"]),
        cohort_id=CohortId(row["cohort_id"]),
        round_id=None if row["round_id"] is None else RoundId(row["round_id"]),
        item_id=None if row["item_id"] is None else ItemId(row["item_id"]),
        title=row["title"],
        owner_user_id=None if row["owner_user_id"] is None else UserId(row["owner_user_id"]),
        owner_name=row["owner_name"],
        due_date=None if row["due_date"] is None else date.fromisoformat(row["due_date"]),
        status=row["status"],
        created_at=from_text(row["created_at"]),
        updated_at=from_text(row["updated_at"]),
    )


def actions_of_cohort(conn: sqlite3.Connection, cohort_id: CohortId) -> list[ActionRow]:
    """Every action of the cohort: open ones first, then by due date (none last)."""
    rows = conn.execute(
        _ACTION + "WHERE a.cohort_id = ? "
        "ORDER BY a.status != 'open', a.due_date IS NULL, a.due_date, a.created_at, a.id",
        (cohort_id,),
    )
    return [action_from_row(row) for row in rows]


def get_action(conn: sqlite3.Connection, action_id: ActionId) -> ActionRow | None:
    row = conn.execute(_ACTION + "WHERE a.id = ?", (action_id,)).fetchone()
    return None if row is None else action_from_row(row)


def set_action_status(
    conn: sqlite3.Connection,
    update_id: UpdateId | None,
    action_id: ActionId,
    status: ActionStatus,
    at: datetime,
) -> ApplyResult:
    """Raises: NotFoundError: no action has this id (the update id claimed is then undone)."""
    if update_id is not None and not claim_update(conn, update_id, at):
        return ApplyResult.DUPLICATE
    cursor = conn.execute(
        "UPDATE actions SET status = ?, updated_at = ? WHERE id = ?",
        (status, to_text(at), action_id),
    )
    if cursor.rowcount == 0:
        raise NotFoundError(f"no action with id {action_id}")
    return ApplyResult.APPLIED
