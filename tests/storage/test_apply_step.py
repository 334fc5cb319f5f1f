"""`apply_step`: one transaction per step, each update counted once, group commit shared."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from pathlib import Path

import pytest

from storage import (
    UNCHANGED,
    AnswerWrite,
    ApplyResult,
    NotFoundError,
    RoundId,
    Session,
    SessionFinishedError,
    SessionId,
    SessionStatus,
    UpdateId,
    UserId,
    steps,
)
from storage.models import to_text
from tests.storage.conftest import World, at


async def _named_session(world: World, n: int = 0) -> Session:
    return await world.repo.start_session(world.named.id, world.participants[n], {}, 1, at(9))


async def test_a_step_stores_state_answers_and_update_together(world: World) -> None:
    repo = world.repo
    session = await _named_session(world)
    result = await repo.apply_step(
        UpdateId(100),
        session.id,
        {"step": "q2"},
        [AnswerWrite("q1", {"choice": "other"}, "a cooperative bakery")],
        [],
        at(10),
        prompt_message_id=555,
    )
    assert result is ApplyResult.APPLIED
    stored = await repo.get_session(session.id)
    assert stored is not None
    assert (stored.state, stored.prompt_message_id, stored.updated_at) == (
        {"step": "q2"},
        555,
        at(10),
    )
    answers = await repo.live_answers(session.id)
    assert list(answers) == ["q1"]
    answer = answers["q1"]
    assert (answer.value, answer.detail, answer.answered_at) == (
        {"choice": "other"},
        "a cooperative bakery",
        at(10),
    )
    assert answer.user_id == world.participants[0]
    assert answer.submitted is False
    assert await repo.mark_update_processed(UpdateId(100), at(11)) is False


async def test_the_same_update_twice_stores_one_answer(world: World) -> None:
    repo = world.repo
    session = await _named_session(world)
    answer = [AnswerWrite("q1", 1)]
    assert (
        await repo.apply_step(UpdateId(7), session.id, {}, answer, [], at(10))
        is ApplyResult.APPLIED
    )
    again = await repo.apply_step(UpdateId(7), session.id, {"n": 2}, answer, [], at(11))
    assert again is ApplyResult.DUPLICATE
    rows = await repo.answers_of_round(world.named.id)
    assert [(row.step_id, row.value) for row in rows] == [("q1", 1)]


async def test_the_same_update_applied_concurrently_stores_one_answer(world: World) -> None:
    repo = world.repo
    session = await _named_session(world)
    before = repo.write_stats
    results = await asyncio.gather(
        *(
            repo.apply_step(UpdateId(7), session.id, {"n": n}, [AnswerWrite("q1", n)], [], at(10))
            for n in range(5)
        )
    )
    assert sorted(results) == [ApplyResult.APPLIED] + [ApplyResult.DUPLICATE] * 4
    assert repo.write_stats.batches - before.batches == 1  # all five met in one transaction
    rows = await repo.answers_of_round(world.named.id)
    assert [(row.step_id, row.value) for row in rows] == [("q1", 0)]
    stored = await repo.get_session(session.id)
    assert stored is not None
    assert stored.state == {"n": 0}


async def test_re_answering_retracts_and_retracting_hides(world: World) -> None:
    repo = world.repo
    session = await _named_session(world)
    await repo.apply_step(UpdateId(1), session.id, {}, [AnswerWrite("q1", "a")], [], at(10))
    await repo.apply_step(UpdateId(2), session.id, {}, [AnswerWrite("q2", "b")], [], at(11))
    await repo.apply_step(UpdateId(3), session.id, {}, [AnswerWrite("q1", "c")], ["q2"], at(12))
    answers = await repo.live_answers(session.id)
    assert {step: row.value for step, row in answers.items()} == {"q1": "c"}
    assert await repo.apply_step(None, session.id, {}, [], ["q9"], at(13)) is ApplyResult.APPLIED


async def _prompt(world: World, session_id: SessionId) -> int | None:
    stored = await world.repo.get_session(session_id)
    assert stored is not None
    return stored.prompt_message_id


async def test_prompt_message_is_kept_set_or_cleared(world: World) -> None:
    repo = world.repo
    session = await _named_session(world)
    await repo.set_prompt_message(session.id, 41)
    await repo.apply_step(None, session.id, {}, [], [], at(10), prompt_message_id=UNCHANGED)
    assert await _prompt(world, session.id) == 41
    await repo.apply_step(None, session.id, {}, [], [], at(11), prompt_message_id=42)
    assert await _prompt(world, session.id) == 42
    await repo.apply_step(None, session.id, {}, [], [], at(12), prompt_message_id=None)
    assert await _prompt(world, session.id) is None
    with pytest.raises(NotFoundError):
        await repo.set_prompt_message(SessionId(999), 1)


async def test_finishing_records_completion_and_ends_the_session(world: World) -> None:
    repo = world.repo
    session = await _named_session(world)
    await repo.apply_step(
        UpdateId(1), session.id, {"done": True}, [AnswerWrite("q1", 5)], [], at(10), "submitted"
    )
    finished = await repo.get_session(session.id)
    assert finished is not None
    assert (finished.status, finished.finished_at, finished.is_active) == (
        "submitted",
        at(10),
        False,
    )
    assert await repo.active_sessions_of(world.participants[0]) == []
    rows = await repo.answers_of_round(world.named.id)
    assert [(row.user_id, row.submitted) for row in rows] == [(world.participants[0], True)]
    with pytest.raises(SessionFinishedError, match="is submitted"):
        await repo.apply_step(UpdateId(2), session.id, {}, [AnswerWrite("q1", 6)], [], at(11))
    # The refused update was not consumed, and a re-delivered final update is a duplicate.
    assert await repo.mark_update_processed(UpdateId(2), at(12)) is True
    assert (
        await repo.apply_step(UpdateId(1), session.id, {}, [], [], at(13)) is ApplyResult.DUPLICATE
    )


async def test_a_failing_call_fails_alone_inside_a_shared_commit(world: World) -> None:
    repo = world.repo
    sessions = [await _named_session(world, n) for n in range(3)]
    before = repo.write_stats
    results = await asyncio.gather(
        repo.apply_step(UpdateId(1), sessions[0].id, {}, [AnswerWrite("q1", 1)], [], at(10)),
        repo.apply_step(UpdateId(2), SessionId(999), {}, [AnswerWrite("q1", 2)], [], at(10)),
        repo.apply_step(UpdateId(3), sessions[1].id, {}, [AnswerWrite("q1", 3)], [], at(10)),
        repo.apply_step(
            UpdateId(4), sessions[2].id, {}, [AnswerWrite("q1", float("inf"))], [], at(10)
        ),
        return_exceptions=True,
    )
    assert results[0] is ApplyResult.APPLIED
    assert isinstance(results[1], NotFoundError)
    assert results[2] is ApplyResult.APPLIED
    assert isinstance(results[3], ValueError)  # not JSON: refused before reaching the writer
    assert repo.write_stats.batches - before.batches == 1
    rows = await repo.answers_of_round(world.named.id)
    assert sorted(row.value for row in rows) == [1, 3]
    assert await repo.mark_update_processed(UpdateId(2), at(11)) is True


async def test_seventy_participants_share_commits(world: World) -> None:
    repo = world.repo
    session = await _named_session(world)
    before = repo.write_stats
    results = await asyncio.gather(
        *(
            repo.apply_step(UpdateId(n), session.id, {}, [AnswerWrite(f"q{n}", n)], [], at(10))
            for n in range(70)
        )
    )
    assert set(results) == {ApplyResult.APPLIED}
    stats = repo.write_stats
    assert stats.requests - before.requests == 70
    assert stats.batches - before.batches <= 2
    assert len(await repo.live_answers(session.id)) == 70


def _step_on_disk(path: Path, session_id: SessionId, known: steps.KnownSession) -> steps.Applied:
    with contextlib.closing(sqlite3.connect(path, isolation_level=None)) as conn:
        conn.row_factory = sqlite3.Row
        conn.execute("BEGIN IMMEDIATE")
        applied = steps.apply_step(
            conn,
            None,
            session_id,
            "{}",
            [("q9", '"x"', None)],
            [],
            at(20),
            "active",
            UNCHANGED,
            known,
        )
        conn.execute("COMMIT")
        return applied


async def test_a_step_that_knows_its_session_wrongly_reads_it_and_keeps_the_truth(
    world: World,
) -> None:
    session = await _named_session(world)
    await world.repo.close()  # the step below runs on a connection of its own
    assert session.response_id is not None
    wrong = steps.KnownSession(session.round_id, session.user_id, session.response_id + 7, True)
    applied = await asyncio.to_thread(_step_on_disk, world.repo.path, session.id, wrong)
    assert applied.result is ApplyResult.APPLIED
    assert applied.known == steps.KnownSession(
        session.round_id,
        session.user_id,
        session.response_id,
        False,  # as the database says
    )
    with contextlib.closing(sqlite3.connect(world.repo.path)) as conn:
        answered_at, response_id = conn.execute(
            "SELECT answered_at, response_id FROM answers WHERE step_id = 'q9'"
        ).fetchone()
    assert response_id == session.response_id
    assert answered_at == to_text(at(20))  # a named round keeps the time, not only the day


async def _known_sessions(world: World) -> list[Session]:
    """A session of each participant in each round, started and stepped once: the repository
    knows them, so their next steps are gathered into one unit per batch."""
    repo = world.repo
    started = [
        await repo.start_session(round_.id, user, {}, 1, at(9))
        for round_ in (world.named, world.anonymous)
        for user in world.participants
    ]
    for session in started:
        await repo.apply_step(None, session.id, {"n": 0}, [], [], at(9))
    return started


async def test_plain_steps_of_known_sessions_are_stored_together(world: World) -> None:
    repo = world.repo
    started = await _known_sessions(world)
    before = repo.write_stats
    results = await asyncio.gather(
        *(
            repo.apply_step(
                UpdateId(n), s.id, {"n": n}, [AnswerWrite("q1", n)], [], at(10 + n / 60)
            )
            for n, s in enumerate(started)
        )
    )
    assert results == [ApplyResult.APPLIED] * len(started)
    assert repo.write_stats.batches - before.batches == 1
    for n, session in enumerate(started):
        stored = await repo.get_session(session.id)
        assert stored is not None
        assert stored.state == {"n": n}
    named = await repo.answers_of_round(world.named.id)
    assert sorted((row.value, row.answered_at) for row in named) == [
        (n, at(10 + n / 60)) for n in range(3)
    ]
    anonymous = await repo.answers_of_round(world.anonymous.id)
    midnight = at(10).replace(hour=0, minute=0, second=0, microsecond=0)
    assert sorted((row.value, row.answered_at) for row in anonymous) == [
        (n, midnight)
        for n in range(3, 6)  # the day only
    ]
    assert await repo.mark_update_processed(UpdateId(4), at(11)) is False


async def test_a_re_answer_or_a_repeated_update_among_gathered_steps_is_taken_alone(
    world: World,
) -> None:
    repo = world.repo
    first, second, third = (await _known_sessions(world))[:3]
    await repo.apply_step(UpdateId(1), first.id, {}, [AnswerWrite("q1", "old")], [], at(10))
    results = await asyncio.gather(
        repo.apply_step(UpdateId(2), first.id, {}, [AnswerWrite("q1", "new")], [], at(11)),
        repo.apply_step(UpdateId(1), second.id, {}, [AnswerWrite("q1", "late")], [], at(11)),
        repo.apply_step(UpdateId(3), third.id, {}, [AnswerWrite("q1", "third")], [], at(11)),
    )
    assert results == [ApplyResult.APPLIED, ApplyResult.DUPLICATE, ApplyResult.APPLIED]
    live = {row.value for row in await repo.answers_of_round(world.named.id) if not row.retracted}
    assert live == {"new", "third"}
    assert await repo.live_answers(second.id) == {}


async def test_writes_keep_their_order_around_gathered_steps(world: World) -> None:
    repo = world.repo
    first, second = (await _known_sessions(world))[:2]
    # In one batch: a gathered step, then a step that is not plain (it retracts), then another
    # gathered one. Each must see the one before it, as if they ran one after the other.
    results = await asyncio.gather(
        repo.apply_step(UpdateId(1), first.id, {"n": 1}, [AnswerWrite("q1", "a")], [], at(10)),
        repo.apply_step(UpdateId(2), first.id, {"n": 2}, [], ["q1"], at(10)),
        repo.apply_step(UpdateId(3), first.id, {"n": 3}, [AnswerWrite("q2", "b")], [], at(10)),
        repo.apply_step(UpdateId(4), second.id, {}, [], [], at(10), status="cancelled"),
        repo.apply_step(UpdateId(5), second.id, {}, [AnswerWrite("q1", "late")], [], at(10)),
        return_exceptions=True,
    )
    assert results[:4] == [ApplyResult.APPLIED] * 4
    assert isinstance(results[4], SessionFinishedError)  # submitted after the cancel
    stored = await repo.get_session(first.id)
    assert stored is not None
    assert stored.state == {"n": 3}
    live = await repo.live_answers(first.id)
    assert {step: row.value for step, row in live.items()} == {"q2": "b"}
    assert await repo.mark_update_processed(UpdateId(5), at(11)) is True  # nothing of it stayed


def _bare_database(tmp_path: Path, sessions: int) -> sqlite3.Connection:
    """Only the columns `apply_known_steps` writes, and `sessions` active sessions 1, 2, …
    (user n, response n): its statements, traced, are the only ones."""
    conn = sqlite3.connect(tmp_path / "bare.db", isolation_level=None)
    conn.executescript(
        "CREATE TABLE processed_updates (update_id INTEGER PRIMARY KEY, processed_at TEXT);"
        "CREATE TABLE sessions (id INTEGER PRIMARY KEY, round_id, user_id, response_id, "
        "status, state_json, updated_at, finished_at);"
        "CREATE TABLE answers (id INTEGER PRIMARY KEY, response_id, step_id, value_json, "
        "detail, answered_at);"
        "CREATE TABLE completions (round_id, user_id, status, completed_at);"
        "CREATE TABLE responses (id INTEGER PRIMARY KEY, submitted_at);"
    )
    for n in range(1, sessions + 1):
        conn.execute(
            "INSERT INTO sessions VALUES (?, 1, ?, ?, 'active', '{}', '', NULL)", (n, n, n)
        )
        conn.execute("INSERT INTO responses VALUES (?, NULL)", (n,))
    return conn


def _known_step(
    n: int, status: SessionStatus = "active", *, anonymous: bool = False
) -> steps.KnownStep:
    """Session n of `_bare_database` answering q1 with n."""
    return steps.KnownStep(
        UpdateId(n),
        SessionId(n),
        f'{{"n": {n}}}',
        [("q1", str(n), None)],
        at(10),
        steps.KnownSession(RoundId(1), UserId(n), n, anonymous=anonymous),
        status,
    )


def test_gathered_steps_take_three_statements(tmp_path: Path) -> None:
    with contextlib.closing(_bare_database(tmp_path, sessions=5)) as conn:
        batch = [_known_step(n) for n in range(1, 6)]
        statements: list[str] = []
        conn.set_trace_callback(statements.append)
        conn.execute("BEGIN")
        results = steps.apply_known_steps(conn, batch)
        conn.execute("COMMIT")
        conn.set_trace_callback(None)
        assert [type(r) for r in results] == [steps.Applied] * 5
        assert [s.split()[0] for s in statements] == [
            "BEGIN",
            "SAVEPOINT",
            "INSERT",
            "UPDATE",
            "INSERT",
            "RELEASE",
            "COMMIT",
        ]
        assert conn.execute("SELECT group_concat(state_json, ' ') FROM sessions").fetchone() == (
            " ".join(f'{{"n": {n}}}' for n in range(1, 6)),
        )
        assert conn.execute("SELECT count(*) FROM answers").fetchone() == (5,)


async def test_a_bad_value_among_gathered_steps_fails_only_its_own_step(world: World) -> None:
    repo = world.repo
    first, second = (await _known_sessions(world))[:2]
    unbindable = AnswerWrite("q1", "x", ["not", "text"])  # type: ignore[arg-type]  # the point
    results = await asyncio.gather(
        repo.apply_step(UpdateId(1), first.id, {"n": 1}, [unbindable], [], at(10)),
        repo.apply_step(UpdateId(2), second.id, {"n": 1}, [AnswerWrite("q1", "ok")], [], at(10)),
        return_exceptions=True,
    )
    assert isinstance(results[0], Exception)
    assert results[1] is ApplyResult.APPLIED
    assert [row.value for row in await repo.answers_of_round(world.named.id)] == ["ok"]
    assert await repo.mark_update_processed(UpdateId(1), at(11)) is True  # not claimed


async def test_finishing_steps_of_known_sessions_are_stored_together(world: World) -> None:
    """The last answers of a cohort answering together: one batch, as each alone would store."""
    repo = world.repo
    started = await _known_sessions(world)  # three named sessions, then three anonymous ones
    statuses = ["submitted", "cancelled", "active"] * 2
    before = repo.write_stats
    results = await asyncio.gather(
        *(
            repo.apply_step(
                UpdateId(n), s.id, {"n": n}, [AnswerWrite("q9", n)], [], at(10), statuses[n]
            )
            for n, s in enumerate(started)
        )
    )
    assert results == [ApplyResult.APPLIED] * 6
    assert repo.write_stats.batches - before.batches == 1
    with contextlib.closing(sqlite3.connect(repo.path)) as conn:
        ended = conn.execute(
            "SELECT id, status, finished_at, response_id, state_json FROM sessions ORDER BY id"
        ).fetchall()
        completions = conn.execute(
            "SELECT round_id, user_id, status, completed_at FROM completions "
            "ORDER BY round_id, user_id"
        ).fetchall()
        submitted = dict(conn.execute("SELECT id, submitted_at FROM responses").fetchall())
    day = to_text(at(10))[:10] + "T00:00:00.000000+00:00"
    assert ended == [
        (
            s.id,
            statuses[n],
            None if statuses[n] == "active" else to_text(at(10)),
            # an anonymous session that ends loses its one link to its answers
            None if n >= 3 and statuses[n] != "active" else s.response_id,
            f'{{"n":{n}}}',
        )
        for n, s in enumerate(started)
    ]
    assert completions == [
        (s.round_id, s.user_id, statuses[n], to_text(at(10)))
        for n, s in enumerate(started)
        if statuses[n] != "active"
    ]
    assert submitted == {
        started[0].response_id: to_text(at(10)),
        started[3].response_id: day,  # an anonymous submit keeps the day only
        **{s.response_id: None for n, s in enumerate(started) if statuses[n] != "submitted"},
    }
    assert len(await repo.answers_of_round(world.named.id)) == 3
    assert len(await repo.answers_of_round(world.anonymous.id)) == 3
    for n, session in enumerate(started):
        stored = await repo.get_session(session.id)
        assert stored is not None
        assert stored.status == statuses[n]


async def test_a_finishing_step_of_a_session_already_ended_fails_alone(world: World) -> None:
    repo = world.repo
    first, second = (await _known_sessions(world))[:2]
    # Ended behind the cache's back, as a facilitator closing the round from another process
    # would: the gathered steps find the session not as known and run one by one.
    with contextlib.closing(sqlite3.connect(repo.path, isolation_level=None)) as conn:
        conn.execute("UPDATE sessions SET status = 'timed_out' WHERE id = ?", (first.id,))
    results = await asyncio.gather(
        repo.apply_step(UpdateId(1), first.id, {}, [], [], at(10), "submitted"),
        repo.apply_step(UpdateId(2), second.id, {}, [], [], at(10), "submitted"),
        return_exceptions=True,
    )
    assert isinstance(results[0], SessionFinishedError)
    assert results[1] is ApplyResult.APPLIED
    with contextlib.closing(sqlite3.connect(repo.path)) as conn:
        completions = conn.execute("SELECT user_id, status FROM completions").fetchall()
    assert completions == [(second.user_id, "submitted")]
    assert await repo.mark_update_processed(UpdateId(1), at(11)) is True  # not claimed


def test_gathered_finishing_steps_take_three_statements_more(tmp_path: Path) -> None:
    with contextlib.closing(_bare_database(tmp_path, sessions=6)) as conn:
        batch = [_known_step(n, "active" if n % 2 else "submitted") for n in range(1, 7)]
        statements: list[str] = []
        conn.set_trace_callback(statements.append)
        results = steps.apply_known_steps(conn, batch)
        conn.set_trace_callback(None)
        assert [type(r) for r in results] == [steps.Applied] * 6
        assert [" ".join(s.split()[:3]) for s in statements] == [
            "SAVEPOINT steps",
            "INSERT OR IGNORE",
            "UPDATE sessions SET",  # the three going on
            "UPDATE sessions SET",  # the three finishing
            "INSERT INTO completions",
            "UPDATE responses SET",
            "INSERT INTO answers",
            "RELEASE steps",
        ]
        assert conn.execute(
            "SELECT group_concat(id || ':' || status, ' ') FROM sessions"
        ).fetchone() == ("1:active 2:submitted 3:active 4:submitted 5:active 6:submitted",)
        assert conn.execute(
            "SELECT count(*) FROM responses WHERE submitted_at IS NOT NULL"
        ).fetchone() == (3,)


def test_many_finishing_steps_stay_under_sqlite_s_oldest_parameter_limit(tmp_path: Path) -> None:
    """70 sessions ending in one batch on a SQLite built with the old limit of 999 parameters:
    still gathered, in two statements, without falling back to one by one."""
    with contextlib.closing(_bare_database(tmp_path, sessions=70)) as conn:
        conn.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 999)
        batch = [_known_step(n, "submitted", anonymous=True) for n in range(1, 71)]
        statements: list[str] = []
        conn.set_trace_callback(statements.append)
        results = steps.apply_known_steps(conn, batch)
        conn.set_trace_callback(None)
        assert [type(r) for r in results] == [steps.Applied] * 70
        ending = [s for s in statements if s.startswith("UPDATE sessions SET")]
        assert len(ending) == 2  # 66, then 4
        assert not any(s.startswith("SELECT") for s in statements)  # no fallback
        assert conn.execute(
            "SELECT count(*) FROM sessions WHERE status = 'submitted' AND response_id IS NULL"
        ).fetchone() == (70,)
