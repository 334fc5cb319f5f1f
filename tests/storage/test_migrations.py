"""Migrations: from empty, again as a no-op, a failing one rolled back, a newer schema refused."""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path

import pytest

from storage import MIGRATIONS, MigrationError, SchemaTooNewError, UserId, open_repository
from storage.migrations import execute_script
from storage.models import to_text
from tests.storage.conftest import at, state

EXPECTED_TABLES = {
    "migrations",
    "people",
    "cohorts",
    "memberships",
    "chats",
    "flows",
    "rounds",
    "sessions",
    "pools",
    "responses",
    "answers",
    "completions",
    "swot_items",
    "votes",
    "actions",
    "reminders",
    "processed_updates",
    "audit_log",
    "dialogs",
    "boards",
}
LATEST = len(MIGRATIONS)
APPLIED = [(migration.__name__,) for migration in MIGRATIONS]


def _schema(path: Path) -> list[tuple[str, str]]:
    with contextlib.closing(sqlite3.connect(path)) as conn:
        rows = conn.execute("SELECT name, sql FROM sqlite_master ORDER BY name").fetchall()
    return [(name, sql or "") for name, sql in rows]


def _query(path: Path, sql: str) -> list[tuple[object, ...]]:
    with contextlib.closing(sqlite3.connect(path)) as conn:
        return conn.execute(sql).fetchall()


async def test_migrate_from_empty_creates_the_whole_schema(db_path: Path) -> None:
    async with await open_repository(db_path) as repo:
        assert repo.schema_version == len(MIGRATIONS)
    tables = {
        name for (name,) in _query(db_path, "SELECT name FROM sqlite_master WHERE type = 'table'")
    }
    assert tables == EXPECTED_TABLES
    assert _query(db_path, "SELECT id, name FROM migrations") == [
        (1, "m0001_initial"),
        (2, "m0002_dialogs"),
        (3, "m0003_flow_definitions"),
        (4, "m0004_cohort_timezone"),
        (5, "m0005_anonymous_pools"),
        (6, "m0006_boards"),
    ]
    assert _query(db_path, "PRAGMA user_version") == [(LATEST,)]
    assert _query(db_path, "PRAGMA journal_mode") == [("wal",)]


async def test_migrate_again_is_a_no_op(db_path: Path) -> None:
    async with await open_repository(db_path) as repo:
        await repo.upsert_person(UserId(1), "Ada", "en", at(0))
    before = _schema(db_path)
    async with await open_repository(db_path) as repo:
        assert await repo.get_person(UserId(1)) is not None
    assert _schema(db_path) == before
    assert _query(db_path, "SELECT count(*) FROM migrations") == [(LATEST,)]


async def test_a_database_of_the_first_schema_is_upgraded_in_place(db_path: Path) -> None:
    async with await open_repository(db_path, migrations=MIGRATIONS[:1]) as repo:
        await repo.upsert_person(UserId(1), "Ada", "en", at(0))
    async with await open_repository(db_path) as repo:
        assert repo.schema_version == LATEST
        person = await repo.get_person(UserId(1))
        assert person is not None
        assert person.display_name == "Ada"
        await repo.set_dialog(UserId(1), "join", {"step": "name"}, at(1))
    assert _query(db_path, "SELECT name FROM migrations ORDER BY id") == APPLIED
    assert _query(db_path, "SELECT user_id, kind FROM dialogs") == [(1, "join")]


async def test_cohorts_of_an_older_schema_get_the_default_timezone(db_path: Path) -> None:
    async with await open_repository(db_path, migrations=MIGRATIONS[:3]) as repo:
        await repo.upsert_person(UserId(1), "Ada", "en", at(0))
    with contextlib.closing(sqlite3.connect(db_path)) as conn, conn:
        conn.execute(  # as the release before zones wrote it
            "INSERT INTO cohorts (name, invite_code, created_by, created_at) "
            "VALUES ('Before zones', 'OLD', 1, '2025-01-01T00:00:00.000000+00:00')"
        )
    async with await open_repository(db_path) as repo:
        older = await repo.get_cohort_by_code("OLD")
        newer = await repo.create_cohort("Lisbon", "NEW", UserId(1), at(2), "Europe/Lisbon")
        default = await repo.create_cohort("Namur", "NAM", UserId(1), at(3))
    assert older is not None
    assert (older.timezone, newer.timezone) == ("Europe/Brussels", "Europe/Lisbon")
    assert default.timezone == "Europe/Brussels"


async def test_an_anonymous_session_of_an_older_schema_loses_its_link(db_path: Path) -> None:
    """The release before the pools kept an active anonymous session's answers as rows linked
    to it; the upgrade drops them (the session's state holds them, its submit deposits them)."""
    async with await open_repository(db_path, migrations=MIGRATIONS[:4]) as repo:
        ada = UserId(1)
        await repo.upsert_person(ada, "Ada", "en", at(0))
        cohort = await repo.create_cohort("Coop", "CODE", ada, at(1))
        await repo.register_flow("review", 1, "a" * 64, "Review", at(2))
        anonymous = await repo.open_round(cohort.id, "review", 1, True, ada, at(3))
        session = await repo.start_session(anonymous.id, ada, state(3, mood="secret"), 1, at(4))
    with contextlib.closing(sqlite3.connect(db_path)) as conn, conn:  # as that release wrote it
        conn.execute("INSERT INTO responses (id, round_id) VALUES (777, ?)", (anonymous.id,))
        conn.execute(
            "INSERT INTO answers (id, response_id, step_id, value_json, answered_at) "
            "VALUES (5, 777, 'mood', '\"secret\"', '2025-03-03')"
        )
        conn.execute("UPDATE sessions SET response_id = 777 WHERE id = ?", (session.id,))
    async with await open_repository(db_path) as repo:
        upgraded = await repo.get_session(session.id)
        assert upgraded is not None
        assert upgraded.response_id is None
        assert upgraded.state.answers["mood"].value == "secret"
    assert _query(db_path, "SELECT count(*) FROM answers") == [(0,)]
    assert _query(db_path, "SELECT count(*) FROM responses") == [(0,)]


async def test_swot_rows_of_an_older_schema_stay_and_boards_can_open(db_path: Path) -> None:
    """Before the boards, the SWOT tables existed and stayed empty in the product; rows written
    into them by hand (or by a fork) survive the upgrade, with the new columns empty."""
    async with await open_repository(db_path, migrations=MIGRATIONS[:5]) as repo:
        ada = UserId(1)
        await repo.upsert_person(ada, "Ada", "en", at(0))
        cohort = await repo.create_cohort("Coop", "CODE", ada, at(1))
        await repo.register_flow("swot", 1, "a" * 64, "SWOT", at(2))
        old = await repo.open_round(cohort.id, "swot", 1, False, ada, at(3))
    with contextlib.closing(sqlite3.connect(db_path)) as conn, conn:  # as that release wrote it
        conn.execute(
            "INSERT INTO swot_items (id, round_id, user_id, quadrant, text, created_at) "
            "VALUES (11, ?, 1, 'threats', 'old item', 't')",
            (old.id,),
        )
        conn.execute("INSERT INTO votes VALUES (11, 1, 2, 't')")
        conn.execute(
            "INSERT INTO actions (cohort_id, round_id, title, owner_user_id, created_at, "
            "updated_at) VALUES (?, ?, 'old action', 1, ?, ?)",
            (cohort.id, old.id, to_text(at(3)), to_text(at(3))),
        )
    async with await open_repository(db_path) as repo:
        assert repo.schema_version == LATEST
        board = await repo.open_board(cohort.id, "swot", 1, ada, True, at(4))
        assert board.state.phase == "collecting"
        (kept,) = await repo.actions_of_cohort(cohort.id)
        assert (kept.title, kept.item_id, kept.owner_user_id) == ("old action", None, ada)
    assert _query(db_path, "SELECT id, text, label, total FROM swot_items") == [
        (11, "old item", None, None)
    ]
    assert _query(db_path, "SELECT item_id, user_id, dots FROM votes") == [(11, 1, 2)]


def m9001_add_then_fail(conn: sqlite3.Connection) -> None:
    conn.execute("CREATE TABLE half_done (x INTEGER)")
    conn.execute("INSERT INTO people (user_id, display_name, created_at, updated_at) "
                 "VALUES (99, 'ghost', 't', 't')")  # fmt: skip
    conn.execute("INSERT INTO nowhere VALUES (1)")


async def test_a_failing_migration_rolls_back_and_leaves_nothing(db_path: Path) -> None:
    async with await open_repository(db_path):
        pass
    with pytest.raises(MigrationError) as caught:
        await open_repository(db_path, migrations=[*MIGRATIONS, m9001_add_then_fail])
    message = str(caught.value)
    assert "m9001_add_then_fail" in message
    assert "no such table: nowhere" in message
    assert "\n" not in message
    names = {name for name, _ in _schema(db_path)}
    assert "half_done" not in names
    assert _query(db_path, "SELECT name FROM migrations ORDER BY id") == APPLIED
    assert _query(db_path, "SELECT count(*) FROM people") == [(0,)]
    assert _query(db_path, "PRAGMA user_version") == [(LATEST,)]
    async with await open_repository(db_path) as repo:  # the lock was released too
        assert repo.schema_version == LATEST


async def test_a_failing_first_migration_leaves_an_empty_database(db_path: Path) -> None:
    def m0001_broken(conn: sqlite3.Connection) -> None:
        execute_script(conn, "CREATE TABLE a (x);\nCREATE TABLE b (y);\nSELECT * FROM nope;")

    with pytest.raises(MigrationError, match="m0001_broken"):
        await open_repository(db_path, migrations=[m0001_broken])
    tables = _query(db_path, "SELECT name FROM sqlite_master WHERE type = 'table'")
    assert tables == [("migrations",)]
    assert _query(db_path, "SELECT count(*) FROM migrations") == [(0,)]


async def test_a_migration_that_commits_by_itself_is_refused(db_path: Path) -> None:
    def m9001_uses_executescript(conn: sqlite3.Connection) -> None:
        conn.executescript("CREATE TABLE sneaky (x);")  # commits: breaks atomicity

    with pytest.raises(MigrationError, match="ended its own transaction"):
        await open_repository(db_path, migrations=[*MIGRATIONS, m9001_uses_executescript])
    assert _query(db_path, "SELECT count(*) FROM migrations") == [(LATEST,)]


async def test_pending_migrations_apply_in_order(db_path: Path) -> None:
    async with await open_repository(db_path):
        pass

    def m9001_tags(conn: sqlite3.Connection) -> None:
        conn.execute("CREATE TABLE tags (name TEXT PRIMARY KEY) STRICT")

    def m9002_more(conn: sqlite3.Connection) -> None:
        conn.execute("INSERT INTO tags VALUES ('first')")

    async with await open_repository(db_path, migrations=[*MIGRATIONS, m9001_tags, m9002_more]):
        pass
    assert _query(db_path, "SELECT name FROM migrations ORDER BY id") == [
        *APPLIED,
        ("m9001_tags",),
        ("m9002_more",),
    ]
    assert _query(db_path, "SELECT name FROM tags") == [("first",)]


async def test_a_newer_schema_refuses_to_open(db_path: Path) -> None:
    def m9001_from_the_future(conn: sqlite3.Connection) -> None:
        conn.execute("CREATE TABLE future (x INTEGER)")

    async with await open_repository(db_path, migrations=[*MIGRATIONS, m9001_from_the_future]):
        pass
    with pytest.raises(SchemaTooNewError) as caught:
        await open_repository(db_path)
    message = str(caught.value)
    assert message.startswith("database ")
    assert message.endswith(
        f"{db_path.name} has schema version {LATEST + 1} but this bilan-bot knows only up to "
        f"{LATEST}: upgrade bilan-bot"
    )
    async with await open_repository(db_path, migrations=[*MIGRATIONS, m9001_from_the_future]):
        pass  # refusing left the file and the lock as they were


async def test_a_newer_user_version_alone_refuses_to_open(db_path: Path) -> None:
    async with await open_repository(db_path):
        pass
    with contextlib.closing(sqlite3.connect(db_path)) as conn:
        conn.execute("PRAGMA user_version = 9")
        conn.commit()
    with pytest.raises(SchemaTooNewError, match="schema version 9"):
        await open_repository(db_path)


async def test_a_history_in_another_order_is_refused(db_path: Path) -> None:
    def m9001_a(conn: sqlite3.Connection) -> None:
        conn.execute("CREATE TABLE a (x)")

    def m9002_b(conn: sqlite3.Connection) -> None:
        conn.execute("CREATE TABLE b (x)")

    async with await open_repository(db_path, migrations=[*MIGRATIONS, m9001_a, m9002_b]):
        pass
    with pytest.raises(MigrationError, match="another order"):
        await open_repository(db_path, migrations=[*MIGRATIONS, m9002_b, m9001_a])
