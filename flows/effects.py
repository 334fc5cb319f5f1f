"""Effects: instructions for the shell, in the imperative. The engine emits them; it runs none.

Rule: an effect carries everything a user interface needs (resolved texts in the session's
language, buttons, progress), so the Telegram shell and the terminal rehearsal render the same
thing and never look into the flow themselves. Words that do not come from the flow file (the
reasons of a re-prompt, "Yes"/"No", "Skip") are not here: they are message keys that the shell
translates with its catalogs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from flows.schema import StepId, StepKind

# JSON-able answer values: an option id, several, a number, a text, an ISO date, a list of items.
AnswerValue = str | int | float | list[str]


@dataclass(frozen=True, slots=True)
class OptionView:
    id: str
    label: str | None  # None: the shell words it (yes/no, numbers of a scale)
    other: bool = False


@dataclass(frozen=True, slots=True)
class Progress:
    position: int  # 1-based among the questions of this path
    total: int


@dataclass(frozen=True, slots=True)
class Ask:
    """Show a question. `refresh` means: update the question on screen, don't send a new one."""

    step: StepId
    kind: StepKind
    text: str
    revision: int
    progress: Progress | None  # None for notes
    help: str | None = None
    options: tuple[OptionView, ...] = ()
    min_label: str | None = None
    max_label: str | None = None
    unit: str | None = None
    bounds: tuple[float | None, float | None] = (None, None)
    max_length: int | None = None
    selected: tuple[str, ...] = ()  # multi: toggled options
    items: tuple[str, ...] = ()  # collect: items so far
    current: AnswerValue | None = None  # the answer given before, when coming back to a step
    can_skip: bool = False
    can_keep: bool = False  # an earlier answer exists: offer to keep it
    can_go_back: bool = False
    refresh: bool = False


SayKey = Literal[
    "use_buttons",  # typed text where a button is expected
    "not_a_number",
    "not_an_integer",
    "out_of_range",  # params: min, max
    "not_a_date",
    "too_long",  # params: max
    "empty_text",
    "choose_at_least",  # params: min
    "choose_at_most",  # params: max
    "give_other_detail",  # the 'other' option needs a free text; params: option
    "items_needed",  # params: min
    "items_full",  # params: max
    "cannot_skip",
    "cannot_go_back",
    "already_finished",
]


@dataclass(frozen=True, slots=True)
class Say:
    """Tell the participant something (usually why their input was not taken)."""

    key: SayKey
    params: Mapping[str, str | int | float] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class RecordAnswer:
    """Store this answer; it supersedes any earlier answer to the same step."""

    step: StepId
    value: AnswerValue
    detail: str | None = None  # the free text of an 'other' option


@dataclass(frozen=True, slots=True)
class RetractAnswer:
    """Forget the answer to this step (back, or its branch is no longer taken)."""

    step: StepId


@dataclass(frozen=True, slots=True)
class AnswerView:
    step: StepId
    kind: StepKind
    question: str
    value: AnswerValue | None  # None: skipped
    labels: tuple[str, ...] = ()  # option labels of the value, when it is made of options
    detail: str | None = None


@dataclass(frozen=True, slots=True)
class Review:
    """Show every answer, with 'change an answer' and 'submit'."""

    answers: tuple[AnswerView, ...]
    revision: int


FinishOutcome = Literal["submitted", "cancelled", "timed_out"]


@dataclass(frozen=True, slots=True)
class Finish:
    outcome: FinishOutcome
    answers: tuple[AnswerView, ...]


@dataclass(frozen=True, slots=True)
class Settle:
    """The question or review on screen is done with: take its buttons away, and where it was
    just answered or skipped, show it with that answer (`answer`). Comes right before the effect
    that replaces it (an `Ask`, a `Review` or a `Finish`)."""

    answer: AnswerView | None = None


@dataclass(frozen=True, slots=True)
class Stale:
    """A button of an older question was tapped: a short toast, nothing changes."""


Effect = Ask | Say | RecordAnswer | RetractAnswer | Settle | Review | Finish | Stale
