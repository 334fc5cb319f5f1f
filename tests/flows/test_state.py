"""Session state: reading it back."""

from __future__ import annotations

from flows.schema import StepId
from flows.state import Answer, SessionState


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
