"""What the shell shows of a board, computed from its state only (re-exported by flows/board.py).

Rule: a view never reveals more than the phase allows. Totals exist only once the vote is closed,
and a ballot is only ever shown to its own member (`ballot_of`, `dots_left`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from flows.board_model import (
    QUADRANTS,
    TOP_ITEMS,
    BoardState,
    GroupingDone,
    Item,
    ItemId,
    MemberId,
    Phase,
    PostResults,
    PostReveal,
    ProposeGroup,
    Quadrant,
    RankedItem,
    RevealedItem,
    display_text,
)


@dataclass(frozen=True, slots=True)
class BoardCounts:
    phase: Phase
    per_quadrant: Mapping[Quadrant, int]  # items (a group counts once after grouping)
    contributors: int  # people with at least one item (fixed at the reveal)
    voters: int  # people with at least one dot on their ballot


def board_counts(state: BoardState) -> BoardCounts:
    """The live board: counts only, never a text, an author or a total."""
    votable = votable_items(state)
    per_quadrant = {q: sum(1 for i in votable if i.quadrant == q) for q in QUADRANTS}
    if state.phase in ("collecting", "closed"):
        contributors = len(authors(state))
    else:
        contributors = state.contributors
    voters = state.voter_count if state.phase == "results" else len(state.ballots)
    return BoardCounts(state.phase, per_quadrant, contributors, voters)


def authors(state: BoardState) -> frozenset[MemberId]:
    """The people who wrote the items still held (no one once an anonymous board is revealed)."""
    return frozenset(i.author for i in state.items.values() if i.author is not None)


def own_items(state: BoardState, member: MemberId) -> tuple[Item, ...]:
    """The member's items, in the order written (empty once authors are dropped)."""
    return tuple(i for i in state.items.values() if i.author == member)


def votable_items(state: BoardState) -> tuple[Item, ...]:
    """Items that take votes: every item not merged into another, by quadrant, then order."""
    return tuple(
        item
        for quadrant in QUADRANTS
        for item in state.items.values()
        if item.quadrant == quadrant and item.merged_into is None
    )


def is_votable(state: BoardState, item_id: ItemId) -> bool:
    item = state.items.get(item_id)
    return item is not None and item.merged_into is None


def group_members(state: BoardState, head: ItemId) -> tuple[Item, ...]:
    """The head and the items merged into it, in written order (the head comes first); empty
    when `head` is not a votable item. A lone item is a group of one."""
    if not is_votable(state, head):
        return ()
    return tuple(i for i in state.items.values() if head in (i.id, i.merged_into))


def ballot_of(state: BoardState, member: MemberId) -> Mapping[ItemId, int]:
    """The member's own dots per item (empty after the close on an anonymous board)."""
    return state.ballots.get(member, {})


def dots_left(state: BoardState, member: MemberId) -> int:
    return state.budget - sum(ballot_of(state, member).values())


def grouping_prompt(state: BoardState) -> ProposeGroup | GroupingDone:
    """What the facilitator is asked now: the first pending proposal, or that none is left."""
    if not state.proposals:
        return GroupingDone()
    first = state.proposals[0]
    return ProposeGroup(first[0], tuple(state.items[i] for i in first))


def reveal_of(state: BoardState) -> PostReveal:
    """Every item of every quadrant, in written order, with its author unless anonymous."""
    return PostReveal(
        tuple(
            (
                quadrant,
                tuple(
                    RevealedItem(
                        display_text(item),
                        None if state.anonymous else item.author,
                        len(group_members(state, item.id)),
                    )
                    for item in votable_items(state)
                    if item.quadrant == quadrant
                ),
            )
            for quadrant in QUADRANTS
        )
    )


def results_of(state: BoardState) -> PostResults:
    """The top items of each quadrant: only items with at least one dot, by votes then written
    order, at most TOP_ITEMS (a tie at the cut goes to the earlier written). Before the close
    there are no totals, so every quadrant is empty."""
    top = []
    for quadrant in QUADRANTS:
        voted = [
            i
            for i in votable_items(state)
            if i.quadrant == quadrant and state.totals.get(i.id, 0) > 0
        ]
        # sorted() is stable: among equal votes, the written order stays.
        ranked = sorted(voted, key=lambda i: -state.totals[i.id])[:TOP_ITEMS]
        top.append(
            (
                quadrant,
                tuple(
                    RankedItem(
                        i.id, display_text(i), state.totals[i.id], len(group_members(state, i.id))
                    )
                    for i in ranked
                ),
            )
        )
    return PostResults(tuple(top), board_counts(state).voters)
