"""A cohort's actions: created by its board, listed for `/actions`, marked done by update id."""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest

from flows.board import ActionId, BoardState
from storage import ApplyResult, NotFoundError, SqliteRepository, UpdateId
from tests.storage.board_world import (
    ADA,
    BEA,
    CHLOE,
    BoardWorld,
    action,
    build_board_world,
    item,
    item_id,
    items,
    open_board,
    step,
)
from tests.storage.conftest import at

FIRST = action(1, BEA, "Fiche finition", date(2025, 4, 1), 1)
SECOND = action(2, CHLOE, "Comparer les prix", None, None)
THIRD = action(3, ADA, "Appeler la banque", date(2025, 3, 20), None)


async def _with_actions(repo: SqliteRepository) -> BoardWorld:
    world = await build_board_world(repo)
    board = await open_board(world, anonymous=False)
    written = items(item(1, ADA, "Bonne finition"))
    results = BoardState("results", False, items=written, totals={item_id(1): 3})
    board = await step(world, board, results, 10)
    for n, created in enumerate((FIRST, SECOND, THIRD)):
        after = dataclasses.replace(board.state, actions=(*board.state.actions, created))
        board = await step(world, board, after, 11 + n, update=500 + n)
        assert board.state == after
    return world


async def test_actions_are_listed_open_first_then_by_due_date(repo: SqliteRepository) -> None:
    world = await _with_actions(repo)
    done = await repo.set_action_status(UpdateId(1), THIRD.id, "done", at(20))
    assert done is ApplyResult.APPLIED
    listed = await repo.actions_of_cohort(world.cohort.id)
    assert [(a.id, a.status) for a in listed] == [
        (FIRST.id, "open"),
        (SECOND.id, "open"),  # no due date: after the dated ones
        (THIRD.id, "done"),
    ]
    first = listed[0]
    board = await repo.latest_board_of_cohort(world.cohort.id)
    assert board is not None
    assert (first.cohort_id, first.round_id, first.item_id) == (
        world.cohort.id,
        board.round_id,
        item_id(1),
    )
    assert (first.title, first.owner_user_id, first.owner_name) == ("Fiche finition", BEA, "Bea")
    assert (first.due_date, first.created_at, first.updated_at) == (
        date(2025, 4, 1),
        at(11),
        at(11),
    )
    assert listed[2].updated_at == at(20)
    assert await repo.get_action(THIRD.id) == listed[2]
    assert await repo.get_action(ActionId(404)) is None


async def test_a_status_update_counts_once(repo: SqliteRepository) -> None:
    await _with_actions(repo)
    await repo.set_action_status(UpdateId(1), FIRST.id, "done", at(20))
    again = await repo.set_action_status(UpdateId(1), FIRST.id, "dropped", at(21))
    assert again is ApplyResult.DUPLICATE
    stored = await repo.get_action(FIRST.id)
    assert stored is not None
    assert (stored.status, stored.updated_at) == ("done", at(20))


async def test_an_unknown_action_is_refused_and_its_update_can_come_again(
    repo: SqliteRepository,
) -> None:
    await _with_actions(repo)
    with pytest.raises(NotFoundError, match="no action"):
        await repo.set_action_status(UpdateId(2), ActionId(404), "done", at(20))
    applied = await repo.set_action_status(UpdateId(2), SECOND.id, "done", at(21))
    assert applied is ApplyResult.APPLIED
