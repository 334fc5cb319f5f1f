"""The real bot against the sandbox, on a real SQLite file: what the end-to-end tests stand on."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest_asyncio
from pydantic import SecretStr
from telegram.ext import Application

from bot.app import build_application, prepare
from bot.runtime import opened_services
from bot.services import Services
from bot.settings import Settings
from sandbox.client import SandboxClient
from sandbox.harness import application_builder, running_application
from sandbox.server import SandboxServer
from sandbox.views import ChatMessage
from storage.models import CohortId, Round, UserId

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
QUIET = 0.25  # seconds without a Bot API call before the bot counts as done


@dataclass
class BotWorld:
    """A sandbox, its client, and the bot, which can be stopped and started again on one file."""

    server: SandboxServer
    client: SandboxClient
    settings: Settings
    _stack: contextlib.AsyncExitStack | None = None
    services: Services | None = None
    app: Application[Any, Any, Any, Any, Any, Any] | None = None
    clock_offset: timedelta = field(default_factory=timedelta)

    def now(self) -> datetime:
        return T0 + self.clock_offset

    async def start(self) -> Services:
        stack = contextlib.AsyncExitStack()
        services = await stack.enter_async_context(opened_services(self.settings))
        services.clock = self.now
        app = build_application(services, application_builder(self.server))
        await stack.enter_async_context(running_application(app, poll_timeout=2.0))
        await prepare(app)
        self._stack, self.services, self.app = stack, services, app
        return services

    async def stop(self) -> None:
        if self._stack is not None:
            await self._stack.aclose()
        self._stack, self.services, self.app = None, None, None

    @property
    def repo(self) -> Services:
        assert self.services is not None, "start the bot first"
        return self.services

    async def cohort_with_round(
        self,
        facilitator: int,
        participants: list[int],
        flow_id: str = "satisfaction",
        languages: dict[int, str] | None = None,
    ) -> Round:
        """A cohort and an open round, set up straight in the database (onboarding has its own tests)."""
        repo = self.repo.repo
        now = self.now()
        for user_id in (facilitator, *participants):
            language = (languages or {}).get(user_id, "fr")
            await repo.upsert_person(UserId(user_id), f"Person {user_id}", language, now)
        cohort = await repo.create_cohort("Textile", f"code{facilitator}", UserId(facilitator), now)
        for user_id in participants:
            await repo.add_member(CohortId(cohort.id), UserId(user_id), "participant", now)
        flow = self.repo.flows.get(flow_id)
        return await repo.open_round(
            cohort.id, flow.id, flow.version, flow.anonymous, UserId(facilitator), now
        )

    async def last(self, chat_id: int) -> ChatMessage:
        """The bot's latest message in a chat (after the bot has gone quiet)."""
        await self.idle()
        mine = [m for m in await self.client.messages(chat_id) if m.from_bot and not m.deleted]
        assert mine, f"the bot wrote nothing in chat {chat_id}"
        return mine[-1]

    async def tap(self, user_id: int, text: str, chat_id: int | None = None) -> str:
        """Press the button `text` on the bot's latest message that has it (waiting for it)."""
        await self.idle()
        chat = chat_id or user_id
        for message in reversed(await self.client.messages(chat)):
            if message.from_bot and text in message.button_texts:
                break
        else:  # the bot may still be committing (the sandbox cannot see the disk): wait for it
            message = await self.client.wait_for_message(
                chat, lambda m: m.from_bot and text in m.button_texts, since_last_action=False
            )
        query = await self.client.press_button(user_id, message, text=text, chat_id=chat)
        await self.idle()
        return query

    async def idle(self) -> None:
        # The sandbox sees Bot API calls, not the bot's durable commits: under load an fsync can
        # outlast a short quiet window, so the tests wait for a longer one.
        await self.client.wait_idle(quiet=QUIET)

    async def say(self, user_id: int, text: str) -> None:
        await self.client.send_text(user_id, text)
        await self.idle()

    async def texts(self, chat_id: int) -> list[str]:
        await self.idle()
        return [m.content for m in await self.client.messages(chat_id) if m.from_bot]


@pytest_asyncio.fixture
async def world(
    sandbox: SandboxServer, sandbox_client: SandboxClient, tmp_path: Path
) -> AsyncIterator[BotWorld]:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]  # pydantic-settings' init-only option
        bot_token=SecretStr(sandbox.token),
        database_path=tmp_path / "bilan.db",
        rate_limiter=False,
    )
    world = BotWorld(sandbox, sandbox_client, settings)
    await world.start()
    try:
        yield world
    finally:
        await world.stop()
