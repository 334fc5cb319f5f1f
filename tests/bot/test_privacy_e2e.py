"""What the bot tells a person about their data, and what it hands over, end to end.

The texts are checked through the translator, so they hold in every language the catalogs do;
the export is opened as the person would open it.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot.i18n import translator
from flows.state import SessionState
from storage.models import CohortId, Round, UserId
from tests.bot.conftest import BotWorld
from tests.bot.test_cohorts_e2e import answer_satisfaction, privacy_notice

pytestmark = pytest.mark.e2e
FATOU, ANA = 101, 221  # Fatou: `create_cohort`'s default facilitator
fr = translator("fr")
SWOT = "SWOT de notre offre collective"
SATISFACTION = "Questionnaire de satisfaction de fin de programme"


async def open_round(world: BotWorld, cohort_id: int, flow_id: str) -> Round:
    flow = world.repo.flows.get(flow_id)
    return await world.repo.repo.open_round(
        CohortId(cohort_id), flow.id, flow.version, flow.anonymous, UserId(FATOU), world.now()
    )


async def answer_swot(world: BotWorld, user_id: int) -> None:
    """One idea per quadrant, then send."""
    await world.client.send_command(user_id, "start")
    for idea in ("Des finitions soignées", "Peu de temps", "Un salon en mars", "Les prix"):
        await world.say(user_id, idea)
        await world.tap(user_id, fr("Done ✓"))
    await world.tap(user_id, fr("Submit ✅"))


async def my_data(world: BotWorld, user_id: int) -> tuple[list[str], Any]:
    """What /mydata sends: the texts (the document's caption last), and the file's JSON."""
    before = len(await world.client.messages(user_id))
    await world.client.send_command(user_id, "mydata")
    document = await world.last(user_id)
    assert document.document is not None
    assert document.document.file_name == "bilan-bot-my-data.json"
    sent = [m for m in (await world.client.messages(user_id))[before:] if m.from_bot]
    exported = json.loads(await world.client.download(document.document))
    return [m.content for m in sent], exported


async def test_my_data_sums_up_in_the_persons_language_beside_their_answers(
    world: BotWorld,
) -> None:
    await world.client.create_user("Fatou", user_id=FATOU, started=True)
    await world.client.create_user("Ana", user_id=ANA, language_code="nl")
    named = await world.cohort_with_round(FATOU, [ANA], "swot", {ANA: "fr"})
    await answer_swot(world, ANA)
    anonymous = await open_round(world, named.cohort_id, "satisfaction")
    await world.client.send_command(ANA, "start")
    await answer_satisfaction(world, ANA, fr)

    texts, exported = await my_data(world, ANA)
    [summary] = texts  # short enough to be the document's caption
    for line in (
        fr("Your data"),
        fr("Name: {name}", name=f"Person {ANA}"),
        fr("Organisation: {organisation}", organisation=fr("(none)")),
        fr("Language: {language}", language="Français"),
        fr("Cohorts: {names}", names="Textile"),
        f"• {SWOT} : {fr('answered')}",
        f"• {SATISFACTION} : {fr('answered')} — "
        + fr(
            "anonymous: your answers are not linked to you once sent, so they are not in this file"
        ),
    ):
        assert line in summary.splitlines(), line
    assert "/forget" in summary

    [response] = exported["responses"]
    assert (response["round_id"], response["submitted"]) == (named.id, True)
    answers = exported["answers"]
    assert {a["response_id"] for a in answers} == {response["response_id"]}
    assert all(a["answer_id"] for a in answers)
    assert ["Des finitions soignées"] in [a["value"] for a in answers]
    sessions = {s["round_id"]: s for s in exported["sessions"]}
    assert sessions[named.id]["response_id"] == response["response_id"]
    assert sessions[anonymous.id]["note"] == fr(
        "Anonymous questionnaire: once sent, your answers are no longer linked to you, so they cannot be in this file. Nobody, not even the bot, can find which of the answers sent are yours."
    )
    assert anonymous.id not in {a["round_id"] for a in answers}


async def test_a_long_summary_comes_as_its_own_message_within_telegrams_limit(
    world: BotWorld,
) -> None:
    await world.client.create_user("Fatou", user_id=FATOU, started=True)
    await world.client.create_user("Ana", user_id=ANA, language_code="fr")
    first = await world.cohort_with_round(FATOU, [ANA], "satisfaction")
    repo, now, flow = world.repo.repo, world.now(), world.repo.flows.get("satisfaction")
    await repo.close_round(first.id, now)
    for _ in range(40):  # a long programme, one anonymous questionnaire a week
        found = await open_round(world, first.cohort_id, "satisfaction")
        state = SessionState(flow_id=flow.id, flow_version=flow.version, language="fr")
        session = await repo.start_session(found.id, UserId(ANA), state, flow.version, now)
        await repo.apply_step(None, session.id, state, [], [], now, status="submitted")
        await repo.close_round(found.id, now)

    texts, exported = await my_data(world, ANA)
    summary, caption = texts
    assert len(summary) <= 4096
    assert fr("Everything stored about you.") == caption
    assert summary.startswith(fr("Your data"))
    assert "/forget" in summary.splitlines()[-1], "the way to delete it all is never cut"
    shown = summary.count(f"• {SATISFACTION}")
    assert 0 < shown < 40
    more = fr.plural(
        "… and {count} more questionnaire, in the file.",
        "… and {count} more questionnaires, in the file.",
        40 - shown,
    )
    assert more in summary.splitlines()
    assert len(exported["sessions"]) == 40


async def test_the_privacy_notice_says_what_holds(world: BotWorld) -> None:
    await world.client.create_user("Fatou", user_id=FATOU, language_code="fr")
    await world.client.create_user("Ana", user_id=ANA, language_code="fr")
    notice = await privacy_notice(world, ANA, "Français")
    assert (
        fr(
            "In an anonymous questionnaire, your answers are kept only once you send it, and then without any link to you: once you send it, nobody can tell which of the answers sent are yours, not even with the database. If you leave it, or it closes, before you send it, the answers you gave are discarded."
        )
        in notice
    )
    assert "même si vous arrêtez avant la fin" in notice, "a named questionnaire keeps them"
    assert (
        fr(
            "Your rights: /mydata sends you a copy of everything stored about you. /forget deletes it: it is overwritten in the bot's database, not just hidden. Anonymous answers you sent stay, since nothing links them to you any more."
        )
        in notice
    )


async def test_leaving_an_anonymous_questionnaire_says_the_answers_are_discarded(
    world: BotWorld,
) -> None:
    await world.client.create_user("Fatou", user_id=FATOU, started=True)
    await world.client.create_user("Ana", user_id=ANA, language_code="fr")
    await world.cohort_with_round(FATOU, [ANA], "satisfaction")
    await world.client.send_command(ANA, "start")
    await world.tap(ANA, "9")
    await world.client.send_command(ANA, "cancel")
    assert (await world.last(ANA)).content == fr(
        "Leave the questionnaire? It is anonymous: the answers you gave so far have not been sent, so they will be discarded. You will not be able to finish it."
    )
    await world.tap(ANA, fr("Yes, leave it"))
    assert (await world.last(ANA)).content == fr(
        "You left the questionnaire before sending it. It is anonymous, so the answers you gave are discarded. Nothing more will be asked."
    )


async def test_leaving_a_named_questionnaire_says_the_answers_are_kept(world: BotWorld) -> None:
    await world.client.create_user("Fatou", user_id=FATOU, started=True)
    await world.client.create_user("Ana", user_id=ANA, language_code="fr")
    await world.cohort_with_round(FATOU, [ANA], "swot")
    await world.client.send_command(ANA, "start")
    await world.say(ANA, "Des finitions soignées")
    await world.client.send_command(ANA, "cancel")
    assert (await world.last(ANA)).content == fr(
        "Leave the questionnaire? The answers you gave so far are kept, with your name, but you will not be able to finish it."
    )
    await world.tap(ANA, fr("Yes, leave it"))
    assert (await world.last(ANA)).content == fr(
        "You left the questionnaire. The answers you gave are kept. Nothing more will be asked."
    )
