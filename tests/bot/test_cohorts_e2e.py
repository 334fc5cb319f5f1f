"""Cohorts, groups, roles and languages, end to end through the sandbox."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest

from bot.i18n import translator
from flows.schema import Language
from storage.models import RoundId, UserId
from tests.bot.conftest import BotWorld

pytestmark = pytest.mark.e2e
FATOU, ANA, BRAM, CLARA, OTTO, STRANGER = 101, 201, 202, 203, 301, 401
GROUP = -1001
fr, en, nl = translator("fr"), translator("en"), translator("nl")


async def create_cohort(world: BotWorld, facilitator: int = FATOU, name: str = "Textile") -> str:
    await world.client.send_command(facilitator, "newcohort", name)
    message = await world.last(facilitator)
    found = re.search(r"start=j([0-9a-f]+)", message.content)
    assert found is not None, message.content
    return found.group(1)


async def privacy_notice(world: BotWorld, user_id: int, language_button: str) -> str:
    """Open the cohort's invitation as a new member and go through to the privacy notice."""
    code = await create_cohort(world)
    await world.client.send_command(user_id, "start", f"j{code}")
    await world.tap(user_id, language_button)
    await world.tap(user_id, next(iter((await world.last(user_id)).button_texts)))  # the name
    await world.tap(user_id, translator(LANGUAGE_OF[language_button])("Skip »"))
    return (await world.last(user_id)).content


LANGUAGE_OF: dict[str, Language] = {"Français": "fr", "English": "en", "Nederlands": "nl"}


async def join(
    world: BotWorld, user_id: int, code: str, language: str, organisation: str | None
) -> None:
    await world.client.send_command(user_id, "start", f"j{code}")
    await world.tap(user_id, {"fr": "Français", "en": "English", "nl": "Nederlands"}[language])
    t = translator(language)  # type: ignore[arg-type]
    name_button = next(b for b in (await world.last(user_id)).button_texts)
    await world.tap(user_id, name_button)
    if organisation is None:
        await world.tap(user_id, t("Skip »"))
    else:
        await world.say(user_id, organisation)
    await world.tap(user_id, t("I agree ✅"))


async def test_a_cohort_from_creation_to_closing(world: BotWorld) -> None:
    client = world.client
    await client.create_user("Fatou", user_id=FATOU, language_code="fr")
    await client.create_user("Ana", user_id=ANA, language_code="fr")
    await client.create_user("Bram", user_id=BRAM, language_code="nl")
    await client.create_user("Clara", user_id=CLARA, language_code="en")
    code = await create_cohort(world)
    await join(world, ANA, code, "fr", "Atelier Fil Rouge")
    await join(world, BRAM, code, "nl", None)
    await join(world, CLARA, code, "en", "Weavers")
    assert nl(
        "Welcome to “{cohort}”, {name}! I will write to you when a questionnaire opens.",
        cohort="Textile",
        name="Bram",
    ) in await world.texts(BRAM)
    await client.send_command(ANA, "start", f"j{code}")  # joining twice is harmless
    assert fr(
        "You are already a member of “{cohort}”. Welcome back!", cohort="Textile"
    ) in await world.texts(ANA)

    await client.create_group("Textile", members=(ANA, BRAM, CLARA), admins=(FATOU,), chat_id=GROUP)
    await client.send_command(FATOU, "bind", code, chat_id=GROUP)
    assert "Textile" in (await world.last(GROUP)).content

    await client.send_command(FATOU, "open")
    await world.tap(
        FATOU,
        next(t for t in (await world.last(FATOU)).button_texts if "satisfaction" in t.lower()),
    )
    await world.tap(FATOU, fr("In a week"))
    await world.tap(FATOU, fr("Open it ✅"))
    announcement = await world.last(GROUP)
    assert announcement.buttons
    assert announcement.buttons[0][0].url is not None
    assert "start=r" in (announcement.buttons[0][0].url or "")
    for user_id, t in ((ANA, fr), (BRAM, nl), (CLARA, en)):
        invitation = await world.last(user_id)
        assert t("Start ▶️") in invitation.button_texts, (
            f"user {user_id} is invited in their language"
        )

    for user_id, t in ((ANA, fr), (BRAM, nl)):  # two answer everything
        await world.tap(user_id, t("Start ▶️"))
        await answer_satisfaction(world, user_id, t)
        assert (await world.last(user_id)).content == t("Thank you! Your answers are saved. 🙏")
    await world.tap(CLARA, en("Start ▶️"))
    await world.tap(CLARA, "8")  # Clara stops after one answer

    await client.send_command(FATOU, "status")
    status = (await world.last(FATOU)).content
    assert fr("✅ Finished: {count}", count=2) in status
    assert "Ana" in status
    assert "Bram" in status
    assert fr("⏳ In progress: {count}", count=1) in status
    assert "Clara" in status

    await client.send_command(FATOU, "close")
    await world.tap(
        FATOU, next(t for t in (await world.last(FATOU)).button_texts if "atisfaction" in t)
    )
    await world.tap(FATOU, fr("Close it 🔒"))
    closed = await world.repo.repo.get_round(RoundId(1))
    assert closed is not None
    assert closed.status == "closed"
    closed_text = en(
        "This questionnaire is closed, and you had not sent it. It is anonymous, so the answers you gave are discarded."
    )
    assert (await world.last(CLARA)).content == closed_text, "Clara is told at once"
    assert all(not m.buttons for m in await client.messages(CLARA) if "Question" in m.content)
    stored_before = len(await world.repo.repo.answers_of_round(RoundId(1)))
    await world.say(CLARA, "4")  # a late answer is not taken, earlier ones kept
    assert (await world.last(CLARA)).content == en(
        "No questionnaire is waiting for you right now. Send /help to see what I can do."
    )
    assert len(await world.repo.repo.answers_of_round(RoundId(1))) == stored_before
    session = await world.repo.repo.session_of(RoundId(1), UserId(CLARA))
    assert session is not None
    assert session.status == "timed_out"
    audit = await world.repo.repo.audit_of_cohort(closed.cohort_id)
    assert {"create_cohort", "bind_group", "open_round", "close_round"} <= {e.action for e in audit}


async def answer_satisfaction(world: BotWorld, user_id: int, t: object) -> None:
    """Answer the shipped satisfaction flow with the first sensible button everywhere."""
    from bot.i18n import Translator

    assert isinstance(t, Translator)
    for _ in range(40):
        last = await world.last(user_id)
        buttons = last.button_texts
        if t("Submit ✅") in buttons:
            await world.tap(user_id, t("Submit ✅"))
            return
        if t("Skip »") in buttons:
            await world.tap(user_id, t("Skip »"))
        elif t("Confirm ✓") in buttons:
            await world.tap(user_id, t("Confirm ✓"))
        elif "4" in buttons:
            await world.tap(user_id, "4")
        elif t("Yes") in buttons:
            await world.tap(user_id, t("No"))
        elif buttons and "»" not in buttons[0] and "«" not in buttons[0]:
            await world.tap(user_id, buttons[0])
        else:
            await world.say(user_id, "12")
    raise AssertionError("the questionnaire did not end")


def snapshot(path: Path) -> dict[str, list[tuple[object, ...]]]:
    tables = ("cohorts", "memberships", "chats", "rounds", "sessions", "audit_log")
    database = sqlite3.connect(path)
    try:
        return {
            table: database.execute(f"SELECT * FROM {table} ORDER BY 1").fetchall()
            for table in tables
        }
    finally:
        database.close()


async def test_authorization_matrix_refuses_everyone_but_the_facilitator(world: BotWorld) -> None:
    client = world.client
    for user_id, name in ((FATOU, "Fatou"), (ANA, "Ana"), (OTTO, "Otto"), (STRANGER, "Sam")):
        await client.create_user(name, user_id=user_id, language_code="en", started=True)
    code = await create_cohort(world)
    await join(world, ANA, code, "en", None)
    other_code = await create_cohort(world, facilitator=OTTO, name="Other cohort")
    await client.create_group(
        "Textile", members=(ANA, OTTO, STRANGER), admins=(FATOU,), chat_id=GROUP
    )
    await client.send_command(FATOU, "bind", code, chat_id=GROUP)
    await client.send_command(FATOU, "open")
    await world.tap(
        FATOU,
        next(t for t in (await world.last(FATOU)).button_texts if "satisfaction" in t.lower()),
    )
    await world.tap(FATOU, en("No deadline"))
    await world.tap(FATOU, en("Open it ✅"))
    # The facilitator starts wizards in the group: other members can see and press their buttons.
    await client.send_command(FATOU, "open", chat_id=GROUP)
    open_wizard = await world.last(GROUP)
    await client.send_command(FATOU, "close", chat_id=GROUP)
    close_wizard = await world.last(GROUP)
    before = snapshot(world.settings.database_path)

    others = {ANA: "participant", OTTO: "facilitator of another cohort", STRANGER: "stranger"}
    for user_id, role in others.items():
        for command, args in (("open", ()), ("status", ()), ("close", ()), ("bind", (code,))):
            await client.send_command(user_id, command, *args, chat_id=GROUP)
            reply = (await world.last(GROUP)).content
            assert reply.startswith("Sorry"), f"/{command} from a {role} in the group: {reply!r}"
        for wizard in (open_wizard, close_wizard):
            query = await client.press_button(
                user_id, wizard, text=wizard.button_texts[0], chat_id=GROUP
            )
            answer = await client.wait_for_answer(query)
            assert (answer.text or "").startswith("Sorry"), (role, answer)
    for command in ("open", "status", "close"):  # in private, no cohort of their own to act on
        await client.send_command(STRANGER, command)
        assert (await world.last(STRANGER)).content == en(
            "You do not facilitate any cohort yet. Create one with /newcohort followed by its name."
        )
        await client.send_command(ANA, command)  # a participant is told who can (test_rounds_e2e)
        assert (await world.last(ANA)).content.startswith(en("Only the facilitators"))
    await client.send_command(OTTO, "bind", other_code, chat_id=GROUP)  # his code, not his group
    assert (await world.last(GROUP)).content.startswith("Sorry")
    assert snapshot(world.settings.database_path) == before, "nothing changed in the database"


async def test_command_menus_per_scope_and_language(world: BotWorld) -> None:
    calls = await world.client.calls("setMyCommands")
    seen = {(c.params.get("scope", {}).get("type"), c.params.get("language_code")) for c in calls}
    for scope in ("all_private_chats", "all_group_chats"):
        for language in (None, "fr", "en", "nl"):
            assert (scope, language) in seen, (scope, language)
    await world.client.create_user("Fatou", user_id=FATOU, language_code="nl", started=True)
    await create_cohort(world)
    personal = [
        c
        for c in await world.client.calls("setMyCommands")
        if c.params.get("scope", {}).get("type") == "chat"
    ]
    assert personal
    assert "newcohort" in str(personal[-1].params["commands"])


async def test_language_data_copy_and_forgetting(world: BotWorld) -> None:
    client = world.client
    await client.create_user("Fatou", user_id=FATOU, language_code="fr")
    await client.create_user("Ana", user_id=ANA, language_code="fr")
    code = await create_cohort(world)
    await join(world, ANA, code, "fr", "Atelier Fil Rouge")
    await client.send_command(ANA, "lang")
    await world.tap(ANA, "Nederlands")
    assert (await world.last(ANA)).content == nl(
        "Done: I will speak {language} with you.", language="Nederlands"
    )
    await client.send_command(ANA, "help")
    assert nl("/lang — choose your language") in (await world.last(ANA)).content

    await client.send_command(ANA, "mydata")
    document = (await world.last(ANA)).document
    assert document is not None
    exported = (await client.download(document)).decode()
    assert "Atelier Fil Rouge" in exported
    assert "Textile" in exported

    await client.send_command(ANA, "forget")
    await world.tap(ANA, nl("Yes, delete my data"))
    assert (await world.last(ANA)).content == nl("Done: your data is deleted. Goodbye!")
    assert await world.repo.repo.memberships_of(UserId(ANA)) == []
    person = await world.repo.repo.get_person(UserId(ANA))
    assert person is None or person.organisation in (None, "—")


async def test_joining_while_a_round_is_open_starts_it_and_a_second_open_is_refused(
    world: BotWorld,
) -> None:
    client = world.client
    await client.create_user("Fatou", user_id=FATOU, language_code="en")
    await client.create_user("Ana", user_id=ANA, language_code="en")
    code = await create_cohort(world)
    for _ in range(2):  # the second time is a double tap, or a co-facilitator doing the same
        await client.send_command(FATOU, "open")
        await world.tap(
            FATOU, next(t for t in (await world.last(FATOU)).button_texts if "atisfaction" in t)
        )
        await world.tap(FATOU, en("No deadline"))
        await world.tap(FATOU, en("Open it ✅"))
    assert "already open" in (await world.last(FATOU)).content
    assert len(await world.repo.repo.open_rounds_of_cohort(1)) == 1  # type: ignore[arg-type]
    await join(world, ANA, code, "en", None)
    assert "Question 1/12" in (await world.last(ANA)).content, "the open round starts at once"


async def test_housekeeping_ends_the_sessions_a_stopped_closing_left_open(
    world: BotWorld,
) -> None:
    from bot.jobs.housekeeping import housekeep

    client = world.client
    await client.create_user("Fatou", user_id=FATOU, started=True)
    await client.create_user("Clara", user_id=CLARA, language_code="en")
    opened = await world.cohort_with_round(FATOU, [CLARA], "satisfaction", {CLARA: "en"})
    await client.send_command(CLARA, "start")
    await world.tap(CLARA, "9")
    # The round is closed, but the bot stopped before it ended Clara's session.
    await world.repo.repo.close_round(opened.id, world.now())
    assert await world.repo.repo.closed_rounds_with_active_sessions() == [opened.id]
    assert world.app is not None
    await housekeep(world.repo, world.app.bot)
    closed_text = en(
        "This questionnaire is closed, and you had not sent it. It is anonymous, so the answers you gave are discarded."
    )
    assert (await world.last(CLARA)).content == closed_text
    session = await world.repo.repo.session_of(opened.id, UserId(CLARA))
    assert session is not None
    assert session.status == "timed_out"
    assert await world.repo.repo.closed_rounds_with_active_sessions() == []
