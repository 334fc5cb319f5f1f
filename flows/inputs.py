"""Typed input: turn what a participant wrote into an answer value, or say why not.

Rule: bad input is not an exception. Every parser returns a value or a `Say` that the shell
words in the participant's language; nothing here raises on user input.
"""

from __future__ import annotations

import math
import re
from datetime import date

from flows.effects import AnswerValue, Say
from flows.schema import (
    ChoiceStep,
    DateStep,
    Language,
    NpsStep,
    NumberStep,
    ScaleStep,
    Step,
    TextStep,
    YesNoStep,
)

# Typed yes/no in the three languages, so a participant who types instead of tapping is understood.
_YES = {"yes", "y", "oui", "o", "ja", "j", "1", "👍"}
_NO = {"no", "n", "non", "nee", "neen", "0", "👎"}
_DATE_PATTERNS = (
    re.compile(r"^(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})$"),
    re.compile(r"^(?P<d>\d{1,2})[/.\-](?P<m>\d{1,2})[/.\-](?P<y>\d{4})$"),
)
DETAIL_MAX_LENGTH = 500


def parse_typed(step: Step, text: str, language: Language, fallback: Language) -> AnswerValue | Say:
    """The answer that `text` gives to `step`, or the reason it gives none."""
    text = text.strip()
    match step:
        case NumberStep():
            return _number(step, text)
        case TextStep():
            return free_text(text, step.max_length)
        case DateStep():
            return _date(text)
        case YesNoStep():
            folded = text.casefold().rstrip(".!")
            if folded in _YES:
                return "yes"
            if folded in _NO:
                return "no"
            return Say("use_buttons")
        case ScaleStep() | NpsStep():
            low, high = scale_bounds(step)
            if re.fullmatch(r"[-+]?\d{1,3}", text):
                value = int(text)
                if low <= value <= high:
                    return value
                return Say("out_of_range", {"min": low, "max": high})
            return Say("use_buttons")
        case ChoiceStep():
            return _choice(step, text, language, fallback)
    return Say("use_buttons")


def scale_bounds(step: ScaleStep | NpsStep) -> tuple[int, int]:
    return (step.min, step.max) if isinstance(step, ScaleStep) else (0, 10)


def free_text(text: str, max_length: int) -> str | Say:
    text = text.strip()
    if not text:
        return Say("empty_text")
    if len(text) > max_length:
        return Say("too_long", {"max": max_length, "length": len(text)})
    return text


def _number(step: NumberStep, text: str) -> AnswerValue | Say:
    cleaned = text.replace("\u202f", "").replace("\xa0", "").replace(" ", "")
    if step.unit is not None:
        cleaned = re.sub(r"[^\d,.\-+]+$", "", cleaned)  # "12h", "12 €" → "12"
    cleaned = cleaned.replace(",", ".")
    if not re.fullmatch(r"[-+]?(\d+(\.\d*)?|\.\d+)", cleaned):
        return Say("not_a_number", _bounds(step))
    number = float(cleaned)
    if not math.isfinite(number):  # hundreds of digits: beyond what a float holds
        return Say("out_of_range", _bounds(step))
    if step.integer and not number.is_integer():
        return Say("not_an_integer", _bounds(step))
    if (step.min is not None and number < step.min) or (step.max is not None and number > step.max):
        return Say("out_of_range", _bounds(step))
    return int(number) if step.integer else number


def _bounds(step: NumberStep) -> dict[str, str | int | float]:
    bounds: dict[str, str | int | float] = {}
    if step.min is not None:
        bounds["min"] = _plain(step.min)
    if step.max is not None:
        bounds["max"] = _plain(step.max)
    return bounds


def _plain(number: float) -> int | float:
    return int(number) if float(number).is_integer() else number


def _date(text: str) -> AnswerValue | Say:
    for pattern in _DATE_PATTERNS:
        found = pattern.fullmatch(text)
        if found is None:
            continue
        try:
            return date(int(found["y"]), int(found["m"]), int(found["d"])).isoformat()
        except ValueError:
            return Say("not_a_date")
    return Say("not_a_date")


def _choice(
    step: ChoiceStep, text: str, language: Language, fallback: Language
) -> AnswerValue | Say:
    folded = text.casefold()
    if re.fullmatch(r"\d{1,2}", text) and 1 <= int(text) <= len(step.options):
        return step.options[int(text) - 1].id
    for option in step.options:
        if option.label.resolve(language, fallback).casefold() == folded or option.id == folded:
            return option.id
    return Say("use_buttons")
