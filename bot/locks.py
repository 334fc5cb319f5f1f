"""One lock per chat: a participant's updates are handled one at a time, in order.

Rule: the lock covers load → step → commit, so two quick taps cannot both start from the same
state. Locks of idle chats are dropped, so memory does not grow with the number of people.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


class ChatLocks:
    def __init__(self) -> None:
        self._locks: dict[int, asyncio.Lock] = {}
        self._users: dict[int, int] = {}
        self._owners: dict[int, asyncio.Task[object] | None] = {}

    @asynccontextmanager
    async def hold(self, chat_id: int) -> AsyncIterator[None]:
        """Hold the chat's lock; re-entrant for the task that holds it already.

        Re-entry matters when one person's action reaches another chat that may be their own (a
        facilitator closing a round they also answered).
        """
        current = asyncio.current_task()
        if current is not None and self._owners.get(chat_id) is current:
            yield
            return
        lock = self._locks.setdefault(chat_id, asyncio.Lock())
        self._users[chat_id] = self._users.get(chat_id, 0) + 1
        try:
            async with lock:
                self._owners[chat_id] = current
                try:
                    yield
                finally:
                    self._owners.pop(chat_id, None)
        finally:
            self._users[chat_id] -= 1
            if self._users[chat_id] == 0:
                del self._users[chat_id]
                del self._locks[chat_id]

    def __len__(self) -> int:
        return len(self._locks)
