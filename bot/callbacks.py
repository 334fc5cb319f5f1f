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
from dataclasses import dataclass, replace
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


# SWOT board actions (`b|<action>|<id>|<argument>`): the id is the board's round, or the
# cohort's for "Y" (start); `BOARD_ARGUMENTS` says how each argument reads.
BoardArgument = Literal["none", "quadrant", "id", "optional_id", "budget", "page", "vote", "days"]
BOARD_ARGUMENTS: dict[str, BoardArgument] = {
    "Y": "none",  # start the board on this cohort: anonymous
    "N": "none",  # start it with names
    "Z": "none",  # the start question: not now
    "0": "none",  # not now / cancel: the message's buttons go, and any SWOT dialog with them
    "q": "quadrant",  # collect: write in this quadrant
    "n": "quadrant",  # collect: the text just sent goes in this quadrant
    "l": "none",  # collect: list my items
    "d": "none",  # collect: I am done
    "e": "id",  # collect: edit my item
    "x": "id",  # collect: delete my item (asks)
    "X": "id",  # collect: delete confirmed
    "R": "none",  # facilitator: reveal (asks)
    "r": "none",  # reveal confirmed
    "g": "none",  # start grouping
    "a": "id",  # approve the proposal of this head item
    "s": "id",  # keep that proposal's items separate
    "t": "id",  # take this item out of its proposal or group
    "m": "id",  # rename this group (asks for the name)
    "V": "none",  # offer the vote's budgets
    "v": "budget",  # open the vote with this budget
    "C": "none",  # close the vote (asks)
    "c": "none",  # closing confirmed
    "b": "page",  # ballot: show this quadrant's page
    "+": "vote",  # ballot: one more dot on the item
    "-": "vote",  # ballot: one dot less
    "A": "optional_id",  # new action, from this item or from nothing
    "T": "none",  # action: keep the item's text as its title
    "o": "id",  # action: its owner
    "w": "days",  # action: due in so many days (0: no date)
    "k": "id",  # action done
}
BUDGET_CHOICES = ((5, 3), (3, 1), (10, 3))  # (dots per person, most per item)
DUE_CHOICES = (7, 14, 30, 0)  # days; 0 = no due date
QUADRANT_LETTERS = "swot"  # strengths, weaknesses, opportunities, threats
MAX_PAGE = 999


@dataclass(frozen=True, slots=True)
class BoardButton:
    action: str
    board: int  # a round id, or a cohort id for "Y"/"N"
    argument: str = ""
    number: int | None = None  # an item, a group head, an owner, an action: as the action says
    quadrant: int = 0  # index into QUADRANTS
    page: int = 0
    budget: tuple[int, int] = BUDGET_CHOICES[0]
    days: int = 0

    def encode(self) -> str:
        return _checked(f"b|{self.action}|{self.board}|{self.argument}")


def board_button(action: str, board: int, argument: str = "") -> BoardButton:
    """A button to encode (its parsed fields are only filled by `decode`)."""
    return BoardButton(action, board, argument)


def decode(
    data: str, known_flows: Container[str] = ()
) -> SurveyButton | MenuButton | BoardButton | None:
    """The button behind `data`, or None for data this bot did not write (or no longer can)."""
    parts = data.split("|")
    if parts[0] == "b" and len(parts) == 4 and parts[1] in BOARD_ARGUMENTS:
        board = parse_id(parts[2])
        return None if board is None else _board(parts[1], board, parts[3])
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


def _board(action: str, board: int, argument: str) -> BoardButton | None:
    """ "q" + "o" → quadrant 3; "+" + "123:2:0" → item 123, shown on quadrant 2, page 0."""
    found = BoardButton(action, board, argument)
    match BOARD_ARGUMENTS[action]:
        case "none":
            return found if argument == "" else None
        case "quadrant":
            index = QUADRANT_LETTERS.find(argument) if len(argument) == 1 else -1
            return None if index < 0 else replace(found, quadrant=index)
        case "id" | "optional_id" as kind:
            if kind == "optional_id" and argument == "":
                return found
            number = parse_id(argument)
            return None if number is None else replace(found, number=number)
        case "budget":
            budgets = {f"{budget}.{most}": (budget, most) for budget, most in BUDGET_CHOICES}
            return replace(found, budget=budgets[argument]) if argument in budgets else None
        case "days":
            days = parse_id(argument, least=0)
            return replace(found, days=days) if days in DUE_CHOICES else None
        case "page" | "vote" as kind:
            return _page(found, argument, with_item=kind == "vote")


def _page(found: BoardButton, argument: str, *, with_item: bool) -> BoardButton | None:
    parts = argument.split(":")
    if len(parts) != (3 if with_item else 2):
        return None
    number = parse_id(parts[0]) if with_item else None
    quadrant, page = parse_id(parts[-2], least=0), parse_id(parts[-1], least=0)
    if (with_item and number is None) or quadrant is None or page is None:
        return None
    if quadrant >= len(QUADRANT_LETTERS) or page > MAX_PAGE:
        return None
    return replace(found, number=number, quadrant=quadrant, page=page)


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
