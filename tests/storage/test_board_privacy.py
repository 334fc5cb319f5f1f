"""A board member's data: exported with the board's columns, and forgotten without breaking the
board for the others (what they voted for, grouped or acted on stays, without an author)."""

from __future__ import annotations

import contextlib
import dataclasses
import sqlite3
from datetime import date
from pathlib import Path

import pytest

from flows.board import BoardState, ItemId, MemberId
from storage import Board, SqliteRepository, StaleBoardError
from tests.storage.board_world import (
    ADA,
    BEA,
    CHLOE,
    BoardWorld,
    action,
    ballots,
    build_board_world,
    item,
    item_id,
    items,
    open_board,
    step,
)
from tests.storage.conftest import at


def _sql(path: Path, sql: str) -> list[tuple[object, ...]]:
    with contextlib.closing(sqlite3.connect(path)) as conn:
        return conn.execute(sql).fetchall()


@pytest.fixture
async def world(repo: SqliteRepository) -> BoardWorld:
    return await build_board_world(repo)


async def _board(world: BoardWorld, state: BoardState) -> Board:
    board = await open_board(world, anonymous=state.anonymous)
    return await step(world, board, state, 10)


async def _reload(world: BoardWorld, board: Board) -> BoardState:
    stored = await world.repo.get_board(board.round_id)
    assert stored is not None
    return stored.state


async def test_forgetting_a_member_deletes_their_items_on_a_collecting_board(
    world: BoardWorld,
) -> None:
    written = items(item(1, ADA, "a1"), item(2, ADA, "a2"), item(3, BEA, "b3"))
    board = await _board(world, BoardState("collecting", True, items=written))
    await world.repo.forget_person(ADA, at(20))
    assert await _reload(world, board) == BoardState(
        "collecting", True, items=items(written[item_id(3)])
    )
    more = dataclasses.replace(board.state, items={**written, item_id(4): item(4, BEA, "b4")})
    with pytest.raises(StaleBoardError):  # stepped from a state read before the forget
        await world.repo.apply_board(None, board.round_id, board.state, more, at(21))


async def test_forgetting_a_member_leaves_pending_proposals_without_their_items(
    world: BoardWorld,
) -> None:
    written = items(
        item(1, ADA, "Finition"),
        item(2, BEA, "finition"),
        item(3, CHLOE, "Prix"),
        item(4, ADA, "prix"),
        item(6, CHLOE, "Les prix"),
    )
    proposals = ((item_id(1), item_id(2)), (item_id(3), item_id(4), item_id(6)))
    state = BoardState("grouping", False, items=written, contributors=3, proposals=proposals)
    board = await _board(world, state)
    await world.repo.forget_person(ADA, at(20))
    left = await _reload(world, board)
    assert set(left.items) == {item_id(2), item_id(3), item_id(6)}
    assert left.proposals == ((item_id(3), item_id(6)),)  # the first had only Bea's item left


async def test_forgetting_a_voter_keeps_what_others_built_on_their_items(
    world: BoardWorld,
) -> None:
    written = items(
        item(1, ADA, "voted for by Bea"),
        item(2, BEA, "merged into Ada's", merged_into=4),
        item(3, BEA, "Bea's own"),
        item(4, ADA, "head of a group", label="Groupe"),
        item(5, ADA, "nobody needs it"),
    )
    cast = ballots({ADA: {3: 2}, BEA: {1: 1, 4: 2}})
    board = await _board(world, BoardState("voting", False, items=written, ballots=cast))
    await world.repo.forget_person(ADA, at(20))
    left = await _reload(world, board)
    kept = {
        i: dataclasses.replace(w, author=None if w.author == MemberId(ADA) else w.author)
        for i, w in written.items()
    }
    del kept[item_id(5)]
    assert left.items == kept
    assert left.ballots == ballots({BEA: {1: 1, 4: 2}})  # Ada's ballot went with her
    assert _sql(world.repo.path, f"SELECT count(*) FROM swot_items WHERE user_id = {ADA}") == [(0,)]


async def test_forgetting_an_owner_leaves_the_action_to_the_cohort(world: BoardWorld) -> None:
    written = items(item(1, ADA, "Ada's item"), item(2, BEA, "Bea's item"))
    owned = action(1, ADA, "Ada's action", date(2025, 4, 1), 2)
    from_ada = action(2, BEA, "from Ada's item", None, 1)
    results = BoardState(
        "results", False, items=written, totals={item_id(1): 0}, actions=(owned, from_ada)
    )
    board = await _board(world, results)
    exported = await world.repo.person_data(ADA)
    assert [(i["text"], i["label"], i["total"]) for i in exported["swot_items"]] == [
        ("Ada's item", None, 0)
    ]
    assert [(a["title"], a["item_id"]) for a in exported["actions"]] == [
        ("Ada's action", item_id(2))
    ]
    await world.repo.forget_person(ADA, at(20))
    left = await _reload(world, board)
    assert left.actions == (from_ada,)  # an action with nobody to tell leaves the board
    assert left.items[item_id(1)].author is None  # an action came from it: it stays
    listed = await world.repo.actions_of_cohort(world.cohort.id)
    assert [(a.title, a.owner_user_id, a.owner_name) for a in listed] == [
        ("Ada's action", None, None),
        ("from Ada's item", BEA, "Bea"),
    ]
    assert ItemId(item_id(1)) in left.totals
