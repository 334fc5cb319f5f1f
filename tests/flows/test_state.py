"""Session state: evolving it and reading it back."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from flows.schema import StepId
from flows.state import Answer, SessionState

# A value for each field that differs from the one `base` has.
CHANGED: dict[str, Any] = {
    "flow_id": "other",
    "flow_version": 7,
    "language": "nl",
    "phase": "review",
    "cursor": StepId("nps"),
    "answers": {StepId("nps"): Answer(9)},
    "skipped": frozenset({StepId("why")}),
    "selected": ("a", "b"),
    "pending": "other",
    "editing": True,
    "revision": 12,
    "outcome": "submitted",
}


def test_every_field_has_a_changed_value() -> None:
    assert set(CHANGED) == {field.name for field in dataclasses.fields(SessionState)}


@pytest.mark.parametrize("name", sorted(CHANGED))
def test_evolve_changes_one_field_and_keeps_the_others(name: str) -> None:
    base = SessionState.new("satisfaction", 3, "fr")
    evolved = base.evolve(**{name: CHANGED[name]})
    assert getattr(evolved, name) == CHANGED[name]
    assert evolved == dataclasses.replace(base, **{name: CHANGED[name]})


def test_answers_are_stored_bare_unless_they_have_a_detail() -> None:
    state = SessionState.new("satisfaction", 3, "fr").evolve(
        answers={StepId("nps"): Answer(9), StepId("why"): Answer("other", "a long story")}
    )
    assert state.to_json()["answers"] == {
        "nps": 9,
        "why": {"value": "other", "detail": "a long story"},
    }
    assert SessionState.from_json(state.to_json()) == state


def test_states_stored_with_every_answer_as_an_object_still_read() -> None:
    stored = {
        "flow_id": "satisfaction",
        "flow_version": 3,
        "language": "fr",
        "phase": "asking",
        "cursor": "why",
        "answers": {
            "nps": {"value": 9, "detail": None},
            "topics": {"value": ["a", "b"], "detail": None},
        },
    }
    state = SessionState.from_json(stored)
    assert state.answers == {StepId("nps"): Answer(9), StepId("topics"): Answer(["a", "b"])}
