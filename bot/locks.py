"""One lock per chat: a participant's updates are handled one at a time, in order.

Rule: the lock covers load → step → commit, so two quick taps cannot both start from the same
state. Locks of idle chats are dropped, so memory does not grow with the number of people.
"""

from __future__ import annotations

import asyncio
from types import TracebackType


class _Entry:
    __slots__ = ("lock", "owner", "users")

    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.users = 0  # holders and waiters
        self.owner: asyncio.Task[object] | None = None


class _Hold:
    """`async with locks.hold(chat_id)`: a class, not a generator, as it runs at every update."""

    __slots__ = ("_chat_id", "_entry", "_locks")

    def __init__(self, locks: ChatLocks, chat_id: int) -> None:
        self._locks = locks
        self._chat_id = chat_id
        self._entry: _Entry | None = None  # None: re-entered, nothing to release

    async def __aenter__(self) -> None:
        entries = self._locks.entries
        current = asyncio.current_task()
        entry = entries.get(self._chat_id)
        if entry is not None and current is not None and entry.owner is current:
            return  # re-entry by the holder
        if entry is None:
            entry = entries[self._chat_id] = _Entry()
        entry.users += 1
        try:
            await entry.lock.acquire()
        except BaseException:
            self._leave(entry)
            raise
        entry.owner = current
        self._entry = entry

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        entry = self._entry
        if entry is None:
            return
        entry.owner = None
        entry.lock.release()
        self._leave(entry)

    def _leave(self, entry: _Entry) -> None:
        entry.users -= 1
        if entry.users == 0:
            del self._locks.entries[self._chat_id]


class ChatLocks:
    def __init__(self) -> None:
        self.entries: dict[int, _Entry] = {}

    def hold(self, chat_id: int) -> _Hold:
        """Hold the chat's lock; re-entrant for the task that holds it already.

        Re-entry matters when one person's action reaches another chat that may be their own (a
        facilitator closing a round they also answered).
        """
        return _Hold(self, chat_id)

    def __len__(self) -> int:
        return len(self.entries)
