""" "Question 3/10": the total shown never shrinks, and the last question shows n/n."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flows.effects import Ask, Review
from flows.engine import step
from flows.events import (
    CollectDone,
    Event,
    Kept,
    OptionPicked,
    OptionsConfirmed,
    OptionToggled,
    Skipped,
    Started,
    TextReceived,
    WentBack,
)
from flows.loader import load_library
from flows.state import SessionState
from tests.flows.sample import AT, Driver, make_flow, option, q

LIBRARY = load_library()


def _answers(asked: Ask) -> list[list[Event]]:
    """Ways to answer the question on screen, each a list of events."""
    revision = asked.revision
    match asked.kind:
        case "choice" | "yes_no" | "scale" | "nps":
            return [[OptionPicked(o.id, revision, AT)] for o in asked.options if not o.other]
        case "multi":
            plain = [o.id for o in asked.options if not o.other]
            picks = [OptionToggled(option_id, revision, AT) for option_id in plain[:2]]
            return [[OptionsConfirmed(revision, AT)], [*picks, OptionsConfirmed(revision, AT)]]
        case "collect" if asked.items and len(asked.items) == asked.bounds[1]:
            return [[CollectDone(revision, AT)]]
        case "collect":
            return [[TextReceived("une idée", AT), CollectDone(revision + 1, AT)]]
        case "number":
            return [[TextReceived("3", AT)]]
        case "date":
            return [[TextReceived("23/11/2026", AT)]]
    return [[TextReceived("une réponse", AT)]]


def _moves(asked: Ask) -> list[list[Event]]:
    moves = _answers(asked)
    if asked.can_skip:
        moves.append([Skipped(asked.revision, AT)])
    if asked.can_keep:
        moves.append([Kept(asked.revision, AT)])
    if asked.can_go_back:
        moves.append([WentBack(asked.revision, AT)])
    return moves


def _session(flow_id: str, data: st.DataObject) -> list[tuple[int, int]]:
    """(position, total) of every question shown, up to the review, answering as drawn."""
    flow = LIBRARY[flow_id]
    state = SessionState.new(flow.id, flow.version, "fr")
    shown: list[tuple[int, int]] = []
    events: list[Event] = [Started(AT)]
    for _ in range(200):
        asked = None
        for event in events:
            outcome = step(flow, state, event)
            state = outcome.state
            for effect in outcome.effects:
                if isinstance(effect, Review):
                    return shown
                if isinstance(effect, Ask) and effect.progress is not None:
                    asked = effect
                    if not effect.refresh:
                        shown.append((effect.progress.position, effect.progress.total))
        assert asked is not None, f"no question after {events} in {state}"
        events = data.draw(st.sampled_from(_moves(asked)))
    raise AssertionError("the session never reached the review")


@pytest.mark.parametrize("flow_id", sorted(LIBRARY))
@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_the_total_never_shrinks_and_ends_on_the_last_question(
    flow_id: str, data: st.DataObject
) -> None:
    shown = _session(flow_id, data)
    totals = [total for _, total in shown]
    assert totals == sorted(totals), shown
    assert all(1 <= position <= total for position, total in shown), shown
    assert shown[-1][0] == shown[-1][1], shown


BRANCHES = make_flow(
    q("again", "yes_no"),
    q(
        "how",
        "choice",
        options=[option("a", "A"), option("b", "B")],
        when={"answer": "again", "equals": "yes"},
    ),
    q("how_often", "number", when={"answer": "again", "equals": "yes"}),
    q("why_not", "text", required=False, when={"answer": "again", "equals": "no"}),
    q("end", "scale", min=1, max=5),
)


def _progress(driver: Driver, event: Event) -> tuple[int, int]:
    (*_, asked) = driver.send(event)
    assert isinstance(asked, Ask)
    assert asked.progress is not None
    return asked.progress.position, asked.progress.total


def test_the_total_counts_the_shortest_branch_until_one_is_taken() -> None:
    driver = Driver.start(BRANCHES)
    assert _progress(driver, Started(AT)) == (1, 3)  # "no" leads to one question, "yes" to two
    assert _progress(driver, OptionPicked("yes", driver.revision, AT)) == (2, 4)
    assert _progress(driver, WentBack(driver.revision, AT)) == (1, 4)  # the answer still holds
    assert _progress(driver, OptionPicked("no", driver.revision, AT)) == (2, 3)  # its own change
    assert _progress(driver, TextReceived("parce que", AT)) == (3, 3)
