"""Anonymous rounds: once a session finishes, nothing joins its answers to the person."""

from __future__ import annotations

import contextlib
import secrets
import sqlite3
from pathlib import Path

import pytest

from storage import AnswerWrite, ApplyResult, Session, UpdateId
from tests.storage.conftest import World, at, state

JOIN_VIA_RESPONSE = """
    SELECT p.user_id FROM answers a
    JOIN responses r ON r.id = a.response_id
    JOIN people p ON p.user_id = r.user_id
    WHERE r.round_id = ?
"""
JOIN_VIA_SESSION = """
    SELECT p.user_id FROM answers a
    JOIN sessions s ON s.response_id = a.response_id
    JOIN people p ON p.user_id = s.user_id
    WHERE s.round_id = ?
"""


async def _answer_and_finish(world: World) -> tuple[Session, Session, Session]:
    """Three participants: one submits, one cancels, one is still answering."""
    repo, round_id = world.repo, world.anonymous.id
    sessions = [
        await repo.start_session(round_id, user, state(), 1, at(20 + n))
        for n, user in enumerate(world.participants)
    ]
    update = 1000
    for n, session in enumerate(sessions):
        for step in ("q1", "q2", "q1"):  # the second q1 retracts the first
            update += 1
            new_state = state(update, **{step: n})  # the engine's state names answers
            written = [AnswerWrite(step, {"n": n, "at": update}, None)]
            await repo.apply_step(
                UpdateId(update), session.id, new_state, written, [], at(30 + update)
            )
    submitted, cancelled, active = sessions
    scrubbed = state(99)  # the caller's state without answers
    await repo.apply_step(UpdateId(1), submitted.id, scrubbed, [], [], at(90), "submitted")
    await repo.apply_step(UpdateId(2), cancelled.id, scrubbed, [], [], at(91), "cancelled")
    return submitted, cancelled, active


def _rows(path: Path, sql: str, *params: object) -> list[tuple[object, ...]]:
    with contextlib.closing(sqlite3.connect(path)) as conn:
        return conn.execute(sql, params).fetchall()


async def test_no_join_reaches_a_person_after_finishing(world: World) -> None:
    submitted, cancelled, active = await _answer_and_finish(world)
    path = world.repo.path
    reached = {row[0] for row in _rows(path, JOIN_VIA_SESSION, world.anonymous.id)}
    assert reached == {active.user_id}, "only the active session still holds its link"
    assert _rows(path, JOIN_VIA_RESPONSE, world.anonymous.id) == []
    nulls = _rows(path, "SELECT count(*) FROM responses WHERE round_id = ? AND user_id IS NULL",
                  world.anonymous.id)  # fmt: skip
    assert nulls == [(3,)]
    for session in (submitted, cancelled):
        stored = await world.repo.get_session(session.id)
        assert stored is not None
        assert stored.response_id is None
        assert stored.state == state(99)
        assert await world.repo.live_answers(session.id) == {}


async def test_the_same_joins_do_reach_people_in_a_named_round(world: World) -> None:
    session = await world.repo.start_session(
        world.named.id, world.participants[0], state(), 1, at(9)
    )
    await world.repo.apply_step(
        UpdateId(5), session.id, state(), [AnswerWrite("q1", 1)], [], at(10), "submitted"
    )
    path = world.repo.path
    assert _rows(path, JOIN_VIA_RESPONSE, world.named.id) == [(world.participants[0],)]
    assert _rows(path, JOIN_VIA_SESSION, world.named.id) == [(world.participants[0],)]


async def test_a_resumed_anonymous_session_still_sees_its_answers(world: World) -> None:
    _, _, active = await _answer_and_finish(world)
    answers = await world.repo.live_answers(active.id)
    assert {step: row.value["n"] for step, row in answers.items()} == {"q1": 2, "q2": 2}
    assert {row.user_id for row in answers.values()} == {None}


async def test_finished_response_ids_appear_nowhere_else(world: World) -> None:
    _, _, active = await _answer_and_finish(world)
    path = world.repo.path
    finished = {r for (r,) in _rows(path, "SELECT response_id FROM answers")} - {active.response_id}
    assert len(finished) == 2
    with contextlib.closing(sqlite3.connect(path)) as conn:
        tables = [t for (t,) in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        for table in tables:
            columns = [c[1] for c in conn.execute(f"PRAGMA table_info({table})")]
            for column in columns:
                if (table, column) in {("answers", "response_id"), ("responses", "id")}:
                    continue
                for response_id in finished:
                    hits = conn.execute(
                        f"SELECT count(*) FROM {table} WHERE {column} = ? "
                        f"OR instr(CAST({column} AS TEXT), ?) > 0",
                        (response_id, str(response_id)),
                    ).fetchone()[0]
                    assert hits == 0, f"{table}.{column} holds response {response_id}"


async def test_anonymous_ids_are_random_and_times_keep_only_the_day(world: World) -> None:
    await _answer_and_finish(world)
    path = world.repo.path
    rows = _rows(
        path,
        "SELECT r.id, a.id, a.answered_at, r.submitted_at FROM responses r "
        "JOIN answers a ON a.response_id = r.id WHERE r.round_id = ?",
        world.anonymous.id,
    )
    assert len(rows) == 9
    for response_id, answer_id, answered_at, submitted_at in rows:
        # Sequential ids would follow the order of sessions and steps, re-linking by rank.
        assert isinstance(response_id, int)
        assert isinstance(answer_id, int)
        assert response_id > 2**32
        assert answer_id > 2**32
        assert str(answered_at).endswith("T00:00:00.000000+00:00")
        assert submitted_at is None or str(submitted_at).endswith("T00:00:00.000000+00:00")
    rows_of_round = await world.repo.answers_of_round(world.anonymous.id)
    assert len(rows_of_round) == 6  # live answers: q1 and q2 of each of three responses
    assert {row.user_id for row in rows_of_round} == {None}
    assert sorted(row.submitted for row in rows_of_round) == [False] * 4 + [True] * 2


async def test_completion_is_known_without_the_answers(world: World) -> None:
    submitted, cancelled, active = await _answer_and_finish(world)
    status = await world.repo.round_status(world.anonymous.id)
    assert (status.submitted, status.stopped) == ((submitted.user_id,), (cancelled.user_id,))
    assert status.active == (active.user_id,)
    completions = _rows(
        world.repo.path,
        "SELECT user_id, status FROM completions WHERE round_id = ? ORDER BY user_id",
        world.anonymous.id,
    )
    assert completions == [(submitted.user_id, "submitted"), (cancelled.user_id, "cancelled")]


async def test_a_duplicate_final_update_changes_nothing(world: World) -> None:
    submitted, _, _ = await _answer_and_finish(world)
    again = await world.repo.apply_step(UpdateId(1), submitted.id, state(1), [], [], at(99))
    assert again is ApplyResult.DUPLICATE


async def test_a_random_answer_id_drawn_twice_is_drawn_again(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = world.repo
    session = await repo.start_session(
        world.anonymous.id, world.participants[0], state(), 1, at(20)
    )
    draws = iter([42, 42, 42, 78])  # the second answer draws the first one's id twice
    monkeypatch.setattr(secrets, "randbits", lambda bits: next(draws) - 1)
    await repo.apply_step(UpdateId(1), session.id, state(), [AnswerWrite("q1", 1)], [], at(21))
    await repo.apply_step(UpdateId(2), session.id, state(), [AnswerWrite("q2", 2)], [], at(22))
    live = await repo.live_answers(session.id)
    assert {step: (row.id, row.value) for step, row in live.items()} == {
        "q1": (42, 1),
        "q2": (78, 2),
    }


async def test_a_re_answer_retracts_the_live_answer_first(world: World) -> None:
    repo = world.repo
    session = await repo.start_session(world.named.id, world.participants[0], state(), 1, at(20))
    for update, value in enumerate((1, 2, 3), start=1):
        await repo.apply_step(
            UpdateId(update), session.id, state(), [AnswerWrite("q1", value)], [], at(20 + update)
        )
    rows = _rows(repo.path, "SELECT value_json, retracted FROM answers ORDER BY answered_at")
    assert rows == [("1", 1), ("2", 1), ("3", 0)]


async def test_named_ids_do_not_follow_anonymous_ones(world: World) -> None:
    """A named response or answer numbered after the largest id would date an anonymous one."""
    repo = world.repo
    await _answer_and_finish(world)  # anonymous responses and answers first
    named = await repo.start_session(world.named.id, world.participants[0], state(), 1, at(95))
    await repo.apply_step(UpdateId(5000), named.id, state(), [AnswerWrite("q1", 1)], [], at(96))
    path = repo.path
    for table in ("responses", "answers"):
        anonymous_ids = {
            row[0]
            for row in _rows(
                path,
                f"SELECT t.id FROM {table} t JOIN responses r ON r.id = "
                f"{'t.id' if table == 'responses' else 't.response_id'} WHERE r.round_id = ?",
                world.anonymous.id,
            )
        }
        named_ids = {
            row[0]
            for row in _rows(
                path,
                f"SELECT t.id FROM {table} t JOIN responses r ON r.id = "
                f"{'t.id' if table == 'responses' else 't.response_id'} WHERE r.round_id = ?",
                world.named.id,
            )
        }
        assert named_ids
        assert all(isinstance(i, int) and i > 2**32 for i in named_ids), table
        assert not {i - 1 for i in named_ids} & anonymous_ids, table
