"""The grouping phase of the board: proposals asked one at a time, merges, detachments, labels.

Rule: only items in no group are proposed, and never two items the facilitator kept apart (a
rejected proposal, a detached item: `BoardState.apart`). Every event here ends with the
facilitator's next prompt, the first pending proposal or `GroupingDone`. A group keeps at most
MAX_GROUP_SIZE items because only proposals make groups; a group left with one item is no group.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from flows.board_model import (
    MAX_LABEL_LENGTH,
    BoardEffect,
    BoardOutcome,
    BoardState,
    GroupRenamed,
    Item,
    ItemId,
    ProposalApproved,
    ProposalRejected,
    RefreshBoard,
    refuse,
    text_refusal,
    with_items,
)
from flows.board_views import group_members, grouping_prompt, is_votable, votable_items
from flows.similarity import propose_groups


def start_grouping(state: BoardState) -> BoardOutcome:
    heads = {item.merged_into for item in state.items.values()}
    single = [i for i in votable_items(state) if i.id not in heads]
    after = replace(state, phase="grouping", proposals=propose_groups(single, apart=state.apart))
    effects: tuple[BoardEffect, ...] = () if state.phase == "grouping" else (RefreshBoard(),)
    return BoardOutcome(after, (*effects, grouping_prompt(after)))


def decide(state: BoardState, event: ProposalApproved | ProposalRejected) -> BoardOutcome:
    proposal = next((p for p in state.proposals if p[0] == event.head), None)
    if proposal is None:
        return refuse(state, "unknown_proposal")
    rest = tuple(p for p in state.proposals if p != proposal)
    if isinstance(event, ProposalRejected):
        after = _kept_apart(replace(state, proposals=rest), _pairs(proposal))
        return BoardOutcome(after, (grouping_prompt(after),))
    head = state.items[event.head]
    if event.label is not None:
        label = event.label.strip()
        if reason := text_refusal(label, MAX_LABEL_LENGTH):
            return refuse(state, reason)
        head = replace(head, label=label)
    merged = [replace(state.items[i], merged_into=head.id) for i in proposal[1:]]
    after = with_items(replace(state, proposals=rest), [head, *merged])
    return BoardOutcome(after, (RefreshBoard(), grouping_prompt(after)))


def detach(state: BoardState, item_id: ItemId) -> BoardOutcome:
    proposal = next((p for p in state.proposals if item_id in p), None)
    if proposal is not None:
        left = tuple(i for i in proposal if i != item_id)
        proposals = tuple(
            left if p == proposal else p for p in state.proposals if p != proposal or len(left) > 1
        )
        after = _kept_apart(replace(state, proposals=proposals), _pairs_with(item_id, left))
        return BoardOutcome(after, (grouping_prompt(after),))
    item = state.items.get(item_id)
    members = () if item is None else group_members(state, _head_of(item))
    if item is None or len(members) < 2:
        return refuse(state, "unknown_item")
    stay = [m for m in members if m.id != item_id]
    label = members[0].label  # the group's name goes with the group
    head, others = stay[0], stay[1:]
    changed = [
        replace(item, merged_into=None, label=None),
        replace(head, merged_into=None, label=label if others else None),
        *(replace(m, merged_into=head.id) for m in others),
    ]
    after = _kept_apart(with_items(state, changed), _pairs_with(item_id, [m.id for m in stay]))
    return BoardOutcome(after, (RefreshBoard(), grouping_prompt(after)))


def rename(state: BoardState, event: GroupRenamed) -> BoardOutcome:
    if not is_votable(state, event.head):
        return refuse(state, "unknown_item")
    label = event.label.strip()
    if reason := text_refusal(label, MAX_LABEL_LENGTH):
        return refuse(state, reason)
    after = with_items(state, [replace(state.items[event.head], label=label)])
    return BoardOutcome(after, (grouping_prompt(after),))


def _pairs(ids: tuple[ItemId, ...]) -> list[tuple[ItemId, ItemId]]:
    return [(a, b) for n, a in enumerate(ids) for b in ids[n + 1 :]]


def _pairs_with(item_id: ItemId, others: Iterable[ItemId]) -> list[tuple[ItemId, ItemId]]:
    return [(item_id, other) for other in others]


def _kept_apart(state: BoardState, pairs: Iterable[tuple[ItemId, ItemId]]) -> BoardState:
    """`state` with these pairs kept apart too, each earlier written first, each once."""
    position = {item_id: n for n, item_id in enumerate(state.items)}
    known = set(state.apart)
    new: list[tuple[ItemId, ItemId]] = []
    for a, b in pairs:
        pair = (a, b) if position[a] < position[b] else (b, a)
        if pair not in known:
            known.add(pair)
            new.append(pair)
    return replace(state, apart=(*state.apart, *new))


def _head_of(item: Item) -> ItemId:
    return item.id if item.merged_into is None else item.merged_into
