"""Fixtures for storage tests: a real SQLite file in `tmp_path`, never a mock."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from flows.effects import AnswerValue
from flows.state import Answer, SessionState
from storage import (
    Cohort,
    Round,
    SqliteRepository,
    UserId,
    open_repository,
)

T0 = datetime(2025, 3, 3, 9, 30, 15, 250_000, tzinfo=UTC)
HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
CHILD = HERE / "child.py"


def at(minutes: float) -> datetime:
    """A time `minutes` after the start of the test's story."""
    return T0 + timedelta(minutes=minutes)


def state(revision: int = 0, **answers: AnswerValue) -> SessionState:
    """A participant's state in the tests' flow; `revision` tells one state from another."""
    return SessionState(
        flow_id="review",
        flow_version=1,
        language="nl",
        answers={step: Answer(value) for step, value in answers.items()},
        revision=revision,
    )


def child_command(*args: str) -> list[str]:
    return [sys.executable, str(CHILD), *args]


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "bilan.db"


@pytest.fixture
async def repo(db_path: Path) -> AsyncIterator[SqliteRepository]:
    async with await open_repository(db_path) as opened:
        yield opened


@dataclass(frozen=True)
class World:
    """A cohort with a facilitator, three participants, an open round and an anonymous one."""

    repo: SqliteRepository
    facilitator: UserId
    participants: tuple[UserId, ...]
    cohort: Cohort
    named: Round
    anonymous: Round


async def build_world(repo: SqliteRepository) -> World:
    facilitator = UserId(10)
    participants = (UserId(21), UserId(22), UserId(23))
    await repo.upsert_person(facilitator, "Fatou", "fr", at(0))
    cohort = await repo.create_cohort("Coopératives 2025", "COOP25", facilitator, at(1))
    for n, user in enumerate(participants):
        await repo.upsert_person(user, f"Participant {n}", "nl", at(2))
        await repo.add_member(cohort.id, user, "participant", at(3))
    await repo.register_flow("review", 1, "a" * 64, "Review", at(4))
    named = await repo.open_round(cohort.id, "review", 1, False, facilitator, at(5))
    anonymous = await repo.open_round(cohort.id, "review", 1, True, facilitator, at(6))
    return World(repo, facilitator, participants, cohort, named, anonymous)


@pytest.fixture
async def world(repo: SqliteRepository) -> World:
    return await build_world(repo)
