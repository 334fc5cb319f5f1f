"""SQL about SWOT boards: opening one, and rebuilding its machine state from the rows.

Rule: a board is rows, never a stored blob of state: its row in `boards` (phase, settings,
pending proposals, where the group sees it), its items in `swot_items`, the ballots in `votes`,
the totals on the items, its actions in `actions`. `load_board` turns them back into the
`flows.board.BoardState` the machine steps, and `storage/board_steps.py` writes the difference
between two states, so what a query or an export reads is what the board holds. Functions take a
`sqlite3.Connection` and run on its thread; writes are units for the group-commit writer, so they
never BEGIN or COMMIT themselves.

The order of items is the order they were written on a named board (their time, then their id);
on an anonymous board it is the order of their random ids, as nothing stored there keeps when an
item came (see storage/anonymity.py).
"""

from __future__ import annotations

import sqlite3
from datetime import date, datetime

from flows.board import (
    DEFAULT_BUDGET,
    DEFAULT_PER_ITEM,
    Action,
    ActionId,
    BoardState,
    Item,
    ItemId,
    MemberId,
)
from storage import rounds
from storage.errors import BoardExistsError, NotFoundError
from storage.models import (
    Board,
    ChatId,
    CohortId,
    RoundId,
    UserId,
    from_json,
    from_text,
    to_json,
    to_text,
)

_BOARD = (
    "SELECT b.round_id, b.cohort_id, b.phase, b.anonymous, b.budget, b.per_item, b.contributors, "
    "b.proposals_json, b.apart_json, b.voter_count, b.chat_id, b.message_id, r.opened_by, r.opened_at "
    "FROM boards b JOIN rounds r ON r.id = b.round_id "
)


def open_board(
    conn: sqlite3.Connection,
    cohort_id: CohortId,
    flow_id: str,
    flow_version: int,
    opened_by: UserId,
    anonymous: bool,
    at: datetime,
    chat_id: ChatId | None,
) -> Board:
    """Open a round of the flow and its board, collecting.

    Raises:
        BoardExistsError: the cohort runs a board not in its results yet.
        NotFoundError: unknown cohort or person, or the flow version is not registered.
    """
    running = active_board_of_cohort(conn, cohort_id)
    if running is not None:
        raise BoardExistsError(
            f"cohort {cohort_id} already runs the board of round {running.round_id} "
            f"({running.state.phase}): close its vote first"
        )
    opened = rounds.open_round(
        conn, cohort_id, flow_id, flow_version, anonymous, opened_by, at, None
    )
    conn.execute(
        "INSERT INTO boards (round_id, cohort_id, phase, anonymous, budget, per_item, chat_id, "
        "updated_at) VALUES (?, ?, 'collecting', ?, ?, ?, ?, ?)",
        (
            opened.id,
            cohort_id,
            int(anonymous),
            DEFAULT_BUDGET,
            DEFAULT_PER_ITEM,
            chat_id,
            to_text(at),
        ),
    )
    board = load_board(conn, opened.id)
    assert board is not None, "the board was just written"
    return board


def load_board(conn: sqlite3.Connection, round_id: RoundId) -> Board | None:
    row = conn.execute(_BOARD + "WHERE b.round_id = ?", (round_id,)).fetchone()
    return None if row is None else _board(conn, row)


def require_board(conn: sqlite3.Connection, round_id: RoundId) -> Board:
    """Raises: NotFoundError: the round has no board."""
    board = load_board(conn, round_id)
    if board is None:
        raise NotFoundError(f"round {round_id} has no SWOT board")
    return board


def active_board_of_cohort(conn: sqlite3.Connection, cohort_id: CohortId) -> Board | None:
    """The cohort's board not in its results yet (there is at most one)."""
    row = conn.execute(
        _BOARD + "WHERE b.cohort_id = ? AND b.phase != 'results'", (cohort_id,)
    ).fetchone()
    return None if row is None else _board(conn, row)


def latest_board_of_cohort(conn: sqlite3.Connection, cohort_id: CohortId) -> Board | None:
    """The cohort's newest board, in any phase (round ids grow: rounds are never deleted)."""
    row = conn.execute(
        _BOARD + "WHERE b.cohort_id = ? ORDER BY b.round_id DESC LIMIT 1", (cohort_id,)
    ).fetchone()
    return None if row is None else _board(conn, row)


def set_board_message(
    conn: sqlite3.Connection, round_id: RoundId, chat_id: ChatId, message_id: int | None
) -> None:
    """Raises: NotFoundError: the round has no board."""
    cursor = conn.execute(
        "UPDATE boards SET chat_id = ?, message_id = ? WHERE round_id = ?",
        (chat_id, message_id, round_id),
    )
    if cursor.rowcount == 0:
        raise NotFoundError(f"round {round_id} has no SWOT board")


def _board(conn: sqlite3.Connection, row: sqlite3.Row) -> Board:
    round_id = RoundId(row["round_id"])
    anonymous = bool(row["anonymous"])
    items, totals = _items(conn, round_id, anonymous)
    state = BoardState(
        phase=row["phase"],
        anonymous=anonymous,
        budget=row["budget"],
        per_item=row["per_item"],
        items=items,
        contributors=row["contributors"],
        proposals=tuple(
            tuple(ItemId(item) for item in proposal)
            for proposal in from_json(row["proposals_json"])
        ),
        ballots=_ballots(conn, round_id),
        totals=totals,
        actions=_actions(conn, round_id),
        # A forgotten member's items leave the pairs they were in.
        apart=tuple(
            (ItemId(first), ItemId(second))
            for first, second in from_json(row["apart_json"])
            if first in items and second in items
        ),
        voter_count=row["voter_count"],
    )
    return Board(
        round_id=round_id,
        cohort_id=CohortId(row["cohort_id"]),
        state=state,
        chat_id=None if row["chat_id"] is None else ChatId(row["chat_id"]),
        message_id=row["message_id"],
        opened_by=UserId(row["opened_by"]),
        opened_at=from_text(row["opened_at"]),
    )


def _items(
    conn: sqlite3.Connection, round_id: RoundId, anonymous: bool
) -> tuple[dict[ItemId, Item], dict[ItemId, int]]:
    order = "id" if anonymous else "created_at, id"
    rows = conn.execute(
        "SELECT id, quadrant, text, user_id, merged_into, label, total FROM swot_items "
        f"WHERE round_id = ? ORDER BY {order}",
        (round_id,),
    )
    items: dict[ItemId, Item] = {}
    totals: dict[ItemId, int] = {}
    for item in rows:
        item_id = ItemId(item["id"])
        items[item_id] = Item(
            id=item_id,
            quadrant=item["quadrant"],
            text=item["text"],
            author=None if item["user_id"] is None else MemberId(item["user_id"]),
            merged_into=None if item["merged_into"] is None else ItemId(item["merged_into"]),
            label=item["label"],
        )
        if item["total"] is not None:
            totals[item_id] = item["total"]
    return items, totals


def _ballots(conn: sqlite3.Connection, round_id: RoundId) -> dict[MemberId, dict[ItemId, int]]:
    rows = conn.execute(
        "SELECT v.user_id, v.item_id, v.dots FROM swot_items i JOIN votes v ON v.item_id = i.id "
        "WHERE i.round_id = ? ORDER BY v.user_id, v.item_id",
        (round_id,),
    )
    ballots: dict[MemberId, dict[ItemId, int]] = {}
    for vote in rows:
        ballots.setdefault(MemberId(vote["user_id"]), {})[ItemId(vote["item_id"])] = vote["dots"]
    return ballots


def _actions(conn: sqlite3.Connection, round_id: RoundId) -> tuple[Action, ...]:
    # An action whose owner was forgotten stays the cohort's (`actions_of_cohort` lists it) but
    # leaves the board's state, where every action has an owner to tell.
    rows = conn.execute(
        "SELECT id, title, owner_user_id, due_date, item_id FROM actions "
        "WHERE round_id = ? AND owner_user_id IS NOT NULL ORDER BY created_at, id",
        (round_id,),
    )
    return tuple(
        Action(
            id=ActionId(action["id"]),
            title=action["title"],
            owner=MemberId(action["owner_user_id"]),
            due=None if action["due_date"] is None else date.fromisoformat(action["due_date"]),
            item=None if action["item_id"] is None else ItemId(action["item_id"]),
        )
        for action in rows
    )


def encode_proposals(proposals: tuple[tuple[ItemId, ...], ...]) -> str:
    return to_json([list(proposal) for proposal in proposals])
