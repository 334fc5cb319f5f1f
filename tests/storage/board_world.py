"""A cohort ready for SWOT boards, and states of a board built by hand (the machine is not used:
these tests check that storage gives back whatever state it was given)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from flows.board import Action, ActionId, BoardState, Item, ItemId, MemberId, Quadrant
from storage import Board, Cohort, SqliteRepository, UpdateId, UserId
from tests.storage.conftest import at

# Telegram-sized ids: a record holds each in 6 bytes, distinctive enough to find in a file.
FACILITATOR = UserId(6_100_000_001)
ADA, BEA, CHLOE = UserId(7_301_234_567), UserId(7_402_345_678), UserId(7_503_456_789)
MEMBERS = (ADA, BEA, CHLOE)
NAMES = {FACILITATOR: "Fatou", ADA: "Ada", BEA: "Bea", CHLOE: "Chloé"}


@dataclass(frozen=True)
class BoardWorld:
    repo: SqliteRepository
    cohort: Cohort


async def build_board_world(repo: SqliteRepository) -> BoardWorld:
    for user, name in NAMES.items():
        await repo.upsert_person(user, name, "fr", at(0))
    cohort = await repo.create_cohort("Coopératives 2025", "SWOT25", FACILITATOR, at(1))
    for user in MEMBERS:
        await repo.add_member(cohort.id, user, "participant", at(2))
    await repo.register_flow("swot", 1, "c" * 64, "SWOT", at(3))
    return BoardWorld(repo, cohort)


async def open_board(world: BoardWorld, anonymous: bool, minutes: float = 5) -> Board:
    return await world.repo.open_board(
        world.cohort.id, "swot", 1, FACILITATOR, anonymous, at(minutes)
    )


def item(
    n: int,
    author: UserId | None,
    text: str,
    quadrant: Quadrant = "strengths",
    merged_into: int | None = None,
    label: str | None = None,
) -> Item:
    return Item(
        id=ItemId(item_id(n)),
        quadrant=quadrant,
        text=text,
        author=None if author is None else MemberId(author),
        merged_into=None if merged_into is None else ItemId(item_id(merged_into)),
        label=label,
    )


def item_id(n: int) -> ItemId:
    """A 62-bit id as the shell draws them, told apart by `n` (and not in the order of `n`)."""
    return ItemId((n * 0x9E37_79B9_7F4A_7C15) % (1 << 62) + 1)


def items(*written: Item) -> dict[ItemId, Item]:
    return {i.id: i for i in written}


def ballots(votes: Mapping[UserId, Mapping[int, int]]) -> dict[MemberId, dict[ItemId, int]]:
    return {
        MemberId(user): {item_id(n): dots for n, dots in ballot.items()}
        for user, ballot in votes.items()
    }


def action(n: int, owner: UserId, title: str, due: date | None, from_item: int | None) -> Action:
    return Action(
        id=ActionId(0x1D00_0000_0000 + n),
        title=title,
        owner=MemberId(owner),
        due=due,
        item=None if from_item is None else item_id(from_item),
    )


def without_authors(state: BoardState) -> dict[ItemId, Item]:
    return {i: dataclasses.replace(it, author=None) for i, it in state.items.items()}


async def step(
    world: BoardWorld, board: Board, after: BoardState, minutes: float, update: int | None = None
) -> Board:
    """Store the step from the board's state to `after`, and read the board back."""
    update_id = None if update is None else UpdateId(update)
    await world.repo.apply_board(update_id, board.round_id, board.state, after, at(minutes))
    stored = await world.repo.get_board(board.round_id)
    assert stored is not None
    return stored
