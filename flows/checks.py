"""Graph checks of a flow: what no single node can check about itself.

Rule: each `_check_*` looks after one concern and returns findings at the path to fix (model:
python-statemachine's `factory.py`). They judge a `Draft`: a flow its models accepted, or the
parts of a file they accepted one by one, so that a file's every defect shows in one run. No
YAML and no positions here: the loader places the findings in the file. Conditions are judged
in `flows.reachability`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import BaseModel, TypeAdapter, ValidationError

from flows.errors import Finding, Path
from flows.reachability import analyse
from flows.schema import (
    ANSWERABLE_KINDS,
    ID_PATTERN,
    ChoiceStep,
    CollectStep,
    Flow,
    Language,
    MultiStep,
    NumberStep,
    ScaleStep,
    Step,
    Text,
)


@dataclass(frozen=True, slots=True)
class Draft:
    """What the checks judge: a flow, or what validated of a file that is not one yet."""

    steps: Sequence[Step | None]  # in the file's order; None: the step did not validate alone
    ids: Sequence[str | None]  # each step's id, when it parsed (its step valid or not)
    languages: Sequence[Language]  # empty when they did not validate: translations unchecked
    texts: Sequence[tuple[Text, Path]]  # the flow's own texts that validated (title…)
    whole: bool  # the flow validated: checks of the flow as a whole apply

    @classmethod
    def of_flow(cls, flow: Flow) -> Draft:
        texts = [(getattr(flow, key), (key,)) for key in _FLOW_TEXTS]
        return cls(
            steps=flow.steps,
            ids=[step.id for step in flow.steps],
            languages=flow.languages,
            texts=[(text, path) for text, path in texts if text is not None],
            whole=True,
        )

    @classmethod
    def of_data(cls, data: Mapping[str, Any]) -> Draft:
        """The parts of a flow file's data (a mapping) that validate each on its own."""
        raw = data.get("steps")
        raw_steps: list[Any] = raw if isinstance(raw, list) else []
        texts = [(_valid(_TEXT, data.get(key)), (key,)) for key in _FLOW_TEXTS]
        languages = _valid(_LANGUAGES, data.get("languages", ["fr"]))
        return cls(
            steps=[_valid(_STEP, step) for step in raw_steps],
            ids=[_parsed_id(step) for step in raw_steps],
            languages=languages or [],  # one listed twice: the loader drops repeated findings
            texts=[(text, path) for text, path in texts if text is not None],
            whole=False,
        )


_FLOW_TEXTS = ("title", "description")
T = TypeVar("T")
_STEP: TypeAdapter[Step] = TypeAdapter(Step)
_TEXT: TypeAdapter[Text] = TypeAdapter(Text)
_LANGUAGES: TypeAdapter[list[Language]] = TypeAdapter(list[Language])


def _valid(adapter: TypeAdapter[T], value: Any) -> T | None:
    try:
        return adapter.validate_python(value, strict=True)
    except ValidationError:
        return None


def _parsed_id(raw: Any) -> str | None:
    value = raw.get("id") if isinstance(raw, dict) else None
    return value if isinstance(value, str) and re.fullmatch(ID_PATTERN, value) else None


def check_flow(flow: Flow) -> list[Finding]:
    """Every graph-level defect of `flow`, in the order of the checks."""
    return check_draft(Draft.of_flow(flow))


def check_draft(draft: Draft) -> list[Finding]:
    """Every defect the checks can find in what validated, in the order of the checks."""
    return [finding for check in _CHECKS for finding in check(draft)]


def _valid_steps(draft: Draft) -> Iterator[tuple[int, Step]]:
    return ((index, step) for index, step in enumerate(draft.steps) if step is not None)


def _check_step_ids(draft: Draft) -> list[Finding]:
    first: dict[str, int] = {}
    findings = []
    for index, step_id in enumerate(draft.ids):
        if step_id is None:
            continue
        if step_id in first:
            message = f"duplicate step id '{step_id}' (already used by steps[{first[step_id]}])"
            findings.append(Finding(("steps", index, "id"), message))
        first.setdefault(step_id, index)
    return findings


def _check_option_ids(draft: Draft) -> list[Finding]:
    findings = []
    for index, step in _valid_steps(draft):
        if not isinstance(step, ChoiceStep | MultiStep):
            continue
        first: dict[str, int] = {}
        for number, option in enumerate(step.options):
            if option.id in first:
                message = (
                    f"duplicate option id '{option.id}' in step '{step.id}' "
                    f"(already used by options[{first[option.id]}])"
                )
                findings.append(Finding(("steps", index, "options", number, "id"), message))
            first.setdefault(option.id, number)
    return findings


def _check_conditions(draft: Draft) -> list[Finding]:
    findings, _ = analyse(draft.steps, draft.ids)
    return findings


def _check_answerable(draft: Draft) -> list[Finding]:
    findings = []
    for index, step in _valid_steps(draft):
        found = _unanswerable(step)
        if found is not None:
            key, why = found
            message = f"step '{step.id}' can never be answered: {why}"
            findings.append(Finding(("steps", index, key), message))
    return findings


def _unanswerable(step: Step) -> tuple[str, str] | None:
    """The key to fix and the reason, when no answer can satisfy the step's own bounds."""
    match step:
        case MultiStep(min=low, max=high, options=options):
            if low > len(options):
                return "min", f"min {low} is more than its {len(options)} options"
            if high is not None and low > high:
                return "min", f"min {low} is more than max {high}"
        case ScaleStep(min=low, max=high) if low >= high:
            return "min", f"a scale needs min below max (min {low}, max {high})"
        case NumberStep(min=low, max=high) if low is not None and high is not None:
            if low > high:
                return "min", f"min {_num(low)} is more than max {_num(high)}"
            if step.integer and _no_whole_number(low, high):
                return "min", f"no whole number lies between min {low} and max {high}"
        case CollectStep(min_items=low, max_items=high) if low > high:
            return "min_items", f"min_items {low} is more than max_items {high}"
    return None


def _check_translations(draft: Draft) -> list[Finding]:
    findings = []
    texts = [*draft.texts]
    for index, step in _valid_steps(draft):
        texts.extend(_texts(step, ("steps", index)))
    for text, path in texts:
        have = text.languages()
        for language in draft.languages:
            if language not in have:
                findings.append(Finding(path, f"missing translation '{language}'"))
    return findings


def _texts(model: BaseModel, path: Path) -> Iterator[tuple[Text, Path]]:
    """Every `Text` under `model`, with its path as written in the file (aliases, indexes)."""
    for name, field in type(model).model_fields.items():
        yield from _texts_in(getattr(model, name), (*path, field.alias or name))


def _texts_in(value: Any, path: Path) -> Iterator[tuple[Text, Path]]:
    if isinstance(value, Text):
        yield value, path
    elif isinstance(value, BaseModel):
        yield from _texts(value, path)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _texts_in(item, (*path, index))


def _check_end(draft: Draft) -> list[Finding]:
    # "Every question unreachable" needs no check of its own: the first question has no earlier
    # answer to depend on, so a condition on it is already reported as a bad reference.
    if not draft.whole or any(s is not None and s.kind in ANSWERABLE_KINDS for s in draft.steps):
        return []
    return [Finding(("steps",), "the flow has nothing to answer: every step is a note")]


def _no_whole_number(low: float, high: float) -> bool:
    if not (math.isfinite(low) and math.isfinite(high)):
        return False  # an infinite bound leaves room for whole numbers (NaN is no bound)
    return math.ceil(low) > math.floor(high)


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


_CHECKS: tuple[Callable[[Draft], list[Finding]], ...] = (
    _check_step_ids,
    _check_option_ids,
    _check_answerable,
    _check_conditions,
    _check_translations,
    _check_end,
)
