"""A facilitator's own flow (FLOWS_DIR): a date step, and Back with a branch change, end to end."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from pydantic import SecretStr

from bot.i18n import translator
from bot.settings import Settings
from sandbox.client import SandboxClient
from sandbox.server import SandboxServer
from storage.models import Round, UserId
from tests.bot.conftest import BotWorld

pytestmark = pytest.mark.e2e
FACILITATOR, ANA = 1001, 2001
en = translator("en")

FLOW = """
id: followup
version: 1
title: {en: Follow-up, fr: Suivi}
languages: [en, fr]
steps:
  - id: met
    kind: yes_no
    text: {en: Did the group meet this month?, fr: Le groupe s'est-il réuni ce mois-ci ?}
  - id: meeting_day
    kind: date
    when: {answer: met, equals: "yes"}
    text: {en: On which day?, fr: Quel jour ?}
  - id: why_not
    kind: text
    required: false
    when: {answer: met, equals: "no"}
    text: {en: What got in the way?, fr: Qu'est-ce qui a empêché ?}
  - id: mood
    kind: scale
    text: {en: How is the group doing?, fr: Comment va le groupe ?}
"""


@asynccontextmanager
async def world_with_followup(
    sandbox: SandboxServer, client: SandboxClient, tmp_path: Path
) -> AsyncIterator[BotWorld]:
    """The bot with the follow-up flow in its FLOWS_DIR, beside the library."""
    flows = tmp_path / "flows"
    flows.mkdir()
    (flows / "followup.yaml").write_text(FLOW, encoding="utf-8")
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]  # pydantic-settings' init-only option
        bot_token=SecretStr(sandbox.token),
        database_path=tmp_path / "bilan.db",
        rate_limiter=False,
        flows_dir=flows,
    )
    world = BotWorld(sandbox, client, settings)
    await world.start()
    try:
        yield world
    finally:
        await world.stop()


async def open_for_ana(world: BotWorld, language: str = "en") -> Round:
    """Fatou opens the follow-up for her cohort, of which Ana (in `language`) is a member."""
    await world.client.create_user("Fatou", user_id=FACILITATOR, started=True)
    await world.client.create_user("Ana", user_id=ANA, language_code=language)
    return await world.cohort_with_round(FACILITATOR, [ANA], "followup", {ANA: language})


async def test_a_date_and_back_with_a_branch_change(
    sandbox: SandboxServer, sandbox_client: SandboxClient, tmp_path: Path
) -> None:
    async with world_with_followup(sandbox, sandbox_client, tmp_path) as world:
        opened = await open_for_ana(world)
        await sandbox_client.send_command(ANA, "start")
        await world.tap(ANA, en("Yes"))
        assert "On which day?" in (await world.last(ANA)).content
        await world.say(ANA, "31/02/2026")
        assert (await world.last(ANA)).content == en("Please send a date, for example 23/11/2026.")
        await world.say(ANA, "12/11/2026")
        await world.tap(ANA, en("« Back"))  # to the date
        await world.tap(ANA, en("« Back"))  # to the yes/no, then change the branch
        await world.tap(ANA, en("No"))
        assert "What got in the way?" in (await world.last(ANA)).content
        await world.say(ANA, "Holidays")
        await world.tap(ANA, "3")
        review = (await world.last(ANA)).content
        assert "Holidays" in review
        assert "November" not in review
        await world.tap(ANA, en("Submit ✅"))
        session = await world.repo.repo.session_of(opened.id, UserId(ANA))
        assert session is not None
        assert session.status == "submitted"
        live = {row.step_id: row.value for row in await world.repo.repo.answers_of_round(opened.id)}
        assert live == {"met": "no", "why_not": "Holidays", "mood": 3}, "the date was retracted"


async def test_the_date_is_shown_in_the_participants_language(
    sandbox: SandboxServer, sandbox_client: SandboxClient, tmp_path: Path
) -> None:
    async with world_with_followup(sandbox, sandbox_client, tmp_path) as world:
        await open_for_ana(world, "fr")
        await sandbox_client.send_command(ANA, "start")
        await world.tap(ANA, translator("fr")("Yes"))
        await world.say(ANA, "2026-11-12")
        answered = [m for m in await sandbox_client.messages(ANA) if "Quel jour" in m.content]
        assert answered[0].content.endswith("→ 12 novembre 2026")


async def test_a_session_finishes_on_its_version_after_the_flow_is_edited(
    sandbox: SandboxServer, sandbox_client: SandboxClient, tmp_path: Path
) -> None:
    async with world_with_followup(sandbox, sandbox_client, tmp_path) as world:
        opened = await open_for_ana(world)
        await sandbox_client.send_command(ANA, "start")
        await world.tap(ANA, en("No"))
        assert "What got in the way?" in (await world.last(ANA)).content
        # Meanwhile the facilitator rewrites the flow: new wording, a new question, version 2.
        await world.stop()
        edited = FLOW.replace("version: 1", "version: 2").replace(
            "How is the group doing?", "How is our group doing these days?"
        )
        (tmp_path / "flows" / "followup.yaml").write_text(edited, encoding="utf-8")
        await world.start()
        await world.say(ANA, "Holidays")
        question = (await world.last(ANA)).content
        assert "How is the group doing?" in question, "still version 1"
        await world.tap(ANA, "4")
        await world.tap(ANA, en("Submit ✅"))
        session = await world.repo.repo.session_of(opened.id, UserId(ANA))
        assert session is not None
        assert (session.status, session.flow_version) == ("submitted", 1)
        live = {row.step_id: row.value for row in await world.repo.repo.answers_of_round(opened.id)}
        assert live == {"met": "no", "why_not": "Holidays", "mood": 4}


async def test_a_round_opened_before_the_edit_starts_on_its_version(
    sandbox: SandboxServer, sandbox_client: SandboxClient, tmp_path: Path
) -> None:
    async with world_with_followup(sandbox, sandbox_client, tmp_path) as world:
        opened = await open_for_ana(world)
        await world.stop()  # nobody has started yet when the flow is rewritten
        edited = FLOW.replace("version: 1", "version: 2")
        (tmp_path / "flows" / "followup.yaml").write_text(edited, encoding="utf-8")
        await world.start()
        await sandbox_client.send_command(ANA, "start")
        assert "Did the group meet this month?" in (await world.last(ANA)).content
        session = await world.repo.repo.session_of(opened.id, UserId(ANA))
        assert session is not None
        assert session.flow_version == 1
