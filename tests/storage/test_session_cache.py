"""Sessions kept in memory: what the repository returns is always what the database holds."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import sqlite3
from pathlib import Path

from storage import (
    AnswerWrite,
    RoundClosedError,
    RoundId,
    Session,
    SessionFinishedError,
    SessionId,
    UpdateId,
    UserId,
)
from storage.session_cache import SessionCache
from storage.sessions import get_session
from tests.storage.conftest import World, at


def _on_disk(path: Path, session_id: SessionId) -> Session | None:
    """The session as another process would read it: a connection of its own."""
    with contextlib.closing(sqlite3.connect(path)) as conn:
        conn.row_factory = sqlite3.Row
        return get_session(conn, session_id)


async def on_disk(world: World, session_id: SessionId) -> Session | None:
    return await asyncio.to_thread(_on_disk, world.repo.path, session_id)


async def test_a_cached_session_follows_every_step(world: World) -> None:
    repo = world.repo
    started = await repo.start_session(world.named.id, world.participants[0], {"n": 0}, 1, at(9))
    assert await repo.get_session(started.id) == await on_disk(world, started.id)
    for n in range(1, 4):
        await repo.apply_step(
            UpdateId(n),
            started.id,
            {"n": n, "answers": {"q1": [str(n)]}},
            [AnswerWrite("q1", [str(n)])],
            [],
            at(10 + n),
            prompt_message_id=100 + n if n % 2 else None,
        )
        cached = await repo.get_session(started.id)
        assert cached is not None
        assert cached.state == {"n": n, "answers": {"q1": [str(n)]}}
        assert cached == await on_disk(world, started.id)


async def test_a_duplicate_update_changes_nothing_cached(world: World) -> None:
    repo = world.repo
    started = await repo.start_session(world.named.id, world.participants[0], {"n": 0}, 1, at(9))
    await repo.get_session(started.id)
    await repo.apply_step(UpdateId(7), started.id, {"n": 1}, [], [], at(10))
    await repo.apply_step(UpdateId(7), started.id, {"n": 99}, [], [], at(11))
    cached = await repo.get_session(started.id)
    assert cached is not None
    assert cached.state == {"n": 1}
    assert cached == await on_disk(world, started.id)


async def test_a_finished_session_is_read_again(world: World) -> None:
    repo = world.repo
    started = await repo.start_session(world.anonymous.id, world.participants[1], {}, 1, at(9))
    await repo.get_session(started.id)
    await repo.apply_step(UpdateId(1), started.id, {}, [], [], at(10), status="submitted")
    finished = await repo.get_session(started.id)
    assert finished is not None
    assert (finished.status, finished.response_id) == ("submitted", None)  # scrubbed
    assert finished == await on_disk(world, started.id)


async def test_a_failed_step_leaves_nothing_stale(world: World) -> None:
    repo = world.repo
    started = await repo.start_session(world.named.id, world.participants[2], {}, 1, at(9))
    await repo.apply_step(UpdateId(1), started.id, {}, [], [], at(10), status="cancelled")
    await repo.get_session(started.id)
    with contextlib.suppress(SessionFinishedError):
        await repo.apply_step(UpdateId(2), started.id, {"late": True}, [], [], at(11))
    assert await repo.get_session(started.id) == await on_disk(world, started.id)


async def test_a_started_session_is_kept_and_keeps_the_others(world: World) -> None:
    """A cohort's participants start one after another: nobody's next answer reads the disk."""
    repo = world.repo
    first = await repo.start_session(world.named.id, world.participants[0], {"n": 0}, 1, at(9))
    await repo.apply_step(UpdateId(1), first.id, {"n": 1}, [], [], at(10))
    second = await repo.start_session(world.named.id, world.participants[1], {"n": 0}, 1, at(11))
    again = await repo.start_session(world.named.id, world.participants[1], {"n": 5}, 1, at(12))
    assert again == second  # found already started: the stored one, unchanged
    reads = repo.reads
    cached_first, cached_second = (
        await repo.get_session(first.id),
        await repo.get_session(second.id),
    )
    assert repo.reads == reads
    assert cached_first == await on_disk(world, first.id)
    assert cached_first is not None
    assert cached_first.state == {"n": 1}
    assert cached_second == await on_disk(world, second.id) == second


async def test_a_session_started_in_a_closed_round_leaves_nothing_cached(world: World) -> None:
    repo = world.repo
    await repo.close_round(world.named.id, at(9))
    with contextlib.suppress(RoundClosedError):
        await repo.start_session(world.named.id, world.participants[0], {}, 1, at(10))
    assert await repo.session_of(world.named.id, world.participants[0]) is None


async def test_any_other_write_drops_what_was_cached(world: World) -> None:
    repo = world.repo
    user = world.participants[0]
    started = await repo.start_session(world.named.id, user, {}, 1, at(9))
    assert await repo.get_session(started.id) is not None
    await repo.forget_person(user, at(10))
    assert await on_disk(world, started.id) is None
    assert await repo.get_session(started.id) is None


async def test_a_noted_prompt_is_seen_at_once_and_stored_with_the_next_commit(
    world: World,
) -> None:
    repo = world.repo
    started = await repo.start_session(world.named.id, world.participants[0], {}, 1, at(9))
    await repo.get_session(started.id)
    repo.note_prompt_message(started.id, 4242)
    cached = await repo.get_session(started.id)
    assert cached is not None
    assert cached.prompt_message_id == 4242
    await repo.mark_update_processed(UpdateId(1), at(10))  # any awaited write after it
    stored = await on_disk(world, started.id)
    assert stored is not None
    assert stored.prompt_message_id == 4242


def _session(session_id: int, state: dict[str, int]) -> Session:
    return Session(
        id=SessionId(session_id),
        round_id=1,  # type: ignore[arg-type]
        user_id=2,  # type: ignore[arg-type]
        response_id=3,
        status="active",
        state=state,
        flow_version=1,
        prompt_message_id=None,
        started_at=at(0),
        updated_at=at(0),
        finished_at=None,
    )


def test_a_read_that_spans_a_step_of_its_session_is_not_kept() -> None:
    cache = SessionCache()
    ticket = cache.ticket()
    cache.stepped(SessionId(1), {"n": 2}, "active", None, at(1))  # committed during the read
    cache.fill(ticket, _session(1, {"n": 1}))  # what the read saw: before the step
    assert cache.get(SessionId(1)) is None


def test_a_read_that_spans_another_write_is_not_kept() -> None:
    cache = SessionCache()
    ticket = cache.ticket()
    cache.written()
    cache.fill(ticket, _session(1, {"n": 1}))
    assert cache.get(SessionId(1)) is None


def test_a_read_that_spans_only_other_sessions_steps_is_kept() -> None:
    cache = SessionCache()
    ticket = cache.ticket()
    cache.stepped(SessionId(2), {"n": 5}, "active", None, at(1))
    cache.fill(ticket, _session(1, {"n": 1}))
    found = cache.get(SessionId(1))
    assert found is not None
    assert found.state == {"n": 1}


async def test_a_step_whose_caller_was_cancelled_still_reaches_the_cache(world: World) -> None:
    repo = world.repo
    started = await repo.start_session(world.named.id, world.participants[0], {"n": 0}, 1, at(9))
    await repo.get_session(started.id)
    step = asyncio.create_task(repo.apply_step(UpdateId(1), started.id, {"n": 1}, [], [], at(10)))
    await asyncio.sleep(0)  # queued for the next commit
    step.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await step
    await repo.get_session(started.id)  # may read (and keep) the row from before the commit
    await repo.mark_update_processed(UpdateId(2), at(11))  # committed after the cancelled step
    cached = await repo.get_session(started.id)
    assert cached is not None
    assert cached.state == {"n": 1}
    assert cached == await on_disk(world, started.id)


async def test_every_read_shows_a_queued_prompt(world: World) -> None:
    repo = world.repo
    user = world.participants[0]
    started = await repo.start_session(world.named.id, user, {}, 1, at(9))
    repo.note_prompt_message(started.id, 4242)
    [active] = await repo.active_sessions_of(user)
    assert active.prompt_message_id == 4242
    found = await repo.session_of(world.named.id, user)
    assert found is not None
    assert found.prompt_message_id == 4242


def test_a_queued_prompt_shows_over_what_was_read_until_its_write_ends() -> None:
    cache = SessionCache()
    note = cache.prompt_shown(SessionId(1), 77)
    ticket = cache.ticket()
    read = cache.fill(ticket, _session(1, {"n": 1}))  # read before the note was committed
    assert read is not None
    assert read.prompt_message_id == 77
    cache.written()  # another write empties the cache meanwhile
    assert cache.overlay(_session(1, {"n": 1})).prompt_message_id == 77
    cache.prompt_stored(SessionId(1), note, 77, failed=False)
    assert cache.overlay(_session(1, {"n": 1})).prompt_message_id is None  # the row decides


def test_a_later_note_is_not_undone_by_an_earlier_one_ending() -> None:
    cache = SessionCache()
    first = cache.prompt_shown(SessionId(1), 77)
    cache.prompt_shown(SessionId(1), 78)
    cache.prompt_stored(SessionId(1), first, 77, failed=False)
    assert cache.overlay(_session(1, {})).prompt_message_id == 78


def test_a_note_queued_after_an_awaited_prompt_write_wins() -> None:
    cache = SessionCache()
    before = cache.notes_so_far()  # the awaited write is submitted
    cache.prompt_shown(SessionId(1), 78)  # then a note is queued behind it
    cache.prompt_set(SessionId(1), 77, before)  # the awaited write ends first
    assert cache.overlay(_session(1, {})).prompt_message_id == 78


def _cached(cache: SessionCache, session: Session) -> None:
    assert cache.fill(cache.ticket(), session) is not None
    assert cache.get(session.id) is not None


def test_a_read_that_spans_a_prompt_write_is_not_kept() -> None:
    cache = SessionCache()
    ticket = cache.ticket()
    cache.prompt_set(SessionId(1), 7, cache.notes_so_far())  # committed during the read
    cache.fill(ticket, _session(1, {}))  # the read saw no prompt
    assert cache.get(SessionId(1)) is None


def test_a_note_behind_a_step_that_names_a_prompt_wins() -> None:
    cache = SessionCache()
    _cached(cache, _session(1, {}))
    note = cache.prompt_shown(SessionId(1), 5)  # queued behind a step naming prompt 9
    cache.stepped(SessionId(1), {"n": 1}, "active", 9, at(1))  # the step's batch ends first
    cache.prompt_stored(SessionId(1), note, 5, failed=False)
    found = cache.get(SessionId(1))
    assert found is not None
    assert (found.state, found.prompt_message_id) == ({"n": 1}, 5)


def test_a_failed_note_leaves_nothing_cached_that_the_database_lacks() -> None:
    cache = SessionCache()
    _cached(cache, _session(1, {}))
    note = cache.prompt_shown(SessionId(1), 5)
    cache.prompt_stored(SessionId(1), note, 5, failed=True)
    assert cache.get(SessionId(1)) is None


def test_once_the_writer_died_nothing_is_kept() -> None:
    cache = SessionCache()
    cache.disable()
    assert cache.fill(cache.ticket(), _session(1, {})) is not None
    assert cache.get(SessionId(1)) is None


async def test_notes_taken_before_a_batch_leaves_are_written_by_one_statement(
    world: World,
) -> None:
    repo = world.repo
    started = [
        await repo.start_session(world.named.id, user, {}, 1, at(9))
        for user in world.participants[:3]
    ]
    before = repo.write_stats
    for n, session in enumerate(started):
        repo.note_prompt_message(session.id, 500 + n)
    await repo.mark_update_processed(UpdateId(1), at(10))  # an awaited write behind them
    assert repo.write_stats.queued - before.queued == 1  # one collection for the three notes
    for n, session in enumerate(started):
        stored = await on_disk(world, session.id)
        assert stored is not None
        assert stored.prompt_message_id == 500 + n


async def test_a_note_taken_before_an_awaited_prompt_write_does_not_overwrite_it(
    world: World,
) -> None:
    repo = world.repo
    started = await repo.start_session(world.named.id, world.participants[0], {}, 1, at(9))
    await repo.get_session(started.id)
    repo.note_prompt_message(started.id, 11)  # taken first: written first
    await repo.set_prompt_message(started.id, 22)
    await repo.mark_update_processed(UpdateId(1), at(10))
    stored = await on_disk(world, started.id)
    assert stored is not None
    assert stored.prompt_message_id == 22
    assert await repo.get_session(started.id) == stored


def test_a_changed_session_is_the_session_with_its_state_prompt_and_time_replaced() -> None:
    from storage.session_cache import _changed

    known = Session(
        id=SessionId(1),
        round_id=RoundId(2),
        user_id=UserId(3),
        response_id=4,
        status="active",
        state={"n": 1},
        flow_version=7,
        prompt_message_id=5,
        started_at=at(1),
        updated_at=at(2),
        finished_at=at(3),
    )
    changed = _changed(known, {"n": 2}, 6, at(4))
    assert changed == dataclasses.replace(
        known, state={"n": 2}, prompt_message_id=6, updated_at=at(4)
    )
