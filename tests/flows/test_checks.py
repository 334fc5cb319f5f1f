"""Graph checks on flows the models accept: ids, references, reachability, bounds, translations."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flows.checks import Draft, check_draft, check_flow
from flows.conditions import MISSING, Found, Given, evaluate, referenced_steps
from flows.errors import format_path
from flows.reachability import analyse
from flows.schema import Flow


def t(fr: str = "t", **others: str) -> dict[str, str]:
    return {"fr": fr, **others}


def opts(*ids: str) -> list[dict[str, Any]]:
    return [{"id": i, "label": t(i)} for i in ids]


def s(step_id: str, kind: str, **fields: Any) -> dict[str, Any]:
    return {"id": step_id, "kind": kind, "text": t(step_id), **fields}


def flow(*steps: dict[str, Any], **fields: Any) -> Flow:
    data = {"id": "demo", "version": 1, "title": t("Démo"), "steps": list(steps), **fields}
    return Flow.model_validate(data, strict=True)


def findings(*steps: dict[str, Any], **fields: Any) -> list[tuple[str, str]]:
    return [(format_path(f.path), f.message) for f in check_flow(flow(*steps, **fields))]


ROLE = s("role", "choice", options=opts("teacher", "student"))
SCALE = s("support", "scale", min=1, max=5)
GO_ON = s("go_on", "yes_no")


def when(**condition: Any) -> dict[str, Any]:
    return {"when": condition}


CASES: dict[str, tuple[list[dict[str, Any]], list[tuple[str, str]]]] = {
    "valid branches": (
        [GO_ON, s("why", "text", **when(answer="go_on", equals="no"))],
        [],
    ),
    "duplicate step id": (
        [s("a", "text"), s("b", "text"), s("a", "date")],
        [("steps[2].id", "duplicate step id 'a' (already used by steps[0])")],
    ),
    "duplicate option id": (
        [s("a", "multi", options=opts("x", "y", "x"))],
        [
            (
                "steps[0].options[2].id",
                "duplicate option id 'x' in step 'a' (already used by options[0])",
            )
        ],
    ),
    "unknown step with a suggestion": (
        [ROLE, s("why", "text", **when(answer="rol", equals="teacher"))],
        [("steps[1].when", "unknown step 'rol' (did you mean 'role'? known: role)")],
    ),
    "unknown step with nothing before": (
        [s("why", "text", **when(answered="what"))],
        [("steps[0].when", "unknown step 'what' (no earlier step has an answer)")],
    ),
    "later step": (
        [s("why", "text", **when(answered="role")), ROLE],
        [
            (
                "steps[0].when",
                "step 'role' comes later (steps[1]): a condition may only depend on earlier steps",
            )
        ],
    ),
    "own step": (
        [s("why", "text", **when(answered="why"))],
        [("steps[0].when", "step 'why' cannot depend on its own answer")],
    ),
    "a note": (
        [s("hello", "note"), s("why", "text", **when(answered="hello"))],
        [("steps[1].when", "step 'hello' is a note: it has no answer to depend on")],
    ),
    "equals a non-option": (
        [ROLE, s("why", "text", **when(answer="role", equals="parent"))],
        [
            (
                "steps[1].when",
                "step 'why' can never be shown: 'parent' is not a possible answer to 'role' "
                "(options: teacher, student)",
            )
        ],
    ),
    "in with one non-option is still shown": (
        [ROLE, s("why", "text", **when(answer="role", **{"in": ["teacher", "parent"]}))],
        [
            (
                "steps[1].when",
                "'parent' is not a possible answer to 'role' (options: teacher, student)",
            )
        ],
    ),
    "not_equals a non-option is a typo": (
        [ROLE, s("why", "text", **when(answer="role", not_equals="techer"))],
        [
            (
                "steps[1].when",
                "'techer' is not a possible answer to 'role' (options: teacher, student)",
            )
        ],
    ),
    "yes_no in other words": (
        [GO_ON, s("why", "text", **when(answer="go_on", equals="oui"))],
        [
            (
                "steps[1].when",
                "step 'why' can never be shown: 'oui' is not a possible answer to 'go_on' "
                "(answers: yes, no)",
            )
        ],
    ),
    "scale value out of range": (
        [SCALE, s("why", "text", **when(answer="support", equals=6))],
        [
            (
                "steps[1].when",
                "step 'why' can never be shown: 6 is not a possible answer to 'support' "
                "(answers: 1 to 5)",
            )
        ],
    ),
    "scale below its minimum": (
        [SCALE, s("why", "text", **when(answer="support", lt=1))],
        [
            (
                "steps[1].when",
                "step 'why' can never be shown: no answer to 'support' is less than 1 "
                "(answers: 1 to 5)",
            )
        ],
    ),
    "nps at its top is fine": (
        [s("nps", "nps"), s("why", "text", **when(answer="nps", ge=10))],
        [],
    ),
    "nps above its top": (
        [s("nps", "nps"), s("why", "text", **when(answer="nps", equals=11))],
        [
            (
                "steps[1].when",
                "step 'why' can never be shown: 11 is not a possible answer to 'nps' "
                "(answers: 0 to 10)",
            )
        ],
    ),
    "a decimal for a whole number": (
        [s("n", "number", min=0, max=10), s("why", "text", **when(answer="n", equals=2.5))],
        [
            (
                "steps[1].when",
                "step 'why' can never be shown: 2.5 is not a possible answer to 'n' "
                "(answers: 0 to 10)",
            )
        ],
    ),
    "above a number's maximum": (
        [s("n", "number", max=10), s("why", "text", **when(answer="n", gt=10))],
        [
            (
                "steps[1].when",
                "step 'why' can never be shown: no answer to 'n' is more than 10 "
                "(answers: … to 10)",
            )
        ],
    ),
    "a quoted number matches a whole number": (
        [s("n", "number"), s("why", "text", **when(answer="n", equals="3"))],
        [],
    ),
    "between close decimal bounds": (
        [
            s("n", "number", integer=False),
            s("why", "text", **when(all=[{"answer": "n", "gt": 1}, {"answer": "n", "lt": 1.2}])),
        ],
        [],
    ),
    "numeric comparison on yes/no": (
        [GO_ON, s("why", "text", **when(answer="go_on", ge=1))],
        [
            (
                "steps[1].when",
                "step 'why' can never be shown: 'ge' compares numbers, but the answer to yes_no "
                "step 'go_on' is not a number",
            )
        ],
    ),
    "multi holding two options": (
        [
            s("needs", "multi", options=opts("tools", "training")),
            s(
                "why",
                "text",
                **when(all=[{"answer": "needs", "equals": e} for e in ("tools", "training")]),
            ),
        ],
        [],
    ),
    "a choice cannot be two options": (
        [
            ROLE,
            s(
                "why",
                "text",
                **when(all=[{"answer": "role", "equals": e} for e in ("teacher", "student")]),
            ),
        ],
        [
            (
                "steps[1].when",
                "step 'why' can never be shown: its parts contradict each other: "
                "no answer to 'role' meets them all",
            )
        ],
    ),
    "contradiction inside an any": (
        [
            s("n", "number"),
            s(
                "why",
                "text",
                **when(
                    any=[
                        {"all": [{"answer": "n", "gt": 5}, {"answer": "n", "lt": 3}]},
                        {"answered": "n"},
                    ]
                ),
            ),
        ],
        [],
    ),
    "a dead branch of an any": (
        [
            ROLE,
            SCALE,
            s(
                "why",
                "text",
                **when(any=[{"answer": "role", "gt": 1}, {"answer": "support", "le": 2}]),
            ),
        ],
        [
            (
                "steps[2].when.any[0]",
                "'gt' compares numbers, but the answer to choice step 'role' is not a number",
            )
        ],
    ),
    "not of a contradiction always holds": (
        [
            ROLE,
            s(
                "why",
                "text",
                **when(
                    **{
                        "not": {
                            "all": [
                                {"answer": "role", "equals": "teacher"},
                                {"answer": "role", "equals": "student"},
                            ]
                        }
                    }
                ),
            ),
        ],
        [],
    ),
    "unreachable in cascade": (
        [
            ROLE,
            s("a", "text", **when(answer="role", equals="nobody")),
            s("b", "text", **when(answered="a")),
            s("c", "text", **when(**{"not": {"answered": "a"}})),
        ],
        [
            (
                "steps[1].when",
                "step 'a' can never be shown: 'nobody' is not a possible answer to 'role' "
                "(options: teacher, student)",
            ),
            (
                "steps[2].when",
                "step 'b' can never be shown: it depends on step 'a', which can never be shown",
            ),
        ],
    ),
    "required gated on optional": (
        [
            s("go_on", "yes_no", required=False),
            s("why", "text", required=True, **when(answer="go_on", equals="yes")),
        ],
        [],
    ),
    "a date that is not one": (
        [
            s("day", "date"),
            s("a", "text", **when(answer="day", not_equals="tomorrow")),
            s("b", "text", **when(answer="day", equals="2026-06-30")),
        ],
        [
            (
                "steps[1].when",
                "'tomorrow' is not a possible answer to 'day' (dates are written YYYY-MM-DD)",
            )
        ],
    ),
    "text and collect compare with anything": (
        [
            s("word", "text"),
            s("ideas", "collect"),
            s(
                "a",
                "text",
                **when(all=[{"answer": "word", "equals": 5}, {"answer": "ideas", "equals": "x"}]),
            ),
        ],
        [],
    ),
    "bounds that no answer fits": (
        [
            s("m", "multi", min=3, options=opts("x", "y")),
            s("m2", "multi", min=2, max=1, options=opts("x", "y", "z")),
            s("sc", "scale", min=3, max=3),
            s("n", "number", min=5, max=1),
            s("n2", "number", min=1.2, max=1.8),
            s("c", "collect", min_items=4, max_items=2),
            s("ok", "multi", min=0, options=opts("x", "y")),
        ],
        [
            ("steps[0].min", "step 'm' can never be answered: min 3 is more than its 2 options"),
            ("steps[1].min", "step 'm2' can never be answered: min 2 is more than max 1"),
            (
                "steps[2].min",
                "step 'sc' can never be answered: a scale needs min below max (min 3, max 3)",
            ),
            ("steps[3].min", "step 'n' can never be answered: min 5 is more than max 1"),
            (
                "steps[4].min",
                "step 'n2' can never be answered: no whole number lies between min 1.2 and max 1.8",
            ),
            (
                "steps[5].min_items",
                "step 'c' can never be answered: min_items 4 is more than max_items 2",
            ),
        ],
    ),
    "only notes": (
        [s("hello", "note"), s("bye", "note")],
        [("steps", "the flow has nothing to answer: every step is a note")],
    ),
    "the first question cannot depend on anything": (
        [s("hello", "note"), s("a", "text", **when(**{"not": {"answered": "hello"}}))],
        [("steps[1].when.not", "step 'hello' is a note: it has no answer to depend on")],
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_graph_checks(name: str) -> None:
    steps, expected = CASES[name]
    assert findings(*steps) == expected


def test_every_text_needs_every_declared_language() -> None:
    both = {"fr": "oui", "en": "yes"}
    got = findings(
        s(
            "a",
            "choice",
            text=both,
            help=t("aide"),
            options=[{"id": "x", "label": both}, {"id": "y", "label": t("y", en="")}],
        ),
        s("b", "scale", text=both, min_label=t("peu"), max_label=both),
        s("c", "number", text=both, unit=t("heures")),
        languages=["fr", "en"],
        description={"en": "only English"},
    )
    assert got == [
        ("title", "missing translation 'en'"),
        ("description", "missing translation 'fr'"),
        ("steps[0].help", "missing translation 'en'"),
        ("steps[0].options[1].label", "missing translation 'en'"),
        ("steps[1].min_label", "missing translation 'en'"),
        ("steps[2].unit", "missing translation 'en'"),
    ]


# ---- the representative answers are enough ---------------------------------------------------

DOMAINS: dict[str, list[Found]] = {
    "role": [Given(v) for v in ("a", "b", "c")],
    "support": [Given(v) for v in range(1, 5)],
    "go_on": [Given("yes"), Given("no")],
    "count": [Given(v) for v in range(6)],
    "needs": [Given(list(c)) for n in range(4) for c in itertools.combinations("abc", n)],
}
PREFIX = [
    s("role", "choice", options=opts("a", "b", "c")),
    s("support", "scale", min=1, max=4),
    s("go_on", "yes_no"),
    s("count", "number", min=0, max=5),
    s("needs", "multi", min=0, options=opts("a", "b", "c")),
]
# Numbers as text too: the engine compares a number with text as text, so "3" matches 3.
OPERANDS = st.sampled_from(["a", "b", "z", "yes", "no", "3", "2.5", -1, 0, 1, 2, 3, 4, 5, 6, 2.5])


def _leaf() -> st.SearchStrategy[dict[str, Any]]:
    target = st.sampled_from(list(DOMAINS))
    equality = st.builds(
        lambda step, op, value: {"answer": step, op: value},
        target,
        st.sampled_from(["equals", "not_equals"]),
        OPERANDS,
    )
    numeric = st.builds(
        lambda step, op, value: {"answer": step, op: value},
        target,
        st.sampled_from(["lt", "le", "gt", "ge"]),
        st.sampled_from([-1, 0, 1, 2, 2.5, 4, 5, 6]),
    )
    listed = st.builds(
        lambda step, op, values: {"answer": step, op: values},
        target,
        st.sampled_from(["in", "not_in"]),
        st.lists(OPERANDS, min_size=1, max_size=3),
    )
    answered = st.builds(lambda step: {"answered": step}, target)
    return st.one_of(equality, numeric, listed, answered)


CONDITIONS = st.recursive(
    _leaf(),
    lambda inner: st.one_of(
        st.builds(lambda parts: {"all": parts}, st.lists(inner, min_size=1, max_size=3)),
        st.builds(lambda parts: {"any": parts}, st.lists(inner, min_size=1, max_size=3)),
        st.builds(lambda part: {"not": part}, inner),
    ),
    max_leaves=4,
)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(CONDITIONS)
def test_never_shown_means_no_answers_make_the_condition_hold(condition: dict[str, Any]) -> None:
    tested = flow(*PREFIX, s("last", "text", when=condition))
    _, never = analyse(tested.steps)
    when = tested.steps[-1].when
    assert when is not None
    targets = list(dict.fromkeys(referenced_steps(when)))
    holds = any(
        evaluate(when, dict(zip(targets, combination, strict=True)).__getitem__)
        for combination in itertools.product(*([*DOMAINS[t], MISSING] for t in targets))
    )
    assert ("last" in never) == (not holds)


def test_a_condition_on_a_step_that_did_not_validate_is_not_judged() -> None:
    # Judged without that step, it would read as an unknown or a later step.
    broken = {"id": "role", "kind": "choice", "text": t("role")}  # no options
    draft = Draft.of_data(
        {"steps": [broken, s("why", "text", **when(answer="role", equals="teacher"))]}
    )
    assert draft.steps[0] is None
    assert draft.ids == ["role", "why"]
    assert check_draft(draft) == []
