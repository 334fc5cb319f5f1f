"""What a user interface gets to show: questions and answers with texts resolved.

Rule: views read the flow and the state and build effects; they decide nothing about the path.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from flows.effects import AnswerValue, AnswerView, Ask, OptionView, Progress
from flows.inputs import scale_bounds
from flows.path import answered_path, is_answerable, progress
from flows.schema import (
    LIST_STEPS,
    ChoiceStep,
    CollectStep,
    Flow,
    Language,
    MultiStep,
    NpsStep,
    NumberStep,
    ScaleStep,
    Step,
    Text,
    TextStep,
    YesNoStep,
)
from flows.state import SessionState


def ask(flow: Flow, state: SessionState, step: Step, *, refresh: bool = False) -> Ask:
    """The question `step` as the participant should see it now."""
    static = _static(flow, state, step)
    answer = state.answers.get(step.id)
    placed = progress(flow, state, static.index) if static.answerable else None
    current = answer.value if answer is not None else None
    if static.fields is None or not (current is None or type(current) in _SCALARS):
        return _build_ask(flow, state, step, static, placed, current, refresh)
    # Everyone at the same point of a flow, in the same language, is asked the same question:
    # an Ask has 19 fields, and building a frozen one takes longer than finding it.
    position, total = (0, 0) if placed is None else (placed.position, placed.total)
    key = (id(static), state.revision, position, total, type(current), current, refresh)
    known = _ASKED.get(key)
    if known is not None and known[0] is static:
        return known[1]
    built = _build_ask(flow, state, step, static, placed, current, refresh)
    if len(_ASKED) >= _ASKED_SIZE:
        _ASKED.clear()
    _ASKED[key] = (static, built)
    return built


# Answers that a key can hold as they are (typed: 1, 1.0 and True are equal keys otherwise).
_SCALARS = frozenset({str, int, float})
# Each entry holds the _Static it was keyed by, so that its id is not reused.
_ASKED: dict[tuple[object, ...], tuple[_Static, Ask]] = {}
_ASKED_SIZE = 4096


def _build_ask(
    flow: Flow,
    state: SessionState,
    step: Step,
    static: _Static,
    placed: Progress | None,
    current: AnswerValue | None,
    refresh: bool,
) -> Ask:
    return Ask(
        step=step.id,
        kind=step.kind,
        text=static.text,
        revision=state.revision,
        progress=placed,
        help=static.help,
        options=static.options,
        current=current,
        can_skip=static.answerable and not step.required,
        can_keep=current is not None and not isinstance(step, LIST_STEPS),
        # As `previous_step` would find, without walking the path again (see `progress`).
        can_go_back=placed is not None and placed.position > 1,
        refresh=refresh,
        **(
            static.fields
            if static.fields is not None
            else _kind_fields(step, state, flow.default_language)
        ),
    )


@dataclass(frozen=True, slots=True)
class _Static:
    """What an Ask of a step takes from the step and the language alone."""

    flow: Flow  # flow and step held, so their ids are not reused while cached
    step: Step
    index: int
    answerable: bool
    text: str
    help: str | None
    options: tuple[OptionView, ...]
    fields: dict[str, Any] | None  # None: they depend on the state (multi, collect)


_STATIC: dict[tuple[int, int, Language], _Static] = {}


def _static(flow: Flow, state: SessionState, step: Step) -> _Static:
    key = (id(flow), id(step), state.language)
    known = _STATIC.get(key)
    if known is not None and known.step is step and known.flow is flow:
        return known
    lang, fallback = state.language, flow.default_language
    dynamic = isinstance(step, LIST_STEPS)
    fields = None if dynamic else _kind_fields(step, state, fallback)
    known = _STATIC[key] = _Static(
        flow,
        step,
        flow.index_of(step.id),
        is_answerable(step),
        step.text.resolve(lang, fallback),
        _resolve(step.help, lang, fallback),
        options_of(flow, state, step),
        fields,
    )
    return known


def _resolve(text: Text | None, lang: Language, fallback: Language) -> str | None:
    return None if text is None else text.resolve(lang, fallback)


def _kind_fields(step: Step, state: SessionState, fallback: Language) -> dict[str, Any]:
    """The fields of an Ask that only some kinds of question have."""
    lang = state.language
    match step:
        case ScaleStep() | NpsStep():
            return {
                "min_label": _resolve(step.min_label, lang, fallback),
                "max_label": _resolve(step.max_label, lang, fallback),
            }
        case NumberStep():
            return {"unit": _resolve(step.unit, lang, fallback), "bounds": (step.min, step.max)}
        case TextStep():
            return {"max_length": step.max_length}
        case MultiStep():
            return {"selected": state.selected, "bounds": (step.min, step.max)}
        case CollectStep():
            answer = state.answers.get(step.id)
            items = tuple(answer.value) if answer and isinstance(answer.value, list) else ()
            return {
                "items": items,
                "max_length": step.max_length,
                "bounds": (step.min_items, step.max_items),
            }
    return {}


def options_of(flow: Flow, state: SessionState, step: Step) -> tuple[OptionView, ...]:
    return _options(flow, state, step)[1]


def option_map(flow: Flow, state: SessionState, step: Step) -> Mapping[str, OptionView]:
    """The step's options by id, as `options_of` gives them."""
    return _options(flow, state, step)[2]


def _options(
    flow: Flow, state: SessionState, step: Step
) -> tuple[Step, tuple[OptionView, ...], Mapping[str, OptionView]]:
    # A step's buttons depend only on the step and the language; steps are immutable, so they
    # are built once (the engine shows a question at nearly every step).
    key = (id(step), state.language)
    known = _OPTIONS.get(key)
    if known is None or known[0] is not step:
        built = _build_options(step, state.language, flow.default_language)
        known = _OPTIONS[key] = (step, built, MappingProxyType({o.id: o for o in built}))
    return known


_OPTIONS: dict[tuple[int, str], tuple[Step, tuple[OptionView, ...], Mapping[str, OptionView]]] = {}


def _build_options(step: Step, lang: Language, fallback: Language) -> tuple[OptionView, ...]:
    match step:
        case ChoiceStep() | MultiStep():
            return tuple(
                OptionView(option.id, option.label.resolve(lang, fallback), option.other)
                for option in step.options
            )
        case ScaleStep() | NpsStep():
            low, high = scale_bounds(step)
            return tuple(OptionView(str(value), None) for value in range(low, high + 1))
        case YesNoStep():
            return (OptionView("yes", None), OptionView("no", None))
    return ()


def answer_view(flow: Flow, state: SessionState, step: Step) -> AnswerView:
    answer = state.answers.get(step.id)
    value: AnswerValue | None = answer.value if answer is not None else None
    question, labels_by_id = _answer_texts(flow, state.language, step)
    labels: tuple[str, ...] = ()
    if labels_by_id and value is not None:
        chosen = value if isinstance(value, list) else [str(value)]
        labels = tuple(labels_by_id[option] for option in chosen if option in labels_by_id)
    return AnswerView(
        step=step.id,
        kind=step.kind,
        question=question,
        value=value,
        labels=labels,
        detail=answer.detail if answer is not None else None,
    )


def _answer_texts(flow: Flow, lang: Language, step: Step) -> tuple[str, dict[str, str]]:
    """The question and its options' labels by id: built once per step and language, as every
    review and finish shows the whole path again."""
    key = (id(step), lang)
    known = _ANSWER_TEXTS.get(key)
    if known is None or known[0] is not step:
        labels: dict[str, str] = {}
        if isinstance(step, ChoiceStep | MultiStep):
            labels = {o.id: o.label.resolve(lang, flow.default_language) for o in step.options}
        known = _ANSWER_TEXTS[key] = (step, step.text.resolve(lang, flow.default_language), labels)
    return known[1], known[2]


_ANSWER_TEXTS: dict[tuple[int, str], tuple[Step, str, dict[str, str]]] = {}


def summary(flow: Flow, state: SessionState) -> tuple[AnswerView, ...]:
    """Every question of the path that was answered or skipped (value None), in order."""
    return tuple(answer_view(flow, state, step) for step in answered_path(flow, state))
