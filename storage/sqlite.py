"""The SQLite repository: one file, one write connection behind a group-commit writer, one
read connection.

Rule: this class only routes. Writes become units for the writer (`storage/writer.py`); reads run
in one trip on the read connection (that plumbing is `storage/store.py`); the SQL itself lives in
the concept modules (`people.py`, `dialogs.py`, `privacy.py`, `cohorts.py`, `rounds.py`,
`sessions.py`, `steps.py`, `updates.py`, `audit.py`; the group SWOT's, routed by
`storage/board_store.py`, in `boards.py`, `board_steps.py`, `actions.py`). JSON is encoded here,
on the event loop, so a value that is not JSON fails its caller before it reaches the writer.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Mapping, Sequence
from datetime import datetime
from functools import partial
from os import PathLike
from pathlib import Path
from typing import Any

from flows.state import SessionState
from storage import (
    anonymity,
    audit,
    cohorts,
    dialogs,
    people,
    privacy,
    rounds,
    sessions,
    steps,
    updates,
)
from storage.board_store import SqliteBoardStore
from storage.connection import Connection, check_synchronous, connect
from storage.errors import translate
from storage.lock import InstanceLock
from storage.migrations import MIGRATIONS, Migration, migrate
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
    to_json,
    to_text,
)
from storage.repository import Repository
from storage.writer import Erase


async def open_repository(
    path: str | PathLike[str],
    *,
    synchronous: str = "FULL",
    migrations: Sequence[Migration] | None = None,
) -> SqliteRepository:
    """Lock, open and migrate the database at `path` (created if missing).

    `synchronous` is SQLite's durability level: FULL (default) survives power loss; NORMAL
    survives a crash of the process but may lose the last commits on power loss. `migrations`
    replaces the registry (tests inject failing ones).

    Raises:
        StorageError: one line for any reason the database cannot serve (wrong path, read-only,
            disk full, newer schema, another bilan-bot process on it, a failed migration).
    """
    level = check_synchronous(synchronous)
    database, lock = _lock(path)
    opened: list[Connection] = []
    try:
        opened.append(await connect(database, "write", level))
        known = MIGRATIONS if migrations is None else migrations
        version = await _migrate(opened[0], database, known)
        opened.append(await connect(database, "read", level))
    except BaseException:
        for db in reversed(opened):
            with contextlib.suppress(Exception):
                await db.close()
        lock.release()
        raise
    return SqliteRepository(database, lock, opened[0], opened[1], version)


def _lock(path: str | PathLike[str]) -> tuple[Path, InstanceLock]:
    # Resolved, so that two paths to one file (a symlink, a relative path) share one lock.
    database = Path(path).expanduser().resolve()
    return database, InstanceLock.acquire(database)


async def _migrate(db: Connection, path: Path, known: Sequence[Migration]) -> int:
    try:
        return await db.run(partial(migrate, path=path, migrations=known))
    except sqlite3.Error as error:
        raise translate(error, path, "migrating") from error


class SqliteRepository(SqliteBoardStore, Repository):
    """The repository on one SQLite file; use `open_repository` to get one."""

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
        return await self._write(
            lambda conn: people.upsert_person(conn, user_id, display_name, language, at, force)
        )

    async def get_person(self, user_id: UserId) -> Person | None:
        return await self._read(lambda conn: people.get_person(conn, user_id))

    async def set_person_language(self, user_id: UserId, language: str, at: datetime) -> Person:
        return await self._write(lambda conn: people.set_language(conn, user_id, language, at))

    async def set_person_profile(
        self, user_id: UserId, display_name: str, organisation: str | None, at: datetime
    ) -> Person:
        return await self._write(
            lambda conn: people.set_profile(conn, user_id, display_name, organisation, at)
        )

    async def set_reachable(self, user_id: UserId, reachable: bool, at: datetime) -> None:
        await self._write(lambda conn: people.set_reachable(conn, user_id, reachable, at))

    async def person_data(self, user_id: UserId) -> dict[str, Any]:
        return await self._read(lambda conn: privacy.person_data(conn, user_id))

    async def forget_person(self, user_id: UserId, at: datetime) -> None:
        # VACUUM: their rows must not survive in free pages or old cells, nor in the -wal.
        await self._write(
            lambda conn: privacy.forget_person(conn, user_id, at), lambda _: Erase.VACUUM
        )

    # -- dialogs ---------------------------------------------------------------------------
    async def get_dialog(self, user_id: UserId) -> Dialog | None:
        return await self._read(lambda conn: dialogs.get_dialog(conn, user_id))

    async def set_dialog(
        self,
        user_id: UserId,
        kind: str,
        payload: Mapping[str, Any],
        at: datetime,
        update_id: UpdateId | None = None,
    ) -> ApplyResult:
        payload_json = to_json(payload)
        return await self._write(
            lambda conn: dialogs.set_dialog(conn, user_id, kind, payload_json, at, update_id)
        )

    async def clear_dialog(
        self, user_id: UserId, at: datetime, update_id: UpdateId | None = None
    ) -> ApplyResult:
        return await self._write(lambda conn: dialogs.clear_dialog(conn, user_id, at, update_id))

    # -- cohorts, members, chats -----------------------------------------------------------
    async def create_cohort(
        self,
        name: str,
        invite_code: str,
        created_by: UserId,
        at: datetime,
        timezone: str = "Europe/Brussels",
    ) -> Cohort:
        def unit(conn: sqlite3.Connection) -> Cohort:
            cohort = cohorts.create_cohort(conn, name, invite_code, created_by, at, timezone)
            _audit(conn, created_by, "create_cohort", cohort.id, {"name": name}, at)
            return cohort

        return await self._write(unit)

    async def get_cohort(self, cohort_id: CohortId) -> Cohort | None:
        return await self._read(lambda conn: cohorts.get_cohort(conn, cohort_id))

    async def get_cohort_by_code(self, invite_code: str) -> Cohort | None:
        return await self._read(lambda conn: cohorts.get_cohort_by_code(conn, invite_code))

    async def add_member(
        self, cohort_id: CohortId, user_id: UserId, role: Role, at: datetime
    ) -> bool:
        return await self._write(
            lambda conn: cohorts.add_member(conn, cohort_id, user_id, role, at)
        )

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
        def unit(conn: sqlite3.Connection) -> ApplyResult:
            result = cohorts.join_cohort(
                conn, cohort_id, user_id, role, display_name, organisation, language, at, update_id
            )
            if result is ApplyResult.APPLIED and role == "facilitator":
                _audit(conn, user_id, "join_as_facilitator", cohort_id, {}, at)
            return result

        return await self._write(unit)

    async def memberships_of(self, user_id: UserId) -> list[Membership]:
        return await self._read(lambda conn: cohorts.memberships_of(conn, user_id))

    async def members_of(self, cohort_id: CohortId, role: Role | None = None) -> list[Membership]:
        return await self._read(lambda conn: cohorts.members_of(conn, cohort_id, role))

    async def member_names(self, cohort_id: CohortId) -> dict[UserId, str]:
        return await self._read(lambda conn: cohorts.member_names(conn, cohort_id))

    async def bind_chat(
        self,
        chat_id: ChatId,
        cohort_id: CohortId | None,
        title: str | None,
        kind: ChatKind,
        at: datetime,
        bound_by: UserId | None = None,
    ) -> Chat:
        def unit(conn: sqlite3.Connection) -> Chat:
            chat = cohorts.bind_chat(conn, chat_id, cohort_id, title, kind, at)
            if bound_by is not None:
                _audit(conn, bound_by, "bind_group", cohort_id, {"chat": chat_id}, at)
            return chat

        return await self._write(unit)

    async def cohort_of_chat(self, chat_id: ChatId) -> Cohort | None:
        return await self._read(lambda conn: cohorts.cohort_of_chat(conn, chat_id))

    async def chats_of_cohort(self, cohort_id: CohortId) -> list[Chat]:
        return await self._read(lambda conn: cohorts.chats_of_cohort(conn, cohort_id))

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
        return await self._write(
            lambda conn: rounds.register_flow(
                conn, flow_id, version, source_hash, title, at, definition_json
            )
        )

    async def flow_definitions_in_use(self) -> list[tuple[str, int, str | None]]:
        return await self._read(rounds.flow_definitions_in_use)

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
        def unit(conn: sqlite3.Connection) -> Round:
            opened = rounds.open_round(
                conn, cohort_id, flow_id, flow_version, anonymous, opened_by, at, deadline
            )
            detail = {
                "round": opened.id,
                "flow": flow_id,
                "deadline": deadline and to_text(deadline),
            }
            _audit(conn, opened_by, "open_round", cohort_id, detail, at)
            return opened

        return await self._write(unit)

    async def close_round(
        self, round_id: RoundId, at: datetime, closed_by: UserId | None = None
    ) -> Round:
        def unit(conn: sqlite3.Connection) -> tuple[Round, Erase]:
            closed, flushed = rounds.close_round(conn, round_id, at)
            if closed_by is not None:
                _audit(conn, closed_by, "close_round", closed.cohort_id, {"round": round_id}, at)
            # A pool written out leaves its rows where insertion put them until VACUUM.
            return closed, Erase.VACUUM if flushed else Erase.NOTHING

        closed, _ = await self._write(unit, lambda done: done[1])
        return closed

    async def get_round(self, round_id: RoundId) -> Round | None:
        return await self._read(lambda conn: rounds.get_round(conn, round_id))

    async def open_rounds_of_cohort(self, cohort_id: CohortId) -> list[Round]:
        return await self._read(lambda conn: rounds.rounds_of_cohort(conn, cohort_id, True))

    async def rounds_of_cohort(self, cohort_id: CohortId) -> list[Round]:
        return await self._read(lambda conn: rounds.rounds_of_cohort(conn, cohort_id, False))

    async def closed_rounds_with_active_sessions(self) -> list[RoundId]:
        return await self._read(rounds.closed_rounds_with_active_sessions)

    async def open_rounds_due(self, before: datetime) -> list[Round]:
        return await self._read(lambda conn: rounds.open_rounds_due(conn, before))

    async def all_open_rounds(self) -> list[Round]:
        return await self._read(rounds.all_open_rounds)

    async def round_status(self, round_id: RoundId) -> RoundStatus:
        return await self._read(lambda conn: rounds.round_status(conn, round_id))

    async def answers_of_round(self, round_id: RoundId) -> list[AnswerRow]:
        return await self._read(lambda conn: rounds.answers_of_round(conn, round_id))

    # -- sessions and answers --------------------------------------------------------------
    async def start_session(
        self,
        round_id: RoundId,
        user_id: UserId,
        state: SessionState,
        flow_version: int,
        at: datetime,
    ) -> Session:
        state_json = to_json(state.to_json())
        return await self._write(
            lambda conn: sessions.start_session(
                conn, round_id, user_id, state_json, flow_version, at
            )
        )

    async def get_session(self, session_id: SessionId) -> Session | None:
        return await self._read(lambda conn: sessions.get_session(conn, session_id))

    async def active_sessions_of(self, user_id: UserId) -> list[Session]:
        return await self._read(lambda conn: sessions.active_sessions_of(conn, user_id))

    async def active_sessions_of_round(self, round_id: RoundId) -> list[Session]:
        return await self._read(lambda conn: sessions.active_sessions_of_round(conn, round_id))

    async def session_of(self, round_id: RoundId, user_id: UserId) -> Session | None:
        return await self._read(lambda conn: sessions.session_of(conn, round_id, user_id))

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
        encoded = [(answer.step_id, to_json(answer.value), answer.detail) for answer in recorded]
        state_json, dropped = to_json(new_state.to_json()), list(retracted)
        # What an anonymous round stores instead when the session ends (only the unit knows
        # whether the round is anonymous; encoding stays here, on the event loop).
        sent = anonymity.final_answers(new_state) if status == "submitted" else []
        scrubbed = None
        if status != "active":
            scrubbed = to_json(anonymity.scrubbed_state(new_state, status).to_json())
        result, _ = await self._write(
            lambda conn: steps.apply_step(
                conn,
                update_id,
                session_id,
                state_json,
                encoded,
                dropped,
                at,
                status,
                prompt_message_id,
                sent,
                scrubbed,
            ),
            lambda done: done[1],
        )
        return result

    async def set_prompt_message(self, session_id: SessionId, message_id: int | None) -> None:
        await self._write(lambda conn: sessions.set_prompt_message(conn, session_id, message_id))

    async def live_answers(self, session_id: SessionId) -> dict[str, AnswerRow]:
        return await self._read(lambda conn: sessions.live_answers(conn, session_id))

    # -- updates and audit -----------------------------------------------------------------
    async def mark_update_processed(self, update_id: UpdateId, at: datetime) -> bool:
        return await self._write(lambda conn: updates.claim_update(conn, update_id, at))

    async def prune_processed_updates(self, before: datetime) -> int:
        return await self._write(lambda conn: updates.prune_updates(conn, before))

    async def record_audit(
        self,
        actor_user_id: UserId,
        action: str,
        cohort_id: CohortId | None,
        detail: Mapping[str, Any],
        at: datetime,
    ) -> None:
        detail_json = to_json(detail)
        await self._write(
            lambda conn: audit.record(conn, actor_user_id, action, cohort_id, detail_json, at)
        )

    async def audit_of_cohort(self, cohort_id: CohortId, limit: int = 100) -> list[AuditEntry]:
        return await self._read(lambda conn: audit.of_cohort(conn, cohort_id, limit))


def _audit(
    conn: sqlite3.Connection,
    actor: UserId,
    action: str,
    cohort_id: CohortId | None,
    detail: Mapping[str, Any],
    at: datetime,
) -> None:
    """A facilitator's action is logged in the transaction that does it: both or neither."""
    audit.record(conn, actor, action, cohort_id, to_json(detail), at)
