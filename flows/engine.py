"""The pure engine: `step(flow, state, event) -> Outcome(state, effects)`.

Rule 1: no I/O, no clock, no randomness. The clock comes on the event, and everything else comes
from the flow and the state, so the same inputs always give the same outcome (a test walks this
package's imports).
Rule 2: bad input from a participant is never an exception. It gives a `Say` and the same state.
An exception from here is a bug, and it names the event and the state.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from flows.effects import (
    AnswerValue,
    AnswerView,
    Ask,
    Effect,
    Finish,
    FinishOutcome,
    RecordAnswer,
    RetractAnswer,
    Review,
    Say,
    Settle,
    Stale,
)
from flows.errors import FlowError
from flows.events import (
    Cancelled,
    CollectDone,
    EditRequested,
    Event,
    Kept,
    OptionPicked,
    OptionsConfirmed,
    OptionToggled,
    Skipped,
    Started,
    Submitted,
    TextReceived,
    TimedOut,
    WentBack,
)
from flows.inputs import DETAIL_MAX_LENGTH, free_text, parse_typed
from flows.path import answered_path, next_step, previous_step, steps_off_path
from flows.schema import LIST_STEPS, ChoiceStep, CollectStep, Flow, MultiStep, Step, StepId
from flows.state import Answer, SessionState
from flows.views import answer_view, ask, option_map, options_of, summary

ButtonEvent = (
    OptionPicked
    | OptionToggled
    | OptionsConfirmed
    | Skipped
    | Kept
    | WentBack
    | CollectDone
    | EditRequested
    | Submitted
)


class EngineError(FlowError):
    """The engine was driven into a state it cannot handle: a bug, not a user error."""


@dataclass(frozen=True, slots=True)
class Outcome:
    state: SessionState
    effects: tuple[Effect, ...]


def step(flow: Flow, state: SessionState, event: Event) -> Outcome:
    """Apply one event to a session.

    Raises:
        EngineError: the state does not belong to this flow (another flow, or a cursor on a step
            that the flow no longer has).
    """
    return _settled(flow, state, _step(flow, state, event))


def _step(flow: Flow, state: SessionState, event: Event) -> Outcome:
    cursor = state.cursor
    if state.flow_id != flow.id or (cursor is not None and cursor not in flow.positions):
        raise _foreign(flow, state, event)
    if state.phase == "new":
        return _from_new(flow, state, event)
    if state.phase == "finished":
        return _when_finished(state, event)
    match event:
        case Started(language=language):
            return _resume(flow, replace(state, language=language or state.language))
        case TimedOut():
            return _finish(flow, state, "timed_out", ())
        case Cancelled():
            return _finish(flow, state, "cancelled", ())
        case _ if isinstance(event, ButtonEvent) and event.revision != state.revision:
            return Outcome(state, (Stale(),))
    if state.phase == "review":
        return _in_review(flow, state, event)
    if cursor is None:
        raise EngineError(f"can't {type(event).__name__} when {state.phase} has no cursor")
    current = flow.steps[flow.positions[cursor]]
    if state.phase == "detail":
        return _in_detail(flow, state, current, event)
    return _asking(flow, state, current, event)


def _settled(flow: Flow, before: SessionState, outcome: Outcome) -> Outcome:
    """`outcome` with a `Settle` before the effect that replaces what was on screen, if anything
    was: the shell then never compares states to know what became of the question."""
    if before.phase not in ("asking", "detail", "review"):
        return outcome
    effects = outcome.effects
    at = next((i for i, e in enumerate(effects) if _replaces_the_screen(e)), None)
    if at is None:
        return outcome
    settle = Settle(_answered(flow, before, outcome))
    return Outcome(outcome.state, (*effects[:at], settle, *effects[at:]))


def _replaces_the_screen(effect: Effect) -> bool:
    return isinstance(effect, Review | Finish) or (isinstance(effect, Ask) and not effect.refresh)


def _answered(flow: Flow, before: SessionState, outcome: Outcome) -> AnswerView | None:
    """The question on screen with its answer, when this step answered or skipped it."""
    cursor, after = before.cursor, outcome.state
    if before.phase == "review" or cursor is None:
        return None
    recorded = any(isinstance(e, RecordAnswer) and e.step == cursor for e in outcome.effects)
    skipped = cursor in after.skipped and cursor not in before.skipped
    step = flow.step_by_id(cursor)
    if step.kind == "collect" or not ((recorded and cursor in after.answers) or skipped):
        return None  # a collect's items were acknowledged one by one as they came
    return answer_view(flow, after, step)


def _foreign(flow: Flow, state: SessionState, event: Event) -> EngineError:
    """Why `state` does not belong to `flow`: another flow, or a step the flow lacks."""
    if state.flow_id != flow.id:
        return EngineError(
            f"can't {type(event).__name__} when the session is in flow '{state.flow_id}', "
            f"not '{flow.id}'"
        )
    return EngineError(
        f"can't {type(event).__name__} when the cursor is on step '{state.cursor}', "
        f"which flow '{flow.id}' v{flow.version} does not have"
    )


# ---- phases ---------------------------------------------------------------------------------


def _from_new(flow: Flow, state: SessionState, event: Event) -> Outcome:
    match event:
        case TimedOut():
            return _finish(flow, state, "timed_out", ())
        case Cancelled():
            return _finish(flow, state, "cancelled", ())
        case Started(language=language) if language is not None:
            state = replace(state, language=language)
    # Any first event opens the session: the shell sends Started, but a stray tap must not fail.
    return _advance(flow, replace(state, phase="asking"), -1, ())


def _when_finished(state: SessionState, event: Event) -> Outcome:
    match event:
        case Started() | TextReceived():
            return Outcome(state, (Say("already_finished"),))
        case TimedOut() | Cancelled():
            return Outcome(state, ())
    return Outcome(state, (Stale(),))


def _resume(flow: Flow, state: SessionState) -> Outcome:
    if state.phase == "review":
        bumped = replace(state, revision=state.revision + 1)
        return Outcome(bumped, (Review(summary(flow, bumped), bumped.revision),))
    if state.cursor is None:
        raise EngineError(f"can't resume when {state.phase} has no cursor")
    current = flow.step_by_id(state.cursor)
    if state.phase == "detail":
        return Outcome(state, (_detail_prompt(flow, state, current),))
    bumped = replace(state, revision=state.revision + 1)
    return Outcome(bumped, (ask(flow, bumped, current),))


def _in_review(flow: Flow, state: SessionState, event: Event) -> Outcome:
    match event:
        case Submitted():
            return _finish(flow, state, "submitted", ())
        case EditRequested(step=step_id):
            target = next((s for s in answered_path(flow, state) if s.id == step_id), None)
            if target is None:
                return Outcome(state, (Stale(),))
            return _show(flow, replace(state, editing=True), target, ())
        case WentBack():
            return _go_back(flow, state)
        case TextReceived():
            return Outcome(state, (Say("use_buttons"),))
    return Outcome(state, (Stale(),))


def _in_detail(flow: Flow, state: SessionState, current: Step, event: Event) -> Outcome:
    match event:
        case TextReceived(text=text):
            detail = free_text(text, DETAIL_MAX_LENGTH)
            if isinstance(detail, Say):
                return Outcome(state, (detail,))
            assert state.pending is not None, "phase detail always has a pending value"
            return _record(flow, state, current, state.pending, detail)
        case WentBack():
            return _show(flow, replace(state, phase="asking", pending=None), current, ())
    # A tap on the question still on screen is a change of mind: handle it as if asking.
    return _asking(flow, replace(state, phase="asking", pending=None), current, event)


def _asking(flow: Flow, state: SessionState, current: Step, event: Event) -> Outcome:
    match event:
        case TextReceived(text=text):
            return _typed(flow, state, current, text)
        case OptionPicked(option=option):
            return _picked(flow, state, current, option)
        case OptionToggled(option=option):
            return _toggled(flow, state, current, option)
        case OptionsConfirmed():
            return _confirmed(flow, state, current)
        case Skipped():
            return _skip(flow, state, current)
        case Kept():
            if current.id not in state.answers:
                return Outcome(state, (Stale(),))
            return _advance(flow, replace(state, selected=()), flow.index_of(current.id), ())
        case WentBack():
            return _go_back(flow, state)
        case CollectDone():
            return _collect_done(flow, state, current)
    return Outcome(state, (Stale(),))


# ---- answers --------------------------------------------------------------------------------


def _typed(flow: Flow, state: SessionState, current: Step, text: str) -> Outcome:
    if isinstance(current, CollectStep):
        return _collect_item(flow, state, current, text)
    if isinstance(current, MultiStep):
        return Outcome(state, (Say("use_buttons"),))
    parsed = parse_typed(current, text, state.language, flow.default_language)
    if isinstance(parsed, Say):
        return Outcome(state, (parsed,))
    if isinstance(current, ChoiceStep):
        return _picked(flow, state, current, str(parsed))
    return _record(flow, state, current, parsed, None)


def _picked(flow: Flow, state: SessionState, current: Step, option: str) -> Outcome:
    known = option_map(flow, state, current)
    if isinstance(current, LIST_STEPS) or option not in known:
        return Outcome(state, (Stale(),))
    if known[option].other:
        waiting = replace(state, phase="detail", pending=option)
        return Outcome(waiting, (_detail_prompt(flow, waiting, current),))
    value: AnswerValue = option if current.kind in ("choice", "yes_no") else int(option)
    return _record(flow, state, current, value, None)


def _toggled(flow: Flow, state: SessionState, current: Step, option: str) -> Outcome:
    if not isinstance(current, MultiStep) or option not in {o.id for o in current.options}:
        return Outcome(state, (Stale(),))
    if option in state.selected:
        chosen = tuple(o for o in state.selected if o != option)
    elif current.max is not None and len(state.selected) >= current.max:
        return Outcome(state, (Say("choose_at_most", {"max": current.max}),))
    else:
        order: list[str] = [o.id for o in current.options]
        chosen = tuple(sorted((*state.selected, option), key=order.index))
    toggled = replace(state, selected=chosen)
    return Outcome(toggled, (ask(flow, toggled, current, refresh=True),))


def _confirmed(flow: Flow, state: SessionState, current: Step) -> Outcome:
    if not isinstance(current, MultiStep):
        return Outcome(state, (Stale(),))
    if len(state.selected) < current.min:
        return Outcome(state, (Say("choose_at_least", {"min": current.min}),))
    value = list(state.selected)
    others = [o for o in current.options if o.other and o.id in state.selected]
    if others:
        waiting = replace(state, phase="detail", pending=value)
        return Outcome(waiting, (_detail_prompt(flow, waiting, current),))
    return _record(flow, state, current, value, None)


def _collect_item(flow: Flow, state: SessionState, current: CollectStep, text: str) -> Outcome:
    answer = state.answers.get(current.id)
    items = list(answer.value) if answer is not None and isinstance(answer.value, list) else []
    if len(items) >= current.max_items:
        return Outcome(state, (Say("items_full", {"max": current.max_items}),))
    item = free_text(text, current.max_length)
    if isinstance(item, Say):
        return Outcome(state, (item,))
    items.append(item)
    if len(items) >= current.max_items:
        return _record(flow, state, current, items, None)
    stored = _with_answer(state, current.id, Answer(items))
    effects: list[Effect] = [RecordAnswer(current.id, items)]
    stored = _drop_off_path(flow, stored, effects)
    return _show(flow, stored, current, tuple(effects))


def _collect_done(flow: Flow, state: SessionState, current: Step) -> Outcome:
    if not isinstance(current, CollectStep):
        return Outcome(state, (Stale(),))
    answer = state.answers.get(current.id)
    count = len(answer.value) if answer is not None and isinstance(answer.value, list) else 0
    if count == 0 and not current.required:
        return _skip(flow, state, current)
    if count < current.min_items:
        return Outcome(state, (Say("items_needed", {"min": current.min_items}),))
    return _advance(flow, state, flow.index_of(current.id), ())


def _record(
    flow: Flow, state: SessionState, current: Step, value: AnswerValue, detail: str | None
) -> Outcome:
    stored = _with_answer(state, current.id, Answer(value, detail))
    effects: list[Effect] = [RecordAnswer(current.id, value, detail)]
    stored = _drop_off_path(flow, stored, effects)
    return _advance(flow, stored, flow.index_of(current.id), tuple(effects))


def _skip(flow: Flow, state: SessionState, current: Step) -> Outcome:
    if current.required:
        return Outcome(state, (Say("cannot_skip"),))
    effects: list[Effect] = []
    answers = dict(state.answers)
    if answers.pop(current.id, None) is not None:
        effects.append(RetractAnswer(current.id))
    skipped = replace(
        state, answers=answers, skipped=state.skipped | {current.id}, selected=(), pending=None
    )
    skipped = _drop_off_path(flow, skipped, effects)
    return _advance(flow, skipped, flow.index_of(current.id), tuple(effects))


def _with_answer(state: SessionState, step_id: StepId, answer: Answer) -> SessionState:
    skipped = state.skipped
    return replace(
        state,
        answers={**state.answers, step_id: answer},
        skipped=skipped - {step_id} if step_id in skipped else skipped,
        selected=(),
        pending=None,
        phase="asking",
    )


def _drop_off_path(flow: Flow, state: SessionState, effects: list[Effect]) -> SessionState:
    """Forget answers on branches that the latest answer closed."""
    off = steps_off_path(flow, state)
    if not off:
        return state
    answers = dict(state.answers)
    for step_id in off:
        if answers.pop(step_id, None) is not None:
            effects.append(RetractAnswer(step_id))
    return replace(state, answers=answers, skipped=state.skipped - set(off))


# ---- moving ---------------------------------------------------------------------------------


def _advance(flow: Flow, state: SessionState, after: int, effects: tuple[Effect, ...]) -> Outcome:
    notes, upcoming = next_step(flow, state, after)
    shown = tuple([ask(flow, state, note) for note in notes]) if notes else ()
    if upcoming is not None:
        return _show(flow, state, upcoming, effects + shown)
    done = replace(state, cursor=None, editing=False, selected=(), pending=None)
    if not flow.review:
        return _finish(flow, done, "submitted", effects + shown)
    done = replace(done, phase="review", revision=state.revision + 1)
    return Outcome(done, (*effects, *shown, Review(summary(flow, done), done.revision)))


def _show(flow: Flow, state: SessionState, target: Step, effects: tuple[Effect, ...]) -> Outcome:
    answer = state.answers.get(target.id)
    selected: tuple[str, ...] = ()
    if isinstance(target, MultiStep) and answer is not None and isinstance(answer.value, list):
        selected = tuple(answer.value)
    shown = replace(
        state,
        phase="asking",
        cursor=target.id,
        revision=state.revision + 1,
        selected=selected,
        pending=None,
    )
    return Outcome(shown, (*effects, ask(flow, shown, target)))


def _go_back(flow: Flow, state: SessionState) -> Outcome:
    target = previous_step(flow, state)
    if target is None:
        return Outcome(state, (Say("cannot_go_back"),))
    return _show(flow, state, target, ())


def _detail_prompt(flow: Flow, state: SessionState, current: Step) -> Say:
    chosen = state.pending if isinstance(state.pending, list) else [str(state.pending)]
    labels = [
        v.label or v.id for v in options_of(flow, state, current) if v.other and v.id in chosen
    ]
    return Say("give_other_detail", {"option": ", ".join(labels), "max": DETAIL_MAX_LENGTH})


def _finish(
    flow: Flow, state: SessionState, outcome: FinishOutcome, effects: tuple[Effect, ...]
) -> Outcome:
    done = replace(
        state,
        phase="finished",
        outcome=outcome,
        cursor=None,
        selected=(),
        pending=None,
        editing=False,
    )
    return Outcome(done, (*effects, Finish(outcome, summary(flow, done))))
