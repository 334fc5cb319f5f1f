"""Small flows used by the engine tests: every step kind, branches, and the driver."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flows.effects import Effect
from flows.engine import step
from flows.events import Event
from flows.schema import Flow, Language
from flows.state import SessionState

AT = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def text(fr: str, en: str | None = None, nl: str | None = None) -> dict[str, str]:
    return {"fr": fr, "en": en or f"{fr} (en)", "nl": nl or f"{fr} (nl)"}


def option(option_id: str, label: str, *, other: bool = False) -> dict[str, Any]:
    return {"id": option_id, "label": text(label), **({"other": True} if other else {})}


def make_flow(*steps: dict[str, Any], review: bool = True, **extra: Any) -> Flow:
    return Flow.model_validate(
        {
            "id": "sample",
            "version": 1,
            "title": text("Exemple"),
            "languages": ["fr", "en", "nl"],
            "review": review,
            "steps": list(steps),
            **extra,
        }
    )


def q(step_id: str, kind: str, **fields: Any) -> dict[str, Any]:
    return {"id": step_id, "kind": kind, "text": text(f"Question {step_id}"), **fields}


EVERY_KIND = make_flow(
    q("intro", "note"),
    q(
        "pick",
        "choice",
        options=[option("a", "Alpha"), option("b", "Beta"), option("z", "Autre", other=True)],
    ),
    q(
        "many",
        "multi",
        options=[option("x", "Ex"), option("y", "Why"), option("o", "Other", other=True)],
        min=1,
        max=2,
    ),
    q(
        "likert",
        "scale",
        min=1,
        max=5,
        min_label=text("pas du tout"),
        max_label=text("tout à fait"),
    ),
    q("nps", "nps"),
    q("hours", "number", min=0, max=100, integer=True, unit=text("h")),
    q("budget", "number", min=0, integer=False),
    q("story", "text", max_length=20, required=False),
    q("when", "date", required=False),
    q("again", "yes_no"),
    q(
        "form",
        "choice",
        options=[option("group", "Groupe"), option("solo", "Seul")],
        when={"answer": "again", "equals": "yes"},
    ),
    q("why_not", "text", required=False, when={"answer": "again", "equals": "no"}),
    q("ideas", "collect", min_items=1, max_items=3, max_length=30),
)


@dataclass
class Driver:
    """Feeds events to the engine and keeps every effect, as the shell would."""

    flow: Flow
    state: SessionState
    log: list[Effect]

    @classmethod
    def start(cls, flow: Flow, language: Language = "fr") -> Driver:
        return cls(flow, SessionState.new(flow.id, flow.version, language), [])

    def send(self, event: Event) -> tuple[Effect, ...]:
        outcome = step(self.flow, self.state, event)
        self.state = outcome.state
        self.log.extend(outcome.effects)
        return outcome.effects

    def feed(self, events: Iterable[Event]) -> None:
        for event in events:
            self.send(event)

    @property
    def revision(self) -> int:
        return self.state.revision
