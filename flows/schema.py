"""What a flow file may say: pydantic models, strict and frozen.

Rule: this module describes flow files and nothing else. It knows no YAML positions (the loader
maps errors back to lines), no engine state, no Telegram. Graph-level checks (references,
reachability, translations) live in `flows/checks.py`; here a model only checks what one node can
check about itself.
"""

from __future__ import annotations

from functools import cached_property
from typing import Annotated, Any, Literal, NewType

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    field_validator,
    model_validator,
)

StepId = NewType("StepId", str)
OptionId = NewType("OptionId", str)
Language = Literal["fr", "en", "nl"]
LANGUAGES: tuple[Language, ...] = ("fr", "en", "nl")

# Ids end up in Telegram callback data (64 bytes at most, shared with a session id and a revision)
# and in stored rows, so they are short, ASCII and stable.
ID_PATTERN = r"^[a-z][a-z0-9_]{0,31}$"


class Model(BaseModel):
    # Infinity and NaN parse from YAML (.inf, .nan) but mean nothing in a questionnaire.
    model_config = ConfigDict(
        extra="forbid", frozen=True, populate_by_name=True, allow_inf_nan=False
    )


class Text(Model):
    """A human text in several languages; missing ones fall back to the flow's default."""

    fr: str | None = None
    en: str | None = None
    nl: str | None = None

    @model_validator(mode="after")
    def _has_one(self) -> Text:
        if not any((self.fr, self.en, self.nl)):
            raise ValueError("a text needs at least one language (fr, en or nl)")
        return self

    def get(self, language: Language) -> str | None:
        value: str | None = getattr(self, language)
        return value

    def resolve(self, language: Language, fallback: Language) -> str:
        """The text in `language`, else in `fallback`, else in any language it has."""
        for lang in (language, fallback, *LANGUAGES):
            value = self.get(lang)
            if value:
                return value
        raise AssertionError("unreachable: validated to have one language")

    def languages(self) -> frozenset[Language]:
        return frozenset(lang for lang in LANGUAGES if self.get(lang))


Scalar = str | int | float


# ---- conditions -----------------------------------------------------------------------------
# A small declared language, evaluated by the engine itself: no Python, no eval.


class Compare(Model):
    """Compare an earlier answer: exactly one operator. Unanswered compares as false."""

    answer: StepId = Field(pattern=ID_PATTERN)
    equals: Scalar | None = None
    not_equals: Scalar | None = None
    in_: list[Scalar] | None = Field(default=None, alias="in", min_length=1)
    not_in: list[Scalar] | None = Field(default=None, min_length=1)
    lt: float | None = None
    le: float | None = None
    gt: float | None = None
    ge: float | None = None

    @model_validator(mode="after")
    def _one_operator(self) -> Compare:
        given = [name for name in OPERATORS if getattr(self, _field(name)) is not None]
        if len(given) != 1:
            raise ValueError(
                f"a comparison needs exactly one of {', '.join(OPERATORS)}"
                + (f" (got {', '.join(given)})" if given else "")
            )
        return self

    @property
    def operator(self) -> str:
        return next(name for name in OPERATORS if getattr(self, _field(name)) is not None)

    @property
    def operand(self) -> Any:
        return getattr(self, _field(self.operator))


OPERATORS = ("equals", "not_equals", "in", "not_in", "lt", "le", "gt", "ge")


def _field(operator: str) -> str:
    return "in_" if operator == "in" else operator


class Answered(Model):
    answered: StepId = Field(pattern=ID_PATTERN)


class AllOf(Model):
    all: list[Condition] = Field(min_length=1)


class AnyOf(Model):
    any: list[Condition] = Field(min_length=1)


class Not(Model):
    not_: Condition = Field(alias="not")


def _condition_tag(value: Any) -> str | None:
    if isinstance(value, BaseModel):
        return type(value).__name__.lower()
    if not isinstance(value, dict):
        return None
    for key, tag in (("all", "allof"), ("any", "anyof"), ("not", "not"), ("answered", "answered")):
        if key in value:
            return tag
    return "compare"


Condition = Annotated[
    Annotated[Compare, Tag("compare")]
    | Annotated[Answered, Tag("answered")]
    | Annotated[AllOf, Tag("allof")]
    | Annotated[AnyOf, Tag("anyof")]
    | Annotated[Not, Tag("not")],
    Discriminator(
        _condition_tag,
        custom_error_type="invalid_condition",
        custom_error_message="a condition is a mapping: {answer, <operator>}, {answered}, "
        "{all: [...]}, {any: [...]} or {not: ...}",
    ),
]


# ---- steps ----------------------------------------------------------------------------------


class Option(Model):
    id: OptionId = Field(pattern=ID_PATTERN)
    label: Text
    other: bool = False  # picking it asks for a free-text detail


class BaseStep(Model):
    id: StepId = Field(pattern=ID_PATTERN)
    text: Text
    help: Text | None = None
    required: bool = True
    when: Condition | None = None


class ChoiceStep(BaseStep):
    kind: Literal["choice"]
    options: list[Option] = Field(min_length=2, max_length=40)


class MultiStep(BaseStep):
    kind: Literal["multi"]
    options: list[Option] = Field(min_length=2, max_length=40)
    min: int = Field(default=1, ge=0)
    max: int | None = Field(default=None, ge=1)


class ScaleStep(BaseStep):
    kind: Literal["scale"]
    min: int = Field(default=1, ge=0, le=10)
    max: int = Field(default=5, ge=1, le=10)
    min_label: Text | None = None
    max_label: Text | None = None


class NpsStep(BaseStep):
    kind: Literal["nps"]
    min_label: Text | None = None
    max_label: Text | None = None


class NumberStep(BaseStep):
    kind: Literal["number"]
    min: float | None = None
    max: float | None = None
    integer: bool = True
    unit: Text | None = None


class TextStep(BaseStep):
    kind: Literal["text"]
    max_length: int = Field(default=1000, ge=1, le=3500)  # room left in a 4096-char message


class DateStep(BaseStep):
    kind: Literal["date"]


class YesNoStep(BaseStep):
    kind: Literal["yes_no"]


class NoteStep(BaseStep):
    """Information only: shown, never answered."""

    kind: Literal["note"]
    required: bool = False


class CollectStep(BaseStep):
    """Items sent one per message until Done: a SWOT quadrant, a list of ideas."""

    kind: Literal["collect"]
    min_items: int = Field(default=1, ge=0)
    max_items: int = Field(default=20, ge=1, le=100)
    max_length: int = Field(default=280, ge=1, le=1000)


Step = Annotated[
    ChoiceStep
    | MultiStep
    | ScaleStep
    | NpsStep
    | NumberStep
    | TextStep
    | DateStep
    | YesNoStep
    | NoteStep
    | CollectStep,
    Field(discriminator="kind"),
]
StepKind = Literal[
    "choice", "multi", "scale", "nps", "number", "text", "date", "yes_no", "note", "collect"
]
ANSWERABLE_KINDS: frozenset[str] = frozenset(
    {"choice", "multi", "scale", "nps", "number", "text", "date", "yes_no", "collect"}
)
# Steps answered by a list built up over several events, not by one pick.
LIST_STEPS = (MultiStep, CollectStep)


def _french_only() -> list[Language]:
    return ["fr"]


class Flow(Model):
    id: StepId = Field(pattern=ID_PATTERN)
    version: int = Field(ge=1)
    title: Text
    description: Text | None = None
    languages: list[Language] = Field(default_factory=_french_only, min_length=1)
    anonymous: bool = False
    review: bool = True  # end with a summary: change an answer, or submit
    steps: list[Step] = Field(min_length=1)

    @field_validator("languages")
    @classmethod
    def _distinct(cls, value: list[Language]) -> list[Language]:
        if len(set(value)) != len(value):
            raise ValueError("a language is listed twice")
        return value

    @property
    def default_language(self) -> Language:
        return self.languages[0]

    @cached_property
    def positions(self) -> dict[str, int]:
        """Step id → index (the first one, should a malformed flow repeat an id)."""
        found: dict[str, int] = {}
        for index, step in enumerate(self.steps):
            found.setdefault(step.id, index)
        return found

    def step_by_id(self, step_id: str) -> Step:
        """Raises: KeyError, for an id the flow does not have."""
        return self.steps[self.positions[step_id]]

    def index_of(self, step_id: str) -> int:
        """Raises: KeyError, for an id the flow does not have."""
        return self.positions[step_id]


AllOf.model_rebuild()
AnyOf.model_rebuild()
Not.model_rebuild()
Flow.model_rebuild()
