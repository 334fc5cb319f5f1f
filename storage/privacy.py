"""SQL about a person's own data: the export (`/mydata`) and the erasure (`/forget`).

Rule: both follow the links the schema keeps, and only those. An anonymous answer once sent has
no link to anyone (see `storage/anonymity.py`), so it is neither exported nor erased: nothing can
tell whose it is; until sent, it is in the person's session state, exported and erased with it. Every column that references a person must be known here; a test
compares the schema with the set this module handles.

Functions here take a `sqlite3.Connection` and run on its thread; `forget_person` is a unit for
the group-commit writer (one transaction), `person_data` runs on the read connection.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime
from typing import Any

from storage.dialogs import delete_dialog
from storage.models import UserId, from_json, to_json, to_text

# Whatever is erased, the person's row stays while one of these names them, and their id with it:
# a cohort's creator, a round's opener and the actor of an audit entry are the facilitator
# actions a cohort must be able to account for after the facilitator has gone.
_ACCOUNTABLE = (("cohorts", "created_by"), ("rounds", "opened_by"), ("audit_log", "actor_user_id"))

FORGOTTEN_NAME = "—"

# The responses holding answers that can still be tied to the person: those of named rounds (an
# anonymous session has no response: its answers stay in its state until the pool takes them).
_LINKED_RESPONSES = (
    "SELECT id FROM responses WHERE user_id = :user "
    "UNION SELECT response_id FROM sessions WHERE user_id = :user AND response_id IS NOT NULL"
)

# Section of the export, and its query; times stay the stored ISO-8601 UTC text. Every row that
# names the person is here, with the ids that tie it to the others (a session to its round, an
# answer to its response), so the person can see how their data hangs together.
_EXPORT = (
    (
        "memberships",
        "SELECT m.cohort_id, c.name AS cohort_name, m.role, m.joined_at FROM memberships m "
        "JOIN cohorts c ON c.id = m.cohort_id WHERE m.user_id = :user ORDER BY m.cohort_id, m.role",
    ),
    (
        "cohorts_created",
        "SELECT id AS cohort_id, name, timezone, created_at, archived_at FROM cohorts "
        "WHERE created_by = :user ORDER BY id",
    ),
    (
        "rounds_opened",
        "SELECT id AS round_id, cohort_id, flow_id, flow_version, anonymous, status, opened_at, "
        "deadline, closed_at FROM rounds WHERE opened_by = :user ORDER BY id",
    ),
    (
        "sessions",
        "SELECT s.id AS session_id, s.round_id, r.cohort_id, r.flow_id, s.flow_version, "
        "r.anonymous, s.status, s.response_id, s.prompt_message_id, s.state_json, s.started_at, "
        "s.updated_at, s.finished_at "
        "FROM sessions s JOIN rounds r ON r.id = s.round_id WHERE s.user_id = :user ORDER BY s.id",
    ),
    (
        "responses",
        "SELECT p.id AS response_id, p.round_id, r.anonymous, p.submitted_at IS NOT NULL "
        "AS submitted, p.submitted_at FROM responses p JOIN rounds r ON r.id = p.round_id "
        f"WHERE p.id IN ({_LINKED_RESPONSES}) ORDER BY p.round_id, p.id",
    ),
    (
        "answers",
        "SELECT a.id AS answer_id, a.response_id, r.round_id, a.step_id, a.value_json, a.detail, "
        "a.answered_at, a.retracted FROM responses r JOIN answers a ON a.response_id = r.id "
        f"WHERE r.id IN ({_LINKED_RESPONSES}) ORDER BY r.round_id, a.answered_at, a.step_id, a.id",
    ),
    (
        "completions",
        "SELECT round_id, status, completed_at FROM completions WHERE user_id = :user "
        "ORDER BY completed_at",
    ),
    (
        "swot_items",
        "SELECT id AS item_id, round_id, quadrant, text, label, created_at, merged_into, total, "
        "hidden FROM swot_items WHERE user_id = :user ORDER BY id",
    ),
    ("votes", "SELECT item_id, dots, cast_at FROM votes WHERE user_id = :user ORDER BY item_id"),
    (
        "actions",
        "SELECT id AS action_id, cohort_id, round_id, item_id, title, due_date, status, "
        "created_at, updated_at FROM actions WHERE owner_user_id = :user ORDER BY id",
    ),
    (
        "reminders",
        "SELECT id AS reminder_id, kind, round_id, chat_id, due_at, sent_at, payload_json "
        "FROM reminders WHERE user_id = :user ORDER BY id",
    ),
    (
        "audit",
        "SELECT id AS entry_id, at, cohort_id, action, detail_json FROM audit_log "
        "WHERE actor_user_id = :user ORDER BY at, id",
    ),
)
_PROFILE = (
    "SELECT display_name, organisation, language, reachable, created_at, updated_at FROM people "
    "WHERE user_id = :user"
)
_DIALOG = "SELECT kind, payload_json, updated_at FROM dialogs WHERE user_id = :user"
_FLAGS = frozenset({"anonymous", "retracted", "hidden", "reachable", "submitted"})

# Why a finished anonymous session comes without its answers. The bot shows these in the person's
# language; the file keeps them too, so that it explains itself wherever it goes.
ANONYMOUS_NOTES = {
    "submitted": (
        "Anonymous questionnaire: your answers, once sent, are no longer linked to you, so they "
        "cannot be in this file. Nobody, not even the bot, can find which of the answers sent "
        "are yours."
    ),
    "cancelled": (
        "Anonymous questionnaire left before sending: the answers you had given were not sent "
        "and are discarded. Nothing links you to any answer."
    ),
    "timed_out": (
        "Anonymous questionnaire closed before you sent it: the answers you had given were not "
        "sent and are discarded. Nothing links you to any answer."
    ),
}


def person_data(conn: sqlite3.Connection, user_id: UserId) -> dict[str, Any]:
    """Everything stored about the person, as plain JSON values (empty for a stranger).

    A finished anonymous session carries a `note` saying why its answers are not there.
    """
    params = {"user": user_id}
    # One read transaction, so a write committed halfway cannot split the export in two states.
    conn.execute("BEGIN")
    try:
        profile = [_record(row) for row in conn.execute(_PROFILE, params)]
        dialog = [_record(row) for row in conn.execute(_DIALOG, params)]
        data: dict[str, Any] = {
            "user_id": user_id,
            "profile": profile[0] if profile else None,
            "dialog": dialog[0] if dialog else None,
        }
        for section, sql in _EXPORT:
            data[section] = [_record(row) for row in conn.execute(sql, params)]
    finally:
        conn.execute("COMMIT")
    for session in data["sessions"]:
        if session["anonymous"] and session["status"] in ANONYMOUS_NOTES:
            session["note"] = ANONYMOUS_NOTES[session["status"]]
    return data


def _record(row: sqlite3.Row) -> dict[str, Any]:
    record: dict[str, Any] = {}
    for key, value in zip(row.keys(), row, strict=True):
        if key.endswith("_json"):
            record[key.removesuffix("_json")] = from_json(value)
        elif key in _FLAGS:
            record[key] = bool(value)
        else:
            record[key] = value
    return record


def forget_person(conn: sqlite3.Connection, user_id: UserId, at: datetime) -> None:
    """Erase the person's data; what others built on it stays, without their name."""
    linked = [
        (response_id,) for (response_id,) in conn.execute(_LINKED_RESPONSES, {"user": user_id})
    ]
    conn.executemany("DELETE FROM answers WHERE response_id = ?", linked)
    # Sessions go before responses: an active one still points to its response.
    conn.execute("DELETE FROM sessions WHERE user_id = ?", (user_id,))
    conn.executemany("DELETE FROM responses WHERE id = ?", linked)
    for table in ("completions", "memberships", "votes", "reminders"):
        conn.execute(f"DELETE FROM {table} WHERE user_id = ?", (user_id,))
    delete_dialog(conn, user_id)
    _forget_swot_items(conn, user_id)
    # An action is the cohort's commitment, not the person's data: it stays, without an owner.
    conn.execute(
        "UPDATE actions SET owner_user_id = NULL, updated_at = ? WHERE owner_user_id = ?",
        (to_text(at), user_id),
    )
    _forget_profile(conn, user_id, at)


def _forget_swot_items(conn: sqlite3.Connection, user_id: UserId) -> None:
    # An item others voted for, merged their items into, or made an action of, is part of the
    # group's result: deleting it would take their votes, texts or actions with it. It stays,
    # with no author. The person's own votes are gone by now, so they keep no item alive; their
    # items merged into their own go first, so such a group of theirs goes whole.
    boards = [row["round_id"] for row in conn.execute(_THEIR_BOARDS, {"user": user_id})]
    while conn.execute(_UNUSED_ITEMS, {"user": user_id}).rowcount > 0:
        pass  # merged items first, then the heads they pointed to: two rounds at most
    conn.execute("UPDATE swot_items SET user_id = NULL WHERE user_id = ?", (user_id,))
    for round_id in boards:
        _prune_proposals(conn, round_id)


_THEIR_BOARDS = (
    "SELECT DISTINCT b.round_id FROM swot_items i JOIN boards b ON b.round_id = i.round_id "
    "WHERE i.user_id = :user AND b.proposals_json != '[]'"
)
_UNUSED_ITEMS = (
    "DELETE FROM swot_items WHERE user_id = :user AND coalesce(total, 0) = 0 "
    "AND NOT EXISTS (SELECT 1 FROM votes v WHERE v.item_id = swot_items.id) "
    "AND NOT EXISTS (SELECT 1 FROM swot_items m WHERE m.merged_into = swot_items.id) "
    "AND NOT EXISTS (SELECT 1 FROM actions a WHERE a.item_id = swot_items.id)"
)


def _prune_proposals(conn: sqlite3.Connection, round_id: int) -> None:
    """Pending grouping proposals lose the items just deleted, and those left alone go."""
    row = conn.execute(
        "SELECT proposals_json FROM boards WHERE round_id = ?", (round_id,)
    ).fetchone()
    left = {
        item_id
        for (item_id,) in conn.execute("SELECT id FROM swot_items WHERE round_id = ?", (round_id,))
    }
    kept = [[i for i in proposal if i in left] for proposal in from_json(row["proposals_json"])]
    conn.execute(
        "UPDATE boards SET proposals_json = ? WHERE round_id = ?",
        (to_json([proposal for proposal in kept if len(proposal) > 1]), round_id),
    )


def _forget_profile(conn: sqlite3.Connection, user_id: UserId, at: datetime) -> None:
    # The audit log keeps its entries and their actor id: a facilitator's actions (opening,
    # closing, exporting a cohort's answers) must stay accountable, and the id without a name is
    # all that takes. Those rows then need the person's row, emptied of who they were.
    if _is_accountable(conn, user_id):
        conn.execute(
            "UPDATE people SET display_name = ?, organisation = ?, language = NULL, "
            "reachable = 0, updated_at = ? WHERE user_id = ?",
            (FORGOTTEN_NAME, FORGOTTEN_NAME, to_text(at), user_id),
        )
    else:
        conn.execute("DELETE FROM people WHERE user_id = ?", (user_id,))


def _is_accountable(conn: sqlite3.Connection, user_id: UserId) -> bool:
    """Whether a cohort, a round or an audit entry names the person (so their row must stay)."""
    exists = " OR ".join(
        f"EXISTS (SELECT 1 FROM {table} WHERE {column} = :user)" for table, column in _ACCOUNTABLE
    )
    (found,) = conn.execute(f"SELECT {exists}", {"user": user_id}).fetchone()
    return bool(found)
