"""Golden transcripts: the shipped flows replayed event by event, every effect compared.

Each `tests/transcripts/<flow>.<case>.yaml` names a flow of the library, a language and a list of
turns. A turn is one event in (`text: "12"`, `pick: "yes"`, `done: {}`…) and the effects that
come out, as plain data with their texts resolved: the file shows what a participant would see,
in their language. Button events carry the revision on screen; `stale: true` sends the one
before it, as a tap on the previous question would.

Effects are written as `{<effect type>: {<field>: <value>}}`, leaving out the fields that hold
their declared default (as goflow's JSON omits empty fields), so an `ask` shows what sets this
question apart. Nothing else is left out: any other change in an effect fails the comparison.

The expected effects are produced by the engine and then read by a person, never typed:
    BILAN_UPDATE_TRANSCRIPTS=1 pytest tests/flows/test_transcripts.py
rewrites them in place, keeping the hand-written turns and their end-of-line comments.
"""

from __future__ import annotations

import copy
import dataclasses
import io
import os
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML
from ruamel.yaml.representer import RoundTripRepresenter
from ruamel.yaml.scalarbool import ScalarBoolean

from flows.effects import Effect
from flows.engine import step
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
from flows.loader import load_library
from flows.schema import Flow, StepId
from flows.state import SessionState

TRANSCRIPTS = Path(__file__).resolve().parents[1] / "transcripts"
UPDATE = os.environ.get("BILAN_UPDATE_TRANSCRIPTS") == "1"
AT = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # effects carry no time, so one instant will do

# The YAML value of a turn's event key and the revision to tap with → the event.
EVENTS: dict[str, Callable[[Any, int], Event]] = {
    "started": lambda value, _r: Started(AT, (value or {}).get("language")),
    "text": lambda value, _r: TextReceived(str(value), AT),
    "pick": lambda value, r: OptionPicked(str(value), r, AT),
    "toggle": lambda value, r: OptionToggled(str(value), r, AT),
    "confirm": lambda _v, r: OptionsConfirmed(r, AT),
    "skip": lambda _v, r: Skipped(r, AT),
    "keep": lambda _v, r: Kept(r, AT),
    "back": lambda _v, r: WentBack(r, AT),
    "done": lambda _v, r: CollectDone(r, AT),
    "edit": lambda value, r: EditRequested(StepId(str(value)), r, AT),
    "submit": lambda _v, r: Submitted(r, AT),
    "timeout": lambda _v, _r: TimedOut(AT),
    "cancel": lambda _v, _r: Cancelled(AT),
}
BUTTONS = frozenset(EVENTS) - {"started", "text", "timeout", "cancel"}
HINT = "if the change is intended, rewrite with BILAN_UPDATE_TRANSCRIPTS=1 and read the diff"


class TranscriptError(Exception):
    """A transcript file is malformed: a mistake in the test data, not in the engine."""


@cache
def library() -> Mapping[str, Flow]:
    return load_library()


def transcript_paths() -> list[Path]:
    return sorted(TRANSCRIPTS.glob("*.yaml"))


# ---- reading and writing --------------------------------------------------------------------


# Words that YAML 1.1 reads as booleans or null: quoted, so no reader takes "yes" for true.
_AMBIGUOUS = frozenset({"yes", "no", "y", "n", "on", "off", "true", "false", "null", "~"})


class _Representer(RoundTripRepresenter):
    """Plain data written for people: `null` spelt out, ambiguous words quoted."""

    def represent_none(self, data: Any) -> Any:
        # A bare `progress:` reads as if the value were cut off.
        return self.represent_scalar("tag:yaml.org,2002:null", "null")

    def represent_text(self, data: str) -> Any:
        if data.casefold() in _AMBIGUOUS:
            return self.represent_scalar("tag:yaml.org,2002:str", data, style='"')
        return self.represent_str(data)


_Representer.add_representer(type(None), _Representer.represent_none)
_Representer.add_representer(str, _Representer.represent_text)


def _yaml() -> YAML:
    # Round trip, so an update keeps the turns as written: quotes, order, comments.
    yaml = YAML(typ="rt")
    yaml.Representer = _Representer
    yaml.preserve_quotes = True
    yaml.allow_unicode = True
    yaml.default_flow_style = False
    yaml.width = 84  # ruamel counts from where a scalar starts: lines end near 100
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


@cache  # one parse per file per run: the round-trip loader is slow
def read(path: Path) -> Any:
    document = _yaml().load(path.read_text(encoding="utf-8"))
    _check_shape(document, path)
    return document


def dump(document: Any) -> str:
    out = io.StringIO()
    _yaml().dump(document, out)
    text = out.getvalue()
    # ruamel leaves a space at the end of some lines where it wraps a long plain scalar. YAML
    # folding drops it anyway, but a block scalar would keep it: strip only if nothing changes.
    stripped = "\n".join(line.rstrip() for line in text.split("\n"))
    loaded = [_plain(_yaml().load(version)) for version in (text, stripped)]
    return stripped if loaded[0] == loaded[1] else text


def _check_shape(document: Any, path: Path) -> None:
    if not isinstance(document, Mapping) or set(document) != {"flow", "language", "turns"}:
        raise TranscriptError(f"{path.name}: expected the keys flow, language and turns")
    if path.name.split(".")[0] != document["flow"]:
        raise TranscriptError(f"{path.name}: the file name must start with the flow id")
    flow = library().get(document["flow"])
    if flow is None or document["language"] not in flow.languages:
        raise TranscriptError(f"{path.name}: no flow {document['flow']!r} in that language")


# ---- replaying ------------------------------------------------------------------------------


def event_of(turn: Mapping[str, Any], revision: int) -> Event:
    """The event a turn sends, given the revision of the question on screen."""
    names = [key for key in turn if key in EVENTS]
    unknown = set(turn) - set(EVENTS) - {"stale", "effects"}
    if len(names) != 1 or unknown:
        raise TranscriptError(f"a turn needs exactly one event of {', '.join(EVENTS)}: {turn}")
    name = names[0]
    stale = bool(turn.get("stale", False))
    if stale and name not in BUTTONS:
        raise TranscriptError(f"only a button event can be stale, not {name!r}")
    return EVENTS[name](turn[name], revision - 1 if stale else revision)


def replay(document: Mapping[str, Any]) -> list[list[dict[str, Any]]]:
    """The effects of each turn, as plain data."""
    flow = library()[document["flow"]]
    state = SessionState.new(flow.id, flow.version, document["language"])
    effects: list[list[dict[str, Any]]] = []
    for turn in document["turns"]:
        outcome = step(flow, state, event_of(turn, state.revision))
        state = outcome.state
        effects.append([as_data(effect) for effect in outcome.effects])
    return effects


def as_data(effect: Effect) -> dict[str, Any]:
    """`{"record_answer": {"step": "nps", "value": 9}}`: the type, then the non-default fields."""
    name = re.sub(r"(?<!^)(?=[A-Z])", "_", type(effect).__name__).lower()
    return {name: _fields(effect)}


def _fields(instance: Any) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for field in dataclasses.fields(instance):
        value = getattr(instance, field.name)
        if not _is_default(field, value):
            data[field.name] = _plain(value)
    return data


def _is_default(field: dataclasses.Field[Any], value: Any) -> bool:
    if field.default is not dataclasses.MISSING:
        default = field.default
    elif field.default_factory is not dataclasses.MISSING:
        default = field.default_factory()
    else:
        return False
    return type(value) is type(default) and value == default


def _plain(value: Any) -> Any:
    """Dataclasses, mappings and tuples of an effect, or the scalars YAML read: plain data."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _fields(value)
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, tuple | list):
        return [_plain(item) for item in value]
    # ruamel's round-trip scalars subclass the builtins; its booleans subclass int.
    if isinstance(value, bool | ScalarBoolean):
        return bool(value)
    for builtin in (str, int, float):
        if isinstance(value, builtin):
            return builtin(value)
    return value


# ---- comparing ------------------------------------------------------------------------------


def differences(expected: Any, actual: Any, where: str = "") -> list[str]:
    """Every place where `actual` is not `expected`; types count (true is not 1, 1 not 1.0)."""
    if isinstance(expected, Mapping) and isinstance(actual, Mapping):
        found: list[str] = []
        for key in [*expected, *(key for key in actual if key not in expected)]:
            at = f"{where}.{key}" if where else str(key)
            if key not in actual:
                found.append(f"{at}: expected {expected[key]!r}, missing")
            elif key not in expected:
                found.append(f"{at}: unexpected {actual[key]!r}")
            else:
                found.extend(differences(expected[key], actual[key], at))
        return found
    if isinstance(expected, list) and isinstance(actual, list):
        found = []
        for index, (want, got) in enumerate(zip(expected, actual, strict=False)):
            found.extend(differences(want, got, f"{where}[{index}]"))
        for index in range(len(actual), len(expected)):
            found.append(f"{where}[{index}]: expected {expected[index]!r}, missing")
        for index in range(len(expected), len(actual)):
            found.append(f"{where}[{index}]: unexpected {actual[index]!r}")
        return found
    if type(expected) is not type(actual) or expected != actual:
        return [f"{where or '(value)'}: expected {expected!r}, got {actual!r}"]
    return []


def compare(document: Mapping[str, Any], actual: Sequence[Any]) -> list[str]:
    """Differences between the effects a transcript expects and `actual`, turn by turn."""
    found: list[str] = []
    for number, (turn, got) in enumerate(zip(document["turns"], actual, strict=True), 1):
        event = next(f"{key}: {turn[key]!r}" for key in turn if key in EVENTS)
        where = f"turn {number} ({event})"
        if "effects" not in turn:
            found.append(f"{where}: no expected effects yet")
            continue
        found.extend(differences(_plain(turn["effects"]), got, f"{where} effects"))
    return found


# ---- tests ----------------------------------------------------------------------------------


@pytest.mark.parametrize("path", transcript_paths(), ids=lambda path: path.stem)
def test_transcript(path: Path) -> None:
    document = read(path)
    actual = replay(document)
    if UPDATE:
        for turn, effects in zip(document["turns"], actual, strict=True):
            turn["effects"] = effects
        path.write_text(dump(document), encoding="utf-8")
        return
    found = compare(document, actual)
    if found:
        pytest.fail(f"{path.name}:\n  " + "\n  ".join(found) + f"\n({HINT})", pytrace=False)


def test_every_shipped_flow_has_transcripts_in_two_languages() -> None:
    languages: dict[str, set[str]] = {flow_id: set() for flow_id in library()}
    for path in transcript_paths():
        document = read(path)
        languages[document["flow"]].add(document["language"])
    assert {flow_id: len(seen) >= 2 for flow_id, seen in languages.items()} == dict.fromkeys(
        languages, True
    ), languages


def test_a_changed_expectation_fails() -> None:
    """The comparison is not vacuous: one altered field of a real transcript is reported."""
    document = read(TRANSCRIPTS / "swot.en.yaml")
    actual = replay(document)
    altered = copy.deepcopy(document)
    altered["turns"][0]["effects"][1]["ask"]["progress"]["total"] = 5
    assert compare(altered, actual) == [
        "turn 1 (started: {}) effects[1].ask.progress.total: expected 5, got 4"
    ]


DIFFERENCE_CASES = [
    ({"a": 1}, {"a": 1}, []),
    ({"a": 1}, {"a": 2}, ["a: expected 1, got 2"]),
    ({"a": True}, {"a": 1}, ["a: expected True, got 1"]),
    ({"a": 1}, {"a": 1.0}, ["a: expected 1, got 1.0"]),
    ({"a": 1}, {}, ["a: expected 1, missing"]),
    ({}, {"b": None}, ["b: unexpected None"]),
    ([1], [1, 2], ["[1]: unexpected 2"]),
    ([1, 2], [1], ["[1]: expected 2, missing"]),
    ({"a": [{"b": "x"}]}, {"a": [{"b": "y"}]}, ["a[0].b: expected 'x', got 'y'"]),
]


@pytest.mark.parametrize(("expected", "actual", "found"), DIFFERENCE_CASES)
def test_differences(expected: Any, actual: Any, found: list[str]) -> None:
    assert differences(expected, actual) == found


def test_a_stale_tap_uses_the_previous_revision() -> None:
    assert event_of({"pick": "yes", "stale": True}, 7) == OptionPicked("yes", 6, AT)
    assert event_of({"pick": 9}, 7) == OptionPicked("9", 7, AT)
    with pytest.raises(TranscriptError):
        event_of({"text": "x", "stale": True}, 7)
    with pytest.raises(TranscriptError):
        event_of({"pick": "yes", "back": {}}, 7)
