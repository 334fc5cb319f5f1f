"""`bilan-bot try`: keys that never collide with typed answers, and an end that stores nothing."""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from pathlib import Path

import pytest

from bot.i18n import translator
from console.rehearsal import rehearse
from flows.schema import LANGUAGES, Language

SATISFACTION = Path(__file__).resolve().parents[2] / "flows" / "library" / "satisfaction.yaml"

# The satisfaction flow from start to submit: NPS 9, one skip and one back, typed "1" and "2".
THROUGH_SATISFACTION = (
    "9",  # nps
    "4",  # support_sessions
    "/skip",  # support_coaching
    "/back",  # from support_tools, back to support_coaching
    "2",  # support_coaching after all
    "3",  # support_tools
    "5",  # group_dynamics
    "1",  # objectives
    "1",  # keep: a text, not a button
    "2",  # improve: a text, not a button
    "b",  # needs: toggle Training
    "d",  # needs: toggle Funding
    "/confirm",
    "1",  # hours: a number, not a button
    "a",  # continue: Yes
    "c",  # continue_form: Peer group
    "/submit",
)

SMALL_FLOW = """\
id: small
version: 1
title: {fr: Petit, en: Small, nl: Klein}
languages: [fr, en, nl]
review: false
steps:
  - id: count
    kind: number
    text: {fr: Combien ?, en: How many?, nl: Hoeveel?}
  - id: why
    kind: text
    required: false
    text: {fr: Pourquoi ?, en: Why?, nl: Waarom?}
  - id: pick
    kind: choice
    text: {fr: Lequel ?, en: Which one?, nl: Welke?}
    options:
      - {id: one, label: {fr: Un, en: One, nl: Een}}
      - {id: two, label: {fr: Deux, en: Two, nl: Twee}}
"""


def run(path: Path, lines: Sequence[str], language: Language | None = "en") -> tuple[int, str]:
    out = io.StringIO()
    code = rehearse(str(path), language, io.StringIO("".join(f"{x}\n" for x in lines)), out)
    return code, out.getvalue()


def answer_of(output: str, question: str) -> str:
    """What the last summary printed says was answered to `question`."""
    found = re.findall(re.escape(question) + r"\n\s*→ (.*)", output)
    assert found, f"no answer to {question!r} in:\n{output}"
    return found[-1]


@pytest.fixture
def small(tmp_path: Path) -> Path:
    path = tmp_path / "small.yaml"
    path.write_text(SMALL_FLOW, encoding="utf-8")
    return path


def test_the_nps_shows_its_own_values_and_typing_9_stores_9() -> None:
    code, output = run(SATISFACTION, THROUGH_SATISFACTION)
    assert code == 0
    assert "[0] [1] [2] [3] [4] [5]" in output
    assert "[9] [10]" in output
    assert answer_of(output, "another organisation?") == "9/10"


def test_typing_0_on_the_nps_stores_0() -> None:
    _, output = run(SATISFACTION, ("0", *THROUGH_SATISFACTION[1:]))
    assert answer_of(output, "another organisation?") == "0/10"


def test_1_and_2_are_answers_on_text_and_number_questions() -> None:
    _, output = run(SATISFACTION, THROUGH_SATISFACTION)
    assert answer_of(output, "(method, sessions, tools, organisation…)?") == "1"
    assert answer_of(output, "What could be improved, and how?") == "2"
    assert answer_of(output, "next year?") == "1 h"


def test_back_and_skip_are_commands_shown_as_keys() -> None:
    _, output = run(SATISFACTION, THROUGH_SATISFACTION)
    assert "[/back] « Back" in output
    assert "[/skip] Skip »" in output
    # Skipped, then back and answered: the skip did not stick.
    assert answer_of(output, "(coaching, follow-up meetings)?") == "2/5"


def test_choices_and_toggles_are_letters() -> None:
    _, output = run(SATISFACTION, THROUGH_SATISFACTION)
    assert "[a] ☐ Equipment" in output
    assert "[f] ☐ Other" in output
    assert "[b] ☑ Training" in output
    assert answer_of(output, "what would you need in the future?") == "Training, Funding"
    assert answer_of(output, "In what form would you like to carry on?") == "Peer group"


def test_a_small_flow_takes_1_and_2_and_keeps_answers_on_the_way_back(small: Path) -> None:
    code, output = run(small, ("1", "2", "/back", "/keep", "b"))
    assert code == 0
    assert "Your answer so far: 2" in output
    assert answer_of(output, "How many?") == "1"
    assert answer_of(output, "Why?") == "2"
    assert answer_of(output, "Which one?") == "Two"


def test_skip_on_a_text_question_skips_it(small: Path) -> None:
    _, output = run(small, ("12", "/skip", "a"))
    assert answer_of(output, "Why?") == translator("en")("(skipped)")
    assert answer_of(output, "Which one?") == "One"


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_end_says_it_was_a_rehearsal_and_never_that_answers_are_saved(
    language: Language,
) -> None:
    code, output = run(SATISFACTION, THROUGH_SATISFACTION, language)
    t = translator(language)
    assert code == 0
    assert t("Thank you! Your answers are saved. 🙏") not in output
    ends = {
        "fr": "ce n'était qu'une répétition, rien n'a été enregistré",
        "en": "this was only a rehearsal, nothing was stored",
        "nl": "dit was maar een repetitie, er is niets opgeslagen",
    }
    assert ends[language] in output.rsplit("> ", 1)[-1]


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_keys_are_explained_in_the_rehearsal_language(language: Language) -> None:
    _, output = run(SATISFACTION, (), language)
    first = output.split("\n\n")[0]
    assert "/back" in first
    assert "/skip" in first
    assert "/quit" in first
    assert {"fr": "Répétition", "en": "Rehearsal", "nl": "Repetitie"}[language] in first


def test_an_unknown_letter_or_command_is_answered_and_nothing_crashes() -> None:
    lines = (*THROUGH_SATISFACTION[:10], "z", "/frobnicate", "", "Equipment")
    code, output = run(SATISFACTION, lines)
    assert code == 0
    assert "Traceback" not in output
    assert "Please answer with one of the keys in brackets: a, b, c, d, e, f, /confirm" in output
    assert "/frobnicate is not a key here. Keys: a, b, c, d, e, f, /confirm, /back" in output


def test_an_unknown_command_on_a_text_question_is_not_taken_as_the_answer(small: Path) -> None:
    _, output = run(small, ("/nope", "3", "/skip", "a"))
    assert "/nope is not a key here: type your answer." in output
    assert answer_of(output, "How many?") == "3"


def test_out_of_range_on_the_nps_is_said_and_asked_again() -> None:
    _, output = run(SATISFACTION, ("11", "-1", *THROUGH_SATISFACTION))
    assert "This number is out of range. Between 0 and 10." in output
    assert answer_of(output, "another organisation?") == "9/10"


def test_edit_from_the_review_by_number() -> None:
    lines = (*THROUGH_SATISFACTION[:-1], "/edit", "/back", "/edit", "1", "7", "/submit")
    _, output = run(SATISFACTION, lines)
    assert "[1] 1. How likely" in output
    assert answer_of(output, "another organisation?") == "7/10"


def test_quitting_midway_says_nothing_was_stored() -> None:
    code, output = run(SATISFACTION, ("9", "/quit"))
    assert code == 0
    assert "Rehearsal stopped: nothing was stored." in output
    code, output = run(SATISFACTION, ("9",))  # end of input
    assert code == 0
    assert "Rehearsal stopped: nothing was stored." in output
