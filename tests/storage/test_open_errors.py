"""A database that cannot serve stops the bot with one line, never a traceback."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import subprocess
import threading
from pathlib import Path

import pytest

from storage import (
    MIGRATIONS,
    AnswerWrite,
    ApplyResult,
    CorruptDatabaseError,
    DatabaseInUseError,
    DatabaseOpenError,
    DiskFullError,
    Migration,
    ReadOnlyDatabaseError,
    SettingError,
    StorageError,
    StoreClosedError,
    UpdateId,
    UserId,
    open_repository,
)
from storage.connection import connect
from tests.storage.conftest import ROOT, at, build_world, child_command, state


def assert_one_line(error: BaseException) -> str:
    message = str(error)
    assert message
    assert "\n" not in message
    assert "Traceback" not in message
    return message


async def test_a_missing_directory_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(DatabaseOpenError) as caught:
        await open_repository(tmp_path / "nowhere" / "bilan.db")
    message = assert_one_line(caught.value)
    assert "nowhere" in message
    assert "does not exist" in message


async def test_a_failed_open_leaves_no_thread_behind(tmp_path: Path) -> None:
    # A connection's thread still running when a short-lived loop closes would outlive it: the
    # open must not return before its thread has stopped.
    (tmp_path / "bilan.db").mkdir()
    before = set(threading.enumerate())
    with pytest.raises(DatabaseOpenError):
        await connect(tmp_path / "bilan.db", "write", "FULL")
    workers = [t for t in threading.enumerate() if t.name.startswith("storage-")]
    assert [t for t in workers if t not in before and t.is_alive()] == []


async def test_a_directory_in_place_of_the_file_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "bilan.db").mkdir()
    with pytest.raises(DatabaseOpenError) as caught:
        await open_repository(tmp_path / "bilan.db")
    assert "cannot open database" in assert_one_line(caught.value)


async def test_a_file_that_is_not_a_database_is_one_line(db_path: Path) -> None:
    await asyncio.to_thread(db_path.write_bytes, b"minutes of a meeting, not a database" * 100)
    with pytest.raises(CorruptDatabaseError) as caught:
        await open_repository(db_path)
    assert "not a usable bilan-bot database" in assert_one_line(caught.value)


async def test_another_application_s_database_is_one_line(db_path: Path) -> None:
    await asyncio.to_thread(_make_foreign_database, db_path)
    with pytest.raises(DatabaseOpenError, match="something other than bilan-bot"):
        await open_repository(db_path)


def _make_foreign_database(path: Path) -> None:
    with contextlib.closing(sqlite3.connect(path)) as conn:
        conn.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY)")
        conn.commit()


def _probe(path: Path, mode: int | None = None, folder_mode: int | None = None) -> str:
    """Open `path` from a process that obeys file modes even when the tests run as root, with
    the file and its folder given `mode` and `folder_mode` meanwhile."""
    if mode is not None:
        path.chmod(mode)
    if folder_mode is not None:
        path.parent.chmod(folder_mode)
    try:
        done = subprocess.run(
            child_command("probe", str(path)), cwd=ROOT, capture_output=True, text=True, timeout=30
        )
    finally:
        if mode is not None:
            path.chmod(0o644)
        if folder_mode is not None:
            path.parent.chmod(0o755)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == 1, done.stdout
    return lines[0]


async def test_a_read_only_file_is_one_line(db_path: Path) -> None:
    async with await open_repository(db_path):
        pass
    outcome = await asyncio.to_thread(_probe, db_path, mode=0o444)
    assert outcome == (
        f"ReadOnlyDatabaseError: cannot write database {db_path}: the file or its directory is "
        "read-only (attempt to write a readonly database)"
    )


async def test_an_unwritable_directory_is_one_line(tmp_path: Path) -> None:
    outcome = await asyncio.to_thread(_probe, tmp_path / "bilan.db", folder_mode=0o555)
    assert outcome.startswith("ReadOnlyDatabaseError: cannot create lock file ")


async def test_the_probe_opens_a_writable_database(db_path: Path) -> None:
    assert await asyncio.to_thread(_probe, db_path) == "opened"


def _fill_limit(extra_pages: int) -> Migration:
    def m0002_limit_size(conn: sqlite3.Connection) -> None:
        # max_page_count lasts as long as the connection: the store's writer now has a disk
        # that is full after `extra_pages` more pages.
        (pages,) = conn.execute("PRAGMA page_count").fetchone()
        conn.execute(f"PRAGMA max_page_count = {pages + extra_pages}")

    return m0002_limit_size


async def test_a_full_disk_at_start_is_one_line(db_path: Path) -> None:
    def m0003_big(conn: sqlite3.Connection) -> None:
        conn.execute("CREATE TABLE big (blob BLOB)")
        conn.execute("INSERT INTO big VALUES (zeroblob(1000000))")

    with pytest.raises(DiskFullError) as caught:
        await open_repository(db_path, migrations=[*MIGRATIONS, _fill_limit(2), m0003_big])
    message = assert_one_line(caught.value)
    assert "disk is full" in message
    assert "m0003_big" in message


async def test_a_full_disk_fails_only_the_write_that_does_not_fit(db_path: Path) -> None:
    limited = [*MIGRATIONS, _fill_limit(40)]
    async with await open_repository(db_path, migrations=limited) as repo:
        world = await build_world(repo)
        user = world.participants[0]
        session = await repo.start_session(world.named.id, user, state(), 1, at(10))
        huge = state(notes="x" * 2_000_000)
        small, big = await asyncio.gather(
            repo.apply_step(UpdateId(1), session.id, state(), [AnswerWrite("q1", 1)], [], at(11)),
            repo.apply_step(UpdateId(2), session.id, huge, [], [], at(11)),
            return_exceptions=True,
        )
        assert small is ApplyResult.APPLIED
        assert isinstance(big, DiskFullError)
        assert "disk is full" in assert_one_line(big)
        assert set(await repo.live_answers(session.id)) == {"q1"}
        # The failed update was not consumed: Telegram's re-delivery can still apply it.
        assert await repo.mark_update_processed(UpdateId(2), at(12)) is True


def _start_holder(db_path: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        child_command("hold", str(db_path)),
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


async def test_a_second_process_is_refused_with_its_pid(db_path: Path) -> None:
    holder = _start_holder(db_path)
    try:
        assert holder.stdout is not None
        assert await asyncio.to_thread(holder.stdout.readline) == "ready\n"
        with pytest.raises(DatabaseInUseError) as caught:
            await open_repository(db_path)
        assert assert_one_line(caught.value) == (
            f"database {db_path} is already used by another bilan-bot process (pid {holder.pid})"
        )
    finally:
        await asyncio.to_thread(holder.communicate, "", 10)
    assert holder.returncode == 0
    async with await open_repository(db_path):
        pass  # the holder's exit released the lock


async def test_a_second_store_in_the_same_process_is_refused(db_path: Path) -> None:
    async with await open_repository(db_path):
        with pytest.raises(DatabaseInUseError):
            await open_repository(db_path)
        with pytest.raises(DatabaseInUseError):  # another spelling of the same file
            await open_repository(db_path.parent / "." / db_path.name)
    async with await open_repository(db_path):
        pass


async def test_an_unknown_synchronous_level_is_one_line(db_path: Path) -> None:
    with pytest.raises(SettingError, match="must be one of OFF, NORMAL, FULL, EXTRA, not 'fast'"):
        await open_repository(db_path, synchronous="fast")
    async with await open_repository(db_path, synchronous="normal") as repo:
        assert await repo.get_person(UserId(1)) is None


async def test_a_closed_store_refuses_calls(db_path: Path) -> None:
    repo = await open_repository(db_path)
    await repo.close()
    await repo.close()  # closing twice is harmless
    with pytest.raises(StoreClosedError):
        await repo.upsert_person(UserId(1), "Ada", "en", at(0))
    with pytest.raises(StoreClosedError):
        await repo.get_person(UserId(1))


async def test_every_storage_error_is_a_storage_error_with_one_line() -> None:
    error = StorageError("first line\nsecond   line")
    assert str(error) == "first line second line"
    assert issubclass(ReadOnlyDatabaseError, StorageError)
