"""The group SWOT board's data: its state, the events it takes and the effects it gives.

Rule: values only, frozen and slotted, and a few one-line helpers on them. This is the contract
between the machine (`flows/board.py`, which re-exports every name here: import them from there),
storage, which keeps `BoardState`, and the shell, which turns updates into events and effects into
messages.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Literal, NewType

Quadrant = Literal["strengths", "weaknesses", "opportunities", "threats"]
QUADRANTS: tuple[Quadrant, ...] = ("strengths", "weaknesses", "opportunities", "threats")
Phase = Literal["collecting", "closed", "revealed", "grouping", "voting", "results"]
PHASES: tuple[Phase, ...] = ("collecting", "closed", "revealed", "grouping", "voting", "results")

ItemId = NewType("ItemId", int)
MemberId = NewType("MemberId", int)  # a Telegram user id
ActionId = NewType("ActionId", int)

MAX_ITEM_LENGTH = 200  # as the collect steps of flows/library/swot.yaml
MAX_ITEMS_PER_MEMBER = 40  # 10 per quadrant, as swot.yaml
MAX_GROUP_SIZE = 5
MAX_LABEL_LENGTH = 200
MAX_ACTION_TITLE_LENGTH = 200
DEFAULT_BUDGET = 5  # dots per person (Parabol)
DEFAULT_PER_ITEM = 3  # most dots one person may put on one item (Parabol)
MAX_BUDGET = 20


@dataclass(frozen=True, slots=True)
class Item:
    id: ItemId
    quadrant: Quadrant
    text: str
    author: MemberId | None  # None once an anonymous board is revealed, or the author forgotten
    merged_into: ItemId | None = None  # the head item of the group it was merged into
    label: str | None = None  # on a head item: the group's name, once renamed


@dataclass(frozen=True, slots=True)
class Action:
    id: ActionId
    title: str
    owner: MemberId
    due: date | None
    item: ItemId | None  # the item it came from, if any


@dataclass(frozen=True, slots=True)
class BoardState:
    phase: Phase
    anonymous: bool
    budget: int = DEFAULT_BUDGET
    per_item: int = DEFAULT_PER_ITEM
    # Insertion order is the order items were written (storage keeps it).
    items: Mapping[ItemId, Item] = field(default_factory=dict)
    # How many people contributed, fixed at the reveal (an anonymous board then drops authors).
    contributors: int = 0
    # Pending grouping proposals, each a tuple of 2..MAX_GROUP_SIZE item ids of one quadrant,
    # known by their first id.
    proposals: tuple[tuple[ItemId, ...], ...] = ()
    # Dots each member put on each votable item (only positive counts are kept).
    ballots: Mapping[MemberId, Mapping[ItemId, int]] = field(default_factory=dict)
    # Dots per votable item: empty until the vote closes.
    totals: Mapping[ItemId, int] = field(default_factory=dict)
    actions: tuple[Action, ...] = ()
    # Pairs of items the facilitator kept apart (a rejected proposal, a detached item), earlier
    # written first: a later `GroupingStarted` never proposes them together again.
    apart: tuple[tuple[ItemId, ItemId], ...] = ()
    # How many people voted, fixed at the close (an anonymous board then drops its ballots).
    voter_count: int = 0


# -- events: what happened ---------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class ItemAdded:
    member: MemberId
    item_id: ItemId  # drawn by the shell, unique
    quadrant: Quadrant
    text: str


@dataclass(frozen=True, slots=True)
class ItemEdited:
    member: MemberId
    item_id: ItemId
    text: str


@dataclass(frozen=True, slots=True)
class ItemRemoved:
    member: MemberId
    item_id: ItemId


@dataclass(frozen=True, slots=True)
class CollectionClosed:
    """No more items: the facilitator ended the collection (the reveal follows)."""


@dataclass(frozen=True, slots=True)
class Revealed:
    """The items are shown to the group; from `collecting`, this also closes the collection."""


@dataclass(frozen=True, slots=True)
class GroupingStarted:
    """The facilitator asked for the near-duplicates to be proposed (see flows/similarity.py)."""


@dataclass(frozen=True, slots=True)
class ProposalApproved:
    head: ItemId  # the proposal's first item
    label: str | None = None  # the group's name; None keeps the head's text


@dataclass(frozen=True, slots=True)
class ProposalRejected:
    """Split: the proposal's items stay separate."""

    head: ItemId


@dataclass(frozen=True, slots=True)
class ItemDetached:
    """One item out of a pending proposal or of a merged group (a proposal left with one item
    is dropped; a group left with one item is no group)."""

    item_id: ItemId


@dataclass(frozen=True, slots=True)
class GroupRenamed:
    head: ItemId
    label: str


@dataclass(frozen=True, slots=True)
class VotingOpened:
    budget: int = DEFAULT_BUDGET
    per_item: int = DEFAULT_PER_ITEM


@dataclass(frozen=True, slots=True)
class VoteCast:
    member: MemberId
    item_id: ItemId


@dataclass(frozen=True, slots=True)
class VoteWithdrawn:
    member: MemberId
    item_id: ItemId


@dataclass(frozen=True, slots=True)
class VotingClosed:
    pass


@dataclass(frozen=True, slots=True)
class ActionCreated:
    action_id: ActionId  # drawn by the shell, unique
    title: str
    owner: MemberId  # the shell checks the owner is a member of the cohort
    due: date | None
    item: ItemId | None = None


BoardEvent = (
    ItemAdded
    | ItemEdited
    | ItemRemoved
    | CollectionClosed
    | Revealed
    | GroupingStarted
    | ProposalApproved
    | ProposalRejected
    | ItemDetached
    | GroupRenamed
    | VotingOpened
    | VoteCast
    | VoteWithdrawn
    | VotingClosed
    | ActionCreated
)


# -- effects: what the shell must do -----------------------------------------------------------
Refusal = Literal[
    "wrong_phase",  # not the time for this (collection closed, vote not open, …)
    "unknown_item",  # no such item, or not one that can take this (a merged item, …)
    "not_yours",  # someone else's item
    "empty",  # a text with nothing in it
    "too_long",  # over MAX_ITEM_LENGTH (or the label/title limit)
    "too_many",  # MAX_ITEMS_PER_MEMBER reached
    "duplicate_id",  # an id already in use (a bug of the shell)
    "budget_spent",  # no dots left
    "item_full",  # per_item dots already on this item
    "no_vote",  # nothing to withdraw from this item
    "bad_budget",  # budget or per_item out of range
    "unknown_proposal",
]


@dataclass(frozen=True, slots=True)
class Refuse:
    reason: Refusal


@dataclass(frozen=True, slots=True)
class AcknowledgeItem:
    """ "✓ Strength 3 noted": `number` counts the member's own items in that quadrant."""

    member: MemberId
    item_id: ItemId
    quadrant: Quadrant
    number: int


@dataclass(frozen=True, slots=True)
class RefreshOwnItems:
    """The member's list of their own items changed (edited or removed)."""

    member: MemberId


@dataclass(frozen=True, slots=True)
class RefreshBoard:
    """What the group's board shows changed (counts, contributors, voters, phase)."""


@dataclass(frozen=True, slots=True)
class RevealedItem:
    text: str  # the group's label for a group
    author: MemberId | None  # None on an anonymous board
    merged: int = 1  # how many items it stands for


@dataclass(frozen=True, slots=True)
class PostReveal:
    """Post the items of each quadrant to the group (all four, in QUADRANTS order)."""

    quadrants: tuple[tuple[Quadrant, tuple[RevealedItem, ...]], ...]


@dataclass(frozen=True, slots=True)
class ProposeGroup:
    """Ask the facilitator about one proposal: approve, split, rename, or detach an item."""

    head: ItemId
    items: tuple[Item, ...]


@dataclass(frozen=True, slots=True)
class GroupingDone:
    """No proposal left: the facilitator may open the vote."""


@dataclass(frozen=True, slots=True)
class OfferBallots:
    """The vote opened: tell the group, offer each member a ballot in private."""

    budget: int
    per_item: int


@dataclass(frozen=True, slots=True)
class RefreshBallot:
    member: MemberId
    left: int  # dots the member still has


@dataclass(frozen=True, slots=True)
class RankedItem:
    item_id: ItemId
    text: str
    votes: int
    merged: int = 1


@dataclass(frozen=True, slots=True)
class PostResults:
    """The vote closed: the SWOT matrix picture and its text, once, to the group."""

    top: tuple[tuple[Quadrant, tuple[RankedItem, ...]], ...]  # all four, in QUADRANTS order
    voters: int


@dataclass(frozen=True, slots=True)
class TellOwner:
    action: Action


BoardEffect = (
    Refuse
    | AcknowledgeItem
    | RefreshOwnItems
    | RefreshBoard
    | PostReveal
    | ProposeGroup
    | GroupingDone
    | OfferBallots
    | RefreshBallot
    | PostResults
    | TellOwner
)


@dataclass(frozen=True, slots=True)
class BoardOutcome:
    state: BoardState
    effects: tuple[BoardEffect, ...]


class BoardError(Exception):
    """A bug: an event the machine cannot take in a state it should never be in."""


TOP_ITEMS = 5  # per quadrant, in the results


def display_text(item: Item) -> str:
    """An item as shown: a group's label, else its own text."""
    return item.label if item.label is not None else item.text


# -- helpers the rules share (flows/board.py, flows/board_grouping.py) ------------------------
def refuse(state: BoardState, reason: Refusal) -> BoardOutcome:
    """The same state, and why not."""
    return BoardOutcome(state, (Refuse(reason),))


def text_refusal(text: str, limit: int) -> Refusal | None:
    """Why a stripped text cannot be kept, if it cannot."""
    if not text:
        return "empty"
    return "too_long" if len(text) > limit else None


def with_items(state: BoardState, changed: Iterable[Item]) -> BoardState:
    """`state` with these items replaced or, when new, added last (in the order given)."""
    return replace(state, items={**state.items, **{item.id: item for item in changed}})
