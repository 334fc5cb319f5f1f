"""Online backup: a consistent, self-contained copy while writes go on."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from pathlib import Path

import pytest

from storage import (
    MIGRATIONS,
    AnswerWrite,
    ApplyResult,
    BackupError,
    SqliteRepository,
    UpdateId,
    backup_database,
    open_repository,
)
from tests.storage.conftest import World, at, state


def _count(path: Path, sql: str) -> int:
    with contextlib.closing(sqlite3.connect(path)) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        (count,) = conn.execute(sql).fetchone()
        return int(count)


async def _write_steps(world: World, first: int, count: int) -> None:
    session = await world.repo.start_session(
        world.named.id, world.participants[0], state(), 1, at(9)
    )
    for n in range(first, first + count):
        step = AnswerWrite(f"q{n}", n)
        result = await world.repo.apply_step(UpdateId(n), session.id, state(), [step], [], at(10))
        assert result is ApplyResult.APPLIED


async def test_backup_while_writing_is_consistent(world: World, tmp_path: Path) -> None:
    await _write_steps(world, 0, 20)
    target = tmp_path / "copies" / "bilan-backup.db"
    writing = asyncio.create_task(_write_steps(world, 20, 200))
    await world.repo.backup(target)
    await writing
    answers = _count(target, "SELECT count(*) FROM answers")
    assert 20 <= answers <= 220
    # The update ids and the answers of the copy come from one instant.
    assert _count(target, "SELECT count(*) FROM processed_updates") == answers
    assert not (tmp_path / "copies" / "bilan-backup.db-wal").exists()
    assert [p.name for p in target.parent.iterdir()] == ["bilan-backup.db"]


async def test_a_backup_opens_as_a_database_at_the_same_version(
    repo: SqliteRepository, tmp_path: Path
) -> None:
    target = tmp_path / "copy.db"
    await repo.backup(target)
    async with await open_repository(target) as copy:
        assert copy.schema_version == repo.schema_version


async def test_backup_from_another_process_needs_no_lock(
    repo: SqliteRepository, tmp_path: Path
) -> None:
    # `bilan-bot backup` runs beside the bot: it must not be refused by the single-instance lock.
    await backup_database(repo.path, tmp_path / "copy.db")
    assert _count(tmp_path / "copy.db", "SELECT count(*) FROM migrations") == len(MIGRATIONS)


async def test_backup_errors_are_one_line(repo: SqliteRepository, tmp_path: Path) -> None:
    with pytest.raises(BackupError, match="onto itself"):
        await repo.backup(repo.path)
    with pytest.raises(BackupError, match="no such database file"):
        await backup_database(tmp_path / "missing.db", tmp_path / "copy.db")


async def test_a_backup_creates_the_missing_directories(
    repo: SqliteRepository, tmp_path: Path
) -> None:
    target = tmp_path / "backups" / "2025" / "bilan.db"
    await repo.backup(target)
    assert _count(target, "SELECT count(*) FROM migrations") == len(MIGRATIONS)


async def test_a_backup_never_replaces_an_existing_file(
    repo: SqliteRepository, tmp_path: Path
) -> None:
    target = tmp_path / "bilan-2025-03-03.db"
    await asyncio.to_thread(target.write_bytes, b"last week's backup")
    with pytest.raises(BackupError, match="the file exists") as caught:
        await repo.backup(target)
    assert "\n" not in str(caught.value)
    assert await asyncio.to_thread(target.read_bytes) == b"last week's backup"
    assert not await asyncio.to_thread(target.with_name(f".{target.name}.partial").exists)


async def test_a_backup_is_compact_and_keeps_no_deleted_page(world: World, tmp_path: Path) -> None:
    """VACUUM INTO writes the rows alone: no free page, no insertion history, nothing deleted."""
    repo = world.repo
    for n in range(2000):  # several pages of update ids, then freed by the pruning
        await repo.mark_update_processed(UpdateId(10_000 + n), at(0))
    assert await repo.prune_processed_updates(at(1)) == 2000
    assert _count(repo.path, "PRAGMA freelist_count") > 0  # the live file keeps them for reuse
    target = tmp_path / "copy.db"
    await repo.backup(target)
    assert _count(target, "PRAGMA freelist_count") == 0
    assert _count(target, "SELECT count(*) FROM processed_updates") == 0
    assert _count(target, "SELECT count(*) FROM people") == 4
    assert _count(target, "PRAGMA page_count") < _count(repo.path, "PRAGMA page_count")
