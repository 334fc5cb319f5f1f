"""The ids of the messages showing each session's question, written many at once.

Rule: a note is queued, not awaited (the answer it follows is already on disk), and all the notes
taken until a batch leaves are written by one statement at the end of that batch: one step of
SQLite for a whole batch of participants instead of one each, which matters because every step
on the writer's thread waits for the event loop's GIL. Until its batch is committed, reads of
this process see a note through the session cache (`SessionCache.prompt_shown`).
"""

from __future__ import annotations

import logging
from functools import partial
from typing import Any

from storage import sessions
from storage.models import SessionId
from storage.session_cache import SessionCache
from storage.writer import Ended, GroupCommitWriter, Unit

log = logging.getLogger(__name__)

# Per session, the note the cache gave it and the message id.
Notes = dict[SessionId, tuple[int, int | None]]


class PromptNotes:
    def __init__(self, cache: SessionCache, writer: GroupCommitWriter) -> None:
        self._cache = cache
        self._writer = writer
        self._pending: Notes = {}
        self.notes = 0  # taken so far, for benchmarks

    def note(self, session_id: SessionId, message_id: int | None) -> None:
        """Write `message_id` as the session's prompt in the next batch.

        Raises:
            StoreClosedError: the store is closing.
        """
        if not self._pending:
            self._writer.submit_collected(self._collect)  # one collection for all until it leaves
        self._pending[session_id] = (self._cache.prompt_shown(session_id, message_id), message_id)
        self.notes += 1

    def supersede(self, session_id: SessionId) -> None:
        """An awaited write of the session's prompt was just submitted: a note taken before it
        must not be written after it (notes run last in their batch)."""
        dropped = self._pending.pop(session_id, None)
        if dropped is not None:
            self._cache.prompt_dropped(session_id, dropped[0])

    def _collect(self) -> tuple[Unit[Any], Ended] | None:
        notes, self._pending = self._pending, {}
        if not notes:
            return None
        rows = [(session_id, message_id) for session_id, (_, message_id) in notes.items()]

        def ended(value: object, error: Exception | None) -> None:
            del value
            for session_id, (note, message_id) in notes.items():
                self._cache.prompt_stored(session_id, note, message_id, failed=error is not None)

        return partial(sessions.note_prompt_messages, notes=rows), ended
