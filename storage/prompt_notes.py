"""The ids of the messages showing each session's question, written many at once.

Rule: a note is queued, not awaited (the answer it follows is already on disk), and the notes
taken until their batch leaves (or until another write is submitted) are written by one
statement: one step of SQLite for a whole batch of participants instead of one each, which
matters because every step on the writer's thread waits for the event loop's GIL. Writes keep
their order: a prompt written after a note is written after it. Until its batch is committed,
reads of this process see a note through the session cache (`SessionCache.prompt_shown`).
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
        self._open: Notes | None = None  # the notes of the collection queued, not built
        self.notes = 0  # taken so far, for benchmarks
        writer.add_collection(self)

    def note(self, session_id: SessionId, message_id: int | None) -> None:
        """Write `message_id` as the session's prompt with the batch it joins.

        Raises:
            StoreClosedError: the store is closing.
        """
        notes = self._open
        if notes is None:  # no collection open: queue one for a new dict
            notes = {}
            self._writer.submit_collected(partial(self._collect, notes))
            self._open = notes
        notes[session_id] = (self._cache.prompt_shown(session_id, message_id), message_id)
        self.notes += 1

    def seal(self) -> None:
        self._open = None  # the queued collection keeps the notes it has

    def _collect(self, notes: Notes) -> tuple[Unit[Any], Ended] | None:
        if notes is self._open:
            self._open = None
        if not notes:
            return None
        rows = [(session_id, message_id) for session_id, (_, message_id) in notes.items()]

        def ended(value: object, error: Exception | None) -> None:
            del value
            for session_id, (note, message_id) in notes.items():
                self._cache.prompt_stored(session_id, note, message_id, failed=error is not None)

        return partial(sessions.note_prompt_messages, notes=rows), ended
