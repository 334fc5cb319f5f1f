"""Table-driven board tests: a board played up to a phase, one event, and the effects out."""

from __future__ import annotations

from datetime import date

import pytest

from flows.board import (
    MAX_ACTION_TITLE_LENGTH,
    MAX_BUDGET,
    MAX_ITEM_LENGTH,
    MAX_ITEMS_PER_MEMBER,
    MAX_LABEL_LENGTH,
    PHASES,
    PHASES_OF,
    QUADRANTS,
    AcknowledgeItem,
    Action,
    ActionCreated,
    ActionId,
    BoardCounts,
    BoardEffect,
    BoardEvent,
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
    Refuse,
    Revealed,
    RevealedItem,
    TellOwner,
    VoteCast,
    VoteWithdrawn,
    VotingClosed,
    VotingOpened,
    ballot_of,
    board_counts,
    display_text,
    dots_left,
    group_members,
    grouping_prompt,
    own_items,
    results_of,
    step,
    votable_items,
)

ANN, BOB, CAT = MemberId(1), MemberId(2), MemberId(3)
I1, I2, I3, I4, I5 = (ItemId(n) for n in range(1, 6))
DUE = date(2026, 7, 1)


def add(member: MemberId, item: int, text: str, quadrant: Quadrant = "strengths") -> ItemAdded:
    return ItemAdded(member, ItemId(item), quadrant, text)


def play(*events: BoardEvent, anonymous: bool = False) -> BoardState:
    """The board after `events`, each of which must be taken."""
    state = BoardState(phase="collecting", anonymous=anonymous)
    for event in events:
        outcome = step(state, event)
        assert not any(isinstance(e, Refuse) for e in outcome.effects), (event, outcome.effects)
        state = outcome.state
    return state


COLLECTED = (
    add(ANN, 1, "Bonne finition"),
    add(BOB, 2, "bonne finition"),
    add(ANN, 3, "Prix trop bas", "weaknesses"),
    add(CAT, 4, "Prix trop élevés", "weaknesses"),
)
REVEALED = (*COLLECTED, Revealed())
GROUPING = (*REVEALED, GroupingStarted())
GROUPED = (*GROUPING, ProposalApproved(I1, "Finition"))
VOTING = (*REVEALED, VotingOpened(budget=3, per_item=2))
RESULTS = (*VOTING, VoteCast(ANN, I3), VoteCast(BOB, I3), VoteCast(BOB, I1), VotingClosed())

A1 = Item(I1, "strengths", "Bonne finition", ANN)
A2 = Item(I2, "strengths", "bonne finition", BOB)
ACTION = ActionCreated(ActionId(7), " Revoir les prix ", CAT, DUE, I3)

# (name, board, event, effects)
CASES: list[tuple[str, tuple[BoardEvent, ...], BoardEvent, tuple[BoardEffect, ...]]] = [
    # collecting
    ("add", (), add(ANN, 1, "  Bon réseau  "), (AcknowledgeItem(ANN, I1, "strengths", 1), RefreshBoard())),
    ("add counts per quadrant", COLLECTED, add(ANN, 5, "Marque", "weaknesses"), (AcknowledgeItem(ANN, I5, "weaknesses", 2), RefreshBoard())),
    ("add empty", (), add(ANN, 1, " \n "), (Refuse("empty"),)),
    ("add too long", (), add(ANN, 1, "x" * (MAX_ITEM_LENGTH + 1)), (Refuse("too_long"),)),
    ("add at the limit", (), add(ANN, 1, "x" * MAX_ITEM_LENGTH), (AcknowledgeItem(ANN, I1, "strengths", 1), RefreshBoard())),
    ("add too many", tuple(add(ANN, n, f"item {n}") for n in range(MAX_ITEMS_PER_MEMBER)), add(ANN, 99, "one more"), (Refuse("too_many"),)),
    ("add others still may", tuple(add(ANN, n, f"item {n}") for n in range(MAX_ITEMS_PER_MEMBER)), add(BOB, 99, "mine"), (AcknowledgeItem(BOB, ItemId(99), "strengths", 1), RefreshBoard())),
    ("add duplicate id", COLLECTED, add(CAT, 1, "Autre"), (Refuse("duplicate_id"),)),
    ("add after close", (*COLLECTED, CollectionClosed()), add(ANN, 5, "Tard"), (Refuse("wrong_phase"),)),
    ("edit", COLLECTED, ItemEdited(ANN, I1, "Finition soignée"), (RefreshOwnItems(ANN),)),
    ("edit to the same text", COLLECTED, ItemEdited(ANN, I1, " Bonne finition "), (RefreshOwnItems(ANN),)),
    ("edit unknown", COLLECTED, ItemEdited(ANN, I5, "x"), (Refuse("unknown_item"),)),
    ("edit not yours", COLLECTED, ItemEdited(BOB, I1, "x"), (Refuse("not_yours"),)),
    ("edit empty", COLLECTED, ItemEdited(ANN, I1, ""), (Refuse("empty"),)),
    ("edit too long", COLLECTED, ItemEdited(ANN, I1, "x" * (MAX_ITEM_LENGTH + 1)), (Refuse("too_long"),)),
    ("edit after close", (*COLLECTED, CollectionClosed()), ItemEdited(ANN, I1, "x"), (Refuse("wrong_phase"),)),
    ("remove", COLLECTED, ItemRemoved(ANN, I1), (RefreshOwnItems(ANN), RefreshBoard())),
    ("remove unknown", COLLECTED, ItemRemoved(ANN, I5), (Refuse("unknown_item"),)),
    ("remove not yours", COLLECTED, ItemRemoved(CAT, I1), (Refuse("not_yours"),)),
    ("remove after reveal", REVEALED, ItemRemoved(ANN, I1), (Refuse("wrong_phase"),)),
    ("close", COLLECTED, CollectionClosed(), (RefreshBoard(),)),
    ("close twice", (*COLLECTED, CollectionClosed()), CollectionClosed(), (Refuse("wrong_phase"),)),
    ("reveal twice", REVEALED, Revealed(), (Refuse("wrong_phase"),)),
    # grouping
    ("group", REVEALED, GroupingStarted(), (RefreshBoard(), ProposeGroup(I1, (A1, A2)))),
    ("group again", GROUPING, GroupingStarted(), (ProposeGroup(I1, (A1, A2)),)),
    ("group nothing near", (add(ANN, 1, "Prix"), add(ANN, 2, "Équipe"), Revealed()), GroupingStarted(), (RefreshBoard(), GroupingDone())),
    ("group before reveal", COLLECTED, GroupingStarted(), (Refuse("wrong_phase"),)),
    ("approve", GROUPING, ProposalApproved(I1), (RefreshBoard(), GroupingDone())),
    ("approve unknown", GROUPING, ProposalApproved(I2), (Refuse("unknown_proposal"),)),
    ("approve empty label", GROUPING, ProposalApproved(I1, "  "), (Refuse("empty"),)),
    ("approve long label", GROUPING, ProposalApproved(I1, "x" * (MAX_LABEL_LENGTH + 1)), (Refuse("too_long"),)),
    ("approve when revealed", REVEALED, ProposalApproved(I1), (Refuse("wrong_phase"),)),
    ("reject", GROUPING, ProposalRejected(I1), (GroupingDone(),)),
    ("reject unknown", GROUPING, ProposalRejected(I3), (Refuse("unknown_proposal"),)),
    ("reject twice", (*GROUPING, ProposalRejected(I1)), ProposalRejected(I1), (Refuse("unknown_proposal"),)),
    ("detach from a proposal", GROUPING, ItemDetached(I2), (GroupingDone(),)),
    ("detach from a group", GROUPED, ItemDetached(I2), (RefreshBoard(), GroupingDone())),
    ("detach a lone item", GROUPING, ItemDetached(I3), (Refuse("unknown_item"),)),
    ("detach unknown", GROUPING, ItemDetached(I5), (Refuse("unknown_item"),)),
    ("detach when voting", VOTING, ItemDetached(I1), (Refuse("wrong_phase"),)),
    ("rename", GROUPED, GroupRenamed(I1, "Finitions"), (GroupingDone(),)),
    ("rename a proposal's head", GROUPING, GroupRenamed(I1, "Finitions"), (ProposeGroup(I1, (Item(I1, "strengths", "Bonne finition", ANN, label="Finitions"), A2)),)),
    ("rename a merged item", GROUPED, GroupRenamed(I2, "x"), (Refuse("unknown_item"),)),
    ("rename unknown", GROUPED, GroupRenamed(I5, "x"), (Refuse("unknown_item"),)),
    ("rename empty", GROUPED, GroupRenamed(I1, " "), (Refuse("empty"),)),
    ("rename too long", GROUPED, GroupRenamed(I1, "x" * (MAX_LABEL_LENGTH + 1)), (Refuse("too_long"),)),
    # voting
    ("open", REVEALED, VotingOpened(), (OfferBallots(5, 3), RefreshBoard())),
    ("open from grouping", GROUPING, VotingOpened(4, 1), (OfferBallots(4, 1), RefreshBoard())),
    ("open with most dots", REVEALED, VotingOpened(MAX_BUDGET, MAX_BUDGET), (OfferBallots(MAX_BUDGET, MAX_BUDGET), RefreshBoard())),
    ("open over the budget limit", REVEALED, VotingOpened(MAX_BUDGET + 1, 1), (Refuse("bad_budget"),)),
    ("open no dot per item", REVEALED, VotingOpened(5, 0), (Refuse("bad_budget"),)),
    ("open more per item than budget", REVEALED, VotingOpened(2, 3), (Refuse("bad_budget"),)),
    ("open no budget", REVEALED, VotingOpened(0, 0), (Refuse("bad_budget"),)),
    ("open before reveal", (*COLLECTED, CollectionClosed()), VotingOpened(), (Refuse("wrong_phase"),)),
    ("open twice", VOTING, VotingOpened(), (Refuse("wrong_phase"),)),
    ("vote", VOTING, VoteCast(ANN, I1), (RefreshBallot(ANN, 2), RefreshBoard())),
    ("vote again", (*VOTING, VoteCast(ANN, I1)), VoteCast(ANN, I1), (RefreshBallot(ANN, 1),)),
    ("vote item full", (*VOTING, VoteCast(ANN, I1), VoteCast(ANN, I1)), VoteCast(ANN, I1), (Refuse("item_full"),)),
    ("vote budget spent", (*VOTING, VoteCast(ANN, I1), VoteCast(ANN, I1), VoteCast(ANN, I2)), VoteCast(ANN, I3), (Refuse("budget_spent"),)),
    ("vote unknown", VOTING, VoteCast(ANN, I5), (Refuse("unknown_item"),)),
    ("vote merged", (*GROUPED, VotingOpened()), VoteCast(ANN, I2), (Refuse("unknown_item"),)),
    ("vote a group", (*GROUPED, VotingOpened()), VoteCast(ANN, I1), (RefreshBallot(ANN, 4), RefreshBoard())),
    ("vote before opening", REVEALED, VoteCast(ANN, I1), (Refuse("wrong_phase"),)),
    ("withdraw", (*VOTING, VoteCast(ANN, I1), VoteCast(ANN, I1)), VoteWithdrawn(ANN, I1), (RefreshBallot(ANN, 2),)),
    ("withdraw the last", (*VOTING, VoteCast(ANN, I1)), VoteWithdrawn(ANN, I1), (RefreshBallot(ANN, 3), RefreshBoard())),
    ("withdraw none", (*VOTING, VoteCast(ANN, I1)), VoteWithdrawn(ANN, I2), (Refuse("no_vote"),)),
    ("withdraw someone else's", (*VOTING, VoteCast(ANN, I1)), VoteWithdrawn(BOB, I1), (Refuse("no_vote"),)),
    ("withdraw unknown", VOTING, VoteWithdrawn(ANN, I5), (Refuse("unknown_item"),)),
    ("withdraw after close", RESULTS, VoteWithdrawn(ANN, I3), (Refuse("wrong_phase"),)),
    ("close vote before opening", REVEALED, VotingClosed(), (Refuse("wrong_phase"),)),
    # results
    ("action", RESULTS, ACTION, (TellOwner(Action(ActionId(7), "Revoir les prix", CAT, DUE, I3)),)),
    ("action without item", RESULTS, ActionCreated(ActionId(7), "Site", ANN, None), (TellOwner(Action(ActionId(7), "Site", ANN, None, None)),)),
    ("action duplicate id", (*RESULTS, ACTION), ActionCreated(ActionId(7), "Autre", ANN, None), (Refuse("duplicate_id"),)),
    ("action empty title", RESULTS, ActionCreated(ActionId(7), " ", ANN, None), (Refuse("empty"),)),
    ("action long title", RESULTS, ActionCreated(ActionId(7), "x" * (MAX_ACTION_TITLE_LENGTH + 1), ANN, None), (Refuse("too_long"),)),
    ("action unknown item", RESULTS, ActionCreated(ActionId(7), "x", ANN, None, I5), (Refuse("unknown_item"),)),
    ("action on a merged item", (*GROUPED, VotingOpened(), VotingClosed()), ActionCreated(ActionId(7), "x", ANN, None, I2), (Refuse("unknown_item"),)),
    ("action while voting", VOTING, ACTION, (Refuse("wrong_phase"),)),
]  # fmt: skip


@pytest.mark.parametrize(
    ("board", "event", "effects"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_step(
    board: tuple[BoardEvent, ...], event: BoardEvent, effects: tuple[BoardEffect, ...]
) -> None:
    state = play(*board)
    outcome = step(state, event)
    assert outcome.effects == effects
    if isinstance(effects[0], Refuse):
        assert outcome.state is state
    else:
        assert outcome.state != state or isinstance(event, ItemEdited | GroupingStarted)


BOARD_IN: dict[Phase, tuple[BoardEvent, ...]] = {
    "collecting": COLLECTED,
    "closed": (*COLLECTED, CollectionClosed()),
    "revealed": REVEALED,
    "grouping": GROUPING,
    "voting": VOTING,
    "results": RESULTS,
}
ONE_OF_EACH: list[BoardEvent] = [
    add(BOB, 9, "Nouveau"),
    ItemEdited(ANN, I1, "Autre"),
    ItemRemoved(ANN, I1),
    CollectionClosed(),
    Revealed(),
    GroupingStarted(),
    ProposalApproved(I1),
    ProposalRejected(I1),
    ItemDetached(I2),
    GroupRenamed(I1, "Nom"),
    VotingOpened(),
    VoteCast(CAT, I1),
    VoteWithdrawn(ANN, I3),
    VotingClosed(),
    ACTION,
]


@pytest.mark.parametrize("phase", PHASES)
@pytest.mark.parametrize("event", ONE_OF_EACH, ids=lambda e: type(e).__name__)
def test_each_phase_takes_only_its_events(phase: Phase, event: BoardEvent) -> None:
    state = play(*BOARD_IN[phase])
    assert state.phase == phase
    outcome = step(state, event)
    if phase in PHASES_OF[type(event)]:
        assert Refuse("wrong_phase") not in outcome.effects
    else:
        assert outcome.effects == (Refuse("wrong_phase"),)
        assert outcome.state is state


def test_every_event_has_its_phases() -> None:
    assert {type(e) for e in ONE_OF_EACH} == set(PHASES_OF)


def test_reveal_posts_every_quadrant_with_authors_on_a_named_board() -> None:
    outcome = step(play(*COLLECTED), Revealed())
    assert outcome.state.phase == "revealed"
    assert outcome.state.contributors == 3
    assert outcome.effects[1] == PostReveal(
        (
            (
                "strengths",
                (RevealedItem("Bonne finition", ANN), RevealedItem("bonne finition", BOB)),
            ),
            (
                "weaknesses",
                (RevealedItem("Prix trop bas", ANN), RevealedItem("Prix trop élevés", CAT)),
            ),
            ("opportunities", ()),
            ("threats", ()),
        )
    )
    assert [i.author for i in outcome.state.items.values()] == [ANN, BOB, ANN, CAT]


def test_an_anonymous_reveal_drops_every_author() -> None:
    before = play(*COLLECTED, anonymous=True)
    assert own_items(before, ANN) == (A1, play(*COLLECTED).items[I3])
    outcome = step(before, Revealed())
    assert outcome.state.contributors == 3
    assert all(i.author is None for i in outcome.state.items.values())
    assert own_items(outcome.state, ANN) == ()
    assert board_counts(outcome.state).contributors == 3
    reveal = outcome.effects[1]
    assert isinstance(reveal, PostReveal)
    assert [i.author for _, items in reveal.quadrants for i in items] == [None] * 4


def test_the_board_counts_items_and_contributors_while_collecting() -> None:
    state = play(*COLLECTED, add(ANN, 5, "Marque", "threats"))
    counts = board_counts(state)
    assert counts == BoardCounts(
        "collecting", {"strengths": 2, "weaknesses": 2, "opportunities": 0, "threats": 1}, 3, 0
    )
    state = play(*COLLECTED, ItemRemoved(CAT, I4))
    assert board_counts(state).contributors == 2
    assert board_counts(state).per_quadrant["weaknesses"] == 1


def test_an_edit_keeps_the_item_and_its_place() -> None:
    state = play(*COLLECTED, ItemEdited(ANN, I1, "  Finition soignée "))
    assert list(state.items) == [I1, I2, I3, I4]
    assert state.items[I1] == Item(I1, "strengths", "Finition soignée", ANN)


def test_an_approved_group_counts_once_and_keeps_its_members() -> None:
    state = play(*GROUPED)
    assert state.items[I2].merged_into == I1
    assert state.items[I1].label == "Finition"
    assert state.proposals == ()
    assert board_counts(state).per_quadrant["strengths"] == 1
    assert [i.id for i in votable_items(state)] == [I1, I3, I4]
    assert [i.id for i in group_members(state, I1)] == [I1, I2]
    assert group_members(state, I2) == ()
    assert group_members(state, I3) == (state.items[I3],)


def test_approving_without_a_label_keeps_the_head_text() -> None:
    state = play(*GROUPING, ProposalApproved(I1))
    assert state.items[I1].label is None
    assert display_text(state.items[I1]) == "Bonne finition"


NEAR_THREE = (
    add(ANN, 1, "Bonne finition"),
    add(BOB, 2, "bonne finition"),
    add(CAT, 3, "Finitions de qualité"),
    add(ANN, 4, "Prix bas", "weaknesses"),
    add(BOB, 5, "Prix trop bas", "weaknesses"),
    Revealed(),
    GroupingStarted(),
)


def test_proposals_are_asked_one_at_a_time_in_quadrant_order() -> None:
    state = play(*NEAR_THREE)
    assert state.proposals == ((I1, I2, I3), (I4, I5))
    outcome = step(state, ProposalRejected(I1))
    assert outcome.state.proposals == ((I4, I5),)
    assert outcome.effects == (ProposeGroup(I4, (state.items[I4], state.items[I5])),)
    assert outcome.state.apart == ((I1, I2), (I1, I3), (I2, I3))


def test_a_rejected_proposal_is_not_proposed_again() -> None:
    state = play(*NEAR_THREE, ProposalRejected(I1), GroupingStarted())
    assert state.proposals == ((I4, I5),)


def test_detaching_from_a_proposal_keeps_the_rest_and_the_item_apart() -> None:
    state = play(*NEAR_THREE)
    outcome = step(state, ItemDetached(I1))
    assert outcome.state.proposals == ((I2, I3), (I4, I5))
    assert outcome.effects == (ProposeGroup(I2, (state.items[I2], state.items[I3])),)
    assert outcome.state.apart == ((I1, I2), (I1, I3))
    again = play(*NEAR_THREE, ItemDetached(I1), GroupingStarted())
    assert again.proposals == ((I2, I3), (I4, I5))


def test_a_proposal_left_with_one_item_is_dropped() -> None:
    state = play(*NEAR_THREE, ItemDetached(I5))
    assert state.proposals == ((I1, I2, I3),)


def test_a_member_leaving_a_group_stands_alone_again() -> None:
    state = play(*NEAR_THREE, ProposalApproved(I1, "Finition"), ItemDetached(I2))
    assert state.items[I2] == Item(I2, "strengths", "bonne finition", BOB)
    assert [i.id for i in group_members(state, I1)] == [I1, I3]
    assert state.items[I1].label == "Finition"
    assert (I1, I2) in state.apart
    assert (I2, I3) in state.apart


def test_a_group_left_with_one_item_loses_its_label() -> None:
    state = play(*GROUPED, ItemDetached(I2))
    assert state.items[I1] == A1
    assert state.items[I2] == A2
    assert board_counts(state).per_quadrant["strengths"] == 2
    assert play(*GROUPED, ItemDetached(I2), GroupingStarted()).proposals == ()


def test_the_head_leaving_hands_the_group_to_the_next_member() -> None:
    state = play(*NEAR_THREE, ProposalApproved(I1, "Finition"), ItemDetached(I1))
    assert state.items[I1] == A1
    assert state.items[I2].merged_into is None
    assert state.items[I2].label == "Finition"
    assert state.items[I3].merged_into == I2
    assert [i.id for i in group_members(state, I2)] == [I2, I3]


def test_a_new_grouping_leaves_groups_alone() -> None:
    state = play(*NEAR_THREE, ProposalApproved(I1), GroupingStarted())
    assert state.proposals == ((I4, I5),)


def test_opening_the_vote_drops_pending_proposals() -> None:
    state = play(*NEAR_THREE, VotingOpened(4, 2))
    assert (state.phase, state.proposals, state.budget, state.per_item) == ("voting", (), 4, 2)
    assert all(i.merged_into is None for i in state.items.values())


def test_ballots_are_private_until_the_close() -> None:
    state = play(*VOTING, VoteCast(ANN, I1), VoteCast(ANN, I1), VoteCast(BOB, I3))
    assert ballot_of(state, ANN) == {I1: 2}
    assert ballot_of(state, CAT) == {}
    assert (dots_left(state, ANN), dots_left(state, BOB), dots_left(state, CAT)) == (1, 2, 3)
    assert state.totals == {}
    assert board_counts(state).voters == 2
    state = play(*VOTING, VoteCast(ANN, I1), VoteWithdrawn(ANN, I1))
    assert state.ballots == {}
    assert board_counts(state).voters == 0


@pytest.mark.parametrize("anonymous", [False, True])
def test_closing_the_vote_sums_the_dots(anonymous: bool) -> None:
    state = play(*RESULTS, anonymous=anonymous)
    assert state.phase == "results"
    assert state.totals == {I1: 1, I2: 0, I3: 2, I4: 0}
    assert state.voter_count == 2
    assert board_counts(state).voters == 2
    if anonymous:
        assert state.ballots == {}
    else:
        assert state.ballots == {ANN: {I3: 1}, BOB: {I3: 1, I1: 1}}


def test_the_results_rank_voted_items_by_votes_then_written_order() -> None:
    state = play(
        *(add(ANN, n, f"Atout {n}") for n in range(10, 17)),
        *COLLECTED,
        Revealed(),
        GroupingStarted(),
        ProposalApproved(I1, "Finition"),
        VotingOpened(5, 3),
        *(VoteCast(m, ItemId(n)) for m in (ANN, BOB) for n in (16, 15, 14, 13, 12)),
        VoteCast(CAT, I1),
        VoteCast(CAT, I1),
        VoteCast(CAT, I1),
        VoteCast(CAT, I3),
    )
    outcome = step(state, VotingClosed())
    results = outcome.effects[1]
    assert outcome.effects[0] == RefreshBoard()
    assert isinstance(results, PostResults)
    assert results.voters == 3
    assert results.top == (
        (
            "strengths",
            (
                RankedItem(I1, "Finition", 3, merged=2),
                RankedItem(ItemId(12), "Atout 12", 2),
                RankedItem(ItemId(13), "Atout 13", 2),
                RankedItem(ItemId(14), "Atout 14", 2),
                RankedItem(ItemId(15), "Atout 15", 2),
            ),
        ),
        ("weaknesses", (RankedItem(I3, "Prix trop bas", 1),)),
        ("opportunities", ()),
        ("threats", ()),
    )
    assert results == results_of(outcome.state)


def test_nothing_before_the_close_carries_a_total() -> None:
    state = play(*VOTING, VoteCast(ANN, I1))
    assert results_of(state).top == tuple((q, ()) for q in QUADRANTS)


def test_actions_are_kept_in_order() -> None:
    state = play(*RESULTS, ACTION, ActionCreated(ActionId(8), "Site web", ANN, None))
    assert [(a.id, a.title, a.owner, a.item) for a in state.actions] == [
        (7, "Revoir les prix", CAT, I3),
        (8, "Site web", ANN, None),
    ]


def test_grouping_prompt_after_a_restart() -> None:
    assert grouping_prompt(play(*GROUPING)) == ProposeGroup(I1, (A1, A2))
    assert grouping_prompt(play(*GROUPED)) == GroupingDone()
