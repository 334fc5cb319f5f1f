"""The participant's path through a flow, derived from their answers.

Rule: nothing here is stored. Which steps apply, where Back leads and what "3/10" means are all
recomputed from the answers, so they can never disagree with them.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator, Mapping, Sequence

from flows.conditions import MISSING, PENDING, Found, Given, evaluate
from flows.effects import Progress
from flows.reachability import possible_answers
from flows.schema import ANSWERABLE_KINDS, Flow, Step, StepId
from flows.state import SessionState


def is_answerable(step: Step) -> bool:
    return step.kind in ANSWERABLE_KINDS


def is_visited(state: SessionState, step_id: str) -> bool:
    return step_id in state.answers or step_id in state.skipped


def relevance(
    flow: Flow,
    state: SessionState,
    pending_from: int | None = None,
    assumed: Mapping[str, Found] | None = None,
) -> list[bool | None]:
    """For each step: does it apply (True), not (False), or not known yet (None)?

    With `pending_from`, unvisited steps at or after that index may still be answered, which
    leaves conditions on them unknown, unless `assumed` gives their answers; without it, every
    unanswered step counts as missing.
    """
    result: list[bool | None] = []

    def lookup(step_id: str) -> Found:
        index = flow.positions.get(step_id)
        # Conditions only look back: a step at or after the one judged is not decided yet.
        if index is None or index >= len(result) or result[index] is False:
            return MISSING
        if result[index] is None:  # whether it is asked at all is not known yet
            return PENDING
        answer = state.answers.get(step_id)  # type: ignore[call-overload]  # a StepId at run time
        if answer is not None:
            return Given(answer.value)
        if step_id in state.skipped:
            return MISSING
        if assumed is not None and step_id in assumed:
            return assumed[step_id]
        if pending_from is not None and index >= pending_from:
            return PENDING
        return MISSING

    for step in flow.steps:
        result.append(True if step.when is None else evaluate(step.when, lookup))
    return result


def next_step(flow: Flow, state: SessionState, after: int) -> tuple[list[Step], Step | None]:
    """The notes to show and the next question after index `after` (None: the path is complete).

    While editing from the review, answered steps are passed over: only what the new answer
    opened up is asked.
    """
    applies = relevance(flow, state)
    notes: list[Step] = []
    for index in range(after + 1, len(flow.steps)):
        step = flow.steps[index]
        if not applies[index]:
            continue
        if not is_answerable(step):
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
    for index in range(end - 1, -1, -1):
        if applies[index] and is_answerable(flow.steps[index]):
            return flow.steps[index]
    return None


def progress(flow: Flow, state: SessionState, cursor: int) -> Progress:
    """Position and total of the question at `cursor` among the questions of this path.

    The total is the shortest the path can still be: the questions after this one that the
    fewest answers to come would ask. Counting every question that might be asked showed
    "11/13" then "12/12" on a fork between two questions; with the shortest, an answer only
    ever adds questions, so the total never shrinks as the participant goes on or goes back,
    and the last question shows n/n. It shrinks only when they change an answer and so close a
    branch they had opened. The questions before the cursor are decided whatever comes later
    (conditions only look back): Back leads somewhere exactly when the position is over 1.
    """
    applies = relevance(flow, state, cursor)
    before = sum(1 for index in range(cursor) if applies[index] and _is_question(flow, index))
    after = min(
        sum(
            1
            for index in range(cursor + 1, len(flow.steps))
            if future[index] is True and _is_question(flow, index)
        )
        for future in _futures(flow, state, cursor, applies)
    )
    return Progress(before + 1, before + 1 + after)


# Past this many combinations of the answers to come, the total counts only the questions that
# apply whatever they are: still a total that never shrinks, only one that grows at a fork.
MAX_FUTURES = 128


def _futures(
    flow: Flow, state: SessionState, cursor: int, applies: Sequence[bool | None]
) -> Iterator[list[bool | None]]:
    """The relevance of the steps under each combination of the answers still to come that
    conditions tell apart (`reachability` picks them, as it does to judge the conditions)."""
    possible = possible_answers(flow)
    coming = [
        step.id
        for index, step in enumerate(flow.steps[cursor:], start=cursor)
        if step.id in possible and applies[index] is not False and not is_visited(state, step.id)
    ]
    choices = [possible[step_id] for step_id in coming]
    if math.prod(len(values) for values in choices) > MAX_FUTURES:
        yield relevance(flow, state, cursor)
        return
    for combination in itertools.product(*choices):
        yield relevance(flow, state, cursor, dict(zip(coming, combination, strict=True)))


def _is_question(flow: Flow, index: int) -> bool:
    return is_answerable(flow.steps[index])


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
    return [
        step
        for index, step in enumerate(flow.steps)
        if applies[index] and is_answerable(step) and is_visited(state, step.id)
    ]
