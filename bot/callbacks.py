"""Callback data of inline buttons: small, versioned, and checked on the way back.

Rule: Telegram gives 64 bytes of callback data. A survey button carries the session id and the
revision of the question it belongs to, so a tap on an older question is recognised (and answered
with a toast) instead of being applied to the current one. Callback data comes from the client and
a modified client sends anything: it is parsed here and nowhere else, into typed and bounded
values (ASCII digits, ids that fit SQLite, deadlines among those offered, flows that exist).
"""

from __future__ import annotations

import re
from collections.abc import Container
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
from flows.schema import LANGUAGES, Language, StepId

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
class Choices:
    """What a menu button's argument says, parsed and bounded (see `ARGUMENTS`)."""

    number: int | None = None  # the id of a round or a session
    language: Language | None = None
    cohort: int | None = None
    round: int | None = None
    flow: str | None = None
    days: int | None = None  # of a deadline: one of DEADLINE_CHOICES
    confirmed: bool = False


@dataclass(frozen=True, slots=True)
class MenuButton:
    """Any other button: a command-like action with one argument (cohort, round, flow, lang)."""

    action: str
    argument: str = ""
    choices: Choices = Choices()

    def encode(self) -> str:
        return _checked(f"m|{self.action}|{self.argument}")


# How each menu action's argument reads. A tap whose argument does not read so (a stale button
# of an older build, or data a modified client made up) is answered as a stale button.
Argument = Literal["none", "id", "language", "confirm", "wizard"]
ARGUMENTS: dict[str, Argument] = {
    "round": "id",
    "cancel": "id",
    "resume": "id",
    "lang": "language",
    "jlang": "language",
    "jname": "none",
    "jorg": "none",
    "jok": "none",
    "jno": "none",
    "drop": "none",
    "forget": "confirm",
    "open": "wizard",
    "status": "wizard",
    "close": "wizard",
}
DEADLINE_CHOICES = (0, 3, 7, 14)  # days; 0 = no deadline
MAX_ID = 2**63 - 1  # SQLite's largest integer
_ID = re.compile(r"[0-9]{1,19}")  # ASCII digits only: str.isdigit() takes "²" too
_FLOW_ID = re.compile(r"[A-Za-z0-9_.-]{1,40}")


def _checked(data: str) -> str:
    if len(data.encode()) > MAX_BYTES:
        raise ValueError(f"callback data over {MAX_BYTES} bytes: {data!r}")
    return data


def parse_id(text: str, *, least: int = 1) -> int | None:
    """An id (or a count, with `least=0`) from ASCII digits that fits SQLite; else None."""
    if _ID.fullmatch(text) is None:
        return None
    value = int(text)
    return value if least <= value <= MAX_ID else None


def decode(data: str, known_flows: Container[str] = ()) -> SurveyButton | MenuButton | None:
    """The button behind `data`, or None for data this bot did not write (or no longer can)."""
    parts = data.split("|")
    if parts[0] == "s" and len(parts) == 5 and parts[3] in SURVEY_ACTIONS:
        session_id, revision = parse_id(parts[1]), parse_id(parts[2], least=0)
        if session_id is None or revision is None:
            return None
        action: SurveyAction = parts[3]  # type: ignore[assignment]  # checked just above
        return SurveyButton(session_id, revision, action, parts[4])
    if parts[0] == "m" and len(parts) == 3 and parts[1] in ARGUMENTS:
        choices = _choices(ARGUMENTS[parts[1]], parts[2], known_flows)
        return None if choices is None else MenuButton(parts[1], parts[2], choices)
    return None


def _choices(kind: Argument, argument: str, known_flows: Container[str]) -> Choices | None:
    match kind:
        case "none":
            return Choices() if argument == "" else None
        case "confirm":
            return Choices(confirmed=True) if argument == "!" else None
        case "id":
            number = parse_id(argument)
            return None if number is None else Choices(number=number)
        case "language":
            return Choices(language=argument) if argument in LANGUAGES else None
        case "wizard":
            return _wizard(argument, known_flows)


def _wizard(argument: str, known_flows: Container[str]) -> Choices | None:
    """ "c12:fsatisfaction:d7:!" → cohort 12, flow satisfaction, 7 days, confirmed."""
    found: dict[str, str] = {}
    for part in argument.split(":"):
        if not part or part[0] in found or part[0] not in "crfd!":
            return None
        found[part[0]] = part[1:]
    cohort = _optional_id(found.get("c"))
    round_id = _optional_id(found.get("r"))
    days = _optional_id(found.get("d"), least=0)
    flow = found.get("f")
    if (
        cohort is False
        or round_id is False
        or days is False
        or (days is not None and days not in DEADLINE_CHOICES)
        or (flow is not None and (_FLOW_ID.fullmatch(flow) is None or flow not in known_flows))
        or found.get("!", "") != ""
    ):
        return None
    return Choices(cohort=cohort, round=round_id, flow=flow, days=days, confirmed="!" in found)


def _optional_id(text: str | None, *, least: int = 1) -> int | Literal[False] | None:
    """None when absent, False when present but not an id."""
    if text is None:
        return None
    value = parse_id(text, least=least)
    return False if value is None else value


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
