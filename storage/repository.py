"""The repository: one method per use case, the only door from the bot to stored data.

Rule: this `Protocol` names no SQL and no SQLite type, so another backend can sit behind it.
Every method that writes returns only once its write is durable on disk; every time is given by
the caller as an aware `datetime`; every error is a `StorageError` with a one-line message.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from os import PathLike
from typing import Any, Protocol

from flows.state import SessionState
from storage.board_repository import BoardRepository
from storage.models import (
    UNCHANGED,
    AnswerRow,
    AnswerWrite,
    ApplyResult,
    AuditEntry,
    Chat,
    ChatId,
    ChatKind,
    Cohort,
    CohortId,
    Dialog,
    Membership,
    Person,
    Role,
    Round,
    RoundId,
    RoundStatus,
    Session,
    SessionId,
    SessionStatus,
    Unchanged,
    UpdateId,
    UserId,
)


class Repository(BoardRepository, Protocol):
    """Every use case; those of the group SWOT are in `storage/board_repository.py`."""

    # -- people ----------------------------------------------------------------------------
    async def upsert_person(
        self,
        user_id: UserId,
        display_name: str,
        language: str | None,
        at: datetime,
        *,
        force: bool = False,
    ) -> Person:
        """Create the person, or keep the name and language they already have unless `force`."""
        ...

    async def get_person(self, user_id: UserId) -> Person | None: ...

    async def set_person_language(self, user_id: UserId, language: str, at: datetime) -> Person:
        """Raises: NotFoundError: unknown person."""
        ...

    async def set_person_profile(
        self, user_id: UserId, display_name: str, organisation: str | None, at: datetime
    ) -> Person:
        """Raises: NotFoundError: unknown person."""
        ...

    async def set_reachable(self, user_id: UserId, reachable: bool, at: datetime) -> None:
        """Record that the bot can (started) or cannot (blocked) message the person.

        Raises: NotFoundError: unknown person.
        """
        ...

    async def person_data(self, user_id: UserId) -> dict[str, Any]:
        """Everything stored about the person, as JSON values, for them to see (`/mydata`).

        Profile, dialog, memberships (with cohort names), sessions, the answers still linked to
        them (a finished anonymous session's are linked to nobody), completions, SWOT items and
        votes, owned actions, reminders, and the audit entries they are the actor of. A person
        the store does not know gets an export with no profile and empty sections.
        """
        ...

    async def forget_person(self, user_id: UserId, at: datetime) -> None:
        """Erase the person's data in one transaction (`/forget`); forgetting twice is harmless.

        Then the database is vacuumed and its -wal emptied, so nothing of it stays in free
        pages or old page images.

        Their linked answers and responses, sessions, completions, memberships, dialog, votes and
        reminders are deleted (a ballot they cast on a board still voting goes); their SWOT items
        too (and left out of pending grouping proposals), except those others voted for, merged
        into or made an action of, which stay without an author; actions they owned stay without
        an owner. A board being stepped meanwhile then refuses its stale state. Audit
        entries keep their actor id, for accountability, and so the person's row stays, named
        "—", while an audit entry, a cohort they created or a round they opened names them;
        otherwise the row is deleted.
        """
        ...

    # -- dialogs ---------------------------------------------------------------------------
    async def get_dialog(self, user_id: UserId) -> Dialog | None: ...

    async def set_dialog(
        self,
        user_id: UserId,
        kind: str,
        payload: Mapping[str, Any],
        at: datetime,
        update_id: UpdateId | None = None,
    ) -> ApplyResult:
        """Start or move on the person's dialog (replacing any other), recording `update_id`.

        A known `update_id` changes nothing and returns `DUPLICATE`, as in `apply_step`.

        Raises: NotFoundError: unknown person.
        """
        ...

    async def clear_dialog(
        self, user_id: UserId, at: datetime, update_id: UpdateId | None = None
    ) -> ApplyResult:
        """End the person's dialog, if any; a known `update_id` changes nothing (`DUPLICATE`)."""
        ...

    # -- cohorts, members, chats -----------------------------------------------------------
    async def create_cohort(
        self,
        name: str,
        invite_code: str,
        created_by: UserId,
        at: datetime,
        timezone: str = "Europe/Brussels",
    ) -> Cohort:
        """Create a cohort whose creator is its first facilitator, in `timezone` (IANA); the
        audit log gets its entry in the same transaction.

        Raises: InviteCodeTakenError: the code is in use. NotFoundError: unknown creator.
        """
        ...

    async def get_cohort(self, cohort_id: CohortId) -> Cohort | None: ...

    async def get_cohort_by_code(self, invite_code: str) -> Cohort | None: ...

    async def add_member(
        self, cohort_id: CohortId, user_id: UserId, role: Role, at: datetime
    ) -> bool:
        """Add a role to a person in a cohort; False if they already had it.

        Raises: NotFoundError: unknown cohort or person.
        """
        ...

    async def join_cohort(
        self,
        cohort_id: CohortId,
        user_id: UserId,
        role: Role,
        display_name: str,
        organisation: str | None,
        language: str,
        at: datetime,
        update_id: UpdateId | None = None,
    ) -> ApplyResult:
        """End an onboarding in one transaction: profile, language, membership, dialog cleared.

        Joining again is harmless (and `APPLIED`); a known `update_id` changes nothing and
        returns `DUPLICATE`. A facilitator joining is logged in the audit, in the same
        transaction.

        Raises: NotFoundError: unknown cohort or person.
        """
        ...

    async def memberships_of(self, user_id: UserId) -> list[Membership]: ...

    async def members_of(
        self, cohort_id: CohortId, role: Role | None = None
    ) -> list[Membership]: ...

    async def member_names(self, cohort_id: CohortId) -> dict[UserId, str]:
        """The display name of every member of the cohort, whatever their roles."""
        ...

    async def bind_chat(
        self,
        chat_id: ChatId,
        cohort_id: CohortId | None,
        title: str | None,
        kind: ChatKind,
        at: datetime,
        bound_by: UserId | None = None,
    ) -> Chat:
        """Bind (or re-bind, or with None unbind) a Telegram chat to a cohort; with `bound_by`,
        logged in the audit in the same transaction."""
        ...

    async def cohort_of_chat(self, chat_id: ChatId) -> Cohort | None: ...

    async def chats_of_cohort(self, cohort_id: CohortId) -> list[Chat]:
        """The chats (groups) bound to the cohort."""
        ...

    # -- flows and rounds ------------------------------------------------------------------
    async def register_flow(
        self,
        flow_id: str,
        version: int,
        source_hash: str,
        title: str,
        at: datetime,
        definition_json: str | None = None,
    ) -> bool:
        """Register a flow version; False if it was registered before with the same source.

        `definition_json` keeps the flow itself, so that sessions on this version can finish
        once the files have moved on to another one.

        Raises: FlowConflictError: registered before with another source hash.
        """
        ...

    async def flow_definitions_in_use(self) -> list[tuple[str, int, str | None]]:
        """(flow id, version, definition JSON if kept) of the versions that open rounds and
        active sessions are on."""
        ...

    async def open_round(
        self,
        cohort_id: CohortId,
        flow_id: str,
        flow_version: int,
        anonymous: bool,
        opened_by: UserId,
        at: datetime,
        deadline: datetime | None = None,
    ) -> Round:
        """Open a round, logged in the audit in the same transaction.

        Raises: NotFoundError: unknown cohort, person, or unregistered flow version.
        """
        ...

    async def close_round(
        self, round_id: RoundId, at: datetime, closed_by: UserId | None = None
    ) -> Round:
        """Close the round (closing a closed round changes nothing); with `closed_by`, logged in
        the audit in the same transaction (a deadline closes it with nobody's name).

        In an anonymous round, the answers sent wait in the round's pool until this call: it
        writes them out (responses and answers with random ids, every time the round's opening
        day), then the database is vacuumed. Active sessions stay active: the caller times them
        out through `apply_step`, which also scrubs them and drops their unsent answers.

        Raises: NotFoundError: unknown round.
        """
        ...

    async def get_round(self, round_id: RoundId) -> Round | None: ...

    async def open_rounds_of_cohort(self, cohort_id: CohortId) -> list[Round]:
        """The cohort's open questionnaires (a SWOT board's round is the board's)."""
        ...

    async def rounds_of_cohort(self, cohort_id: CohortId) -> list[Round]:
        """The cohort's questionnaires, open and closed (a SWOT board's round is the board's)."""
        ...

    async def closed_rounds_with_active_sessions(self) -> list[RoundId]:
        """Rounds closed while some of their sessions were not ended (the closing stopped
        halfway): housekeeping ends them."""
        ...

    async def open_rounds_due(self, before: datetime) -> list[Round]:
        """The open rounds whose deadline is at or before `before`, earliest deadline first."""
        ...

    async def all_open_rounds(self) -> list[Round]:
        """Every open round of every cohort, oldest first."""
        ...

    async def round_status(self, round_id: RoundId) -> RoundStatus:
        """Raises: NotFoundError: unknown round."""
        ...

    async def answers_of_round(self, round_id: RoundId) -> list[AnswerRow]:
        """The live (not retracted) answers of every response of the round.

        An anonymous round's answers appear once the round is closed (see `close_round`).
        """
        ...

    # -- sessions and answers --------------------------------------------------------------
    async def start_session(
        self,
        round_id: RoundId,
        user_id: UserId,
        state: SessionState,
        flow_version: int,
        at: datetime,
    ) -> Session:
        """Start the person's session in the round, or return the one they already have.

        Raises: RoundClosedError: no session yet and the round is closed.
            NotFoundError: unknown round or person.
        """
        ...

    async def get_session(self, session_id: SessionId) -> Session | None: ...

    async def active_sessions_of(self, user_id: UserId) -> list[Session]: ...

    async def active_sessions_of_round(self, round_id: RoundId) -> list[Session]:
        """The round's sessions still active, in the order they started."""
        ...

    async def session_of(self, round_id: RoundId, user_id: UserId) -> Session | None: ...

    async def apply_step(
        self,
        update_id: UpdateId | None,
        session_id: SessionId,
        new_state: SessionState,
        recorded: Sequence[AnswerWrite],
        retracted: Sequence[str],
        at: datetime,
        status: SessionStatus = "active",
        prompt_message_id: int | Unchanged | None = UNCHANGED,
    ) -> ApplyResult:
        """Store one engine step atomically: update id, state, answers, retractions, finish.

        A known `update_id` changes nothing and returns `DUPLICATE`, also when the same update
        is applied concurrently.

        A status other than "active" finishes the session and records the completion;
        `new_state` is the real final state, answers included. In an anonymous round no answer
        row is written while answering (`recorded` and `retracted` live in the state); a submit
        puts the answers of `new_state` in the round's pool, a cancel or a timeout drops them, and
        the session then keeps a state that is the same for everyone in the round, with no
        response and no prompt message. That commit also empties the -wal file.

        Raises: NotFoundError: unknown session. SessionFinishedError: session not active.
        """
        ...

    async def set_prompt_message(self, session_id: SessionId, message_id: int | None) -> None:
        """Record which message shows the session's question (None: none does).

        Raises: NotFoundError: unknown session.
        """
        ...

    async def live_answers(self, session_id: SessionId) -> dict[str, AnswerRow]:
        """The session's live answers by step id; always empty in an anonymous round, whose
        answers live in the session's state until they are sent.

        Raises: NotFoundError: unknown session.
        """
        ...

    # -- updates and audit -----------------------------------------------------------------
    async def mark_update_processed(self, update_id: UpdateId, at: datetime) -> bool:
        """Record an update that changes nothing else; False if it was processed before."""
        ...

    async def prune_processed_updates(self, before: datetime) -> int:
        """Forget update ids processed before `before` (keep at least a day); return how many."""
        ...

    async def record_audit(
        self,
        actor_user_id: UserId,
        action: str,
        cohort_id: CohortId | None,
        detail: Mapping[str, Any],
        at: datetime,
    ) -> None: ...

    async def audit_of_cohort(self, cohort_id: CohortId, limit: int = 100) -> list[AuditEntry]:
        """The cohort's latest audit entries, newest first."""
        ...

    # -- the store itself ------------------------------------------------------------------
    async def backup(self, target: str | PathLike[str]) -> None:
        """Write a consistent copy of the database to `target`, while writes go on.

        Raises: BackupError: the copy could not be written.
        """
        ...

    async def close(self) -> None:
        """Finish queued writes, close the database and release the single-instance lock."""
        ...
