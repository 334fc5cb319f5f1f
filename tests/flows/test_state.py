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
