"""Callback data of inline buttons: small, versioned, and checked on the way back.

Rule: Telegram gives 64 bytes of callback data. A survey button carries the session id and the
revision of the question it belongs to, so a tap on an older question is recognised (and answered
with a toast) instead of being applied to the current one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from flows.events import (
    CollectDone,
    EditRequested,
    Event,
    Kept,
    OptionPicked,
    OptionsConfirmed,
    OptionToggled,
    Skipped,
    Submitted,
    WentBack,
)
from flows.schema import StepId

MAX_BYTES = 64

# Survey actions: pick, toggle, confirm, skip, keep, back, done (collect), edit, submit.
SurveyAction = Literal["p", "t", "c", "s", "k", "b", "d", "e", "u"]
SURVEY_ACTIONS: frozenset[str] = frozenset("ptcskbdeu")


@dataclass(frozen=True, slots=True)
class SurveyButton:
    session_id: int
    revision: int
    action: SurveyAction
    argument: str = ""

    def encode(self) -> str:
        return _checked(f"s|{self.session_id}|{self.revision}|{self.action}|{self.argument}")


@dataclass(frozen=True, slots=True)
class MenuButton:
    """Any other button: a command-like action with one argument (cohort, round, flow, lang)."""

    action: str
    argument: str = ""

    def encode(self) -> str:
        return _checked(f"m|{self.action}|{self.argument}")


def _checked(data: str) -> str:
    if len(data.encode()) > MAX_BYTES:
        raise ValueError(f"callback data over {MAX_BYTES} bytes: {data!r}")
    return data


def decode(data: str) -> SurveyButton | MenuButton | None:
    """The button behind `data`, or None for data this bot did not write."""
    parts = data.split("|")
    is_survey = parts[0] == "s" and len(parts) == 5 and parts[3] in SURVEY_ACTIONS
    if is_survey and parts[1].isdigit() and parts[2].isdigit():
        action: SurveyAction = parts[3]  # type: ignore[assignment]  # checked just above
        return SurveyButton(int(parts[1]), int(parts[2]), action, parts[4])
    if parts[0] == "m" and len(parts) == 3 and parts[1]:
        return MenuButton(parts[1], parts[2])
    return None


def event_of(button: SurveyButton, at: datetime) -> Event:
    """The engine event a survey button stands for."""
    revision, argument = button.revision, button.argument
    match button.action:
        case "p":
            return OptionPicked(argument, revision, at)
        case "t":
            return OptionToggled(argument, revision, at)
        case "c":
            return OptionsConfirmed(revision, at)
        case "s":
            return Skipped(revision, at)
        case "k":
            return Kept(revision, at)
        case "b":
            return WentBack(revision, at)
        case "d":
            return CollectDone(revision, at)
        case "e":
            return EditRequested(StepId(argument), revision, at)
        case "u":
            return Submitted(revision, at)
