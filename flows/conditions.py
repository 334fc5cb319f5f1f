"""`when:` conditions, evaluated by the engine itself (no Python in flow files, no eval).

Rule: three-valued. A condition is True or False once the answers it reads are known, and None
(unknown) while one of them may still be given; the engine needs "unknown" to count the questions
still ahead ("Question 3/10") without asking the participant to predict their own answers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flows.schema import AllOf, Answered, AnyOf, Compare, Condition, Not


@dataclass(frozen=True, slots=True)
class Given:
    value: Any


class _Missing:
    """Definitely not answered: skipped, or on a branch not taken."""


class _Pending:
    """Not answered yet, but it may still be."""


MISSING = _Missing()
PENDING = _Pending()
Found = Given | _Missing | _Pending
Lookup = Callable[[str], Found]


def evaluate(condition: Condition, lookup: Lookup) -> bool | None:
    """True, False, or None when it depends on an answer still to come."""
    match condition:
        case Answered(answered=step):
            found = lookup(step)
            return None if found is PENDING else isinstance(found, Given)
        case Compare(answer=step):
            found = lookup(step)
            if isinstance(found, Given):
                return _compare(condition.operator, found.value, condition.operand)
            return None if found is PENDING else False
        case AllOf(all=parts):
            return _combined(parts, lookup, decisive=False)
        case AnyOf(any=parts):
            return _combined(parts, lookup, decisive=True)
        case Not(not_=inner):
            result = evaluate(inner, lookup)
            return None if result is None else not result
    raise AssertionError(f"unknown condition {condition!r}")


def _combined(parts: list[Condition], lookup: Lookup, *, decisive: bool) -> bool | None:
    """`all` (one False decides) or `any` (one True decides); else unknown if a part is."""
    unknown = False
    for part in parts:
        result = evaluate(part, lookup)
        if result is decisive:
            return decisive
        unknown = unknown or result is None
    return None if unknown else not decisive


def _compare(operator: str, value: Any, operand: Any) -> bool:
    # A multi answer (a list) 'equals' an option when it contains it, and is 'in' a set of
    # options when they overlap: what a facilitator means by "if they chose training".
    if isinstance(value, list):
        chosen = {str(item) for item in value}
        if operator in ("equals", "not_equals"):
            hit = str(operand) in chosen
            return hit if operator == "equals" else not hit
        if operator in ("in", "not_in"):
            hit = bool(chosen & {str(item) for item in operand})
            return hit if operator == "in" else not hit
        return False
    if operator == "equals":
        return _same(value, operand)
    if operator == "not_equals":
        return not _same(value, operand)
    if operator == "in":
        return any(_same(value, item) for item in operand)
    if operator == "not_in":
        return not any(_same(value, item) for item in operand)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    number = float(value)
    limit = float(operand)
    return {
        "lt": number < limit,
        "le": number <= limit,
        "gt": number > limit,
        "ge": number >= limit,
    }[operator]


def _same(value: Any, operand: Any) -> bool:
    if isinstance(value, int | float) and isinstance(operand, int | float):
        return float(value) == float(operand)
    return str(value) == str(operand)


def referenced_steps(condition: Condition) -> list[str]:
    """Every step a condition reads, in order of appearance."""
    match condition:
        case Answered(answered=step):
            return [step]
        case Compare(answer=step):
            return [step]
        case AllOf(all=parts) | AnyOf(any=parts):
            return [step for part in parts for step in referenced_steps(part)]
        case Not(not_=inner):
            return referenced_steps(inner)
    raise AssertionError(f"unknown condition {condition!r}")
