"""The repository's use cases of the group SWOT: boards, their steps, and the cohort's actions.

Rule: as `storage/repository.py`, of which this is one part (`Repository` includes it): no SQL
and no SQLite type here; every write is durable when it returns; every time is the caller's
aware `datetime`; every error is a `StorageError` with a one-line message.

The shell drives a board as it drives a session, under a lock per board: `get_board`, then
`flows.board.step(board.state, event)`, then `apply_board(update_id, round_id, board.state,
outcome.state, at)`, then the effects.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from flows.board import ActionId, BoardState
from storage.models import (
    ActionRow,
    ActionStatus,
    ApplyResult,
    Board,
    ChatId,
    CohortId,
    RoundId,
    UpdateId,
    UserId,
)


class BoardRepository(Protocol):
    async def open_board(
        self,
        cohort_id: CohortId,
        flow_id: str,
        flow_version: int,
        opened_by: UserId,
        anonymous: bool,
        at: datetime,
        chat_id: ChatId | None = None,
    ) -> Board:
        """Open a round of the flow (no deadline; anonymous as the board) and its board,
        collecting, with the default budget; logged in the audit in the same transaction.

        Raises: BoardExistsError: the cohort runs a board not in its results yet.
            NotFoundError: unknown cohort or person, or unregistered flow version.
        """
        ...

    async def get_board(self, round_id: RoundId) -> Board | None:
        """The round's board, its state rebuilt from the stored rows (None: no board)."""
        ...

    async def active_board_of_cohort(self, cohort_id: CohortId) -> Board | None:
        """The cohort's board not in its results yet; there is at most one."""
        ...

    async def latest_board_of_cohort(self, cohort_id: CohortId) -> Board | None:
        """The cohort's newest board, in any phase (actions are created after the results)."""
        ...

    async def apply_board(
        self,
        update_id: UpdateId | None,
        round_id: RoundId,
        before: BoardState,
        after: BoardState,
        at: datetime,
    ) -> ApplyResult:
        """Store one step of the board atomically: the update id and what changed from `before`
        (the state `get_board` gave) to `after` (the machine's next state).

        A known `update_id` changes nothing and returns `DUPLICATE`. Items are stored under their
        `Item.id` (the shell draws them at random, 62 bits), actions under their `Action.id`.
        Reaching "results" closes the round. On an anonymous board items and votes carry the
        round's opening day rather than their time; from the reveal no item keeps its author,
        from the close of the vote no ballot is kept (the totals are), and the database is then
        vacuumed and its -wal emptied. An action whose owner is forgotten leaves the board's
        state (it stays in `actions_of_cohort`).

        Raises: NotFoundError: the round has no board.
            StaleBoardError: `before` is not the stored state (another write came in between,
                or a person was forgotten): read the board again and step again.
            ConstraintError: an id is in use (by another board's item, another action) or a
                value breaks the schema.
        """
        ...

    async def set_board_message(
        self, round_id: RoundId, chat_id: ChatId, message_id: int | None
    ) -> None:
        """Record the group message showing the board (None: none does).

        Raises: NotFoundError: the round has no board.
        """
        ...

    async def actions_of_cohort(self, cohort_id: CohortId) -> list[ActionRow]:
        """Every action of the cohort, whatever its status: open first, then by due date, the
        undated last."""
        ...

    async def get_action(self, action_id: ActionId) -> ActionRow | None: ...

    async def set_action_status(
        self,
        update_id: UpdateId | None,
        action_id: ActionId,
        status: ActionStatus,
        at: datetime,
    ) -> ApplyResult:
        """Mark an action open, done or dropped; a known `update_id` changes nothing
        (`DUPLICATE`).

        Raises: NotFoundError: unknown action.
        """
        ...
