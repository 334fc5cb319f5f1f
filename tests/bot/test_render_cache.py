"""A question's words and buttons are built once per flow, language and point of the path: what
the cache returns must be what a fresh rendering gives, whatever field of the question changes."""

from __future__ import annotations

import dataclasses
from html import escape
from importlib import resources

from bot import render
from bot.i18n import translator
from flows.effects import Ask, OptionView, Progress
from flows.loader import load_flow_text
from flows.schema import Flow, StepId
from flows.state import Answer, SessionState
from flows.views import answer_view

FIELD_VARIANTS: dict[str, object] = {
    "step": StepId("support_tools"),
    "kind": "choice",
    "text": "Another question?",
    "progress": Progress(4, 9),
    "help": "Some help",
    "options": (OptionView("a", "Alpha"), OptionView("b", "Beta")),
    "min_label": "Low",
    "max_label": "High",
    "unit": "km",
    "bounds": (0.0, 10.0),
    "max_length": 12,
    "selected": ("1",),
    "items": ("first idea",),
    "current": "2",
    "can_skip": True,
    "can_keep": True,
    "can_go_back": True,
}


def _flow() -> Flow:
    text = resources.files("flows.library").joinpath("satisfaction.yaml").read_text("utf-8")
    return load_flow_text(text, "satisfaction.yaml")


def _forget_templates() -> None:
    render._TEMPLATES.clear()
    render._BY_ASK.clear()


def _fresh(flow: Flow, language: str, session_id: int, ask: Ask) -> render.Reply:
    """What ask_reply gave before it kept templates: buttons named with their own data."""
    _forget_templates()
    return render.ask_reply(translator(language), flow, session_id, ask)


def test_every_field_but_the_revision_is_part_of_the_template() -> None:
    flow = _flow()
    base = Ask(
        step=StepId("support_sessions"),
        kind="scale",
        text="How was it?",
        revision=3,
        progress=Progress(1, 9),
        options=tuple(OptionView(str(n), None) for n in range(1, 6)),
    )
    handled = {field.name for field in dataclasses.fields(Ask)} - {"revision", "refresh"}
    assert handled == set(FIELD_VARIANTS)  # a new field of Ask needs a variant here
    asks = [base] + [dataclasses.replace(base, **{name: v}) for name, v in FIELD_VARIANTS.items()]
    fresh = [_fresh(flow, "fr", 7, ask) for ask in asks]
    _forget_templates()
    for _ in range(2):  # the second time from the cache, by the Ask itself
        for ask, expected in zip(asks, fresh, strict=True):
            assert render.ask_reply(translator("fr"), flow, 7, ask) == expected
    render._BY_ASK.clear()
    for ask, expected in zip(asks, fresh, strict=True):  # equal Asks, not the same ones
        copy = dataclasses.replace(ask)
        assert render.ask_reply(translator("fr"), flow, 7, copy) == expected


def test_the_revision_and_the_session_go_into_the_data_not_the_words() -> None:
    flow = _flow()
    ask = Ask(StepId("q1"), "yes_no", "Ok?", 3, Progress(1, 2), can_go_back=True)
    first = render.ask_reply(translator("nl"), flow, 7, ask)
    later = render.ask_reply(translator("nl"), flow, 8, dataclasses.replace(ask, revision=4))
    assert first.text == later.text
    assert [b.data for row in first.buttons for b in row] == [
        "s|7|3|p|yes",
        "s|7|3|p|no",
        "s|7|3|b|",
    ]
    assert [b.data for row in later.buttons for b in row] == [
        "s|8|4|p|yes",
        "s|8|4|p|no",
        "s|8|4|b|",
    ]
    assert [b.text for row in first.buttons for b in row] == ["Ja", "Nee", "« Terug"]
    english = render.ask_reply(translator("en"), flow, 7, ask)
    assert [b.text for row in english.buttons for b in row] == ["Yes", "No", "« Back"]


def test_an_answered_question_shows_its_own_answer_in_its_own_language() -> None:
    flow = _flow()
    step = flow.step_by_id("continue")
    seen = {}
    for language in ("fr", "nl"):
        for value in ("yes", "no"):
            state = SessionState.new(flow.id, flow.version, language).evolve(
                answers={step.id: Answer(value)}
            )
            expected = render.answered_reply(
                translator(language), flow, answer_view(flow, state, step)
            )
            for _ in range(2):
                assert render.settled_reply(translator(language), flow, state, step) == expected
            seen[language, value] = expected.text
    assert len(set(seen.values())) == 4
    assert seen["nl", "yes"].endswith("<b>→ Ja</b>")


def test_typed_answers_are_rendered_each_time_not_kept() -> None:
    flow = _flow()
    _forget_templates()
    render._ANSWERED.clear()
    step = flow.step_by_id("keep")  # a text question
    typed = "Le <b>collectif</b> & l'atelier " * 20
    ask = Ask(StepId("keep"), "text", "What to keep?", 5, Progress(7, 13), current=typed)
    first = render.ask_reply(translator("fr"), flow, 7, ask)
    assert escape(typed) in first.text
    assert render.ask_reply(translator("fr"), flow, 7, ask) == first
    state = SessionState.new(flow.id, flow.version, "fr").evolve(answers={step.id: Answer(typed)})
    settled = render.settled_reply(translator("fr"), flow, state, step)
    assert settled.text.endswith(f"<b>→ {escape(typed)}</b>")
    assert render._TEMPLATES == {}
    assert render._BY_ASK == {}
    assert render._ANSWERED == {}
