"""The group SWOT board: a round-level state machine, the survey engine's shape one level up.

Rule: no I/O, no clock, no Telegram, no SQL, no randomness. `step(state, event)` returns the next
state and the effects for the shell; ids of new items and actions arrive on the events (the shell
draws them), dates arrive as data. Bad input is not an exception: it yields `Refuse` and the same
state. Who may send an event (a facilitator, the item's author) is the shell's policy; what the
phase allows, the budget, and whose item it is are decided here.

Phases, after Parabol's retrospective (reflect → group → vote → discuss):
  collecting → revealed → grouping → voting → results
Collection ends with the reveal (`CollectionClosed`, then `Revealed`; `Revealed` alone closes it
too). Grouping is optional: voting may open straight after the reveal. Voters see only their own
dots until `VotingClosed`; totals exist in the state only from then on.

Anonymous boards: items keep their author while the author may still edit them; the reveal drops
every author (the state then keeps only how many contributed), so nothing stored after it links
an item to a person. Their ballots are likewise dropped at the close of the vote, once summed.

Decisions the shell relies on:
- Items are edited and removed only while collecting: once the collection is closed they are
  fixed, so what is revealed is what was counted.
- Grouping proposes only items in no group yet, and never again two items the facilitator kept
  apart (`BoardState.apart`: a rejected proposal, a detached item). Every grouping event ends
  with the facilitator's next prompt (`ProposeGroup` for the first pending proposal, or
  `GroupingDone`). A detached item shows its own text again; a group left with one item is no
  group, and that item loses the group's label; the head of a group leaving it hands the group,
  label included, to the next member in written order.
- Every change of phase refreshes the board.
- The results rank only items with at least one dot (a quadrant nobody voted on is empty).

The types live in flows/board_model.py and the views in flows/board_views.py, both re-exported
here (the shell and storage import everything from `flows.board`); the grouping rules live in
flows/board_grouping.py, the near-duplicate matching in flows/similarity.py.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import assert_never

from flows import board_grouping
from flows.board_model import (
    DEFAULT_BUDGET,
    DEFAULT_PER_ITEM,
    MAX_ACTION_TITLE_LENGTH,
    MAX_BUDGET,
    MAX_GROUP_SIZE,
    MAX_ITEM_LENGTH,
    MAX_ITEMS_PER_MEMBER,
    MAX_LABEL_LENGTH,
    PHASES,
    QUADRANTS,
    TOP_ITEMS,
    AcknowledgeItem,
    Action,
    ActionCreated,
    ActionId,
    BoardEffect,
    BoardError,
    BoardEvent,
    BoardOutcome,
    BoardState,
    CollectionClosed,
    GroupingDone,
    GroupingStarted,
    GroupRenamed,
    Item,
    ItemAdded,
    ItemDetached,
    ItemEdited,
    ItemId,
    ItemRemoved,
    MemberId,
    OfferBallots,
    Phase,
    PostResults,
    PostReveal,
    ProposalApproved,
    ProposalRejected,
    ProposeGroup,
    Quadrant,
    RankedItem,
    RefreshBallot,
    RefreshBoard,
    RefreshOwnItems,
    Refusal,
    Refuse,
    Revealed,
    RevealedItem,
    TellOwner,
    VoteCast,
    VoteWithdrawn,
    VotingClosed,
    VotingOpened,
    display_text,
    refuse,
    text_refusal,
    with_items,
)
from flows.board_views import (
    BoardCounts,
    authors,
    ballot_of,
    board_counts,
    dots_left,
    group_members,
    grouping_prompt,
    is_votable,
    own_items,
    results_of,
    reveal_of,
    votable_items,
)

__all__ = [
    "DEFAULT_BUDGET",
    "DEFAULT_PER_ITEM",
    "MAX_ACTION_TITLE_LENGTH",
    "MAX_BUDGET",
    "MAX_GROUP_SIZE",
    "MAX_ITEMS_PER_MEMBER",
    "MAX_ITEM_LENGTH",
    "MAX_LABEL_LENGTH",
    "PHASES",
    "PHASES_OF",
    "QUADRANTS",
    "TOP_ITEMS",
    "AcknowledgeItem",
    "Action",
    "ActionCreated",
    "ActionId",
    "BoardCounts",
    "BoardEffect",
    "BoardError",
    "BoardEvent",
    "BoardOutcome",
    "BoardState",
    "CollectionClosed",
    "GroupRenamed",
    "GroupingDone",
    "GroupingStarted",
    "Item",
    "ItemAdded",
    "ItemDetached",
    "ItemEdited",
    "ItemId",
    "ItemRemoved",
    "MemberId",
    "OfferBallots",
    "Phase",
    "PostResults",
    "PostReveal",
    "ProposalApproved",
    "ProposalRejected",
    "ProposeGroup",
    "Quadrant",
    "RankedItem",
    "RefreshBallot",
    "RefreshBoard",
    "RefreshOwnItems",
    "Refusal",
    "Refuse",
    "Revealed",
    "RevealedItem",
    "TellOwner",
    "VoteCast",
    "VoteWithdrawn",
    "VotingClosed",
    "VotingOpened",
    "authors",
    "ballot_of",
    "board_counts",
    "display_text",
    "dots_left",
    "group_members",
    "grouping_prompt",
    "is_votable",
    "own_items",
    "results_of",
    "reveal_of",
    "step",
    "votable_items",
]

# Which phases take which event; any other phase refuses it with "wrong_phase".
PHASES_OF: Mapping[type[BoardEvent], frozenset[Phase]] = {
    ItemAdded: frozenset({"collecting"}),
    ItemEdited: frozenset({"collecting"}),
    ItemRemoved: frozenset({"collecting"}),
    CollectionClosed: frozenset({"collecting"}),
    Revealed: frozenset({"collecting", "closed"}),
    GroupingStarted: frozenset({"revealed", "grouping"}),
    ProposalApproved: frozenset({"grouping"}),
    ProposalRejected: frozenset({"grouping"}),
    ItemDetached: frozenset({"grouping"}),
    GroupRenamed: frozenset({"grouping"}),
    VotingOpened: frozenset({"revealed", "grouping"}),
    VoteCast: frozenset({"voting"}),
    VoteWithdrawn: frozenset({"voting"}),
    VotingClosed: frozenset({"voting"}),
    ActionCreated: frozenset({"results"}),
}


def step(state: BoardState, event: BoardEvent) -> BoardOutcome:
    """The board after `event`, and what the shell must do about it (a refusal keeps `state`)."""
    if state.phase not in PHASES_OF[type(event)]:
        return refuse(state, "wrong_phase")
    match event:
        case ItemAdded() | ItemEdited() | ItemRemoved():
            return _collect(state, event)
        case CollectionClosed():
            return BoardOutcome(replace(state, phase="closed"), (RefreshBoard(),))
        case Revealed():
            return _reveal(state)
        case GroupingStarted():
            return board_grouping.start_grouping(state)
        case ProposalApproved() | ProposalRejected():
            return board_grouping.decide(state, event)
        case ItemDetached():
            return board_grouping.detach(state, event.item_id)
        case GroupRenamed():
            return board_grouping.rename(state, event)
        case VotingOpened():
            return _open_vote(state, event)
        case VoteCast() | VoteWithdrawn():
            return _vote(state, event)
        case VotingClosed():
            return _close_vote(state)
        case ActionCreated():
            return _create_action(state, event)
        case _:
            assert_never(event)


# -- collecting --------------------------------------------------------------------------------
def _collect(state: BoardState, event: ItemAdded | ItemEdited | ItemRemoved) -> BoardOutcome:
    if isinstance(event, ItemAdded):
        return _add(state, event)
    item = state.items.get(event.item_id)
    if item is None:
        return refuse(state, "unknown_item")
    if item.author != event.member:
        return refuse(state, "not_yours")
    own = RefreshOwnItems(event.member)
    if isinstance(event, ItemRemoved):
        items = {i: it for i, it in state.items.items() if i != item.id}
        return BoardOutcome(replace(state, items=items), (own, RefreshBoard()))
    text = event.text.strip()
    if reason := text_refusal(text, MAX_ITEM_LENGTH):
        return refuse(state, reason)
    if text == item.text:
        return BoardOutcome(state, (own,))
    return BoardOutcome(with_items(state, [replace(item, text=text)]), (own,))


def _add(state: BoardState, event: ItemAdded) -> BoardOutcome:
    text = event.text.strip()
    if reason := text_refusal(text, MAX_ITEM_LENGTH):
        return refuse(state, reason)
    if len(own_items(state, event.member)) >= MAX_ITEMS_PER_MEMBER:
        return refuse(state, "too_many")
    if event.item_id in state.items:
        return refuse(state, "duplicate_id")
    item = Item(event.item_id, event.quadrant, text, event.member)
    after = with_items(state, [item])
    number = sum(1 for i in own_items(after, event.member) if i.quadrant == event.quadrant)
    acknowledge = AcknowledgeItem(event.member, event.item_id, event.quadrant, number)
    return BoardOutcome(after, (acknowledge, RefreshBoard()))


def _reveal(state: BoardState) -> BoardOutcome:
    items = state.items
    if state.anonymous:
        items = {i: replace(item, author=None) for i, item in items.items()}
    after = replace(state, phase="revealed", items=items, contributors=len(authors(state)))
    return BoardOutcome(after, (RefreshBoard(), reveal_of(after)))


# -- voting ------------------------------------------------------------------------------------
def _open_vote(state: BoardState, event: VotingOpened) -> BoardOutcome:
    if not 1 <= event.per_item <= event.budget <= MAX_BUDGET:
        return refuse(state, "bad_budget")
    after = replace(
        state, phase="voting", budget=event.budget, per_item=event.per_item, proposals=()
    )
    return BoardOutcome(after, (OfferBallots(event.budget, event.per_item), RefreshBoard()))


def _vote(state: BoardState, event: VoteCast | VoteWithdrawn) -> BoardOutcome:
    if not is_votable(state, event.item_id):
        return refuse(state, "unknown_item")
    ballot = dict(ballot_of(state, event.member))
    dots = ballot.get(event.item_id, 0)
    if isinstance(event, VoteCast):
        if sum(ballot.values()) >= state.budget:
            return refuse(state, "budget_spent")
        if dots >= state.per_item:
            return refuse(state, "item_full")
        ballot[event.item_id] = dots + 1
    elif dots == 0:
        return refuse(state, "no_vote")
    elif dots == 1:
        del ballot[event.item_id]
    else:
        ballot[event.item_id] = dots - 1
    ballots = {m: b for m, b in state.ballots.items() if m != event.member}
    if ballot:
        ballots = {**state.ballots, event.member: ballot}
    after = replace(state, ballots=ballots)
    effects: tuple[BoardEffect, ...] = (
        RefreshBallot(event.member, dots_left(after, event.member)),
    )
    if len(ballots) != len(state.ballots):
        effects += (RefreshBoard(),)
    return BoardOutcome(after, effects)


def _close_vote(state: BoardState) -> BoardOutcome:
    totals = {
        item.id: sum(ballot.get(item.id, 0) for ballot in state.ballots.values())
        for item in votable_items(state)
    }
    after = replace(
        state,
        phase="results",
        totals=totals,
        voter_count=len(state.ballots),
        ballots={} if state.anonymous else state.ballots,
    )
    return BoardOutcome(after, (RefreshBoard(), results_of(after)))


# -- results -----------------------------------------------------------------------------------
def _create_action(state: BoardState, event: ActionCreated) -> BoardOutcome:
    title = event.title.strip()
    if reason := text_refusal(title, MAX_ACTION_TITLE_LENGTH):
        return refuse(state, reason)
    if any(action.id == event.action_id for action in state.actions):
        return refuse(state, "duplicate_id")
    if event.item is not None and not is_votable(state, event.item):
        return refuse(state, "unknown_item")
    action = Action(event.action_id, title, event.owner, event.due, event.item)
    return BoardOutcome(replace(state, actions=(*state.actions, action)), (TellOwner(action),))
