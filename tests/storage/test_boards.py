"""SWOT boards: opened one per cohort, stepped by state differences, read back as they were given.

The states are built by hand: whatever the machine will do, storage must give back the state it
was given, once per update id, across a restart.
"""

from __future__ import annotations

import contextlib
import dataclasses
import sqlite3
from datetime import date
from pathlib import Path

import pytest

from flows.board import DEFAULT_BUDGET, DEFAULT_PER_ITEM, BoardState, ItemId
from storage import (
    ApplyResult,
    Board,
    BoardExistsError,
    ChatId,
    NotFoundError,
    RoundId,
    SqliteRepository,
    StaleBoardError,
    UpdateId,
    open_repository,
)
from storage.models import SWOT_COLLECTION_DIALOG, to_day_text, to_text
from tests.storage.board_world import (
    ADA,
    BEA,
    CHLOE,
    FACILITATOR,
    BoardWorld,
    action,
    ballots,
    build_board_world,
    item,
    item_id,
    items,
    open_board,
    step,
    without_authors,
)
from tests.storage.conftest import at

COLLECTED = items(
    item(1, ADA, "Bonne finition"),
    item(2, BEA, "bonne finition"),
    item(3, CHLOE, "Prix élevés", "weaknesses"),
    item(4, ADA, "Réseau local", "opportunities"),
    item(5, BEA, "Concurrence", "threats"),
)


def _sql(path: Path, sql: str, *params: object) -> list[tuple[object, ...]]:
    with contextlib.closing(sqlite3.connect(path)) as conn:
        return conn.execute(sql, params).fetchall()


@pytest.fixture
async def world(repo: SqliteRepository) -> BoardWorld:
    return await build_board_world(repo)


def states(anonymous: bool) -> list[BoardState]:
    """A whole workshop, one state per step after the collection: edits, a removal, the reveal,
    proposals, a merge with its label, the vote, a withdrawal, the totals, two actions."""
    edited = dict(COLLECTED)
    del edited[item_id(5)]
    edited[item_id(3)] = dataclasses.replace(COLLECTED[item_id(3)], text="Prix trop élevés")
    edited[item_id(6)] = item(6, CHLOE, "Concurrence en ligne", "threats")
    collecting = BoardState("collecting", anonymous, items=edited)
    shown = without_authors(collecting) if anonymous else edited
    revealed = dataclasses.replace(collecting, phase="revealed", items=shown, contributors=3)
    proposals = ((item_id(1), item_id(2)), (item_id(4), item_id(6)))
    grouping = dataclasses.replace(revealed, phase="grouping", proposals=proposals)
    merged = dict(shown)
    merged[item_id(1)] = dataclasses.replace(shown[item_id(1)], label="Finition")
    merged[item_id(2)] = dataclasses.replace(shown[item_id(2)], merged_into=item_id(1))
    grouped = dataclasses.replace(
        grouping, items=merged, proposals=proposals[1:], apart=((item_id(3), item_id(4)),)
    )
    voting = dataclasses.replace(grouped, phase="voting", proposals=(), budget=4, per_item=2)
    cast = ballots({ADA: {1: 2, 4: 1}, BEA: {1: 1, 3: 2}})
    voted = dataclasses.replace(voting, ballots=cast)
    changed = ballots({ADA: {1: 1, 4: 1}, BEA: {1: 1, 3: 2}, CHLOE: {6: 1}})
    withdrawn = dataclasses.replace(voted, ballots=changed)
    totals = {item_id(1): 2, item_id(3): 2, item_id(4): 1, item_id(6): 1}
    results = dataclasses.replace(
        withdrawn,
        phase="results",
        totals=totals,
        ballots={} if anonymous else changed,
        voter_count=3,
    )
    first = action(1, BEA, "Fiche finition", date(2025, 4, 1), 1)
    second = action(2, CHLOE, "Comparer les prix", None, None)
    return [
        collecting,
        revealed,
        grouping,
        grouped,
        voting,
        voted,
        withdrawn,
        results,
        dataclasses.replace(results, actions=(first,)),
        dataclasses.replace(results, actions=(first, second)),
    ]


async def collect(world: BoardWorld, board: Board) -> Board:
    """The five items of COLLECTED, one step each, a minute apart."""
    for n, written in enumerate(COLLECTED.values()):
        after = dataclasses.replace(board.state, items={**board.state.items, written.id: written})
        board = await step(world, board, after, 10 + n, update=100 + n)
    return board


async def test_open_board_opens_its_round_and_logs_it(world: BoardWorld) -> None:
    board = await world.repo.open_board(
        world.cohort.id, "swot", 1, FACILITATOR, True, at(5), ChatId(-100)
    )
    assert board.state == BoardState("collecting", anonymous=True)
    assert (board.state.budget, board.state.per_item) == (DEFAULT_BUDGET, DEFAULT_PER_ITEM)
    assert (board.cohort_id, board.chat_id, board.message_id) == (world.cohort.id, -100, None)
    assert (board.opened_by, board.opened_at) == (FACILITATOR, at(5))
    opened = await world.repo.get_round(board.round_id)
    assert opened is not None
    assert (opened.flow_id, opened.anonymous, opened.status, opened.deadline) == (
        "swot",
        True,
        "open",
        None,
    )
    assert await world.repo.get_board(board.round_id) == board
    assert await world.repo.active_board_of_cohort(world.cohort.id) == board
    assert await world.repo.latest_board_of_cohort(world.cohort.id) == board
    (entry, *_) = await world.repo.audit_of_cohort(world.cohort.id)
    assert (entry.action, entry.actor_user_id) == ("open_board", FACILITATOR)
    assert entry.detail == {"round": board.round_id, "flow": "swot", "anonymous": True}


async def test_a_cohort_runs_one_board_until_its_results(world: BoardWorld) -> None:
    first = await open_board(world, anonymous=False)
    with pytest.raises(BoardExistsError, match="already runs the board"):
        await open_board(world, anonymous=True, minutes=6)
    # Nothing half-opened: no round after the first board's.
    assert await world.repo.get_round(RoundId(first.round_id + 1)) is None
    done = dataclasses.replace(first.state, phase="results")
    await step(world, first, done, 7)
    second = await open_board(world, anonymous=True, minutes=8)
    assert await world.repo.active_board_of_cohort(world.cohort.id) == second
    assert await world.repo.latest_board_of_cohort(world.cohort.id) == second
    assert await world.repo.get_board(RoundId(second.round_id + 1)) is None


async def test_a_board_needs_a_registered_flow(world: BoardWorld) -> None:
    with pytest.raises(NotFoundError, match="not registered"):
        await world.repo.open_board(world.cohort.id, "retro", 1, FACILITATOR, False, at(5))


@pytest.mark.parametrize("anonymous", [False, True], ids=["named", "anonymous"])
async def test_every_state_comes_back_as_it_was_given(world: BoardWorld, anonymous: bool) -> None:
    board = await collect(world, await open_board(world, anonymous))
    assert board.state == BoardState("collecting", anonymous, items=COLLECTED)
    if not anonymous:  # in the order written; an anonymous board keeps no such order
        assert list(board.state.items) == list(COLLECTED)
    for n, after in enumerate(states(anonymous)):
        board = await step(world, board, after, 20 + n, update=200 + n)
        assert board.state == after, f"step {n} to {after.phase}"
    closed = await world.repo.get_round(board.round_id)
    assert closed is not None
    assert (closed.status, closed.closed_at) == ("closed", at(27))  # closed by the results
    assert await world.repo.active_board_of_cohort(world.cohort.id) is None
    assert await world.repo.latest_board_of_cohort(world.cohort.id) == board


async def test_named_boards_keep_authors_times_and_ballots(world: BoardWorld) -> None:
    board = await collect(world, await open_board(world, anonymous=False))
    for n, after in enumerate(states(False)):
        board = await step(world, board, after, 20 + n)
    path = world.repo.path
    rows = _sql(path, "SELECT id, user_id, created_at FROM swot_items ORDER BY created_at, id")
    assert [(i, u) for i, u, _ in rows[:4]] == [
        (i.id, i.author) for i in list(COLLECTED.values())[:4]
    ]
    assert [t for _, _, t in rows] == [to_text(at(m)) for m in (10, 11, 12, 13, 20)]
    votes = _sql(path, "SELECT user_id, dots, cast_at FROM votes ORDER BY user_id, item_id")
    assert (CHLOE, 1, to_text(at(26))) in votes
    assert len(votes) == 5


async def test_a_redelivered_update_writes_nothing(world: BoardWorld) -> None:
    board = await open_board(world, anonymous=False)
    voting = BoardState("voting", False, items=COLLECTED)
    board = await step(world, board, voting, 6)
    vote = dataclasses.replace(voting, ballots=ballots({ADA: {1: 1}}))
    tapped = await step(world, board, vote, 7, update=42)
    assert tapped.state == vote
    twice = dataclasses.replace(voting, ballots=ballots({ADA: {1: 2}}))  # the tap, stepped again
    again = await world.repo.apply_board(UpdateId(42), board.round_id, board.state, twice, at(8))
    assert again is ApplyResult.DUPLICATE
    assert await world.repo.get_board(board.round_id) == tapped
    assert _sql(world.repo.path, "SELECT dots FROM votes") == [(1,)]


async def test_a_stale_state_is_refused_and_its_update_can_come_again(world: BoardWorld) -> None:
    board = await open_board(world, anonymous=False)
    first = dataclasses.replace(board.state, items=items(item(1, ADA, "one")))
    await step(world, board, first, 6)
    other = dataclasses.replace(board.state, items=items(item(2, BEA, "two")))  # from the old read
    with pytest.raises(StaleBoardError, match="read it again"):
        await world.repo.apply_board(UpdateId(9), board.round_id, board.state, other, at(7))
    stale_phase = dataclasses.replace(first, phase="voting")
    with pytest.raises(StaleBoardError):
        await world.repo.apply_board(None, board.round_id, stale_phase, stale_phase, at(7))
    fresh = await world.repo.get_board(board.round_id)
    assert fresh is not None
    assert fresh.state == first
    both = dataclasses.replace(first, items={**first.items, **other.items})
    result = await world.repo.apply_board(UpdateId(9), board.round_id, fresh.state, both, at(8))
    assert result is ApplyResult.APPLIED
    with pytest.raises(NotFoundError):
        await world.repo.apply_board(None, RoundId(404), first, first, at(9))


async def test_a_restart_mid_vote_keeps_every_vote(db_path: Path) -> None:
    async with await open_repository(db_path) as repo:
        world = await build_board_world(repo)
        board = await collect(world, await open_board(world, anonymous=True))
        for n, after in enumerate(states(True)[:6]):  # up to the ballots cast
            board = await step(world, board, after, 20 + n, update=300 + n)
    async with await open_repository(db_path) as repo:
        again = await repo.get_board(board.round_id)
        assert again == board
        assert again.state.ballots == ballots({ADA: {1: 2, 4: 1}, BEA: {1: 1, 3: 2}})
        duplicate = await repo.apply_board(
            UpdateId(305), board.round_id, board.state, board.state, at(40)
        )
        assert duplicate is ApplyResult.DUPLICATE


async def test_the_board_message_is_kept(world: BoardWorld) -> None:
    board = await open_board(world, anonymous=False)
    await world.repo.set_board_message(board.round_id, ChatId(-200), 77)
    stored = await world.repo.get_board(board.round_id)
    assert stored is not None
    assert (stored.chat_id, stored.message_id) == (-200, 77)
    with pytest.raises(NotFoundError):
        await world.repo.set_board_message(RoundId(404), ChatId(-200), 1)


async def test_anonymous_items_and_votes_carry_the_opening_day_only(world: BoardWorld) -> None:
    board = await collect(world, await open_board(world, anonymous=True))
    for n, after in enumerate(states(True)[:6]):
        board = await step(world, board, after, 20 + n)
    day = to_day_text(at(5))
    path = world.repo.path
    assert _sql(path, "SELECT DISTINCT created_at FROM swot_items") == [(day,)]
    assert _sql(path, "SELECT DISTINCT cast_at FROM votes") == [(day,)]
    assert _sql(path, "SELECT count(*) FROM swot_items WHERE user_id IS NOT NULL") == [(0,)]
    assert ItemId(item_id(5)) not in board.state.items


@pytest.mark.parametrize("anonymous", [False, True], ids=["named", "anonymous"])
async def test_the_reveal_of_an_anonymous_board_ends_its_writers_dialogs(
    world: BoardWorld, anonymous: bool
) -> None:
    """The quadrant a person last wrote in would point at their items once authors are gone."""
    board = await open_board(world, anonymous)
    written = dataclasses.replace(board.state, items=items(item(1, ADA, "Notre atelier")))
    board = await step(world, board, written, 6)
    payload = {"round": int(board.round_id), "quadrant": "s"}
    await world.repo.set_dialog(ADA, SWOT_COLLECTION_DIALOG, payload, at(7))
    await world.repo.set_dialog(BEA, "join", {"round": int(board.round_id)}, at(7))
    shown = without_authors(written) if anonymous else dict(written.items)
    await step(world, board, dataclasses.replace(written, phase="revealed", items=shown), 8)
    left = await world.repo.get_dialog(ADA)
    assert (left is None) == anonymous
    assert await world.repo.get_dialog(BEA) is not None, "another kind of dialog stays"
