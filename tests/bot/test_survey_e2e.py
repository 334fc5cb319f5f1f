"""Participants answer questionnaires in private chat, through the sandbox, with the real bot."""

from __future__ import annotations

import sqlite3

import pytest

from bot.i18n import translator
from storage.models import Round, UserId
from tests.bot.conftest import BotWorld

pytestmark = pytest.mark.e2e
FACILITATOR, ANA, BRAM = 1001, 2001, 2002


async def bot_messages(world: BotWorld, chat_id: int) -> list[str]:
    await world.idle()
    return [m.content for m in await world.client.messages(chat_id) if m.from_bot]


async def stored(world: BotWorld, opened: Round, user_id: int) -> dict[str, object]:
    session = await world.repo.repo.session_of(opened.id, UserId(user_id))
    assert session is not None
    if opened.anonymous:  # not sent yet: the answers are in the session's state, and only there
        return {step: answer.value for step, answer in session.state.answers.items()}
    return {
        step: row.value for step, row in (await world.repo.repo.live_answers(session.id)).items()
    }


async def test_every_step_kind_in_french_with_reprompts_back_and_review(world: BotWorld) -> None:
    await world.client.create_user("Fatou", user_id=FACILITATOR, started=True)
    await world.client.create_user("Ana", user_id=ANA, language_code="fr")
    opened = await world.cohort_with_round(FACILITATOR, [ANA])
    await world.client.send_command(ANA, "start")
    first = await world.last(ANA)
    assert "Question 1/12" in first.content
    assert first.button_texts[:3] == ["0", "1", "2"]

    await world.tap(ANA, "9")  # nps
    intro, nps, _ = await bot_messages(world, ANA)
    assert "5 minutes" in intro
    assert nps.endswith("→ 9/10"), "the answered question shows its answer"
    answered = [m for m in await world.client.messages(ANA) if m.from_bot][1]
    assert answered.buttons == (), "and loses its buttons"

    await world.say(ANA, "7")  # a scale answered by typing a number out of range
    assert (await world.last(ANA)).content == "Ce nombre est en dehors des limites. Entre 1 et 5."
    await world.say(ANA, "plutôt bien")  # words where a button is expected
    assert (await world.last(ANA)).content == "Merci de répondre avec les boutons ci-dessus."
    await world.tap(ANA, "4")  # support_sessions
    assert "Question 3/12" in (await world.last(ANA)).content
    await world.tap(ANA, "Passer »")  # support_coaching is optional
    await world.tap(ANA, "« Retour")  # back to support_coaching
    assert "Question 3/12" in (await world.last(ANA)).content
    await world.tap(ANA, "5")
    for score in ("4", "3", "5"):  # tools, group dynamics, objectives
        await world.tap(ANA, score)
    await world.say(ANA, "Les ateliers entre pairs")  # keep
    await world.tap(ANA, "Passer »")  # improve
    await world.tap(ANA, "☐ Formation")  # needs (multi)
    await world.tap(ANA, "☐ Autre")
    assert "☑ Formation" in (await world.last(ANA)).button_texts
    await world.tap(ANA, "Confirmer ✓")
    assert "Autre" in (await world.last(ANA)).content
    await world.say(ANA, "Un local partagé")
    await world.say(ANA, "beaucoup")  # hours: not a number
    assert "nombre" in (await world.last(ANA)).content
    await world.say(ANA, "250")  # out of range
    assert "0" in (await world.last(ANA)).content
    assert "200" in (await world.last(ANA)).content
    await world.say(ANA, "12 h")
    await world.tap(ANA, "Oui")  # continue → the 'yes' branch
    await world.tap(ANA, "Coaching individuel")
    review = await world.last(ANA)
    assert "Vos réponses" in review.content
    assert "Un local partagé" in review.content

    await world.tap(ANA, "Modifier une réponse ✏️")
    picker = await world.last(ANA)
    continue_button = next(text for text in picker.button_texts if "poursuivre" in text)
    await world.tap(ANA, continue_button)
    await world.tap(ANA, "Non")  # the branch changes: continue_form is retracted, come_back asked
    assert "revenir" in (await world.last(ANA)).content
    await world.say(ANA, "Plus de temps")
    assert "Vos réponses" in (await world.last(ANA)).content
    await world.tap(ANA, "Envoyer ✅")
    assert "Merci" in (await world.last(ANA)).content

    session = await world.repo.repo.session_of(opened.id, UserId(ANA))
    assert session is not None
    assert session.status == "submitted"
    assert session.state.answers == {}, "anonymous: scrubbed"
    assert session.state.revision == 0, "anonymous: no count of the questions shown either"
    # Sent answers wait in the round's pool, shuffled, until the round closes.
    assert await world.repo.repo.answers_of_round(opened.id) == []
    await world.repo.repo.close_round(opened.id, world.now())
    rows = await world.repo.repo.answers_of_round(opened.id)
    live = {row.step_id: row.value for row in rows}
    assert live["needs"] == ["training", "other"]
    assert live["hours"] == 12
    assert live["continue"] == "no"
    assert "continue_form" not in live
    assert live["come_back"] == "Plus de temps"
    assert all(row.user_id is None for row in rows), "anonymous answers carry no person"


async def test_swot_in_dutch_with_items_limits_stale_buttons_and_cancel(world: BotWorld) -> None:
    await world.client.create_user("Fatou", user_id=FACILITATOR, started=True)
    await world.client.create_user("Bram", user_id=BRAM, language_code="nl-BE")
    opened = await world.cohort_with_round(
        FACILITATOR, [BRAM], flow_id="swot", languages={BRAM: "nl"}
    )
    await world.client.send_command(BRAM, "start")
    asked = await world.last(BRAM)
    assert "Vraag 1/4" in asked.content
    await world.tap(BRAM, "Klaar ✓")  # no item yet: a toast, nothing sent
    assert (await world.last(BRAM)).message_id == asked.message_id
    await world.say(BRAM, "Sterk netwerk in Brussel")
    await world.say(BRAM, "x" * 201)
    assert "200" in (await world.last(BRAM)).content
    await world.say(BRAM, "Mooie stoffen")
    assert "2/10" in (await world.last(BRAM)).content
    query = await world.tap(BRAM, "Klaar ✓")
    assert "Vraag 2/4" in (await world.last(BRAM)).content
    # A tap on the first quadrant's old button: a toast, and the current question stays.
    old = [
        m for m in await world.client.messages(BRAM) if m.from_bot and "Klaar ✓" in m.button_texts
    ]
    assert len(old) == 1, "only the current question keeps its buttons"
    assert (await world.client.callback_answer(query)).answered
    await world.client.send_command(BRAM, "cancel")
    await world.tap(BRAM, "Nee, doorgaan")
    assert "Vraag 2/4" in (await world.last(BRAM)).content, "not cancelled: the question comes back"
    await world.client.send_command(BRAM, "cancel")
    await world.tap(BRAM, "Ja, stoppen")
    assert (await stored(world, opened, BRAM)) == {
        "strengths": ["Sterk netwerk in Brussel", "Mooie stoffen"]
    }
    session = await world.repo.repo.session_of(opened.id, UserId(BRAM))
    assert session is not None
    assert session.status == "cancelled"


async def test_a_stale_button_gets_a_toast(world: BotWorld) -> None:
    await world.client.create_user("Fatou", user_id=FACILITATOR, started=True)
    await world.client.create_user("Ana", user_id=ANA, language_code="en")
    await world.cohort_with_round(FACILITATOR, [ANA], languages={ANA: "en"})
    await world.client.send_command(ANA, "start")
    first = await world.last(ANA)
    await world.tap(ANA, "8")
    # The old question normally loses its buttons; if that edit fails, its buttons stay tappable.
    await world.client.inject_fault("error", methods=["editMessageReplyMarkup"])
    await world.client.send_command(ANA, "start")  # resume: the question is shown again
    shown = await world.last(ANA)
    assert "Question 2/12" in shown.content
    older = [m for m in await world.client.messages(ANA) if m.from_bot and "3" in m.button_texts]
    query = await world.client.press_button(ANA, older[0], text="3")
    await world.idle()
    assert (await world.client.callback_answer(query)).text == "This question is no longer current."
    assert first.message_id != shown.message_id


async def test_restart_mid_survey_loses_nothing_and_counts_nothing_twice(
    world: BotWorld, tmp_path: object
) -> None:
    await world.client.create_user("Fatou", user_id=FACILITATOR, started=True)
    await world.client.create_user("Ana", user_id=ANA, language_code="fr")
    opened = await world.cohort_with_round(FACILITATOR, [ANA])
    await world.client.send_command(ANA, "start")
    await world.tap(ANA, "10")
    await world.tap(ANA, "4")
    # The bot will handle the next update, but its confirmation (the next getUpdates) fails:
    # after a restart the sandbox delivers it again, as Telegram does after a crash.
    await world.client.inject_fault("error", count=1000, methods=["getUpdates"])
    await world.client.press_button(ANA, await world.last(ANA), text="3")
    await world.client.wait_for_message(ANA, contains="Question 4/12")
    await world.stop()
    await world.client.clear_faults()
    assert await world.client.pending_updates() >= 1, "the update was not confirmed"
    await world.start()
    await world.idle()
    assert await world.client.pending_updates() == 0
    answers = await stored(world, opened, ANA)
    assert answers == {"nps": 10, "support_sessions": 4, "support_coaching": 3}
    await world.client.send_text(ANA, "bonjour")  # any message resumes where she was
    await world.idle()
    assert (await world.last(ANA)).content == translator("fr")(
        "Please answer with the buttons above."
    )
    await world.client.send_command(ANA, "start")
    assert "Question 4/12" in (await world.last(ANA)).content
    await world.tap(ANA, "5")
    assert (await stored(world, opened, ANA))["support_tools"] == 5
    database = sqlite3.connect(world.settings.database_path)
    try:
        counts = database.execute(
            "SELECT step_id, COUNT(*) FROM answers WHERE retracted = 0 GROUP BY step_id HAVING COUNT(*) > 1"
        ).fetchall()
    finally:
        database.close()
    assert counts == [], "no answer stored twice"


async def test_a_bug_gets_an_apology_never_a_traceback(
    world: BotWorld, caplog: pytest.LogCaptureFixture
) -> None:
    await world.client.create_user("Fatou", user_id=FACILITATOR, started=True)
    await world.client.create_user("Ana", user_id=ANA, language_code="en")
    opened = await world.cohort_with_round(FACILITATOR, [ANA], languages={ANA: "en"})
    await world.client.send_command(ANA, "start")
    await world.tap(ANA, "9")
    # A stored state the engine cannot handle (a step the flow no longer has): a bug, not input.
    database = sqlite3.connect(world.settings.database_path)
    try:
        database.execute(
            "UPDATE sessions SET state_json = json_set(state_json, '$.cursor', 'gone')"
        )
        database.commit()
    finally:
        database.close()
    await world.client.send_text(ANA, "hello")
    await world.idle()
    reply = (await world.last(ANA)).content
    assert reply == translator("en")(
        "Sorry, something went wrong on my side. Your answers so far are safe; please try again in a moment."
    )
    assert "Traceback" not in reply
    assert "EngineError" not in reply
    assert any("error while handling an update" in r.message for r in caplog.records)
    assert (await stored(world, opened, ANA)) == {"nps": 9}
