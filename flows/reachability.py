"""Which steps a flow can show: the `when:` conditions, judged before any participant answers.

Rule: a condition is judged by the engine's own evaluator (`flows.conditions.evaluate`) on a few
representative answers for each step it reads (every option of a choice, each point of a scale,
the numbers around each bound it compares with, "not answered"). The truth of a comparison only
changes at those values, so "no representative answer makes it hold" means "it never holds",
in exactly the engine's sense, without a second copy of its rules here.
"""

from __future__ import annotations

import difflib
import itertools
import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flows.conditions import MISSING, Found, Given, evaluate, referenced_steps
from flows.diagnostics import describe
from flows.errors import Finding, Path
from flows.schema import (
    ANSWERABLE_KINDS,
    AllOf,
    Answered,
    AnyOf,
    ChoiceStep,
    CollectStep,
    Compare,
    Condition,
    DateStep,
    Flow,
    MultiStep,
    Not,
    NpsStep,
    NumberStep,
    ScaleStep,
    Step,
    TextStep,
    YesNoStep,
)

# Past this many combinations of answers a condition is assumed satisfiable rather than
# searched: a flow author's condition reads two or three steps, not ten.
MAX_COMBINATIONS = 20_000
_NUMERIC = ("lt", "le", "gt", "ge")
_WORDS = {"lt": "less than", "le": "at most", "gt": "more than", "ge": "at least"}
_NOTHING = "\x00"  # a text that no operand equals
_Candidates = dict[str, list[Found]] | None  # None: too many to try, assume it can hold


@dataclass(slots=True)
class _Scope:
    """What a condition on `steps[index]` may read."""

    steps: Sequence[Step | None]
    ids: Sequence[str | None]
    index: int = 0
    earlier: dict[str, Step] = field(default_factory=dict)
    never: set[str] = field(default_factory=set)  # earlier steps that can never be shown
    unchecked: set[str] = field(default_factory=set)  # earlier steps that did not validate

    @property
    def step(self) -> Step:
        step = self.steps[self.index]
        assert step is not None, "only the conditions of steps that validated are judged"
        return step


def analyse(
    steps: Sequence[Step | None], ids: Sequence[str | None] | None = None
) -> tuple[list[Finding], set[str]]:
    """Findings about every `when:` of the steps, and the ids of the steps never shown.

    A step that did not validate on its own is None, with its id in `ids` if that parsed: a
    condition that reads it is not judged, as there is no kind or option to judge it by.
    """
    ids = [None if step is None else step.id for step in steps] if ids is None else ids
    findings: list[Finding] = []
    scope = _Scope(steps, ids)
    for index, step in enumerate(steps):
        scope.index = index
        if step is None:
            if ids[index] is not None:
                scope.unchecked.add(str(ids[index]))
            continue
        if step.when is not None:
            found, shown = _judge(step.when, ("steps", index, "when"), scope)
            findings.extend(found)
            if not shown:
                scope.never.add(step.id)
        scope.earlier.setdefault(step.id, step)
    return findings, scope.never


def possible_answers(flow: Flow) -> dict[str, list[Found]]:
    """For each step that conditions read, answers that every condition of the flow tells apart
    as the engine would (with MISSING when it may be skipped); steps with too many are left out.
    """
    operands: dict[str, list[Any]] = {}
    for step in flow.steps:
        for leaf, _ in _leaves(step.when, ()) if step.when is not None else ():
            compared = _operands(leaf) if isinstance(leaf, Compare) else []
            operands.setdefault(_target(leaf), []).extend(compared)
    found: dict[str, list[Found]] = {}
    for step in flow.steps:
        values = _values(step, operands[step.id]) if step.id in operands else None
        if values is not None:
            found.setdefault(step.id, values if step.required else [*values, MISSING])
    return found


def _judge(when: Condition, path: Path, scope: _Scope) -> tuple[list[Finding], bool]:
    """Findings about one step's condition, and whether the step can be shown at all."""
    leaves = list(_leaves(when, path))
    broken = [Finding(at, why) for leaf, at in leaves if (why := _reference(leaf, scope))]
    if broken:  # judging the rest would only repeat these
        return broken, True
    if any(_target(leaf) in scope.unchecked for leaf, _ in leaves):
        return [], True
    full = _candidates(when, scope, restrict=False)
    notes = {at: _leaf_notes(leaf, full, scope) for leaf, at in leaves}
    restricted = _candidates(when, scope, restrict=True)
    if _can_hold(when, restricted):
        return [Finding(at, "; ".join(why)) for at, why in notes.items() if why], True
    prefix = f"step '{scope.step.id}' can never be shown: "
    causes = _causes(when, path, restricted, notes)
    blamed = {at for at, _ in causes}
    found = [Finding(at, prefix + why) for at, why in causes]
    found += [Finding(at, "; ".join(why)) for at, why in notes.items() if why and at not in blamed]
    return found, False


def _leaves(condition: Condition, path: Path) -> Iterator[tuple[Compare | Answered, Path]]:
    match condition:
        case Compare() | Answered():
            yield condition, path
        case AllOf(all=parts) | AnyOf(any=parts):
            key = "all" if isinstance(condition, AllOf) else "any"
            for index, part in enumerate(parts):
                yield from _leaves(part, (*path, key, index))
        case Not(not_=inner):
            yield from _leaves(inner, (*path, "not"))


def _target(leaf: Compare | Answered) -> str:
    return leaf.answer if isinstance(leaf, Compare) else leaf.answered


def scale_bounds(step: ScaleStep | NpsStep) -> tuple[int, int]:
    return (step.min, step.max) if isinstance(step, ScaleStep) else (0, 10)


# ---- references -----------------------------------------------------------------------------


def _reference(leaf: Compare | Answered, scope: _Scope) -> str | None:
    target = _target(leaf)
    if target == scope.step.id:
        return f"step '{target}' cannot depend on its own answer"
    if target not in scope.ids:
        ids = [step_id for step_id in scope.ids if step_id is not None]
        return f"unknown step '{target}'{_known(target, ids, scope)}"
    if target in scope.unchecked:
        return None
    if target not in scope.earlier:
        later = scope.ids.index(target)
        return (
            f"step '{target}' comes later (steps[{later}]): "
            "a condition may only depend on earlier steps"
        )
    if scope.earlier[target].kind not in ANSWERABLE_KINDS:
        return f"step '{target}' is a note: it has no answer to depend on"
    return None


def _known(target: str, ids: Sequence[str], scope: _Scope) -> str:
    usable = [i for i, s in scope.earlier.items() if s.kind in ANSWERABLE_KINDS]
    close = difflib.get_close_matches(target, ids, n=1, cutoff=0.6)
    hint = f"did you mean '{close[0]}'? " if close else ""
    if not usable:
        return f" ({hint}no earlier step has an answer)"
    shown = ", ".join(usable[:8]) + (", …" if len(usable) > 8 else "")
    return f" ({hint}known: {shown})"


# ---- one comparison -------------------------------------------------------------------------


def _leaf_notes(leaf: Compare | Answered, full: _Candidates, scope: _Scope) -> list[str]:
    """What is wrong with one comparison on its own, whatever the rest of the condition says."""
    if not isinstance(leaf, Compare):
        return []
    target = scope.earlier[leaf.answer]
    notes = _operand_notes(leaf, target)
    if notes or _can_hold(leaf, full):
        return notes
    return [_never_holds(leaf, target)]


def _operand_notes(leaf: Compare, target: Step) -> list[str]:
    """The operands of equals/in/… that no answer to `target` can ever match."""
    if leaf.operator in _NUMERIC:
        return []
    operands = _operands(leaf)
    values = _values(target, operands)
    if values is None:
        return []
    wrong = []
    for operand in operands:
        probe = Compare(answer=target.id, equals=operand)
        matched = any(evaluate(probe, _lookup({target.id: value})) for value in values)
        if not matched or (target.kind == "date" and not _is_date(operand)):
            wrong.append(describe(operand))
    if not wrong:
        return []
    if len(wrong) == 1:
        return [f"{wrong[0]} is not a possible answer to '{target.id}'{_answers(target)}"]
    listed = f"{', '.join(wrong[:-1])} and {wrong[-1]}"
    return [f"{listed} are not possible answers to '{target.id}'{_answers(target)}"]


def _never_holds(leaf: Compare, target: Step) -> str:
    if leaf.operator not in _NUMERIC:
        return f"no answer to '{target.id}' passes this '{leaf.operator}'{_answers(target)}"
    if target.kind not in ("scale", "nps", "number"):
        return (
            f"'{leaf.operator}' compares numbers, but the answer to {target.kind} step "
            f"'{target.id}' is not a number"
        )
    word = _WORDS[leaf.operator]
    return f"no answer to '{target.id}' is {word} {_num(leaf.operand)}{_answers(target)}"


def _answers(target: Step) -> str:
    """The answers a step can have, to show next to a comparison that misses them all."""
    match target:
        case ChoiceStep() | MultiStep():
            return f" (options: {', '.join(dict.fromkeys(o.id for o in target.options))})"
        case YesNoStep():
            return " (answers: yes, no)"
        case DateStep():
            return " (dates are written YYYY-MM-DD)"
        case ScaleStep() | NpsStep():
            low, high = scale_bounds(target)
            return f" (answers: {low} to {high})"
        case NumberStep(min=low, max=high) if low is not None or high is not None:
            return f" (answers: {_num(low)} to {_num(high)})"
    return ""


# ---- whole conditions -----------------------------------------------------------------------


def _candidates(when: Condition, scope: _Scope, *, restrict: bool) -> _Candidates:
    """Representative answers of each step `when` reads; `restrict`: unshown steps have none."""
    operands: dict[str, list[Any]] = {}
    for leaf, _ in _leaves(when, ()):
        operands.setdefault(_target(leaf), []).extend(
            _operands(leaf) if isinstance(leaf, Compare) else []
        )
    candidates: dict[str, list[Found]] = {}
    for target, compared in operands.items():
        if restrict and target in scope.never:
            candidates[target] = [MISSING]
            continue
        values = _values(scope.earlier[target], compared)
        if values is None:
            return None
        candidates[target] = [*values, MISSING]
    return candidates


def _can_hold(condition: Condition, candidates: _Candidates) -> bool:
    """Whether some answers make `condition` hold; True when too many to try."""
    if candidates is None:
        return True
    targets = list(dict.fromkeys(referenced_steps(condition)))
    choices = [candidates[target] for target in targets]
    if math.prod(len(values) for values in choices) > MAX_COMBINATIONS:
        return True
    for combination in itertools.product(*choices):
        if evaluate(condition, _lookup(dict(zip(targets, combination, strict=True)))):
            return True
    return False


def _causes(
    condition: Condition,
    path: Path,
    candidates: _Candidates,
    notes: Mapping[Path, list[str]],
) -> list[tuple[Path, str]]:
    """The innermost parts of a condition that never hold, with the reason of each."""
    if _can_hold(condition, candidates):
        return []
    match condition:
        case Compare() | Answered():
            target = _target(condition)
            if notes.get(path):
                return [(path, "; ".join(notes[path]))]
            return [(path, f"it depends on step '{target}', which can never be shown")]
        case AllOf(all=parts) | AnyOf(any=parts):
            key = "all" if isinstance(condition, AllOf) else "any"
            found = [
                cause
                for index, part in enumerate(parts)
                for cause in _causes(part, (*path, key, index), candidates, notes)
            ]
            if found:
                return found
            names = ", ".join(f"'{t}'" for t in dict.fromkeys(referenced_steps(condition)))
            return [(path, f"its parts contradict each other: no answer to {names} meets them all")]
        case Not():
            return [(path, "what it negates always holds")]
    raise AssertionError(f"unknown condition {condition!r}")


# ---- representative answers -----------------------------------------------------------------


def _values(step: Step, operands: Sequence[Any]) -> list[Found] | None:
    """Answers of `step` that cover every outcome of comparing with `operands`; None: too many."""
    mentioned = [str(operand) for operand in operands]
    match step:
        case ChoiceStep():
            return [Given(o) for o in _representatives([o.id for o in step.options], mentioned)]
        case MultiStep():
            return _subsets(_representatives([o.id for o in step.options], mentioned))
        case CollectStep():
            return _subsets([*dict.fromkeys(mentioned), _NOTHING])
        case YesNoStep():
            return [Given("yes"), Given("no")]
        case ScaleStep() | NpsStep():
            low, high = scale_bounds(step)
            return [Given(value) for value in range(low, high + 1)]
        case NumberStep():
            return [Given(value) for value in _numbers(step, operands)]
        case TextStep() | DateStep():
            return [Given(value) for value in (*dict.fromkeys(mentioned), _NOTHING)]
    return []


def _representatives(ids: Sequence[str], mentioned: Sequence[str]) -> list[str]:
    """The ids a condition names, plus one it does not: the others all behave like that one."""
    named = [i for i in ids if i in mentioned]
    other = next((i for i in ids if i not in mentioned), None)
    return named + ([other] if other is not None else [])


def _subsets(items: Sequence[str]) -> list[Found] | None:
    if len(items) > 10:
        return None
    return [
        Given(list(chosen))
        for size in range(len(items) + 1)
        for chosen in itertools.combinations(items, size)
    ]


def _numbers(step: NumberStep, operands: Sequence[Any]) -> list[int | float]:
    """Numbers on both sides of, and at, every bound: where comparisons change their truth."""
    # A quoted "3" is a bound too: the engine compares a number with text as text, so "3"
    # matches the whole number 3.
    marks = {_finite(value) for value in (*operands, step.min, step.max, 0.0)} - {None}
    ordered = sorted(mark for mark in marks if mark is not None)
    points = {m + d for m in ordered for d in (-1.0, -0.5, 0.0, 0.5, 1.0)}
    points |= {(a + b) / 2 for a, b in itertools.pairwise(ordered)}
    if step.integer:
        points = {float(f(p)) for p in points for f in (math.floor, math.ceil)}
    low = -math.inf if step.min is None else step.min
    high = math.inf if step.max is None else step.max
    kept = sorted(p for p in points if low <= p <= high)
    return [int(p) for p in kept] if step.integer else kept


# ---- odds and ends --------------------------------------------------------------------------


def _operands(leaf: Compare) -> list[Any]:
    return list(leaf.operand) if isinstance(leaf.operand, list) else [leaf.operand]


def _lookup(answers: Mapping[str, Found]) -> Callable[[str], Found]:
    def lookup(step_id: str) -> Found:
        return answers.get(step_id, MISSING)

    return lookup


def _finite(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _is_date(value: Any) -> bool:
    try:
        date.fromisoformat(str(value))
    except ValueError:
        return False
    return True


def _num(value: float | None) -> str:
    if value is None:
        return "…"
    return str(int(value)) if float(value).is_integer() else str(value)
