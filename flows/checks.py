"""Graph checks of a flow that its models accepted: what no single node can check about itself.

Rule: each `_check_*` looks after one concern and returns findings at the path to fix (model:
python-statemachine's `factory.py`). No YAML and no positions here: the loader places the
findings in the file. Conditions are judged in `flows.reachability`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from typing import Any

from pydantic import BaseModel

from flows.errors import Finding, Path
from flows.reachability import analyse
from flows.schema import (
    ANSWERABLE_KINDS,
    ChoiceStep,
    CollectStep,
    Flow,
    MultiStep,
    NumberStep,
    ScaleStep,
    Step,
    Text,
)


def check_flow(flow: Flow) -> list[Finding]:
    """Every graph-level defect of `flow`, in the order of the checks."""
    return [finding for check in _CHECKS for finding in check(flow)]


def _check_step_ids(flow: Flow) -> list[Finding]:
    first: dict[str, int] = {}
    findings = []
    for index, step in enumerate(flow.steps):
        if step.id in first:
            message = f"duplicate step id '{step.id}' (already used by steps[{first[step.id]}])"
            findings.append(Finding(("steps", index, "id"), message))
        first.setdefault(step.id, index)
    return findings


def _check_option_ids(flow: Flow) -> list[Finding]:
    findings = []
    for index, step in enumerate(flow.steps):
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


def _check_conditions(flow: Flow) -> list[Finding]:
    findings, _ = analyse(flow)
    return findings


def _check_answerable(flow: Flow) -> list[Finding]:
    findings = []
    for index, step in enumerate(flow.steps):
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


def _check_translations(flow: Flow) -> list[Finding]:
    findings = []
    for text, path in _texts(flow, ()):
        have = text.languages()
        for language in flow.languages:
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


def _check_end(flow: Flow) -> list[Finding]:
    # "Every question unreachable" needs no check of its own: the first question has no earlier
    # answer to depend on, so a condition on it is already reported as a bad reference.
    if any(step.kind in ANSWERABLE_KINDS for step in flow.steps):
        return []
    return [Finding(("steps",), "the flow has nothing to answer: every step is a note")]


def _no_whole_number(low: float, high: float) -> bool:
    if not (math.isfinite(low) and math.isfinite(high)):
        return False  # an infinite bound leaves room for whole numbers (NaN is no bound)
    return math.ceil(low) > math.floor(high)


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


_CHECKS: tuple[Callable[[Flow], list[Finding]], ...] = (
    _check_step_ids,
    _check_option_ids,
    _check_answerable,
    _check_conditions,
    _check_translations,
    _check_end,
)
