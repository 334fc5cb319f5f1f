"""A participant's place in a flow: plain data that round-trips through JSON.

Rule: state names steps and options by their ids from the flow file, never by Python objects, and
records the flow's version, so a stored session can be read back by a later release.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal, cast

from flows.effects import AnswerValue, FinishOutcome
from flows.schema import Language, StepId

# new: not started; asking: a step is on screen; detail: waiting for the free text of an
# 'other' option; review: the summary is on screen; finished: nothing more will change.
Phase = Literal["new", "asking", "detail", "review", "finished"]


@dataclass(frozen=True, slots=True)
class Answer:
    value: AnswerValue
    detail: str | None = None


@dataclass(frozen=True, slots=True)
class SessionState:
    flow_id: str
    flow_version: int
    language: Language
    phase: Phase = "new"
    cursor: StepId | None = None
    answers: Mapping[StepId, Answer] = field(default_factory=dict)
    skipped: frozenset[StepId] = frozenset()
    selected: tuple[str, ...] = ()  # multi: toggles not yet confirmed
    pending: AnswerValue | None = None  # phase detail: the value waiting for its detail
    editing: bool = False  # came from the review: return there once the path is complete
    revision: int = 0  # bumped at every question shown; buttons carry it
    outcome: FinishOutcome | None = None

    @classmethod
    def new(cls, flow_id: str, flow_version: int, language: Language) -> SessionState:
        return cls(flow_id=flow_id, flow_version=flow_version, language=language)

    @property
    def is_finished(self) -> bool:
        return self.phase == "finished"

    def evolve(self, **changes: Any) -> SessionState:
        """A copy with the fields given changed: `dataclasses.replace`, for the shell.

        Inside `flows`, call `replace` itself: mypy checks the names and types of its arguments.
        """
        return replace(self, **changes)

    def to_json(self) -> dict[str, Any]:
        return {
            "flow_id": self.flow_id,
            "flow_version": self.flow_version,
            "language": self.language,
            "phase": self.phase,
            "cursor": self.cursor,
            # A bare value unless there is a detail: a state is written at every answer, and
            # one object per answer made each write slower and kept more objects alive.
            "answers": {
                step: answer.value
                if answer.detail is None
                else {"value": answer.value, "detail": answer.detail}
                for step, answer in self.answers.items()
            },
            "skipped": sorted(self.skipped),
            "selected": list(self.selected),
            "pending": self.pending,
            "editing": self.editing,
            "revision": self.revision,
            "outcome": self.outcome,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SessionState:
        answers = {StepId(step): _answer(raw) for step, raw in data.get("answers", {}).items()}
        return cls(
            flow_id=data["flow_id"],
            flow_version=int(data["flow_version"]),
            language=data["language"],
            phase=data.get("phase", "new"),
            cursor=data.get("cursor"),
            answers=answers,
            skipped=frozenset(StepId(s) for s in data.get("skipped", ())),
            selected=tuple(data.get("selected", ())),
            pending=_value(data["pending"]) if data.get("pending") is not None else None,
            editing=bool(data.get("editing", False)),
            revision=int(data.get("revision", 0)),
            outcome=data.get("outcome"),
        )


def _answer(raw: Any) -> Answer:
    # An answer value is never an object: an object is an answer with its detail (and every
    # answer was one, in states written before bare values).
    if isinstance(raw, dict):
        return Answer(_value(raw["value"]), raw.get("detail"))
    return Answer(_value(raw))


def _value(raw: Any) -> AnswerValue:
    if isinstance(raw, list):
        return [str(item) for item in raw]
    return cast(AnswerValue, raw)
