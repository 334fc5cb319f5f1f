"""The malformed corpus and `bilan-bot validate`: exact positions, every problem, no traceback."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest

from flows.errors import FlowDefinitionError
from flows.loader import load_flow_file, validate_paths

ROOT = Path(__file__).resolve().parents[2]
CORPUS_DIR = Path(__file__).resolve().parent / "malformed"
LIBRARY = sorted((ROOT / "flows" / "library").glob("*.yaml"))

# file → every problem it must report, in order: (line, col, where, part of the message)
Expected = tuple[int, int, str, str]
CORPUS: dict[str, list[Expected]] = {
    "syntax_error.yaml": [(5, 6, "(yaml)", "expected ',' or '}', but got ':'")],
    "tab_indent.yaml": [(7, 1, "(yaml)", "tab character")],
    "duplicate_key.yaml": [(10, 5, "(yaml)", "duplicate key 'text'")],
    "yaml_1_1_directive.yaml": [(1, 1, "(yaml)", "flow files are YAML 1.2")],
    "empty_file.yaml": [(1, 1, "(top level)", "the file is empty")],
    "top_level_list.yaml": [(1, 1, "(top level)", "must be a mapping (id, version, title")],
    "wrong_types.yaml": [
        (3, 10, "version", "expected a whole number, got 'one'"),
        (8, 15, "steps[0].required", "expected true or false, got 'maybe'"),
    ],
    "unknown_key_top.yaml": [
        (4, 1, "langauges", "unknown key 'langauges' (did you mean 'languages'?"),
    ],
    "unknown_key_step.yaml": [
        (8, 5, "steps[0].requird", "unknown key 'requird' (did you mean 'required'?"),
    ],
    "unknown_key_option.yaml": [
        (13, 9, "steps[0].options[1].colour", "unknown key 'colour' (known: id, label, other)"),
    ],
    "unknown_kind.yaml": [
        (6, 11, "steps[0].kind", "unknown kind 'choise' (did you mean 'choice'? known: choice,"),
    ],
    "missing_text.yaml": [(8, 5, "steps[1].text", "missing required key 'text'")],
    "missing_options.yaml": [(5, 5, "steps[0].options", "missing required key 'options'")],
    "empty_steps.yaml": [(4, 1, "steps", "needs at least 1 step, got 0")],
    "bad_id.yaml": [(5, 9, "steps[0].id", "'Ressenti général' is not a valid id")],
    "unknown_language.yaml": [
        (3, 20, "title.de", "unknown key 'de' (known: fr, en, nl)"),
        (4, 17, "languages[1]", "unknown language 'de' (known: fr, en, nl)"),
    ],
    "condition_not_a_mapping.yaml": [(11, 11, "steps[1].when", "a condition is a mapping")],
    "condition_two_operators.yaml": [
        (11, 5, "steps[1].when", "a comparison needs exactly one of equals, not_equals"),
    ],
    "yes_no_coercion.yaml": [
        (11, 15, "steps[1].required", "expected true or false, got 'no' (in YAML 1.2"),
    ],
    "duplicate_step_id.yaml": [
        (11, 9, "steps[2].id", "duplicate step id 'keep' (already used by steps[0])"),
    ],
    "duplicate_option_id.yaml": [
        (11, 14, "steps[0].options[2].id", "duplicate option id 'equipment' in step 'needs'"),
    ],
    "condition_unknown_step.yaml": [
        (14, 5, "steps[2].when", "unknown step 'thretas' (did you mean 'threats'? known: "),
    ],
    "condition_later_step.yaml": [
        (8, 5, "steps[0].when", "step 'continue' comes later (steps[1])"),
    ],
    "condition_self.yaml": [(8, 5, "steps[0].when", "cannot depend on its own answer")],
    "condition_on_note.yaml": [(11, 5, "steps[1].when", "step 'intro' is a note")],
    "equals_not_an_option.yaml": [
        (
            14,
            5,
            "steps[1].when",
            "step 'class_size' can never be shown: 'teacher_' is not a possible answer to 'role' "
            "(options: teacher, student)",
        ),
    ],
    "scale_out_of_range.yaml": [
        (
            13,
            5,
            "steps[1].when",
            "0 and -1 are not possible answers to 'support' (answers: 1 to 5)",
        ),
    ],
    "numeric_on_choice.yaml": [
        (14, 5, "steps[1].when", "'gt' compares numbers, but the answer to choice step 'role'"),
    ],
    "unreachable.yaml": [
        (15, 5, "steps[1].when", "step 'follow_up' can never be shown: its parts contradict"),
        (22, 5, "steps[2].when", "depends on step 'follow_up', which can never be shown"),
    ],
    "multi_min_over_options.yaml": [
        (7, 10, "steps[0].min", "step 'needs' can never be answered: min 3 is more than its 2"),
    ],
    "bounds.yaml": [
        (7, 10, "steps[0].min", "min 10 is more than max 2"),
        (12, 16, "steps[1].min_items", "min_items 5 is more than max_items 3"),
        (17, 10, "steps[2].min", "a scale needs min below max (min 4, max 2)"),
    ],
    "missing_translation.yaml": [
        (13, 9, "steps[0].options[1].label", "missing translation 'nl'"),
        (16, 5, "steps[1].text", "missing translation 'en'"),
        (16, 5, "steps[1].text", "missing translation 'nl'"),
    ],
    "only_notes.yaml": [(4, 1, "steps", "the flow has nothing to answer: every step is a note")],
    # Errors of the models do not hide the checks' findings on the steps that validated alone.
    "every_error.yaml": [
        (3, 10, "version", "expected a whole number, got 'one'"),
        (9, 10, "steps[0].min", "step 'needs' can never be answered: min 2 is more than max 1"),
        (15, 13, "steps[0].options[1].id", "duplicate option id 'equipment' in step 'needs'"),
        (19, 15, "steps[1].required", "expected true or false, got 'maybe'"),
        (21, 9, "steps[2].id", "duplicate step id 'needs' (already used by steps[0])"),
        (23, 5, "steps[2].text", "missing translation 'en'"),
        (23, 5, "steps[2].text", "missing translation 'nl'"),
        (26, 5, "steps[3].when", "unknown step 'thretas' (known: needs)"),
        (29, 11, "steps[4].kind", "unknown kind 'choise' (did you mean 'choice'?"),
    ],
}


def test_the_corpus_is_the_table() -> None:
    on_disk = {path.name for path in CORPUS_DIR.glob("*.yaml")}
    assert on_disk == set(CORPUS)
    assert len(CORPUS) >= 24


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_a_malformed_file_reports_exactly_its_problems(name: str) -> None:
    path = CORPUS_DIR / name
    with pytest.raises(FlowDefinitionError) as caught:
        load_flow_file(path)
    problems = caught.value.problems
    assert [(p.line, p.col, p.where) for p in problems] == [e[:3] for e in CORPUS[name]]
    for problem, (*_, fragment) in zip(problems, CORPUS[name], strict=True):
        assert fragment in problem.message
        assert problem.source == str(path)


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_validate_prints_one_line_per_problem_and_fails(name: str) -> None:
    out = io.StringIO()
    assert validate_paths([str(CORPUS_DIR / name)], out) == 1
    assert len(out.getvalue().splitlines()) == len(CORPUS[name])


def _validate(*files: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "console", "validate", *files],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_command_prints_every_problem_of_every_file_without_a_traceback() -> None:
    # One process for the whole corpus: a process per file would cost half a second each.
    files = [f"tests/flows/malformed/{name}" for name in sorted(CORPUS)]
    run = _validate(*files, "tests/flows/malformed/no_such_file.yaml", "tests/flows")
    assert run.returncode == 1
    assert "Traceback" not in run.stdout + run.stderr
    assert run.stderr == ""
    expected = [
        f"{file}:{line}:{col}: {where}: "
        for file, name in zip(files, sorted(CORPUS), strict=True)
        for line, col, where, _ in CORPUS[name]
    ]
    expected += [
        "tests/flows/malformed/no_such_file.yaml:1:1: (file): cannot read: No such file",
        "tests/flows:1:1: (file): cannot read: Is a directory",
    ]
    lines = run.stdout.splitlines()
    assert len(lines) == len(expected)
    for line, start in zip(lines, expected, strict=True):
        assert line.startswith(start), (line, start)


VALID_FLOWS = {
    "feedback.yaml": """\
id: feedback
version: 2
title: {fr: Retour, en: Feedback}
languages: [fr, en]
steps:
  - id: continue
    kind: yes_no
    text: {fr: Continuer ?, en: Continue?}
  - id: why_not
    kind: text
    required: false
    text: {fr: Pourquoi pas ?, en: Why not?}
    when: {answer: continue, equals: no}
  - id: role
    kind: choice
    text: {fr: Rôle, en: Role}
    options:
      - {id: "yes", label: {fr: Oui, en: Yes}}
      - {id: "no", label: {fr: Non, en: No}}
""",
    "ideas.yaml": """\
id: ideas
version: 1
title: {fr: Idées}
steps:
  - id: ideas
    kind: collect
    text: {fr: Vos idées}
""",
}


def test_valid_flows_and_the_library_pass(tmp_path: Path) -> None:
    files = []
    for name, text in VALID_FLOWS.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
        files.append(str(tmp_path / name))
    library = [str(path.relative_to(ROOT)) for path in LIBRARY]
    run = _validate(*files, *library)
    assert (run.returncode, run.stderr) == (0, "")
    lines = run.stdout.splitlines()
    assert lines[:2] == [
        f"{files[0]}: ok, feedback v2, 3 steps (1 yes_no, 1 text, 1 choice), languages fr, en",
        f"{files[1]}: ok, ideas v1, 1 step (1 collect), languages fr",
    ]
    assert [line.split(": ok, ")[0] for line in lines[2:]] == library
