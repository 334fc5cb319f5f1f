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
from storage.models import Round, RoundId, Session, SessionId
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
    # Per session, the last state JSON this process stored and the engine state behind it: the
    # repository hands back the very mapping it was given, so the next step skips decoding it.
    _states: dict[SessionId, tuple[Mapping[str, Any], SessionState]] = field(default_factory=dict)

    def known_round(self, round_id: RoundId) -> Round | None:
        """The round if this process has it already (no read, no await), else None."""
        return self._rounds.get(round_id)

    async def round(self, round_id: RoundId) -> Round | None:
        known = self._rounds.get(round_id)
        if known is None:
            known = await self.repo.get_round(round_id)
            if known is not None:
                self._rounds[round_id] = known
        return known

    def forget_round(self, round_id: RoundId) -> None:
        self._rounds.pop(round_id, None)

    def state_of(self, session: Session) -> SessionState:
        known = self._states.get(session.id)
        if known is not None and known[0] is session.state:
            return known[1]
        return SessionState.from_json(session.state)

    def remember_state(
        self, session_id: SessionId, stored: Mapping[str, Any], state: SessionState
    ) -> None:
        if len(self._states) >= MAX_REMEMBERED_STATES and session_id not in self._states:
            self._states.clear()
        self._states[session_id] = (stored, state)

    def forget_state(self, session_id: SessionId) -> None:
        self._states.pop(session_id, None)


def services_of(context: CallbackContext[Any, Any, Any, Any]) -> Services:
    return cast(Services, context.application.bot_data[SERVICES_KEY])
