"""What a user interface gets to show: questions and answers with texts resolved.

Rule: views read the flow and the state and build effects; they decide nothing about the path.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flows.effects import AnswerValue, AnswerView, Ask, OptionView
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
    lang, fallback = state.language, flow.default_language
    answerable = is_answerable(step)
    placed = progress(flow, state, flow.index_of(step.id)) if answerable else None
    answer = state.answers.get(step.id)
    current = answer.value if answer is not None else None
    return Ask(
        step=step.id,
        kind=step.kind,
        text=step.text.resolve(lang, fallback),
        revision=state.revision,
        progress=placed,
        help=_resolve(step.help, lang, fallback),
        options=options_of(flow, state, step),
        current=current,
        can_skip=answerable and not step.required,
        can_keep=current is not None and not isinstance(step, LIST_STEPS),
        # As `previous_step` would find: the questions before this one are on the path.
        can_go_back=placed is not None and placed.position > 1,
        refresh=refresh,
        **_kind_fields(step, state, fallback),
    )


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
    return _build_options(step, state.language, flow.default_language)


def option_map(flow: Flow, state: SessionState, step: Step) -> Mapping[str, OptionView]:
    """The step's options by id, as `options_of` gives them."""
    return {option.id: option for option in options_of(flow, state, step)}


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
    lang, fallback = state.language, flow.default_language
    answer = state.answers.get(step.id)
    value: AnswerValue | None = answer.value if answer is not None else None
    labels: tuple[str, ...] = ()
    if isinstance(step, ChoiceStep | MultiStep) and value is not None:
        by_id: dict[str, str] = {o.id: o.label.resolve(lang, fallback) for o in step.options}
        chosen = value if isinstance(value, list) else [str(value)]
        labels = tuple(by_id[option] for option in chosen if option in by_id)
    return AnswerView(
        step=step.id,
        kind=step.kind,
        question=step.text.resolve(lang, fallback),
        value=value,
        labels=labels,
        detail=answer.detail if answer is not None else None,
    )


def summary(flow: Flow, state: SessionState) -> tuple[AnswerView, ...]:
    """Every question of the path that was answered or skipped (value None), in order."""
    return tuple(answer_view(flow, state, step) for step in answered_path(flow, state))
