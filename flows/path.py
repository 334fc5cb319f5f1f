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
from flows.effects import Progress
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
        self.referenced: tuple[str, ...] = tuple(
            sorted({ref for step in flow.steps if step.when for ref in referenced_steps(step.when)})
        )
        self.known: dict[tuple[object, ...], _Path] = {}


_COMPILED: dict[int, _Compiled] = {}


def _compiled(flow: Flow) -> _Compiled:
    known = _COMPILED.get(id(flow))
    if known is None or known.flow is not flow:
        known = _COMPILED[id(flow)] = _Compiled(flow)
    return known


def is_visited(state: SessionState, step_id: str) -> bool:
    return step_id in state.answers or step_id in state.skipped


class _Path:
    """One relevance result and what is derived from it alone, each worked out once."""

    __slots__ = ("answerable", "applies", "progress")

    def __init__(self, applies: list[bool | None], answerable: list[bool]) -> None:
        self.applies = applies
        self.answerable = answerable  # the flow's, carried along: callers need both together
        self.progress: Progress | None = None  # for the cursor it was computed pending from


# One step asks for the same relevance several times (progress, back, next, branches closed).
# States are immutable, so the answers object identifies the result; holding the keys alive means
# an id can never be reused while it is in here.
_RECENT: dict[tuple[int, int, int, int | None], tuple[Flow, object, frozenset[StepId], _Path]] = {}
_RECENT_SIZE = 64
_KNOWN_SIZE = 1024
_SKIPPED = object()  # a skipped step: equal to no answer's value


def relevance(
    flow: Flow, state: SessionState, pending_from: int | None = None
) -> list[bool | None]:
    return _path(flow, state, pending_from).applies


def _path(flow: Flow, state: SessionState, pending_from: int | None) -> _Path:
    identity = (id(flow), id(state.answers), id(state.skipped), pending_from)
    recent = _RECENT.get(identity)
    if recent is not None:
        return recent[3]
    # Relevance reads nothing but the answers to the steps that conditions name: states that
    # agree on those share a result, within a session (most answers change none of them) and
    # across sessions (everyone who answered "yes" to the branching question).
    compiled = _compiled(flow)
    answers, skipped = state.answers, state.skipped
    signature: list[object] = [pending_from]
    for step_id in compiled.referenced:
        answer = answers.get(step_id)  # type: ignore[call-overload]  # a StepId at run time
        if answer is not None:
            signature.append(_frozen(answer.value))
        else:
            signature.append(_SKIPPED if step_id in skipped else None)
    key = tuple(signature)
    known = compiled.known.get(key)
    if known is None:
        settled = None if pending_from is None else _path(flow, state, None).applies
        known = _Path(_relevance(flow, state, pending_from, settled), compiled.answerable)
        if len(compiled.known) >= _KNOWN_SIZE:
            compiled.known.clear()
        compiled.known[key] = known
    if len(_RECENT) >= _RECENT_SIZE:
        _RECENT.clear()
    _RECENT[identity] = (flow, state.answers, state.skipped, known)
    return known


def _frozen(value: object) -> object:
    # Hashable, and typed: 1, 1.0 and True are equal keys to a dict but not to every condition.
    if type(value) is str:
        return value
    if isinstance(value, list):
        return tuple(value)
    return (type(value), value)


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
    known = _path(flow, state, None)
    applies, answerable = known.applies, known.answerable
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
    known = _path(flow, state, None)
    applies, answerable = known.applies, known.answerable
    for index in range(end - 1, -1, -1):
        if applies[index] and answerable[index]:
            return flow.steps[index]
    return None


def progress(flow: Flow, state: SessionState, cursor: int) -> Progress:
    """Position and total of the question at `cursor` among the questions of this path.

    The questions before the cursor are decided alike whether or not later ones are pending
    (conditions only look back): Back leads somewhere exactly when the position is over 1.
    """
    known = _path(flow, state, cursor)
    if known.progress is None:
        applies, answerable = known.applies, known.answerable
        before = sum(1 for index in range(cursor) if answerable[index] and applies[index] is True)
        after = sum(
            1
            for index in range(cursor + 1, len(flow.steps))
            if answerable[index] and applies[index] is not False
        )
        known.progress = Progress(before + 1, before + 1 + after)
    return known.progress


def steps_off_path(flow: Flow, state: SessionState) -> list[StepId]:
    """Visited steps that no longer apply (a changed answer closed their branch)."""
    conditional = _compiled(flow).conditional
    if not conditional:  # only a step with a condition can fall off the path
        return []
    applies = relevance(flow, state)
    steps = flow.steps
    return [
        steps[index].id
        for index in conditional
        if applies[index] is False and is_visited(state, steps[index].id)
    ]


def answered_path(flow: Flow, state: SessionState) -> list[Step]:
    """The questions of the current path that were answered or skipped, in order."""
    known = _path(flow, state, None)
    applies, answerable = known.applies, known.answerable
    return [
        step
        for index, step in enumerate(flow.steps)
        if applies[index] and answerable[index] and is_visited(state, step.id)
    ]
