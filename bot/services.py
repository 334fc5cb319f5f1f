"""What every handler needs, built once at start and kept in the Application's bot_data."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, cast

from telegram.ext import CallbackContext

from bot.flowbook import FlowBook
from bot.locks import ChatLocks
from bot.settings import Settings
from storage.models import Round, RoundId
from storage.repository import Repository

SERVICES_KEY = "services"


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Services:
    settings: Settings
    repo: Repository
    flows: FlowBook
    locks: ChatLocks = field(default_factory=ChatLocks)
    clock: Callable[[], datetime] = utc_now
    bot_username: str = ""
    # Rounds change only through this process (the database lock keeps it the only one), so the
    # survey path can skip a read per answer; `forget_round` is called whenever one changes.
    _rounds: dict[int, Round] = field(default_factory=dict)
    background: set[asyncio.Task[None]] = field(default_factory=set)

    async def round(self, round_id: RoundId) -> Round | None:
        known = self._rounds.get(round_id)
        if known is None:
            known = await self.repo.get_round(round_id)
            if known is not None:
                self._rounds[round_id] = known
        return known

    def forget_round(self, round_id: RoundId) -> None:
        self._rounds.pop(round_id, None)


def services_of(context: CallbackContext[Any, Any, Any, Any]) -> Services:
    return cast(Services, context.application.bot_data[SERVICES_KEY])
