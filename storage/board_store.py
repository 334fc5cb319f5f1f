"""The SQLite routes of the group SWOT's use cases (`storage/board_repository.py`).

Rule: as `storage/sqlite.py`, of which this is one part (`SqliteRepository` includes it): it only
routes. Writes become units for the group-commit writer, reads one trip on the read connection;
the SQL lives in `boards.py`, `board_steps.py` and `actions.py`.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime

from flows.board import ActionId, BoardState
from storage import actions, audit, board_steps, boards
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
    to_json,
)
from storage.store import SqliteStore


class SqliteBoardStore(SqliteStore):
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
        def unit(conn: sqlite3.Connection) -> Board:
            board = boards.open_board(
                conn, cohort_id, flow_id, flow_version, opened_by, anonymous, at, chat_id
            )
            detail = {"round": board.round_id, "flow": flow_id, "anonymous": anonymous}
            audit.record(conn, opened_by, "open_board", cohort_id, to_json(detail), at)
            return board

        return await self._write(unit)

    async def get_board(self, round_id: RoundId) -> Board | None:
        return await self._read(lambda conn: boards.load_board(conn, round_id))

    async def active_board_of_cohort(self, cohort_id: CohortId) -> Board | None:
        return await self._read(lambda conn: boards.active_board_of_cohort(conn, cohort_id))

    async def latest_board_of_cohort(self, cohort_id: CohortId) -> Board | None:
        return await self._read(lambda conn: boards.latest_board_of_cohort(conn, cohort_id))

    async def apply_board(
        self,
        update_id: UpdateId | None,
        round_id: RoundId,
        before: BoardState,
        after: BoardState,
        at: datetime,
    ) -> ApplyResult:
        result, _ = await self._write(
            lambda conn: board_steps.apply_board(conn, update_id, round_id, before, after, at),
            lambda done: done[1],
        )
        return result

    async def set_board_message(
        self, round_id: RoundId, chat_id: ChatId, message_id: int | None
    ) -> None:
        await self._write(
            lambda conn: boards.set_board_message(conn, round_id, chat_id, message_id)
        )

    async def actions_of_cohort(self, cohort_id: CohortId) -> list[ActionRow]:
        return await self._read(lambda conn: actions.actions_of_cohort(conn, cohort_id))

    async def get_action(self, action_id: ActionId) -> ActionRow | None:
        return await self._read(lambda conn: actions.get_action(conn, action_id))

    async def set_action_status(
        self,
        update_id: UpdateId | None,
        action_id: ActionId,
        status: ActionStatus,
        at: datetime,
    ) -> ApplyResult:
        return await self._write(
            lambda conn: actions.set_action_status(conn, update_id, action_id, status, at)
        )
