"""The participant's path through a flow, derived from their answers.

Rule: nothing here is stored. Which steps apply, where Back leads and what "3/10" means are all
recomputed from the answers, so they can never disagree with them.
"""

from __future__ import annotations

from flows.conditions import MISSING, PENDING, Found, Given, evaluate
from flows.effects import Progress
from flows.schema import ANSWERABLE_KINDS, Flow, Step, StepId
from flows.state import SessionState


def is_answerable(step: Step) -> bool:
    return step.kind in ANSWERABLE_KINDS


def is_visited(state: SessionState, step_id: str) -> bool:
    return step_id in state.answers or step_id in state.skipped


def relevance(
    flow: Flow, state: SessionState, pending_from: int | None = None
) -> list[bool | None]:
    """For each step: does it apply (True), not (False), or not known yet (None)?

    With `pending_from`, unvisited steps at or after that index may still be answered, which
    leaves conditions on them unknown; without it, every unanswered step counts as missing.
    """
    result: list[bool | None] = []

    def lookup(step_id: str) -> Found:
        index = flow.positions.get(step_id)
        # Conditions only look back: a step at or after the one judged is not decided yet.
        if index is None or index >= len(result) or result[index] is False:
            return MISSING
        answer = state.answers.get(step_id)  # type: ignore[call-overload]  # a StepId at run time
        if answer is not None:
            return Given(answer.value)
        if step_id in state.skipped:
            return MISSING
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

    The questions before the cursor are decided alike whether or not later ones are pending
    (conditions only look back): Back leads somewhere exactly when the position is over 1.
    """
    applies = relevance(flow, state, cursor)
    steps = flow.steps
    before = sum(1 for index in range(cursor) if is_answerable(steps[index]) and applies[index])
    after = sum(
        1
        for index in range(cursor + 1, len(steps))
        if is_answerable(steps[index]) and applies[index] is not False
    )
    return Progress(before + 1, before + 1 + after)


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
