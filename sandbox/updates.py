"""The bot's update queue and `getUpdates` long polling, with Telegram's confirmation rules.

Rule: an update stays queued until a `getUpdates` call passes an `offset` above its id, so an
unconfirmed update is delivered again, to this bot or to the next one started (as Telegram
does). `allowed_updates` is remembered between calls and filters updates created after it.
A newer `getUpdates` ends an older one still waiting with Telegram's 409 Conflict.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any, cast

import telegram

from sandbox.errors import ApiError
from sandbox.state import Changes

# Telegram leaves these out unless the bot asks for them by name.
_OPT_IN = frozenset({"chat_member", "message_reaction", "message_reaction_count"})


class UpdateQueue:
    """Pending updates for the one bot of the sandbox."""

    def __init__(self, changes: Changes) -> None:
        self._changes = changes
        self._pending: list[dict[str, Any]] = []
        self._next_id = 1
        self._allowed: frozenset[str] | None = None
        self._poller = 0

    @property
    def pending(self) -> int:
        """How many updates the bot has not confirmed yet."""
        return len(self._pending)

    def is_allowed(self, kind: str) -> bool:
        if self._allowed is None:
            return kind not in _OPT_IN
        return kind in self._allowed

    def push(self, kind: str, obj: telegram.TelegramObject) -> int | None:
        """Queue an update carrying `obj` in field `kind`; None when the bot filtered it out."""
        if not self.is_allowed(kind):
            return None
        update = telegram.Update(self._next_id, **cast(dict[str, Any], {kind: obj}))
        self._pending.append(update.to_dict())
        self._next_id += 1
        self._changes.bump()
        return update.update_id

    def clear(self) -> None:
        self._pending.clear()
        self._changes.bump()

    def reset(self) -> None:
        """Drop pending updates and the filter; ids keep growing so offsets stay valid."""
        self._pending.clear()
        self._allowed = None

    def set_allowed(self, allowed: Sequence[str] | None) -> None:
        if allowed is not None:
            self._allowed = frozenset(allowed) if allowed else None

    def confirm(self, offset: int) -> None:
        """Forget what `offset` confirms; a negative offset keeps only the last -offset."""
        before = len(self._pending)
        if offset < 0:
            self._pending = self._pending[offset:]
        else:
            self._pending = [u for u in self._pending if u["update_id"] >= offset]
        if len(self._pending) != before:
            self._changes.bump()

    async def poll(self, offset: int | None, limit: int, hold: float) -> list[dict[str, Any]]:
        """Answer one `getUpdates`: at once if something is pending, else when it arrives.

        Raises:
            ApiError: 409 when a newer `getUpdates` call took over while this one waited.
        """
        if offset is not None:
            self.confirm(offset)
        self._poller += 1
        me = self._poller
        self._changes.bump()
        deadline = time.monotonic() + hold
        while not self._pending:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return []
            await self._changes.wait(self._changes.version, remaining)
            if self._poller != me:
                raise ApiError(
                    409,
                    "Conflict: terminated by other getUpdates request; "
                    "make sure that only one bot instance is running",
                )
        return self._pending[:limit]
