"""Table-driven engine tests: each case is a flow, then events in and effects out (summarised)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from flows.effects import (
    Ask,
    Effect,
    Finish,
    RecordAnswer,
    RetractAnswer,
    Review,
    Say,
    Settle,
    Stale,
)
from flows.engine import EngineError, step
from flows.events import (
    Cancelled,
    CollectDone,
    EditRequested,
    Event,
    Kept,
    OptionPicked,
    OptionsConfirmed,
    OptionToggled,
    Skipped,
    Started,
    Submitted,
    TextReceived,
    TimedOut,
    WentBack,
)
from flows.schema import Flow
from flows.state import SessionState
from tests.flows.sample import AT, EVERY_KIND, Driver, make_flow, option, q, text


def brief(effect: Effect) -> str:
    match effect:
        case Ask(step=s, refresh=True):
            return f"refresh:{s}"
        case Ask(step=s):
            return f"ask:{s}"
        case Say(key=key):
            return f"say:{key}"
        case RecordAnswer(step=s, value=value, detail=None):
            return f"record:{s}={value}"
        case RecordAnswer(step=s, value=value, detail=detail):
            return f"record:{s}={value}+{detail}"
        case RetractAnswer(step=s):
            return f"retract:{s}"
        case Review():
            return "review"
        case Finish(outcome=outcome):
            return f"finish:{outcome}"
        case Stale():
            return "stale"
    raise AssertionError(effect)


Send = Callable[[int], Event]  # the revision on screen → the event


def pick(option_id: str) -> Send:
    return lambda revision: OptionPicked(option_id, revision, AT)


def toggle(option_id: str) -> Send:
    return lambda revision: OptionToggled(option_id, revision, AT)


def typed(value: str) -> Send:
    return lambda _revision: TextReceived(value, AT)


def old(send: Send) -> Send:
    """The same tap, on the question shown before this one."""
    return lambda revision: send(revision - 1)


START: Send = lambda _r: Started(AT)  # noqa: E731
CONFIRM: Send = lambda r: OptionsConfirmed(r, AT)  # noqa: E731
SKIP: Send = lambda r: Skipped(r, AT)  # noqa: E731
KEEP: Send = lambda r: Kept(r, AT)  # noqa: E731
BACK: Send = lambda r: WentBack(r, AT)  # noqa: E731
DONE: Send = lambda r: CollectDone(r, AT)  # noqa: E731
SUBMIT: Send = lambda r: Submitted(r, AT)  # noqa: E731
TIMEOUT: Send = lambda _r: TimedOut(AT)  # noqa: E731
CANCEL: Send = lambda _r: Cancelled(AT)  # noqa: E731


def edit(step_id: str) -> Send:
    return lambda revision: EditRequested(step_id, revision, AT)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Case:
    name: str
    flow: Flow
    script: list[tuple[Send, list[str]]]


ONE_CHOICE = make_flow(
    q(
        "pick",
        "choice",
        options=[option("a", "Alpha"), option("b", "Beta"), option("z", "Autre", other=True)],
    )
)
BRANCHING = make_flow(
    q("again", "yes_no"),
    q(
        "form",
        "choice",
        options=[option("g", "Groupe"), option("s", "Seul")],
        when={"answer": "again", "equals": "yes"},
    ),
    q("why", "text", required=False, when={"answer": "again", "equals": "no"}),
    q("end", "scale"),
)

CASES = [
    Case(
        "choice by button",
        ONE_CHOICE,
        [(START, ["ask:pick"]), (pick("b"), ["record:pick=b", "review"])],
    ),
    Case(
        "choice by typed label",
        ONE_CHOICE,
        [(START, ["ask:pick"]), (typed(" alpha "), ["record:pick=a", "review"])],
    ),
    Case(
        "choice by typed number",
        ONE_CHOICE,
        [(START, ["ask:pick"]), (typed("2"), ["record:pick=b", "review"])],
    ),
    Case(
        "choice: text that is no option",
        ONE_CHOICE,
        [(START, ["ask:pick"]), (typed("Gamma"), ["say:use_buttons"])],
    ),
    Case(
        "choice: other asks for a detail",
        ONE_CHOICE,
        [
            (START, ["ask:pick"]),
            (pick("z"), ["say:give_other_detail"]),
            (typed("Delta"), ["record:pick=z+Delta", "review"]),
        ],
    ),
    Case(
        "choice: a tap while the detail is awaited changes the answer",
        ONE_CHOICE,
        [
            (START, ["ask:pick"]),
            (pick("z"), ["say:give_other_detail"]),
            (pick("a"), ["record:pick=a", "review"]),
        ],
    ),
    Case(
        "choice: unknown option is stale",
        ONE_CHOICE,
        [(START, ["ask:pick"]), (pick("nope"), ["stale"])],
    ),
    Case(
        "stale tap on an older question",
        ONE_CHOICE,
        [(START, ["ask:pick"]), (old(pick("a")), ["stale"])],
    ),
    Case(
        "multi: toggles, bounds, confirm",
        make_flow(
            q(
                "many",
                "multi",
                options=[option("x", "X"), option("y", "Y"), option("w", "W")],
                min=1,
                max=2,
            )
        ),
        [
            (START, ["ask:many"]),
            (CONFIRM, ["say:choose_at_least"]),
            (toggle("y"), ["refresh:many"]),
            (toggle("x"), ["refresh:many"]),
            (toggle("w"), ["say:choose_at_most"]),
            (toggle("y"), ["refresh:many"]),
            (toggle("w"), ["refresh:many"]),
            (typed("x"), ["say:use_buttons"]),
            (CONFIRM, ["record:many=['x', 'w']", "review"]),
        ],
    ),
    Case(
        "multi with other",
        make_flow(
            q("many", "multi", options=[option("x", "X"), option("o", "Other", other=True)], min=0)
        ),
        [
            (START, ["ask:many"]),
            (toggle("o"), ["refresh:many"]),
            (CONFIRM, ["say:give_other_detail"]),
            (typed("Z"), ["record:many=['o']+Z", "review"]),
        ],
    ),
    Case(
        "scale and nps",
        make_flow(q("likert", "scale", min=1, max=5), q("nps", "nps")),
        [
            (START, ["ask:likert"]),
            (typed("6"), ["say:out_of_range"]),
            (typed("bien"), ["say:use_buttons"]),
            (typed("4"), ["record:likert=4", "ask:nps"]),
            (pick("10"), ["record:nps=10", "review"]),
        ],
    ),
    Case(
        "number: integer, decimal, range, unit",
        make_flow(
            q("hours", "number", min=0, max=100, unit=text("h")),
            q("budget", "number", integer=False),
        ),
        [
            (START, ["ask:hours"]),
            (typed("beaucoup"), ["say:not_a_number"]),
            (typed("2.5"), ["say:not_an_integer"]),
            (typed("101"), ["say:out_of_range"]),
            (typed("12 h"), ["record:hours=12", "ask:budget"]),
            (typed("9" * 400), ["say:out_of_range"]),  # no bound, but beyond a float
            (typed("1 234,5"), ["record:budget=1234.5", "review"]),
        ],
    ),
    Case(
        "text: empty, too long, skip",
        make_flow(q("story", "text", max_length=5, required=False), q("end", "yes_no")),
        [
            (START, ["ask:story"]),
            (typed("   "), ["say:empty_text"]),
            (typed("123456"), ["say:too_long"]),
            (SKIP, ["ask:end"]),
        ],
    ),
    Case(
        "date formats",
        make_flow(q("d1", "date"), q("d2", "date")),
        [
            (START, ["ask:d1"]),
            (typed("31/02/2026"), ["say:not_a_date"]),
            (typed("23/11/2026"), ["record:d1=2026-11-23", "ask:d2"]),
            (typed("2026-1-5"), ["record:d2=2026-01-05", "review"]),
        ],
    ),
    Case(
        "yes/no typed in three languages",
        make_flow(q("a", "yes_no"), q("b", "yes_no"), q("c", "yes_no")),
        [
            (START, ["ask:a"]),
            (typed("Oui"), ["record:a=yes", "ask:b"]),
            (typed("nee"), ["record:b=no", "ask:c"]),
            (typed("maybe"), ["say:use_buttons"]),
        ],
    ),
    Case(
        "required cannot be skipped",
        make_flow(q("a", "yes_no"), q("b", "yes_no")),
        [(START, ["ask:a"]), (SKIP, ["say:cannot_skip"]), (BACK, ["say:cannot_go_back"])],
    ),
    Case(
        "note is shown and passed",
        make_flow(q("hello", "note"), q("a", "yes_no")),
        [(START, ["ask:hello", "ask:a"]), (BACK, ["say:cannot_go_back"])],
    ),
    Case(
        "collect: items, max length, done, min",
        make_flow(
            q("ideas", "collect", min_items=2, max_items=3, max_length=10), q("end", "yes_no")
        ),
        [
            (START, ["ask:ideas"]),
            (DONE, ["say:items_needed"]),
            (typed("first"), ["record:ideas=['first']", "ask:ideas"]),
            (typed("far too long item"), ["say:too_long"]),
            (DONE, ["say:items_needed"]),
            (typed("second"), ["record:ideas=['first', 'second']", "ask:ideas"]),
            (DONE, ["ask:end"]),
        ],
    ),
    Case(
        "collect: reaching the maximum moves on",
        make_flow(q("ideas", "collect", max_items=2), q("end", "yes_no")),
        [
            (START, ["ask:ideas"]),
            (typed("a"), ["record:ideas=['a']", "ask:ideas"]),
            (typed("b"), ["record:ideas=['a', 'b']", "ask:end"]),
        ],
    ),
    Case(
        "optional collect done empty is a skip",
        make_flow(q("ideas", "collect", required=False), q("end", "yes_no")),
        [(START, ["ask:ideas"]), (DONE, ["ask:end"])],
    ),
    Case(
        "branch: yes path",
        BRANCHING,
        [
            (START, ["ask:again"]),
            (pick("yes"), ["record:again=yes", "ask:form"]),
            (pick("g"), ["record:form=g", "ask:end"]),
        ],
    ),
    Case(
        "back then a changed answer retracts the closed branch",
        BRANCHING,
        [
            (START, ["ask:again"]),
            (pick("yes"), ["record:again=yes", "ask:form"]),
            (pick("g"), ["record:form=g", "ask:end"]),
            (BACK, ["ask:form"]),
            (BACK, ["ask:again"]),
            (pick("no"), ["record:again=no", "retract:form", "ask:why"]),
            (SKIP, ["ask:end"]),
        ],
    ),
    Case(
        "back and keep",
        BRANCHING,
        [
            (START, ["ask:again"]),
            (pick("yes"), ["record:again=yes", "ask:form"]),
            (BACK, ["ask:again"]),
            (KEEP, ["ask:form"]),
        ],
    ),
    Case(
        "review: edit opens a branch, then review again, submit",
        BRANCHING,
        [
            (START, ["ask:again"]),
            (pick("no"), ["record:again=no", "ask:why"]),
            (typed("time"), ["record:why=time", "ask:end"]),
            (pick("3"), ["record:end=3", "review"]),
            (typed("hello"), ["say:use_buttons"]),
            (edit("again"), ["ask:again"]),
            (pick("yes"), ["record:again=yes", "retract:why", "ask:form"]),
            (pick("s"), ["record:form=s", "review"]),
            (edit("nope"), ["stale"]),
            (SUBMIT, ["finish:submitted"]),
            (SUBMIT, ["stale"]),
            (typed("more"), ["say:already_finished"]),
        ],
    ),
    Case(
        "review: back goes to the last question",
        BRANCHING,
        [
            (START, ["ask:again"]),
            (pick("no"), ["record:again=no", "ask:why"]),
            (SKIP, ["ask:end"]),
            (pick("5"), ["record:end=5", "review"]),
            (BACK, ["ask:end"]),
        ],
    ),
    Case(
        "no review: the last answer finishes",
        make_flow(q("a", "yes_no"), review=False),
        [(START, ["ask:a"]), (pick("yes"), ["record:a=yes", "finish:submitted"])],
    ),
    Case(
        "timed out",
        ONE_CHOICE,
        [(START, ["ask:pick"]), (TIMEOUT, ["finish:timed_out"]), (TIMEOUT, [])],
    ),
    Case(
        "cancelled",
        ONE_CHOICE,
        [(START, ["ask:pick"]), (CANCEL, ["finish:cancelled"]), (START, ["say:already_finished"])],
    ),
    Case("cancelled before start", ONE_CHOICE, [(CANCEL, ["finish:cancelled"])]),
    Case(
        "resume re-asks with a new revision",
        ONE_CHOICE,
        [
            (START, ["ask:pick"]),
            (START, ["ask:pick"]),
            (old(pick("a")), ["stale"]),
            (pick("a"), ["record:pick=a", "review"]),
        ],
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_engine_case(case: Case) -> None:
    driver = Driver.start(case.flow)
    for number, (send, expected) in enumerate(case.script):
        effects = driver.send(send(driver.revision))
        shown = [brief(e) for e in effects if not isinstance(e, Settle)]  # see test_settle_*
        assert shown == expected, f"event #{number} of {case.name!r}"


def test_ask_carries_what_a_ui_needs() -> None:
    driver = Driver.start(EVERY_KIND, language="nl")
    effects = driver.send(Started(AT))
    note, first = effects
    assert isinstance(note, Ask)
    assert note.progress is None
    assert note.text == "Question intro (nl)"
    assert isinstance(first, Ask)
    assert first.progress is not None
    assert (first.progress.position, first.progress.total) == (1, 11)  # one of form, why_not
    assert [o.label for o in first.options] == ["Alpha (nl)", "Beta (nl)", "Autre (nl)"]
    assert first.options[2].other
    assert not first.can_skip
    assert not first.can_go_back


def test_progress_counts_only_the_path_taken() -> None:
    driver = Driver.start(BRANCHING)
    (first,) = driver.send(Started(AT))
    assert isinstance(first, Ask)
    assert first.progress is not None
    assert (first.progress.position, first.progress.total) == (1, 3)  # one branch or the other
    _, _, second = driver.send(OptionPicked("yes", driver.revision, AT))
    assert isinstance(second, Ask)
    assert second.progress is not None
    assert (second.progress.position, second.progress.total) == (2, 3)


def test_going_back_shows_the_earlier_answer() -> None:
    driver = Driver.start(BRANCHING)
    driver.send(Started(AT))
    driver.send(OptionPicked("yes", driver.revision, AT))
    settle, back = driver.send(WentBack(driver.revision, AT))
    assert settle == Settle()  # the question on screen only loses its buttons
    assert isinstance(back, Ask)
    assert back.current == "yes"
    assert back.can_keep


def test_language_falls_back_to_the_flow_default() -> None:
    flow = make_flow(q("a", "yes_no") | {"text": {"fr": "Seulement en français"}})
    driver = Driver.start(flow, language="en")
    (asked,) = driver.send(Started(AT))
    assert isinstance(asked, Ask)
    assert asked.text == "Seulement en français"


def test_started_may_change_the_language() -> None:
    driver = Driver.start(ONE_CHOICE, language="fr")
    (asked,) = driver.send(Started(AT, language="en"))
    assert isinstance(asked, Ask)
    assert asked.options[0].label == "Alpha (en)"


def test_state_of_another_flow_is_a_bug_with_a_clear_message() -> None:
    state = SessionState.new("other", 1, "fr")
    with pytest.raises(EngineError, match="can't Started when the session is in flow 'other'"):
        step(ONE_CHOICE, state, Started(AT))


def test_cursor_on_a_removed_step_is_a_bug_with_a_clear_message() -> None:
    state = SessionState.new("sample", 1, "fr").evolve(phase="asking", cursor="gone")
    with pytest.raises(EngineError, match="cursor is on step 'gone'"):
        step(ONE_CHOICE, state, TextReceived("x", AT))


def test_finish_summary_lists_answers_and_skips() -> None:
    driver = Driver.start(BRANCHING)
    driver.send(Started(AT))
    driver.send(OptionPicked("no", driver.revision, AT))
    driver.send(Skipped(driver.revision, AT))
    driver.send(OptionPicked("4", driver.revision, AT))
    _, finish = driver.send(Submitted(driver.revision, AT))
    assert isinstance(finish, Finish)
    assert [(a.step, a.value) for a in finish.answers] == [
        ("again", "no"),
        ("why", None),
        ("end", 4),
    ]


# ---- what becomes of the question on screen ------------------------------------------------------


def test_settle_shows_the_answer_given_before_the_next_question() -> None:
    driver = Driver.start(BRANCHING)
    driver.send(Started(AT))
    record, settle, ask = driver.send(OptionPicked("yes", driver.revision, AT))
    assert isinstance(record, RecordAnswer)
    assert isinstance(settle, Settle)
    assert settle.answer is not None
    assert (settle.answer.step, settle.answer.value) == (record.step, "yes")
    assert isinstance(ask, Ask)


def test_settle_shows_a_skip_and_nothing_for_a_reprompt_or_a_first_question() -> None:
    flow = make_flow(q("a", "text", required=False), q("b", "yes_no"))
    driver = Driver.start(flow)
    assert not any(isinstance(e, Settle) for e in driver.send(Started(AT)))
    assert not any(isinstance(e, Settle) for e in driver.send(TextReceived(" ", AT)))
    settle, _ = driver.send(Skipped(driver.revision, AT))
    assert isinstance(settle, Settle)
    assert settle.answer is not None
    assert (settle.answer.step, settle.answer.value) == ("a", None)


def test_a_review_left_is_settled_without_an_answer() -> None:
    flow = make_flow(q("a", "yes_no"))
    driver = Driver.start(flow)
    driver.send(Started(AT))
    driver.send(OptionPicked("no", driver.revision, AT))
    assert driver.state.phase == "review"
    settle, finish = driver.send(Submitted(driver.revision, AT))
    assert settle == Settle()
    assert isinstance(finish, Finish)
