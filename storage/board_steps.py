"""SQL of a board's step: the difference between two machine states, written with its update id.

Rule: `apply_board` writes what changed from `before` (the state the caller loaded and stepped)
to `after` (what `flows.board.step` returned), and nothing else, in the writer's transaction
with the update id claimed, so a vote tapped twice by a re-delivered update counts once. It
never BEGINs or COMMITs itself. `before` must be what is stored: a cheap check (the phase, the
kind of board, the number of items) refuses a stale one rather than write a difference from the
wrong base.

Anonymous boards follow storage/anonymity.py: items and votes carry the round's opening day,
never the time they came; once the items are revealed no row keeps an author, and once the vote
is closed no vote row is left (the totals are on the items). Both are enforced here whatever the
states say, and ask the writer to VACUUM, so that nothing in the file links an item or a dot to
a person afterwards.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from flows.board import Action, BoardState, Item, ItemId, MemberId
from storage import rounds
from storage.boards import encode_proposals
from storage.errors import NotFoundError, StaleBoardError
from storage.models import (
    SWOT_COLLECTION_DIALOG,
    ApplyResult,
    CohortId,
    RoundId,
    UpdateId,
    day_of_text,
    to_json,
    to_text,
)
from storage.updates import claim_update
from storage.writer import Erase

# Phases from which an anonymous board's items have been shown: their authors are gone.
_SHOWN = frozenset({"revealed", "grouping", "voting", "results"})


@dataclass(frozen=True, slots=True)
class _Stored:
    cohort_id: CohortId
    anonymous: bool
    stamp: str  # the time written on items and votes: the opening day on an anonymous board


def apply_board(
    conn: sqlite3.Connection,
    update_id: UpdateId | None,
    round_id: RoundId,
    before: BoardState,
    after: BoardState,
    at: datetime,
) -> tuple[ApplyResult, Erase]:
    """Write the step from `before` to `after`; returns what the writer must then erase.

    Raises:
        NotFoundError: the round has no board.
        StaleBoardError: `before` is not what is stored (the writer's savepoint then undoes the
            update id claimed here, so the retry of a fresh read is not taken for a duplicate).
    """
    if update_id is not None and not claim_update(conn, update_id, at):
        return ApplyResult.DUPLICATE, Erase.NOTHING
    stored = _check_fresh(conn, round_id, before, after, at)
    _write_items(conn, round_id, before.items, after.items, stored.stamp)
    _write_ballots(conn, before.ballots, after.ballots, stored.stamp)
    _write_totals(conn, round_id, before.totals, after.totals)
    _delete_items(conn, round_id, [i for i in before.items if i not in after.items])
    _write_actions(conn, stored.cohort_id, round_id, before.actions, after.actions, at)
    conn.execute(
        "UPDATE boards SET phase = ?, budget = ?, per_item = ?, contributors = ?, "
        "proposals_json = ?, apart_json = ?, voter_count = ?, updated_at = ? WHERE round_id = ?",
        (
            after.phase,
            after.budget,
            after.per_item,
            after.contributors,
            encode_proposals(after.proposals),
            to_json([list(pair) for pair in after.apart]),
            after.voter_count,
            to_text(at),
            round_id,
        ),
    )
    erase = _unlink(conn, round_id, before, after) if stored.anonymous else Erase.NOTHING
    if after.phase == "results":
        rounds.close_round(conn, round_id, at)
    return ApplyResult.APPLIED, erase


def _check_fresh(
    conn: sqlite3.Connection, round_id: RoundId, before: BoardState, after: BoardState, at: datetime
) -> _Stored:
    row = conn.execute(
        "SELECT b.cohort_id, b.phase, b.anonymous, r.opened_at, "
        "(SELECT count(*) FROM swot_items i WHERE i.round_id = b.round_id) AS items "
        "FROM boards b JOIN rounds r ON r.id = b.round_id WHERE b.round_id = ?",
        (round_id,),
    ).fetchone()
    if row is None:
        raise NotFoundError(f"round {round_id} has no SWOT board")
    anonymous = bool(row["anonymous"])
    if (row["phase"], anonymous, row["items"]) != (
        before.phase,
        before.anonymous,
        len(before.items),
    ):
        raise StaleBoardError(
            f"the board of round {round_id} is {row['phase']} with {row['items']} items, not "
            f"{before.phase} with {len(before.items)} as read: read it again"
        )
    if after.anonymous != anonymous:
        raise StaleBoardError(f"the board of round {round_id} cannot change its anonymity")
    stamp = day_of_text(row["opened_at"]) if anonymous else to_text(at)
    return _Stored(CohortId(row["cohort_id"]), anonymous, stamp)


def _write_items(
    conn: sqlite3.Connection,
    round_id: RoundId,
    before: Mapping[ItemId, Item],
    after: Mapping[ItemId, Item],
    stamp: str,
) -> None:
    new = [item for item_id, item in after.items() if item_id not in before]
    merged = {item.id for item in new if item.merged_into is not None}
    # New items go in unmerged, then point to their heads: a head may come later in the same step.
    conn.executemany(
        "INSERT INTO swot_items (id, round_id, user_id, quadrant, text, created_at, label) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        [(i.id, round_id, i.author, i.quadrant, i.text, stamp, i.label) for i in new],
    )
    changed = [
        item
        for item_id, item in after.items()
        if item_id in merged or (item_id in before and before[item_id] != item)
    ]
    conn.executemany(
        # A state may drop an author, never give one: a stale state must not re-link an item to a
        # person forgotten meanwhile, nor move it to someone else.
        "UPDATE swot_items SET user_id = CASE WHEN ? IS NULL THEN NULL ELSE user_id END, "
        "quadrant = ?, text = ?, merged_into = ?, label = ? WHERE id = ? AND round_id = ?",
        [(i.author, i.quadrant, i.text, i.merged_into, i.label, i.id, round_id) for i in changed],
    )


def _delete_items(conn: sqlite3.Connection, round_id: RoundId, removed: list[ItemId]) -> None:
    conn.executemany("DELETE FROM votes WHERE item_id = ?", [(i,) for i in removed])
    conn.executemany(
        "DELETE FROM swot_items WHERE id = ? AND round_id = ?", [(i, round_id) for i in removed]
    )


def _write_ballots(
    conn: sqlite3.Connection,
    before: Mapping[MemberId, Mapping[ItemId, int]],
    after: Mapping[MemberId, Mapping[ItemId, int]],
    stamp: str,
) -> None:
    old = {(m, i): dots for m, ballot in before.items() for i, dots in ballot.items()}
    new = {(m, i): dots for m, ballot in after.items() for i, dots in ballot.items()}
    conn.executemany(
        "INSERT INTO votes (item_id, user_id, dots, cast_at) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (item_id, user_id) DO UPDATE SET dots = excluded.dots, "
        "cast_at = excluded.cast_at",
        [(i, m, dots, stamp) for (m, i), dots in new.items() if old.get((m, i)) != dots],
    )
    conn.executemany(
        "DELETE FROM votes WHERE item_id = ? AND user_id = ?",
        [(i, m) for (m, i) in old if (m, i) not in new],
    )


def _write_totals(
    conn: sqlite3.Connection,
    round_id: RoundId,
    before: Mapping[ItemId, int],
    after: Mapping[ItemId, int],
) -> None:
    changed = [
        (after.get(i), i, round_id) for i in {*before, *after} if before.get(i) != after.get(i)
    ]
    conn.executemany("UPDATE swot_items SET total = ? WHERE id = ? AND round_id = ?", changed)


def _write_actions(
    conn: sqlite3.Connection,
    cohort_id: CohortId,
    round_id: RoundId,
    before: tuple[Action, ...],
    after: tuple[Action, ...],
    at: datetime,
) -> None:
    """New actions are inserted; from then on an action is the cohort's, not the board's (its
    status changes through `actions.set_action_status`; forgetting its owner empties it)."""
    known = {action.id: action for action in before}
    written = [a for a in after if a.id not in known]
    conn.executemany(
        "INSERT INTO actions (id, cohort_id, round_id, item_id, title, owner_user_id, due_date, "
        "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (a.id, cohort_id, round_id, a.item, a.title, a.owner, _day(a), to_text(at), to_text(at))
            for a in written
        ],
    )


def _day(action: Action) -> str | None:
    return None if action.due is None else action.due.isoformat()


def _unlink(
    conn: sqlite3.Connection, round_id: RoundId, before: BoardState, after: BoardState
) -> Erase:
    """An anonymous board's links to people go when they are fixed: authors at the reveal,
    ballots at the close of the vote; then VACUUM, so that no old cell or page keeps them."""
    erase = Erase.NOTHING
    if any(i.author is not None and i.id not in after.items for i in before.items.values()):
        erase = Erase.CHECKPOINT  # a removed item's old page images leave the -wal
    authors = any(
        item.author is not None and item.id in after.items and after.items[item.id].author is None
        for item in before.items.values()
    )
    if after.phase in _SHOWN:
        cursor = conn.execute(
            "UPDATE swot_items SET user_id = NULL WHERE round_id = ? AND user_id IS NOT NULL",
            (round_id,),
        )
        dropped = _end_collection_dialogs(conn, round_id, before)
        if authors or cursor.rowcount > 0 or dropped > 0:
            erase = Erase.VACUUM
    if after.phase == "results":
        cursor = conn.execute(
            "DELETE FROM votes WHERE item_id IN (SELECT id FROM swot_items WHERE round_id = ?)",
            (round_id,),
        )
        if before.ballots or cursor.rowcount > 0:
            erase = Erase.VACUUM
    return erase


def _end_collection_dialogs(conn: sqlite3.Connection, round_id: RoundId, before: BoardState) -> int:
    """The writers' collection dialogs of this board go (by their authors' keys, not a scan):
    the quadrant one last wrote in would point at their items once the authors are gone."""
    writers = sorted({int(i.author) for i in before.items.values() if i.author is not None})
    dropped = 0
    for user_id in writers:
        cursor = conn.execute(
            "DELETE FROM dialogs WHERE user_id = ? AND kind = ? "
            "AND json_extract(payload_json, '$.round') = ?",
            (user_id, SWOT_COLLECTION_DIALOG, round_id),
        )
        dropped += cursor.rowcount
    return dropped
