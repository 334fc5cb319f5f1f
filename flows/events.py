"""Events: what happened, in the past tense. The shell builds them; the engine consumes them.

Rule: events carry everything the engine needs to decide (the clock included, as `at`), so the
engine never asks the world. Button events carry the `revision` of the question they were shown
with: a tap on an older question is recognised as stale, not applied to the current one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flows.schema import Language, StepId


@dataclass(frozen=True, slots=True)
class Started:
    """The participant opened the session, or came back to it (then it resumes)."""

    at: datetime
    language: Language | None = None


@dataclass(frozen=True, slots=True)
class TextReceived:
    text: str
    at: datetime


@dataclass(frozen=True, slots=True)
class OptionPicked:
    """One button among a choice, a scale, an NPS or yes/no."""

    option: str
    revision: int
    at: datetime


@dataclass(frozen=True, slots=True)
class OptionToggled:
    """A toggle on a multi question; nothing is recorded until confirmed."""

    option: str
    revision: int
    at: datetime


@dataclass(frozen=True, slots=True)
class OptionsConfirmed:
    revision: int
    at: datetime


@dataclass(frozen=True, slots=True)
class Skipped:
    revision: int
    at: datetime


@dataclass(frozen=True, slots=True)
class Kept:
    """Coming back to an answered question: keep the answer given before and move on."""

    revision: int
    at: datetime


@dataclass(frozen=True, slots=True)
class WentBack:
    revision: int
    at: datetime


@dataclass(frozen=True, slots=True)
class CollectDone:
    """The participant has no more items for a collect step."""

    revision: int
    at: datetime


@dataclass(frozen=True, slots=True)
class EditRequested:
    """From the final summary: change the answer to one step."""

    step: StepId
    revision: int
    at: datetime


@dataclass(frozen=True, slots=True)
class Submitted:
    revision: int
    at: datetime


@dataclass(frozen=True, slots=True)
class TimedOut:
    """The round's deadline passed: the session ends with what it has."""

    at: datetime


@dataclass(frozen=True, slots=True)
class Cancelled:
    """The participant confirmed that they abandon the session."""

    at: datetime


Event = (
    Started
    | TextReceived
    | OptionPicked
    | OptionToggled
    | OptionsConfirmed
    | Skipped
    | Kept
    | WentBack
    | CollectDone
    | EditRequested
    | Submitted
    | TimedOut
    | Cancelled
)
