"""What a new user reads: true, consistent and whole messages, end to end through the sandbox."""

from __future__ import annotations

import re

import pytest

from bot.i18n import translator
from bot.menus import FACILITATOR_COMMANDS, PARTICIPANT_COMMANDS
from storage.models import UserId
from tests.bot.conftest import BotWorld
from tests.bot.test_cohorts_e2e import create_cohort, join, privacy_notice

pytestmark = pytest.mark.e2e
FATOU, ANA, BRAM = 101, 211, 212  # Fatou: `create_cohort`'s default facilitator
GROUP = -1011
fr, en, nl = translator("fr"), translator("en"), translator("nl")


async def test_the_privacy_notice_promises_nothing_the_bot_does_not_do(world: BotWorld) -> None:
    await world.client.create_user("Fatou", user_id=FATOU, language_code="en")
    await world.client.create_user("Ana", user_id=ANA, language_code="en")
    notice = await privacy_notice(world, ANA, "English")
    assert "charts" not in notice, "no charts exist yet"
    assert "Today nobody but you sees your answers in the bot." in notice
    assert "who has answered (your name), not your answers" in notice
    assert "once you send it, nobody can tell which of the answers sent are yours" in notice
    assert "how many have answered, never names" in notice
    assert "/mydata" in notice
    assert "/forget" in notice


async def test_a_member_is_greeted_once_and_joins_another_cohort_in_one_tap(
    world: BotWorld,
) -> None:
    await world.client.create_user("Fatou", user_id=FATOU, language_code="fr")
    await world.client.create_user("Ana", user_id=ANA, language_code="fr")
    first = await create_cohort(world, name="Textile")
    second = await create_cohort(world, name="Couture")
    await join(world, ANA, first, "fr", "Fil Rouge")

    before = len(await world.texts(ANA))
    await world.client.send_command(ANA, "start", f"j{first}")
    assert (await world.texts(ANA))[before:] == [
        fr("You are already a member of “{cohort}”. Welcome back!", cohort="Textile")
    ], "one greeting, not two"

    before = len(await world.texts(ANA))
    await world.client.send_command(ANA, "start", f"j{second}")
    asked = await world.last(ANA)
    assert len(await world.texts(ANA)) == before + 1, "one message, not the whole onboarding"
    assert asked.content == "Rejoindre « Couture » ? Le groupe vous verra sous le nom Ana."
    assert asked.button_texts == ["Rejoindre ✅", "Non merci"]
    await world.tap(ANA, "Rejoindre ✅")
    memberships = await world.repo.repo.memberships_of(UserId(ANA))
    assert len({m.cohort_id for m in memberships}) == 2
    person = await world.repo.repo.get_person(UserId(ANA))
    assert person is not None
    assert (person.display_name, person.organisation) == ("Ana", "Fil Rouge"), "profile kept"


async def test_lang_in_a_group_points_to_the_private_chat_and_changes_nothing(
    world: BotWorld,
) -> None:
    await world.client.create_user("Fatou", user_id=FATOU, language_code="fr")
    await world.client.create_user("Ana", user_id=ANA, language_code="fr")
    code = await create_cohort(world)
    await join(world, ANA, code, "fr", None)
    await world.client.create_group("Textile", members=(ANA,), admins=(FATOU,), chat_id=GROUP)
    await world.client.send_command(ANA, "lang", chat_id=GROUP)
    reply = await world.last(GROUP)
    assert (
        reply.content
        == "La langue se choisit dans une conversation privée avec moi : envoyez-y /lang."
    )
    [[button]] = reply.buttons
    assert button.url == f"https://t.me/{world.repo.bot_username}"
    person = await world.repo.repo.get_person(UserId(ANA))
    assert person is not None
    assert person.language == "fr"


def commands_in(text: str) -> set[str]:
    return set(re.findall(r"^/([a-z]+)", text, flags=re.MULTILINE))


async def test_help_lists_every_command_of_the_menus(world: BotWorld) -> None:
    await world.client.create_user("Fatou", user_id=FATOU, language_code="fr")
    await world.client.create_user("Ana", user_id=ANA, language_code="nl")
    await world.client.send_command(ANA, "help")
    assert commands_in((await world.last(ANA)).content) == set(PARTICIPANT_COMMANDS)
    await create_cohort(world)
    await world.client.send_command(FATOU, "help")
    in_groups_only = {"bind", "swot"}
    assert commands_in((await world.last(FATOU)).content) == {
        *FACILITATOR_COMMANDS,
        *in_groups_only,
    }


async def test_one_name_per_thing_when_opening_following_and_closing(world: BotWorld) -> None:
    await world.client.create_user("Fatou", user_id=FATOU, language_code="fr")
    await world.client.create_user("Ana", user_id=ANA, language_code="fr")
    await world.client.create_user("Bram", user_id=BRAM, language_code="nl")
    code = await create_cohort(world)
    await join(world, ANA, code, "fr", None)
    await join(world, BRAM, code, "nl", None)
    title = "Questionnaire de satisfaction de fin de programme"

    await world.client.send_command(FATOU, "open")
    await world.tap(FATOU, title)
    await world.tap(FATOU, fr("No deadline"))
    await world.tap(FATOU, fr("Open it ✅"))
    opened = (await world.last(FATOU)).content
    assert opened.startswith(f"« {title} » est ouvert."), "no “questionnaire” twice"
    assert (await world.last(ANA)).content == f"📋 « {title} » vous attend."

    await world.client.send_command(FATOU, "status")
    status = (await world.last(FATOU)).content
    assert status.startswith(f"{title}\n"), "the same name as when opened"

    await world.client.send_command(FATOU, "open")
    await world.tap(FATOU, "SWOT de notre offre collective")
    await world.tap(FATOU, fr("No deadline"))
    await world.tap(FATOU, fr("Open it ✅"))
    swot = "SWOT de notre offre collective"
    assert (await world.last(ANA)).content == f"📋 « {swot} » vous attend.", "a SWOT, not a survey"
    assert "vragenlijst" not in (await world.last(BRAM)).content

    await world.client.send_command(FATOU, "close")
    await world.tap(FATOU, next(t for t in (await world.last(FATOU)).button_texts if title in t))
    await world.tap(FATOU, "Clôturer 🔒")
    closed = (await world.last(FATOU)).content
    assert closed == f"« {title} » est clôturé : 0 personne a répondu.", "the button's verb"


async def test_the_review_of_long_answers_keeps_its_instruction(world: BotWorld) -> None:
    await world.client.create_user("Fatou", user_id=FATOU, started=True)
    await world.client.create_user("Ana", user_id=ANA, language_code="fr")
    await world.cohort_with_round(FATOU, [ANA])
    await world.client.send_command(ANA, "start")
    for score in ("9", "4"):  # nps, group sessions
        await world.tap(ANA, score)
    await world.tap(ANA, "Passer »")  # one-to-one support
    for score in ("4", "3", "5"):
        await world.tap(ANA, score)
    await world.say(ANA, "Les ateliers entre pairs, " + "vraiment " * 105)  # ~1,000 characters
    await world.say(ANA, "Plus de temps & de " + "<moyens> " * 108)
    needs = (await world.last(ANA)).content
    assert "validez" not in needs, "one instruction, with the button's word"
    assert needs.count("Confirmer") == 1
    await world.tap(ANA, "Confirmer ✓")  # nothing ticked: allowed
    await world.say(ANA, "12")
    await world.tap(ANA, "Non")
    await world.say(ANA, "z" * 500)
    review = await world.last(ANA)
    assert review.content.endswith(fr("Send them, or change an answer first."))
    assert review.button_texts == [fr("Submit ✅"), fr("Change an answer ✏️")]
    assert "→ (aucune)" in review.content, "an empty multi-choice says so"
    assert "→ (passée)" in review.content, "skipped, as the Skip button says"
    assert "…" in review.content
    await world.tap(ANA, fr("Submit ✅"))
    assert (await world.last(ANA)).content == fr("Thank you! Your answers are saved. 🙏")


async def test_the_other_prompt_states_its_limit_and_multi_has_one_instruction(
    world: BotWorld,
) -> None:
    await world.client.create_user("Fatou", user_id=FATOU, started=True)
    await world.client.create_user("Bram", user_id=BRAM, language_code="nl")
    await world.cohort_with_round(FATOU, [BRAM], languages={BRAM: "nl"})
    await world.client.send_command(BRAM, "start")
    for button in ("9", "4", "Overslaan »", "4", "3", "5", "Overslaan »", "Overslaan »"):
        await world.tap(BRAM, button)
    needs = (await world.last(BRAM)).content
    assert "Vink alles aan wat van toepassing is" not in needs
    assert "Bevestigen" in needs
    await world.tap(BRAM, "☐ Iets anders")
    await world.tap(BRAM, "Bevestigen ✓")
    assert (await world.last(BRAM)).content == (
        "U koos “Iets anders”: omschrijf in een paar woorden wat u bedoelt (hoogstens 500 tekens)."
    )
