"""The participant's path through a flow, derived from their answers.

Rule: nothing here is stored. Which steps apply, where Back leads and what "3/10" means are all
recomputed from the answers, so they can never disagree with them.
"""

from __future__ import annotations

from flows.conditions import (
    MISSING,
    PENDING,
    Found,
    Given,
    Predicate,
    compile_condition,
    referenced_steps,
)
from flows.schema import ANSWERABLE_KINDS, Flow, Step, StepId
from flows.state import SessionState


def is_answerable(step: Step) -> bool:
    return step.kind in ANSWERABLE_KINDS


class _Compiled:
    """What the path needs of a flow, worked out once per flow: conditions and answerable steps."""

    def __init__(self, flow: Flow) -> None:
        self.flow = flow  # held, so its id is not reused while cached
        self.when: list[Predicate | None] = [
            None if step.when is None else compile_condition(step.when) for step in flow.steps
        ]
        self.answerable = [is_answerable(step) for step in flow.steps]
        self.conditional = [index for index, step in enumerate(flow.steps) if step.when is not None]
        # The latest step each condition reads: only conditions reading at or after a cursor can
        # come out differently while later answers are still pending.
        self.latest_read = [
            -1
            if step.when is None
            else max(
                flow.positions.get(ref, len(flow.steps)) for ref in referenced_steps(step.when)
            )
            for step in flow.steps
        ]


_COMPILED: dict[int, _Compiled] = {}


def _compiled(flow: Flow) -> _Compiled:
    known = _COMPILED.get(id(flow))
    if known is None or known.flow is not flow:
        known = _COMPILED[id(flow)] = _Compiled(flow)
    return known


def is_visited(state: SessionState, step_id: str) -> bool:
    return step_id in state.answers or step_id in state.skipped


# One step asks for the same relevance several times (progress, back, next, branches closed).
# States are immutable, so the answers object identifies the result; holding the keys alive means
# an id can never be reused while it is in here.
_RECENT: list[tuple[Flow, object, frozenset[StepId], int | None, list[bool | None]]] = []
_RECENT_SIZE = 6


def relevance(
    flow: Flow, state: SessionState, pending_from: int | None = None
) -> list[bool | None]:
    for known_flow, answers, skipped, pending, result in _RECENT:
        if (
            known_flow is flow
            and answers is state.answers
            and skipped is state.skipped
            and pending == pending_from
        ):
            return result
    settled = None if pending_from is None else relevance(flow, state)
    result = _relevance(flow, state, pending_from, settled)
    _RECENT.insert(0, (flow, state.answers, state.skipped, pending_from, result))
    del _RECENT[_RECENT_SIZE:]
    return result


def _relevance(
    flow: Flow,
    state: SessionState,
    pending_from: int | None,
    settled: list[bool | None] | None,
) -> list[bool | None]:
    """For each step: does it apply (True), not (False), or not known yet (None)?

    With `pending_from`, unvisited steps at or after that index may still be answered, which
    leaves conditions on them unknown; without it, every unanswered step counts as missing.
    Given the `settled` answer (no pending steps), only conditions that read a step at or after
    `pending_from` are evaluated again: the others cannot come out differently.
    """
    compiled = _compiled(flow)
    positions = flow.positions
    result: list[bool | None] = list(settled) if settled is not None else []
    current = 0  # conditions only look back: a step at or after this one is not decided yet

    def lookup(step_id: str) -> Found:
        index = positions.get(step_id)
        if index is None or index >= current or result[index] is False:
            return MISSING
        answer = state.answers.get(step_id)  # type: ignore[call-overload]  # a StepId at run time
        if answer is not None:
            return Given(answer.value)
        if step_id in state.skipped:
            return MISSING
        if pending_from is not None and index >= pending_from:
            return PENDING
        return MISSING

    if settled is not None and pending_from is not None:
        for index in compiled.conditional:
            if compiled.latest_read[index] >= pending_from:
                current = index
                result[index] = compiled.when[index](lookup)  # type: ignore[misc]  # conditional
        return result
    for index, predicate in enumerate(compiled.when):
        current = index
        result.append(True if predicate is None else predicate(lookup))
    return result


def next_step(flow: Flow, state: SessionState, after: int) -> tuple[list[Step], Step | None]:
    """The notes to show and the next question after index `after` (None: the path is complete).

    While editing from the review, answered steps are passed over: only what the new answer
    opened up is asked.
    """
    applies = relevance(flow, state)
    answerable = _compiled(flow).answerable
    notes: list[Step] = []
    for index in range(after + 1, len(flow.steps)):
        if not applies[index]:
            continue
        step = flow.steps[index]
        if not answerable[index]:
            if not state.editing:
                notes.append(step)
            continue
        if state.editing and is_visited(state, step.id):
            continue
        return notes, step
    return notes, None


def previous_step(flow: Flow, state: SessionState) -> Step | None:
    """Where Back leads: the last question before the cursor on the current path."""
    end = len(flow.steps) if state.cursor is None else flow.index_of(state.cursor)
    applies = relevance(flow, state)
    answerable = _compiled(flow).answerable
    for index in range(end - 1, -1, -1):
        if applies[index] and answerable[index]:
            return flow.steps[index]
    return None


def progress(flow: Flow, state: SessionState, cursor: int) -> tuple[int, int]:
    """(position, total) of the question at `cursor` among the questions of this path."""
    applies = relevance(flow, state, pending_from=cursor)
    answerable = _compiled(flow).answerable
    before = sum(1 for index in range(cursor) if answerable[index] and applies[index] is True)
    after = sum(
        1
        for index in range(cursor + 1, len(flow.steps))
        if answerable[index] and applies[index] is not False
    )
    return before + 1, before + 1 + after


def steps_off_path(flow: Flow, state: SessionState) -> list[StepId]:
    """Visited steps that no longer apply (a changed answer closed their branch)."""
    applies = relevance(flow, state)
    return [
        step.id
        for index, step in enumerate(flow.steps)
        if applies[index] is False and is_visited(state, step.id)
    ]


def answered_path(flow: Flow, state: SessionState) -> list[Step]:
    """The questions of the current path that were answered or skipped, in order."""
    applies = relevance(flow, state)
    answerable = _compiled(flow).answerable
    return [
        step
        for index, step in enumerate(flow.steps)
        if applies[index] and answerable[index] and is_visited(state, step.id)
    ]
