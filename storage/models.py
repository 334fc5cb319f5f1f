"""Values that cross the storage boundary: ids, closed sets and frozen records.

Rule: callers get these records, never `sqlite3.Row`s, so no other package learns a column name.
Times are aware `datetime`s in UTC on both sides; the storage never reads the clock, every time
is given by the caller.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Final, Literal, NewType

from flows.board import ActionId, BoardState, ItemId
from flows.state import SessionState

UserId = NewType("UserId", int)  # Telegram's user id
ChatId = NewType("ChatId", int)  # Telegram's chat id
CohortId = NewType("CohortId", int)
RoundId = NewType("RoundId", int)
SessionId = NewType("SessionId", int)
UpdateId = NewType("UpdateId", int)  # Telegram's update_id

Role = Literal["facilitator", "participant"]
ChatKind = Literal["private", "group", "supergroup"]
RoundState = Literal["open", "closed"]
SessionStatus = Literal["active", "submitted", "cancelled", "timed_out"]
ActionStatus = Literal["open", "done", "dropped"]
Synchronous = Literal["OFF", "NORMAL", "FULL", "EXTRA"]


class ApplyResult(enum.StrEnum):
    """What a write keyed by a Telegram update id (`apply_step`, `set_dialog`…) did with it."""

    APPLIED = "applied"
    DUPLICATE = "duplicate"  # the update_id was processed before; nothing changed


class Unchanged(enum.Enum):
    """Marks a parameter the caller leaves as it is (distinct from `None`, which clears)."""

    UNCHANGED = "unchanged"


UNCHANGED: Final = Unchanged.UNCHANGED


@dataclass(frozen=True, slots=True)
class AnswerWrite:
    """One answer to record: `value` must be JSON-serialisable; `detail` is an "other" text."""

    step_id: str
    value: Any
    detail: str | None = None


@dataclass(frozen=True, slots=True)
class Person:
    user_id: UserId
    display_name: str
    organisation: str | None
    language: str | None
    reachable: bool  # has started the bot and not blocked it
    created_at: datetime
    updated_at: datetime


# The dialog of someone writing items on a SWOT board (its payload names the board's round and the
# quadrant last chosen): storage drops them when an anonymous board is revealed, since the
# quadrant a person last wrote in would otherwise point at their items.
SWOT_COLLECTION_DIALOG = "swot"


@dataclass(frozen=True, slots=True)
class Dialog:
    """A short conversation of the shell (onboarding…): what it is and what it collected so far."""

    user_id: UserId
    kind: str
    payload: Mapping[str, Any]
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class Cohort:
    id: CohortId
    name: str
    invite_code: str
    created_by: UserId
    created_at: datetime
    archived_at: datetime | None
    timezone: str  # an IANA zone name, "Europe/Brussels"


@dataclass(frozen=True, slots=True)
class Membership:
    cohort_id: CohortId
    user_id: UserId
    role: Role
    joined_at: datetime


@dataclass(frozen=True, slots=True)
class Chat:
    chat_id: ChatId
    cohort_id: CohortId | None
    title: str | None
    kind: ChatKind
    bound_at: datetime


@dataclass(frozen=True, slots=True)
class Round:
    id: RoundId
    cohort_id: CohortId
    flow_id: str
    flow_version: int
    anonymous: bool
    status: RoundState
    opened_by: UserId
    opened_at: datetime
    deadline: datetime | None
    closed_at: datetime | None


@dataclass(frozen=True, slots=True)
class Session:
    id: SessionId
    round_id: RoundId
    user_id: UserId
    response_id: int | None  # None in an anonymous round: its answers are in its state
    status: SessionStatus
    state: SessionState
    flow_version: int
    prompt_message_id: int | None  # the Telegram message showing the current question
    started_at: datetime
    updated_at: datetime
    finished_at: datetime | None

    @property
    def is_active(self) -> bool:
        return self.status == "active"


@dataclass(frozen=True, slots=True)
class AnswerRow:
    id: int
    response_id: int
    user_id: UserId | None  # None in an anonymous round
    step_id: str
    value: Any
    detail: str | None
    answered_at: datetime  # midnight UTC of the day in an anonymous round
    retracted: bool
    submitted: bool  # whether the response it belongs to was submitted


@dataclass(frozen=True, slots=True)
class RoundStatus:
    """Where each participant of the round's cohort stands (facilitators are not counted).

    The four groups are disjoint and together hold every participant, each sorted by user id.
    Only `submitted` have answered: a session cancelled or timed out sent nothing, whatever it
    had stored on the way, as closing the round counts it.
    """

    round_id: RoundId
    not_started: tuple[UserId, ...]
    active: tuple[UserId, ...]
    submitted: tuple[UserId, ...]
    stopped: tuple[UserId, ...]  # cancelled or timed out: began and will not send

    @property
    def participant_count(self) -> int:
        return len(self.not_started) + len(self.active) + len(self.submitted) + len(self.stopped)


@dataclass(frozen=True, slots=True)
class Board:
    """A round's SWOT board: the machine's state (flows/board.py) and where the group sees it."""

    round_id: RoundId
    cohort_id: CohortId
    state: BoardState
    chat_id: ChatId | None  # the group showing the board's message
    message_id: int | None  # that message, once sent
    opened_by: UserId  # the round's opener
    opened_at: datetime


@dataclass(frozen=True, slots=True)
class ActionRow:
    """An action of a cohort, as `/actions` lists it; it outlives its board and its owner."""

    id: ActionId
    cohort_id: CohortId
    round_id: RoundId | None
    item_id: ItemId | None  # the SWOT item it came from, if any
    title: str
    owner_user_id: UserId | None  # None once the owner is forgotten
    owner_name: str | None  # the owner's display name, as stored now
    due_date: date | None
    status: ActionStatus
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class AuditEntry:
    id: int
    at: datetime
    actor_user_id: UserId
    cohort_id: CohortId | None
    action: str
    detail: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class WriteStats:
    """Counters of the group-commit writer: `requests / batches` is the mean batch size."""

    batches: int  # transactions committed (or failed)
    requests: int  # writes submitted to them


def to_text(at: datetime) -> str:
    """Store a time as fixed-width ISO-8601 UTC, so text order is time order.

    Raises:
        ValueError: `at` is naive; a time without a zone cannot be placed in UTC.
    """
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"storage needs an aware datetime, got naive {at.isoformat()}")
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def to_day_text(at: datetime) -> str:
    """Store only the day of `at`: times of anonymous answers must not re-link them."""
    return day_of_text(to_text(at))


def day_of_text(text: str) -> str:
    """`to_day_text` of a time that `to_text` wrote."""
    return text[:10] + "T00:00:00.000000+00:00"


def from_text(text: str) -> datetime:
    return datetime.fromisoformat(text)


def from_optional_text(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def to_json(value: Any) -> str:
    """Compact JSON text, non-ASCII kept as is.

    Raises: ValueError, TypeError: `value` is not plain JSON (NaN, infinity or a value holding
        itself included).
    """
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def from_json(text: str) -> Any:
    return json.loads(text)
