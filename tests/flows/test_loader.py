"""The loader: YAML 1.2 values, positions of nested errors, every error reported, in file order."""

from __future__ import annotations

import copy
import hashlib
import io
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from flows.errors import FlowDefinitionError, FlowError, Problem
from flows.loader import load_flow_file, load_flow_text, load_library, source_hash
from flows.schema import Compare, Flow, TextStep

HEAD = """\
id: demo
version: 1
title: {fr: Démo}
steps:
"""


def problems_of(text: str) -> list[tuple[int, int, str, str]]:
    with pytest.raises(FlowDefinitionError) as caught:
        load_flow_text(textwrap.dedent(text), "demo.yaml")
    return [(p.line, p.col, p.where, p.message) for p in caught.value.problems]


def where_of(text: str) -> list[tuple[int, int, str]]:
    return [problem[:3] for problem in problems_of(text)]


# ---- YAML 1.2 -------------------------------------------------------------------------------


@pytest.mark.parametrize("word", ["no", "yes", "on", "off", "No", "YES", "y", "n"])
def test_yaml_1_1_booleans_stay_text(word: str) -> None:
    flow = load_flow_text(
        HEAD
        + f"""\
  - id: q
    kind: text
    text: {{fr: {word}}}
  - id: r
    kind: text
    text: {{fr: r}}
    when: {{answer: q, equals: {word}}}
""",
        "demo.yaml",
    )
    assert flow.steps[0].text.fr == word
    when = flow.steps[1].when
    assert isinstance(when, Compare)
    assert when.equals == word


def test_true_and_false_are_booleans_and_octal_looking_numbers_are_decimal() -> None:
    flow = load_flow_text(
        HEAD
        + """\
  - id: n
    kind: number
    integer: false
    min: 010
    text: {fr: n}
""",
        "demo.yaml",
    )
    assert flow.steps[0].min == 10


def test_a_yaml_1_1_directive_is_refused() -> None:
    assert where_of("%YAML 1.1\n---\n" + HEAD) == [(1, 1, "(yaml)")]


def test_a_quoted_number_is_not_a_number() -> None:
    assert problems_of(
        HEAD.replace("version: 1", 'version: "1"') + "  - {id: a, kind: date, text: {fr: a}}\n"
    ) == [(2, 10, "version", "expected a whole number, got '1'")]


def test_a_date_operand_is_compared_as_iso_text() -> None:
    flow = load_flow_text(
        HEAD
        + """\
  - {id: day, kind: date, text: {fr: Quand ?}}
  - {id: why, kind: text, text: {fr: Pourquoi ?}, when: {answer: day, equals: 2026-06-30}}
""",
        "demo.yaml",
    )
    when = flow.steps[1].when
    assert isinstance(when, Compare)
    assert when.equals == "2026-06-30"


def test_merge_keys_are_read_and_their_errors_placed_at_the_mapping() -> None:
    text = """\
    id: demo
    version: 1
    title: {fr: Démo}
    base: &base {kind: text, text: {fr: t}, colour: red}
    steps:
      - <<: *base
        id: a
    """
    assert [p[:3] for p in problems_of(text)][-1] == (6, 5, "steps[0].colour")


# ---- positions ------------------------------------------------------------------------------


def test_nested_errors_point_at_the_value_written() -> None:
    text = """\
    id: demo
    version: 1
    title: {fr: Démo}
    steps:
      - id: role
        kind: choice
        text: {fr: Rôle}
        options:
          - {id: a, label: {fr: A}}
          - id: b
            label:
              fr: 5
      - id: why
        kind: text
        text: {fr: Pourquoi}
        when:
          any:
            - {answer: role, equals: a}
            - not: {answered: [role]}
    """
    assert problems_of(text) == [
        (12, 15, "steps[0].options[1].label.fr", "expected text, got 5"),
        (19, 17, "steps[1].when.any[1].not.answered", "expected text, got a list"),
    ]


def test_an_unknown_key_points_at_the_key_and_a_missing_one_at_its_mapping() -> None:
    text = """\
    id: demo
    version: 1
    title: {fr: Démo}
    steps:
      - id: a
        kind: choice
        text: {fr: a}
        options:
          - label: {fr: A}
            colour: red
          - {id: b, label: {fr: B}}
    """
    assert where_of(text) == [
        (9, 9, "steps[0].options[0].id"),
        (10, 9, "steps[0].options[0].colour"),
    ]


def test_an_empty_value_points_at_its_key() -> None:
    assert where_of(HEAD + "  - id: a\n    kind: text\n    text:\n") == [(7, 5, "steps[0].text")]


def test_a_graph_error_in_a_nested_condition_points_at_that_part() -> None:
    text = """\
    id: demo
    version: 1
    title: {fr: Démo}
    steps:
      - id: role
        kind: choice
        text: {fr: r}
        options: [{id: a, label: {fr: a}}, {id: b, label: {fr: b}}]
      - id: why
        kind: text
        text: {fr: w}
        when:
          all:
            - {answered: role}
            - {answer: role, not_equals: c}
    """
    assert problems_of(text) == [
        (15, 11, "steps[1].when.all[1]", "'c' is not a possible answer to 'role' (options: a, b)")
    ]


def test_a_non_utf8_file_is_placed_at_the_bad_byte(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes(b"id: demo\ntitle: {fr: caf\xe9}\n")
    with pytest.raises(FlowDefinitionError) as caught:
        load_flow_file(path)
    [problem] = caught.value.problems
    assert (problem.line, problem.col, problem.where) == (2, 16, "(file)")
    assert "not UTF-8" in problem.message


def test_a_missing_file_is_a_problem_not_an_os_error(tmp_path: Path) -> None:
    with pytest.raises(FlowDefinitionError) as caught:
        load_flow_file(tmp_path / "nope.yaml")
    assert "cannot read" in caught.value.problems[0].message


# ---- every error, in order ------------------------------------------------------------------


def test_five_defects_give_five_lines_sorted_by_position() -> None:
    # The models report `version` before `steps` whatever the file order, and the graph checks
    # are never reached: the order seen is the file's.
    text = """\
    id: demo
    steps:
      - id: a
        kind: txt
        text: {fr: a}
      - id: b
        kind: scale
        max: 11
        colour: red
        text: {fr: b}
    title: Démo
    version: 0
    """
    assert problems_of(text) == [
        (
            4,
            11,
            "steps[0].kind",
            "unknown kind 'txt' (did you mean 'text'? known: choice,"
            " multi, scale, nps, number, text, date, yes_no, note, collect)",
        ),
        (8, 10, "steps[1].max", "must be at most 10, got 11"),
        (
            9,
            5,
            "steps[1].colour",
            "unknown key 'colour' (known: id, text, help, required, when,"
            " kind, min, max, min_label, max_label)",
        ),
        (11, 8, "title", "expected a text in each language ({fr: …, en: …, nl: …}), got 'Démo'"),
        (12, 10, "version", "must be at least 1, got 0"),
    ]


def test_graph_problems_are_sorted_and_ties_keep_their_order() -> None:
    # Found as: duplicate id (line 9), then translations (lines 3 and 11).
    text = """\
    id: demo
    version: 1
    title: {fr: Démo}
    languages: [fr, en, nl]
    steps:
      - id: a
        kind: text
        text: {fr: a, en: a, nl: a}
      - id: a
        kind: text
        text: {fr: b}
    """
    assert problems_of(text) == [
        (3, 1, "title", "missing translation 'en'"),
        (3, 1, "title", "missing translation 'nl'"),
        (9, 9, "steps[1].id", "duplicate step id 'a' (already used by steps[0])"),
        (11, 5, "steps[1].text", "missing translation 'en'"),
        (11, 5, "steps[1].text", "missing translation 'nl'"),
    ]


def test_problems_render_as_path_line_col_where_what() -> None:
    problem = Problem("flows/swot.yaml", 14, 5, "steps[2].when", "unknown step 'thretas'")
    assert str(problem) == "flows/swot.yaml:14:5: steps[2].when: unknown step 'thretas'"
    error = FlowDefinitionError([problem, problem])
    assert isinstance(error, FlowError)
    assert str(error) == f"{problem}\n{problem}"


# ---- hostile documents ----------------------------------------------------------------------


def test_an_alias_bomb_is_refused_quickly() -> None:
    lines = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    for name, previous in zip("bcdefg", "abcdef", strict=True):
        lines.append(f"{name}: &{name} [{', '.join([f'*{previous}'] * 10)}]")
    started = time.perf_counter()
    [(_, _, _, message)] = problems_of("\n".join(lines) + "\n")
    assert "more than 50000 values" in message
    assert time.perf_counter() - started < 2


def test_a_control_character_is_placed() -> None:
    assert where_of("id: demo\ntitle: {fr: a\x07}\n") == [(2, 14, "(yaml)")]


def test_deep_nesting_is_refused() -> None:
    [(*_, message)] = problems_of("a: " + "[" * 60 + "]" * 60 + "\n")
    assert "nested more than 50 levels" in message


# ---- the rest of the API --------------------------------------------------------------------


def test_the_library_loads_every_shipped_flow() -> None:
    library = load_library()
    shipped = sorted(Path(__file__).resolve().parents[2].glob("flows/library/*.yaml"))
    assert len(library) == len(shipped)
    for flow_id, flow in library.items():
        assert isinstance(flow, Flow)
        assert flow.id == flow_id


def test_source_hash_is_the_sha256_of_the_utf8_text() -> None:
    assert source_hash("é") == hashlib.sha256("é".encode()).hexdigest()
    assert len(source_hash("")) == 64


def test_a_valid_flow_loads_as_models() -> None:
    flow = load_flow_text(HEAD + "  - {id: a, kind: text, text: {fr: a}}\n", "demo.yaml")
    assert isinstance(flow.steps[0], TextStep)


# ---- whatever is written, problems and never an exception ------------------------------------

BASE: dict[str, Any] = {
    "id": "demo",
    "version": 1,
    "title": {"fr": "Démo", "en": "Demo"},
    "languages": ["fr", "en"],
    "steps": [
        {
            "id": "role",
            "kind": "choice",
            "text": {"fr": "r", "en": "r"},
            "options": [
                {"id": "a", "label": {"fr": "a", "en": "a"}},
                {"id": "b", "label": {"fr": "b", "en": "b"}, "other": True},
            ],
        },
        {"id": "score", "kind": "scale", "min": 1, "max": 5, "text": {"fr": "s", "en": "s"}},
        {
            "id": "why",
            "kind": "text",
            "text": {"fr": "w", "en": "w"},
            "when": {
                "any": [{"answer": "role", "equals": "a"}, {"not": {"answer": "score", "lt": 3}}]
            },
        },
        {
            "id": "ideas",
            "kind": "collect",
            "text": {"fr": "i", "en": "i"},
            "when": {"answered": "why"},
        },
    ],
}
ODD_VALUES = st.sampled_from(
    [
        "no",
        "yes",
        "",
        "Bad Id",
        "choice",
        "note",
        "role",
        "zz",
        0,
        -1,
        2.5,
        11,
        None,
        True,
        [],
        {},
        ["fr", "xx"],
        {"fr": "a"},
        {"answer": "role", "equals": "zz"},
        {"all": []},
        {"not": 5},
        {"answer": "ideas", "gt": 1},
        {"answered": "why"},
    ]
)


def _paths(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    children = (
        node.items()
        if isinstance(node, dict)
        else enumerate(node)
        if isinstance(node, list)
        else []
    )
    found = [path]
    for key, child in children:
        found += _paths(child, (*path, key))
    return found


def _mutate(data: Any, path: tuple[Any, ...], how: str, value: Any) -> None:
    *parents, last = path
    node = data
    for key in parents:
        node = node[key]
    if how == "delete":
        del node[last]
    elif how == "add" and isinstance(node[last], dict):
        node[last]["extra" if value is None else str(value)[:8] or "k"] = value
    else:
        node[last] = value


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_any_mutation_gives_a_flow_or_placed_problems(data: st.DataObject) -> None:
    flow = copy.deepcopy(BASE)
    for _ in range(data.draw(st.integers(1, 3))):
        path = data.draw(st.sampled_from(_paths(flow)[1:]))
        how = data.draw(st.sampled_from(["set", "delete", "add"]))
        _mutate(flow, path, how, copy.deepcopy(data.draw(ODD_VALUES)))
    stream = io.StringIO()
    YAML(typ="safe").dump(flow, stream)
    text = stream.getvalue()
    try:
        load_flow_text(text, "fuzz.yaml")
    except FlowDefinitionError as error:
        lines = text.count("\n") + 1
        positions = [(p.line, p.col) for p in error.problems]
        assert positions == sorted(positions)
        for problem in error.problems:
            assert 1 <= problem.line <= lines
            assert problem.col >= 1
            assert problem.where
            assert problem.message


def test_infinity_is_not_a_bound() -> None:
    text = """id: f
version: 1
title: {fr: T}
steps:
  - id: n
    kind: number
    text: {fr: Combien ?}
    max: .inf
"""
    with pytest.raises(FlowDefinitionError) as raised:
        load_flow_text(text, "f.yaml")
    assert [(p.line, p.where) for p in raised.value.problems] == [(8, "steps[0].max")]
