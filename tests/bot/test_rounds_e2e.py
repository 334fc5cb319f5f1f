"""Rounds as facilitators and participants see them: /status, who may /close, deadlines, and
edits that change nothing. End to end through the sandbox, with the real bot."""

from __future__ import annotations

import pytest

from bot.i18n import translator
from storage.models import ChatId, UserId
from tests.bot.conftest import BotWorld

pytestmark = pytest.mark.e2e
FATOU, ANA, BRAM, STRANGER = 101, 201, 202, 401
GROUP = -1001
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


async def test_a_participant_is_told_that_only_facilitators_open_follow_and_close(
    world: BotWorld,
) -> None:
    client = world.client
    await client.create_user("Fatou", user_id=FATOU, language_code="en", started=True)
    await client.create_user("Ana", user_id=ANA, language_code="en")
    opened = await world.cohort_with_round(FATOU, [ANA], languages={ANA: "en", FATOU: "en"})
    for command, expected in (
        (
            "open",
            "Only the facilitators of your cohort open questionnaires. I will write to you when one opens.",
        ),
        ("status", "Only the facilitators of your cohort see who has answered."),
        ("close", "Only the facilitators of your cohort close questionnaires."),
    ):
        await client.send_command(ANA, command)
        reply = await world.last(ANA)
        assert reply.content == en(expected), f"/{command}"
        assert "/newcohort" not in reply.content
    found = await world.repo.repo.get_round(opened.id)
    assert found is not None
    assert found.status == "open", "nothing changed"


async def test_a_group_member_who_never_joined_is_offered_to_join_then_answers(
    world: BotWorld,
) -> None:
    client = world.client
    await client.create_user("Fatou", user_id=FATOU, language_code="en", started=True)
    await client.create_user("Bram", user_id=BRAM, language_code="en")
    await client.create_user("Sam", user_id=STRANGER, language_code="en")
    opened = await world.cohort_with_round(FATOU, [], languages={FATOU: "en"})
    await client.create_group("Textile", members=(BRAM,), admins=(FATOU,), chat_id=GROUP)
    await world.repo.repo.bind_chat(
        ChatId(GROUP), opened.cohort_id, "Textile", "group", world.now()
    )
    cohort = await world.repo.repo.get_cohort(opened.cohort_id)
    assert cohort is not None

    await client.send_command(BRAM, "start", f"r{opened.id}")  # the group's "Answer ▶️" link
    offer = await world.last(BRAM)
    assert "Textile" in offer.content
    assert "invitation link" not in offer.content
    url = offer.buttons[0][0].url or ""
    assert url == f"https://t.me/{world.repo.bot_username}?start=j{cohort.invite_code}"
    await client.send_command(BRAM, "start", url.rsplit("=", 1)[1])  # he opens it
    await world.tap(BRAM, "English")
    await world.tap(BRAM, next(iter((await world.last(BRAM)).button_texts)))
    await world.tap(BRAM, en("Skip »"))
    await world.tap(BRAM, en("I agree ✅"))
    assert "Question 1/13" in (await world.last(BRAM)).content, "and he can answer at once"
    assert await world.repo.repo.session_of(opened.id, UserId(BRAM)) is not None

    # Someone outside the group, with a forwarded link, does not get the cohort's key.
    await client.send_command(STRANGER, "start", f"r{opened.id}")
    refusal = await world.last(STRANGER)
    assert refusal.content == en(
        "This questionnaire is for the members of a cohort. Ask your facilitator for the invitation link."
    )
    assert not refusal.buttons
