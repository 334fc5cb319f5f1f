"""Rounds as facilitators and participants see them: /status, who may /close, deadlines, and
edits that change nothing. End to end through the sandbox, with the real bot."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.deadlines import cohort_timezone, deadline_in
from bot.i18n import translator
from bot.jobs.housekeeping import housekeep
from storage.models import ChatId, CohortId, UserId
from tests.bot.conftest import T0, BotWorld

FATOU, ANA, BRAM, STRANGER = 101, 201, 202, 401
GROUP = -1001
en = translator("en")


@pytest.mark.e2e
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


@pytest.mark.e2e
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


@pytest.mark.e2e
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
    assert "Question 1/12" in (await world.last(BRAM)).content, "and he can answer at once"
    assert await world.repo.repo.session_of(opened.id, UserId(BRAM)) is not None

    # Someone outside the group, with a forwarded link, does not get the cohort's key.
    await client.send_command(STRANGER, "start", f"r{opened.id}")
    refusal = await world.last(STRANGER)
    assert refusal.content == en(
        "This questionnaire is for the members of a cohort. Ask your facilitator for the invitation link."
    )
    assert not refusal.buttons


async def cohort_of(world: BotWorld, people: dict[int, str]) -> CohortId:
    """Fatou's cohort with `people` as participants (user id → language), straight in the database."""
    repo, now = world.repo.repo, world.now()
    for user_id, language in ((FATOU, "en"), *people.items()):
        await repo.upsert_person(UserId(user_id), f"Person {user_id}", language, now)
        await repo.set_reachable(UserId(user_id), True, now)  # as if they had opened the bot
    cohort = await repo.create_cohort("Textile", "code1", UserId(FATOU), now)
    for user_id in people:
        await repo.add_member(cohort.id, UserId(user_id), "participant", now)
    return cohort.id


async def open_with_deadline(world: BotWorld, deadline_button: str) -> str:
    """/open through the wizard; the confirmation's text, before Fatou confirms."""
    await world.client.send_command(FATOU, "open")
    menu = await world.last(FATOU)
    await world.tap(FATOU, next(t for t in menu.button_texts if "atisfaction" in t))
    await world.tap(FATOU, en(deadline_button))
    confirmation = (await world.last(FATOU)).content
    await world.tap(FATOU, en("Open it ✅"))
    return confirmation


@pytest.mark.e2e
async def test_a_deadline_is_the_end_of_a_local_day_shown_with_weekday_and_time(
    world: BotWorld,
) -> None:
    client = world.client
    await client.create_user("Fatou", user_id=FATOU, language_code="en", started=True)
    await client.create_user("Ana", user_id=ANA, language_code="fr", started=True)
    await client.create_user("Bram", user_id=BRAM, language_code="nl", started=True)
    cohort_id = await cohort_of(world, {ANA: "fr", BRAM: "nl"})
    # Monday 23 November 2026, 09:00 UTC: 10:00 in Brussels.
    confirmation = await open_with_deadline(world, "In 3 days")
    closes = "Thursday, November 26 at 11:59\u202fPM"
    assert f"It closes on {closes}, at the end of that day (Belgium Time)." in confirmation
    assert f"It closes on {closes}." in (await world.last(FATOU)).content
    (opened,) = await world.repo.repo.open_rounds_of_cohort(cohort_id)
    assert opened.deadline == datetime(2026, 11, 26, 22, 59, tzinfo=UTC), "23:59 in Brussels"
    assert (
        "Merci de répondre avant le jeudi 26 novembre à 23:59." in (await world.last(ANA)).content
    )
    assert "Antwoord graag vóór donderdag 26 november om 23:59." in (await world.last(BRAM)).content
    await client.send_command(FATOU, "status")
    assert f"⏰ Closes on {closes}" in (await world.last(FATOU)).content

    # Housekeeping runs every minute: the round is open a minute before, closed just after.
    await client.send_command(BRAM, "start")
    await world.tap(BRAM, "8")
    assert world.app is not None
    world.clock_offset = opened.deadline - T0 - timedelta(minutes=1)
    await housekeep(world.repo, world.app.bot)
    still = await world.repo.repo.get_round(opened.id)
    assert still is not None
    assert still.status == "open"
    world.clock_offset = opened.deadline - T0 + timedelta(seconds=30)
    await housekeep(world.repo, world.app.bot)
    closed = await world.repo.repo.get_round(opened.id)
    assert closed is not None
    assert closed.status == "closed"
    assert (await world.last(BRAM)).content == translator("nl")(
        "This questionnaire is closed, and you had not sent it. It is anonymous, so the answers you gave are discarded."
    )


@pytest.mark.e2e
async def test_no_deadline_is_said_in_the_confirmation(world: BotWorld) -> None:
    await world.client.create_user("Fatou", user_id=FATOU, language_code="en", started=True)
    cohort_id = await cohort_of(world, {})
    confirmation = await open_with_deadline(world, "No deadline")
    assert en("No deadline: it stays open until you close it with /close.") in confirmation
    (opened,) = await world.repo.repo.open_rounds_of_cohort(cohort_id)
    assert opened.deadline is None


@pytest.mark.parametrize(
    ("now", "days", "closes"),
    [
        # 00:30 in Brussels is already the next local day.
        (datetime(2026, 11, 23, 23, 30, tzinfo=UTC), 3, datetime(2026, 11, 27, 22, 59, tzinfo=UTC)),
        # Across the change to summer time (28 March 2027), still 23:59 on the clock.
        (datetime(2027, 3, 25, 10, 0, tzinfo=UTC), 7, datetime(2027, 4, 1, 21, 59, tzinfo=UTC)),
    ],
)
def test_deadline_in_counts_local_days(now: datetime, days: int, closes: datetime) -> None:
    assert deadline_in(days, now, ZoneInfo("Europe/Brussels")) == closes


async def refused_edits(world: BotWorld) -> list[str]:
    """The edits the sandbox refused as changing nothing, as Telegram would."""
    await world.idle()
    return [
        f"{call.method} {dict(call.params)}"
        for call in await world.client.calls()
        if call.method.startswith("editMessage") and "not modified" in (call.description or "")
    ]


async def tap_twice(world: BotWorld, user_id: int, text: str) -> None:
    """A double tap: the second press reaches the bot after the first one's edit."""
    message = await world.last(user_id)
    data = next(b.callback_data for row in message.buttons for b in row if b.text == text)
    await world.tap(user_id, text)
    query = await world.client.press_button(user_id, message.message_id, forged=data)
    await world.client.wait_for_answer(query)
    await world.idle()


@pytest.mark.e2e
async def test_a_second_tap_on_an_answered_wizard_edits_nothing(world: BotWorld) -> None:
    client = world.client
    await client.create_user("Fatou", user_id=FATOU, language_code="en", started=True)
    opened = await world.cohort_with_round(FATOU, [ANA], languages={FATOU: "en", ANA: "en"})
    await client.send_command(FATOU, "open")
    menu = await world.last(FATOU)
    await world.tap(FATOU, next(t for t in menu.button_texts if "atisfaction" in t))
    await world.tap(FATOU, en("No deadline"))
    await tap_twice(world, FATOU, en("Cancel"))
    assert (await world.last(FATOU)).content == en("Cancelled: nothing was changed.")

    await client.send_command(FATOU, "close")
    await world.tap(
        FATOU, next(t for t in (await world.last(FATOU)).button_texts if "atisfaction" in t)
    )
    await tap_twice(world, FATOU, en("Close it 🔒"))
    result = await world.last(FATOU)
    assert result.content.endswith("is closed: 0 people answered.")
    assert not result.buttons
    closed = await world.repo.repo.get_round(opened.id)
    assert closed is not None
    assert closed.status == "closed"
    assert await refused_edits(world) == []


@pytest.mark.e2e
async def test_joining_with_buttons_edits_nothing_twice(world: BotWorld) -> None:
    client = world.client
    await client.create_user("Fatou", user_id=FATOU, language_code="en", started=True)
    await client.create_user("Ana", user_id=ANA, language_code="en")
    await cohort_of(world, {})
    await client.send_command(ANA, "start", "jcode1")
    await world.tap(ANA, "English")
    await world.tap(ANA, next(iter((await world.last(ANA)).button_texts)))  # her Telegram name
    await world.tap(ANA, en("Skip »"))
    await world.tap(ANA, en("I agree ✅"))
    assert UserId(ANA) in {m.user_id for m in await world.repo.repo.members_of(CohortId(1))}
    assert await refused_edits(world) == []


async def test_a_deadline_is_read_in_the_cohorts_own_time_zone(world: BotWorld) -> None:
    repo, now = world.repo.repo, world.now()
    await repo.upsert_person(UserId(FATOU), "Fatou", "fr", now)
    montreal = await repo.create_cohort("Montréal", "mtl1", UserId(FATOU), now, "America/Montreal")
    unknown = await repo.create_cohort("Ailleurs", "nowhere1", UserId(FATOU), now, "Nowhere/City")
    assert cohort_timezone(world.repo, montreal) == ZoneInfo("America/Montreal")
    assert cohort_timezone(world.repo, unknown) == ZoneInfo(world.settings.timezone)
    # 23:59 in Montréal is 04:59 UTC the next day (in winter).
    deadline = deadline_in(3, now, cohort_timezone(world.repo, montreal))
    assert deadline.astimezone(UTC).hour == 4
