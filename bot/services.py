"""What every handler needs, built once at start and kept in the Application's bot_data."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, cast

from telegram.ext import CallbackContext

from bot.flowbook import FlowBook
from bot.locks import ChatLocks
from bot.settings import Settings
from flows.state import SessionState
from storage.models import Round, RoundId
from storage.repository import Repository

SERVICES_KEY = "services"
MAX_REMEMBERED_STATES = 10_000


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
    # The engine state behind each stored state JSON this process wrote, by the JSON's
    # identity: the repository hands back the very mapping it was given, so the next step of
    # a session skips decoding it.
    _states: dict[int, tuple[Mapping[str, Any], SessionState]] = field(default_factory=dict)

    async def round(self, round_id: RoundId) -> Round | None:
        known = self._rounds.get(round_id)
        if known is None:
            known = await self.repo.get_round(round_id)
            if known is not None:
                self._rounds[round_id] = known
        return known

    def forget_round(self, round_id: RoundId) -> None:
        self._rounds.pop(round_id, None)

    def state_of(self, stored: Mapping[str, Any]) -> SessionState:
        known = self._states.get(id(stored))
        if known is not None and known[0] is stored:
            return known[1]
        return SessionState.from_json(stored)

    def remember_state(self, stored: Mapping[str, Any], state: SessionState) -> None:
        if len(self._states) >= MAX_REMEMBERED_STATES:
            self._states.clear()
        self._states[id(stored)] = (stored, state)  # holding `stored` keeps its id unique


def services_of(context: CallbackContext[Any, Any, Any, Any]) -> Services:
    return cast(Services, context.application.bot_data[SERVICES_KEY])
