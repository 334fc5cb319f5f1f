"""Dialogs and joining: onboarding state that survives a restart, each update applied once."""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path

import pytest

from storage import (
    ApplyResult,
    CohortId,
    Dialog,
    NotFoundError,
    SqliteRepository,
    UpdateId,
    UserId,
    open_repository,
)
from tests.storage.conftest import World, at

ADA = UserId(7)
JOINING = {"cohort": 1, "role": "participant", "step": "name", "language": "nl"}


def _rows(path: Path, sql: str, *params: object) -> list[tuple[object, ...]]:
    with contextlib.closing(sqlite3.connect(path)) as conn:
        return conn.execute(sql, params).fetchall()


# -- dialogs -------------------------------------------------------------------------------


async def test_a_dialog_round_trips_and_is_replaced_then_cleared(repo: SqliteRepository) -> None:
    await repo.upsert_person(ADA, "Ada", "fr", at(0))
    assert await repo.get_dialog(ADA) is None
    payload = {"step": "organisation", "name": "Zoë « Coop »", "tags": [1, None, {"x": True}]}
    assert await repo.set_dialog(ADA, "join", payload, at(1)) is ApplyResult.APPLIED
    assert await repo.get_dialog(ADA) == Dialog(ADA, "join", payload, at(1))
    await repo.set_dialog(ADA, "rename", {"step": "name"}, at(2))
    assert await repo.get_dialog(ADA) == Dialog(ADA, "rename", {"step": "name"}, at(2))
    assert await repo.clear_dialog(ADA, at(3)) is ApplyResult.APPLIED
    assert await repo.get_dialog(ADA) is None
    assert await repo.clear_dialog(ADA, at(4)) is ApplyResult.APPLIED  # nothing to end: fine


async def test_a_dialog_survives_a_restart(db_path: Path) -> None:
    async with await open_repository(db_path) as repo:
        await repo.upsert_person(ADA, "Ada", "fr", at(0))
        await repo.set_dialog(ADA, "join", JOINING, at(1), UpdateId(1))
    async with await open_repository(db_path) as repo:
        assert await repo.get_dialog(ADA) == Dialog(ADA, "join", JOINING, at(1))
        assert await repo.set_dialog(ADA, "join", {}, at(2), UpdateId(1)) is ApplyResult.DUPLICATE


async def test_a_redelivered_update_changes_no_dialog(repo: SqliteRepository) -> None:
    await repo.upsert_person(ADA, "Ada", "fr", at(0))
    assert await repo.set_dialog(ADA, "join", JOINING, at(1), UpdateId(5)) is ApplyResult.APPLIED
    again = await repo.set_dialog(ADA, "join", {"step": "other"}, at(2), UpdateId(5))
    assert again is ApplyResult.DUPLICATE
    assert await repo.clear_dialog(ADA, at(3), UpdateId(5)) is ApplyResult.DUPLICATE
    assert await repo.get_dialog(ADA) == Dialog(ADA, "join", JOINING, at(1))
    assert await repo.mark_update_processed(UpdateId(5), at(4)) is False
    assert await repo.clear_dialog(ADA, at(5), UpdateId(6)) is ApplyResult.APPLIED
    assert await repo.get_dialog(ADA) is None


async def test_a_failed_dialog_write_leaves_its_update_unclaimed(repo: SqliteRepository) -> None:
    with pytest.raises(NotFoundError, match="no person with user id 7"):
        await repo.set_dialog(ADA, "join", JOINING, at(1), UpdateId(8))
    # The claim rolled back with the write: the re-delivery will be applied.
    assert await repo.mark_update_processed(UpdateId(8), at(2)) is True
    await repo.upsert_person(ADA, "Ada", "fr", at(0))
    with pytest.raises(ValueError, match="Out of range float"):
        await repo.set_dialog(ADA, "join", {"n": float("inf")}, at(1), UpdateId(9))
    assert await repo.get_dialog(ADA) is None


# -- joining -------------------------------------------------------------------------------


async def _invited(world: World) -> None:
    await world.repo.upsert_person(ADA, "ada_telegram", "en", at(7))
    await world.repo.set_dialog(ADA, "join", JOINING, at(8), UpdateId(70))


async def test_join_stores_profile_language_membership_and_ends_the_dialog(world: World) -> None:
    repo, cohort = world.repo, world.cohort.id
    await _invited(world)
    result = await repo.join_cohort(
        cohort, ADA, "participant", "Ada Lima", "Coop Lumen", "nl", at(9), UpdateId(71)
    )
    assert result is ApplyResult.APPLIED
    person = await repo.get_person(ADA)
    assert person is not None
    assert (person.display_name, person.organisation, person.language) == (
        "Ada Lima",
        "Coop Lumen",
        "nl",
    )
    assert [(m.cohort_id, m.role, m.joined_at) for m in await repo.memberships_of(ADA)] == [
        (cohort, "participant", at(9))
    ]
    assert await repo.get_dialog(ADA) is None
    assert await repo.mark_update_processed(UpdateId(71), at(10)) is False


async def test_joining_twice_is_harmless(world: World) -> None:
    repo, cohort = world.repo, world.cohort.id
    await _invited(world)
    first = await repo.join_cohort(cohort, ADA, "participant", "Ada", None, "nl", at(9))
    await repo.set_dialog(ADA, "join", JOINING, at(10))
    second = await repo.join_cohort(cohort, ADA, "participant", "Ada L.", "Lumen", "fr", at(11))
    assert first is second is ApplyResult.APPLIED
    assert [(m.role, m.joined_at) for m in await repo.memberships_of(ADA)] == [
        ("participant", at(9))
    ]
    person = await repo.get_person(ADA)
    assert person is not None
    assert (person.display_name, person.organisation, person.language) == ("Ada L.", "Lumen", "fr")
    assert await repo.get_dialog(ADA) is None


async def test_a_redelivered_join_changes_nothing(world: World) -> None:
    repo, cohort = world.repo, world.cohort.id
    await _invited(world)
    await repo.join_cohort(cohort, ADA, "participant", "Ada", None, "nl", at(9), UpdateId(71))
    await repo.set_dialog(ADA, "rename", {"step": "name"}, at(10))
    again = await repo.join_cohort(
        cohort, ADA, "facilitator", "Someone else", "X", "en", at(11), UpdateId(71)
    )
    assert again is ApplyResult.DUPLICATE
    person = await repo.get_person(ADA)
    assert person is not None
    assert (person.display_name, person.language, person.updated_at) == ("Ada", "nl", at(9))
    assert [m.role for m in await repo.memberships_of(ADA)] == ["participant"]
    assert await repo.get_dialog(ADA) == Dialog(ADA, "rename", {"step": "name"}, at(10))


async def test_a_failed_join_changes_nothing_and_keeps_its_update(world: World) -> None:
    repo = world.repo
    await _invited(world)
    with pytest.raises(NotFoundError, match="no cohort with id 99"):
        await repo.join_cohort(
            CohortId(99), ADA, "participant", "Ada", None, "nl", at(9), UpdateId(72)
        )
    person = await repo.get_person(ADA)
    assert person is not None
    assert (person.display_name, person.language) == ("ada_telegram", "en")
    assert await repo.get_dialog(ADA) == Dialog(ADA, "join", JOINING, at(8))
    assert _rows(repo.path, "SELECT count(*) FROM memberships WHERE user_id = ?", ADA) == [(0,)]
    assert await repo.mark_update_processed(UpdateId(72), at(10)) is True
