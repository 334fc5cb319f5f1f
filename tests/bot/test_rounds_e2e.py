"""Rounds as facilitators and participants see them: /status, who may /close, deadlines, and
edits that change nothing. End to end through the sandbox, with the real bot."""

from __future__ import annotations

import pytest

from bot.i18n import translator
from storage.models import UserId
from tests.bot.conftest import BotWorld

pytestmark = pytest.mark.e2e
FATOU, ANA, BRAM = 101, 201, 202
en = translator("en")


async def test_status_does_not_count_a_participant_who_left_as_finished(world: BotWorld) -> None:
    client = world.client
    await client.create_user("Fatou", user_id=FATOU, language_code="en", started=True)
    await client.create_user("Ana", user_id=ANA, language_code="en")
    await client.create_user("Bram", user_id=BRAM, language_code="en")
    opened = await world.cohort_with_round(FATOU, [ANA, BRAM], languages={ANA: "en", FATOU: "en"})
    await client.send_command(ANA, "start")
    await world.tap(ANA, "8")  # one answer, then she leaves
    await client.send_command(ANA, "cancel")
    await world.tap(ANA, en("Yes, leave it"))
    session = await world.repo.repo.session_of(opened.id, UserId(ANA))
    assert session is not None
    assert session.status == "cancelled"

    await client.send_command(FATOU, "status")
    status = (await world.last(FATOU)).content
    assert en("✅ Finished: {count}", count=0) in status
    assert en("🚪 Left: {count}", count=1) + " — Person 201" in status
    assert en("💤 Not started: {count}", count=1) + " — Person 202" in status
