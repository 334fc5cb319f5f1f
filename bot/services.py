"""What every handler needs, built once at start and kept in the Application's bot_data."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, cast

from telegram.ext import CallbackContext

from bot.flowbook import FlowBook
from bot.group.outbox import GroupOutbox
from bot.locks import ChatLocks
from bot.settings import Settings
from reports.worker import RenderWorker
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
    # Tasks started from a handler (ending a closed round's sessions), held until done: the
    # event loop keeps only weak references to tasks.
    background: set[asyncio.Task[None]] = field(default_factory=set)
    # One lock per SWOT board (many people, one board: the private chats' locks do not
    # serialise them), the owner of the groups' send budget, and the worker that draws.
    board_locks: ChatLocks = field(default_factory=ChatLocks)
    outbox: GroupOutbox | None = None
    pictures: RenderWorker | None = None


def services_of(context: CallbackContext[Any, Any, Any, Any]) -> Services:
    return cast(Services, context.application.bot_data[SERVICES_KEY])
