"""Active sessions kept in memory, written through: the survey path reads none back from disk.

Rule: the cache may only hold what the database holds once the writes already awaited are
committed. That is safe because this process is the database's only writer (the instance lock
refuses a second one): every change goes through the repository, which tells the cache.

- A step of a cached session (`stepped`) updates the entry once its commit is on disk.
- A session started is kept: its write inserts rows and changes no other session.
- Any other write empties the cache: a facilitator's action is rare, and working out which
  sessions it touched would be a second copy of the SQL.
- A read fills the cache only if no write that could change what it read ended while it ran:
  a read on the other connection may see the database as it was before that write (`Ticket`).
- The message showing a session's question is the one thing known before it is on disk
  (`prompt_shown`): its write is queued, not awaited. Until that write is committed, every
  session this repository returns carries it (`overlay`), cached or read. Losing it in a crash
  costs a cosmetic edit, never an answer.
- The repository tells the cache about a write when its batch is over, before any caller
  resumes, also when the caller was cancelled meanwhile (the write stands).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import fields
from datetime import datetime
from typing import Any

from storage.models import UNCHANGED, RoundId, Session, SessionId, SessionStatus, Unchanged
from storage.steps import KnownSession

# (writes other than sessions' own that ended, session writes that ended) when a read began
Ticket = tuple[int, int]

MAX_SESSIONS = 10_000  # every participant of many cohorts; an entry is one state, a few KB


class SessionCache:
    def __init__(self) -> None:
        self._sessions: dict[SessionId, Session] = {}
        self._writes = 0  # writes other than sessions' own (steps, prompts) that ended
        self._ended = 0  # sessions' own writes that ended
        self._changed_at: dict[SessionId, int] = {}  # `_ended` when the session's last one did
        self._prompts: dict[SessionId, tuple[int, int | None]] = {}  # queued: (note, message)
        self._notes = 0
        self._disabled = False
        self._anonymous: dict[RoundId, bool] = {}  # a round's anonymity never changes

    def known(self, session_id: SessionId) -> KnownSession | None:
        """What a step of `session_id` may take as read (None: the step reads it itself)."""
        session = self._sessions.get(session_id)
        if session is None or session.response_id is None:
            return None
        anonymous = self._anonymous.get(session.round_id)
        if anonymous is None:
            return None
        return KnownSession(session.round_id, session.user_id, session.response_id, anonymous)

    def learn(self, known: KnownSession) -> None:
        """A step found the round's anonymity: the next steps in that round need not read it."""
        self._anonymous[known.round_id] = known.anonymous

    def get(self, session_id: SessionId) -> Session | None:
        known = self._sessions.get(session_id)
        return None if known is None else self.overlay(known)

    def ticket(self) -> Ticket:
        """Take before a read; give back to `fill` or `is_current` with what it found."""
        return self._writes, self._ended

    def is_current(self, ticket: Ticket, sessions: list[Session]) -> bool:
        """No write that could change `sessions` ended since `ticket` was taken."""
        return ticket[0] == self._writes and all(
            self._changed_at.get(session.id, -1) <= ticket[1] for session in sessions
        )

    def disable(self) -> None:
        """The writer died: a batch in flight may still commit unseen, so keep nothing more."""
        self._disabled = True
        self.written()

    def fill(self, ticket: Ticket, session: Session | None) -> Session | None:
        """`session` as read, with its queued prompt; kept if the read is still current."""
        if session is None:
            return None
        session = self.overlay(session)
        if self.is_current(ticket, [session]):
            self._keep(session)
        return session

    def started(self, session: Session) -> None:
        """`session` was started, or found already started, by a write now committed.

        Starting one inserts it and its response and changes no other session: the others stay.
        """
        self._session_changed(session.id)  # voids the reads in flight that return it
        self._keep(self.overlay(session))

    def _keep(self, session: Session) -> None:
        """Keep `session`, as the database holds it, if it is active and the cache works."""
        if self._disabled or not session.is_active:
            return
        if len(self._sessions) >= MAX_SESSIONS:
            self.written()
        self._sessions[session.id] = session

    def overlay(self, session: Session) -> Session:
        """`session` as read, with the prompt id whose write is still queued, if any."""
        queued = self._prompts.get(session.id)
        if queued is None or queued[1] == session.prompt_message_id:
            return session
        return _changed(session, session.state, queued[1], session.updated_at)

    def written(self) -> None:
        """A write other than a step ended (or failed): nothing cached can be trusted."""
        self._writes += 1
        self._sessions.clear()
        self._changed_at.clear()  # safe: the bump above already voids every ticket in flight

    def stepped(
        self,
        session_id: SessionId,
        state: Mapping[str, Any],
        status: SessionStatus,
        prompt_message_id: int | Unchanged | None,
        at: datetime,
    ) -> None:
        """A step of `session_id` is committed: keep what it wrote (a finished session goes).

        `state` is kept as given: callers pass a fresh JSON-native mapping and never change it.
        """
        self._session_changed(session_id)
        known = self._sessions.get(session_id)
        if known is None:
            return
        if status != "active":
            del self._sessions[session_id]
            return
        prompt = known.prompt_message_id if prompt_message_id is UNCHANGED else prompt_message_id
        self._sessions[session_id] = _changed(known, state, prompt, at)

    def forget(self, session_id: SessionId) -> None:
        """A write of `session_id` failed: what it did is unknown."""
        self._session_changed(session_id)
        self._sessions.pop(session_id, None)

    def _session_changed(self, session_id: SessionId) -> None:
        # Voids the tickets in flight of reads that return this session.
        self._ended += 1
        self._changed_at[session_id] = self._ended

    def prompt_shown(self, session_id: SessionId, message_id: int | None) -> int:
        """The prompt's write is queued: returns the note to give `prompt_stored` when it ends."""
        self._notes += 1
        self._prompts[session_id] = (self._notes, message_id)
        self._set_prompt(session_id, message_id)
        return self._notes

    def prompt_stored(
        self, session_id: SessionId, note: int, message_id: int | None, failed: bool
    ) -> None:
        """The queued write `note` ended: reads show what the database has from now on."""
        queued = self._prompts.get(session_id)
        if queued is not None and queued[0] == note:
            del self._prompts[session_id]
        if failed:  # the cached entry shows a prompt the database does not have
            self.forget(session_id)
            return
        self._session_changed(session_id)
        self._set_prompt(session_id, message_id)  # hooks run in commit order: this is current

    def notes_so_far(self) -> int:
        """Take when an awaited write of a prompt is submitted; give back to `prompt_set`."""
        return self._notes

    def prompt_set(self, session_id: SessionId, message_id: int | None, notes_before: int) -> None:
        """An awaited write of the prompt ended: it supersedes the notes queued before it, not
        one queued after it (that one is written later)."""
        self._session_changed(session_id)
        queued = self._prompts.get(session_id)
        if queued is not None and queued[0] > notes_before:
            return
        self._prompts.pop(session_id, None)
        self._set_prompt(session_id, message_id)

    def _set_prompt(self, session_id: SessionId, message_id: int | None) -> None:
        known = self._sessions.get(session_id)
        if known is not None and known.prompt_message_id != message_id:
            self._sessions[session_id] = _changed(known, known.state, message_id, known.updated_at)


def _changed(
    known: Session, state: Mapping[str, Any], prompt: int | None, updated_at: datetime
) -> Session:
    # This runs twice per answer. `dataclasses.replace` inspects the fields at every call, and
    # a frozen class's `__init__` goes through `object.__setattr__` per field: each slot is
    # filled through its own setter instead, half the time (a test compares with `replace`).
    new = _NEW(Session)
    (
        set_id,
        set_round_id,
        set_user_id,
        set_response_id,
        set_status,
        set_state,
        set_flow_version,
        set_prompt_message_id,
        set_started_at,
        set_updated_at,
        set_finished_at,
    ) = _SETTERS
    set_id(new, known.id)
    set_round_id(new, known.round_id)
    set_user_id(new, known.user_id)
    set_response_id(new, known.response_id)
    set_status(new, known.status)
    set_state(new, state)
    set_flow_version(new, known.flow_version)
    set_prompt_message_id(new, prompt)
    set_started_at(new, known.started_at)
    set_updated_at(new, updated_at)
    set_finished_at(new, known.finished_at)
    return new


_NEW = object.__new__
# Each slot's own setter, in the order of the fields, which `_changed` follows: the frozen class
# refuses plain assignment.
_SETTERS: tuple[Callable[[Session, Any], None], ...] = tuple(
    getattr(Session, each.name).__set__ for each in fields(Session)
)
