"""Anonymous rounds: the file shows who sent and what was sent, never which answers are whose."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import secrets
import sqlite3
from pathlib import Path

import pytest

from storage import AnswerWrite, ApplyResult, RoundClosedError, Session, UpdateId, open_repository
from storage.models import day_of_text, to_text
from tests.storage.conftest import World, at, build_world, state

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


def _text(user: int, step: str, update: int) -> str:
    """An answer no other answer contains: its bytes can be looked for in the file."""
    return f"answer-of-{user}-{step}-{update}"


async def _answer(world: World, first_update: int) -> list[Session]:
    """Every participant answers q1, q2, then q1 again (the second q1 replaces the first)."""
    repo, round_id = world.repo, world.anonymous.id
    sessions = [
        await repo.start_session(round_id, user, state(), 1, at(20 + n))
        for n, user in enumerate(world.participants)
    ]
    update = first_update
    for session in sessions:
        answers: dict[str, str] = {}
        for revision, step in enumerate(("q1", "q2", "q1"), start=1):
            update += 1
            answers[step] = _text(session.user_id, step, update)
            written = [AnswerWrite(step, answers[step])]
            await repo.apply_step(
                UpdateId(update), session.id, state(revision, **answers), written, [], at(update)
            )
    return [s for s in [await repo.get_session(s.id) for s in sessions] if s is not None]


async def _send(world: World) -> tuple[Session, Session, Session]:
    """One submits, one cancels, one is still answering."""
    submitted, cancelled, active = await _answer(world, 1000)
    repo = world.repo
    await repo.apply_step(UpdateId(1), submitted.id, submitted.state, [], [], at(90), "submitted")
    await repo.apply_step(UpdateId(2), cancelled.id, cancelled.state, [], [], at(91), "cancelled")
    return submitted, cancelled, active


def _rows(path: Path, sql: str, *params: object) -> list[tuple[object, ...]]:
    with contextlib.closing(sqlite3.connect(path)) as conn:
        return conn.execute(sql, params).fetchall()


def _file_bytes(path: Path) -> bytes:
    """The database and its -wal, as someone copying them would have them."""
    wal = path.with_name(path.name + "-wal")
    return path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")


def _wal_size(path: Path) -> int:
    wal = path.with_name(path.name + "-wal")
    return wal.stat().st_size if wal.exists() else 0


async def test_answers_wait_in_the_state_then_the_pool_until_the_close(world: World) -> None:
    submitted, cancelled, active = await _send(world)
    repo, path, round_id = world.repo, world.repo.path, world.anonymous.id
    assert _rows(path, "SELECT count(*) FROM responses WHERE round_id = ?", round_id) == [(0,)]
    assert _rows(path, "SELECT count(*) FROM answers") == [(0,)]
    (pool,) = _rows(path, "SELECT deposits_json FROM pools WHERE round_id = ?", round_id)
    deposits = json.loads(str(pool[0]))
    assert len(deposits) == 1
    assert deposits[0]["kind"] == "response"
    assert {step for step, _, _ in deposits[0]["answers"]} == {"q1", "q2"}
    # Resuming needs the answers: the active session still has them, in its state only.
    still = await repo.get_session(active.id)
    assert still is not None
    assert still.state.answers == active.state.answers
    assert still.response_id is None
    assert await repo.live_answers(active.id) == {}

    await repo.close_round(round_id, at(95))
    # The bot then times out the sessions still active, as `bot/survey.py` `end_sessions` does.
    await repo.apply_step(UpdateId(3), active.id, active.state, [], [], at(96), "timed_out")

    day = day_of_text(to_text(world.anonymous.opened_at))
    rows = _rows(
        path,
        "SELECT r.id, r.user_id, r.submitted_at, a.id, a.step_id, a.value_json, a.answered_at "
        "FROM responses r JOIN answers a ON a.response_id = r.id WHERE r.round_id = ?",
        round_id,
    )
    assert len(rows) == 2
    for response_id, user_id, submitted_at, answer_id, _, _, answered_at in rows:
        assert user_id is None
        assert (submitted_at, answered_at) == (day, day)  # the same for every row of the round
        assert isinstance(response_id, int)
        assert isinstance(answer_id, int)
        assert min(response_id, answer_id) > 2**32
    sent = {step: json.dumps(answer.value) for step, answer in submitted.state.answers.items()}
    assert {str(row[4]): row[5] for row in rows} == sent
    assert _rows(path, "SELECT count(*) FROM pools") == [(0,)]
    results = await repo.answers_of_round(round_id)
    assert {row.step_id: row.value for row in results} == {
        step: answer.value for step, answer in submitted.state.answers.items()
    }
    assert all(row.submitted and row.user_id is None for row in results)

    data = _file_bytes(path)
    for session in (cancelled, active):  # never sent: gone from every byte of the file
        for answer in session.state.answers.values():
            assert str(answer.value).encode() not in data
    for session, outcome in ((submitted, "submitted"), (cancelled, "cancelled"), (active, "timed_out")):  # fmt: skip
        stored = await repo.get_session(session.id)
        assert stored is not None
        assert stored.response_id is None
        assert stored.prompt_message_id is None
        assert stored.state.to_json() == {
            **state().to_json(),
            "phase": "finished",
            "outcome": outcome,
        }


async def test_finished_sessions_cannot_be_told_apart_by_their_state(world: World) -> None:
    _, _, active = await _send(world)
    await world.repo.apply_step(UpdateId(3), active.id, active.state, [], [], at(92), "submitted")
    states = {
        str(row[0])
        for row in _rows(
            world.repo.path,
            "SELECT state_json FROM sessions WHERE round_id = ? AND status = 'submitted'",
            world.anonymous.id,
        )
    }
    assert len(states) == 1, "the same revision, answers and skips for everyone"


async def test_the_pool_waits_for_the_close_however_many_are_sent(world: World) -> None:
    """Deposits written out before the close would leave the last senders' ones in the pool."""
    sessions = await _answer(world, 2000)
    for n, session in enumerate(sessions):
        await world.repo.apply_step(
            None, session.id, session.state, [], [], at(90 + n), "submitted"
        )
    path = world.repo.path
    (pool,) = _rows(path, "SELECT deposits_json FROM pools")
    assert len(json.loads(str(pool[0]))) == 3
    assert _rows(path, "SELECT count(*) FROM responses") == [(0,)]
    await world.repo.close_round(world.anonymous.id, at(95))
    assert _rows(path, "SELECT count(*) FROM responses") == [(3,)]
    assert len(await world.repo.answers_of_round(world.anonymous.id)) == 6


async def test_the_pool_is_shuffled_at_every_deposit(world: World) -> None:
    """Appended in turn, the list would give the order people sent in."""
    orders = set()
    for attempt in range(12):
        opened = await world.repo.open_round(
            world.cohort.id, "review", 1, True, world.facilitator, at(100 + attempt)
        )
        this = dataclasses.replace(world, anonymous=opened)
        for n, session in enumerate(await _answer(this, 10_000 + 100 * attempt)):
            await world.repo.apply_step(
                None, session.id, session.state, [], [], at(90 + n), "submitted"
            )
        (pool,) = _rows(world.repo.path, "SELECT deposits_json FROM pools WHERE round_id = ?", opened.id)  # fmt: skip
        # Which participant each deposit is, by the user id its test answers carry.
        orders.add(tuple(d["answers"][0][1].split("-")[2] for d in json.loads(str(pool[0]))))
    assert len(orders) > 1


async def test_deposits_waiting_outlive_a_restart(db_path: Path) -> None:
    async with await open_repository(db_path) as repo:
        world = await build_world(repo)
        sessions = await _answer(world, 5000)
        for session in sessions[:2]:
            await repo.apply_step(None, session.id, session.state, [], [], at(90), "submitted")
        sent = sorted(
            json.dumps(answer.value) for s in sessions[:2] for answer in s.state.answers.values()
        )
    async with await open_repository(db_path) as repo:
        await repo.close_round(world.anonymous.id, at(95))
        rows = await repo.answers_of_round(world.anonymous.id)
        assert sorted(json.dumps(row.value) for row in rows) == sent


async def test_erasing_leaves_no_wal_and_no_free_page(world: World) -> None:
    repo, path = world.repo, world.repo.path
    # 1 is ON; FAST would read 2. The connection is internal: reading a setting is the reason.
    assert await repo._write_db.run(lambda c: c.execute("PRAGMA secure_delete").fetchone()[0]) == 1
    _, _, active = await _send(world)
    assert _wal_size(path) == 0, "the submit and the cancel scrubbed: the -wal is emptied"
    await repo.close_round(world.anonymous.id, at(95))
    assert _wal_size(path) == 0
    assert _rows(path, "PRAGMA freelist_count") == [(0,)]
    await repo.forget_person(active.user_id, at(96))
    assert _wal_size(path) == 0
    assert _rows(path, "PRAGMA freelist_count") == [(0,)]
    data = _file_bytes(path)
    for answer in active.state.answers.values():
        assert str(answer.value).encode() not in data
    assert b"Participant 2" not in data  # the forgotten person's name


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


async def test_no_join_reaches_a_person_once_written_out(world: World) -> None:
    await _send(world)
    await world.repo.close_round(world.anonymous.id, at(95))
    path = world.repo.path
    assert _rows(path, JOIN_VIA_SESSION, world.anonymous.id) == []
    assert _rows(path, JOIN_VIA_RESPONSE, world.anonymous.id) == []


async def test_completion_is_known_without_the_answers(world: World) -> None:
    submitted, cancelled, active = await _send(world)
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
    submitted, _, _ = await _send(world)
    again = await world.repo.apply_step(UpdateId(1), submitted.id, state(1), [], [], at(99))
    assert again is ApplyResult.DUPLICATE
    (pool,) = _rows(world.repo.path, "SELECT deposits_json FROM pools")
    assert len(json.loads(str(pool[0]))) == 1


async def test_a_random_id_drawn_twice_is_drawn_again(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = world.repo
    session = await repo.start_session(world.named.id, world.participants[0], state(), 1, at(20))
    draws = iter([42, 42, 42, 78])  # the second answer draws the first one's id twice
    monkeypatch.setattr(secrets, "randbits", lambda bits: next(draws) - 1)
    await repo.apply_step(UpdateId(1), session.id, state(), [AnswerWrite("q1", 1)], [], at(21))
    await repo.apply_step(UpdateId(2), session.id, state(), [AnswerWrite("q2", 2)], [], at(22))
    live = await repo.live_answers(session.id)
    assert {step: (row.id, row.value) for step, row in live.items()} == {
        "q1": (42, 1),
        "q2": (78, 2),
    }


async def test_a_written_out_id_drawn_twice_is_drawn_again(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = world.repo
    session = await repo.start_session(world.anonymous.id, world.participants[0], state(), 1, at(20))  # fmt: skip
    sent = state(1, q1="one", q2="two")
    await repo.apply_step(UpdateId(1), session.id, sent, [], [], at(21), "submitted")
    draws = iter([7, 42, 42, 78])  # the response, then its second answer draws the first's id
    monkeypatch.setattr(secrets, "randbits", lambda bits: next(draws) - 1)
    await repo.close_round(world.anonymous.id, at(22))
    rows = await repo.answers_of_round(world.anonymous.id)
    assert sorted((row.response_id, row.id) for row in rows) == [(7, 42), (7, 78)]


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
    await _send(world)
    await repo.close_round(world.anonymous.id, at(94))  # anonymous responses and answers first
    named = await repo.start_session(world.named.id, world.participants[0], state(), 1, at(95))
    await repo.apply_step(UpdateId(5000), named.id, state(), [AnswerWrite("q1", 1)], [], at(96))
    path = repo.path
    for table in ("responses", "answers"):
        ids = {}
        for round_ in (world.anonymous, world.named):
            ids[round_.id] = {
                row[0]
                for row in _rows(
                    path,
                    f"SELECT t.id FROM {table} t JOIN responses r ON r.id = "
                    f"{'t.id' if table == 'responses' else 't.response_id'} WHERE r.round_id = ?",
                    round_.id,
                )
            }
        anonymous_ids, named_ids = ids[world.anonymous.id], ids[world.named.id]
        assert anonymous_ids
        assert named_ids
        assert all(isinstance(i, int) and i > 2**32 for i in named_ids), table
        assert not {i - 1 for i in named_ids} & anonymous_ids, table


async def test_a_round_closed_meanwhile_takes_no_late_answer_only_the_end(world: World) -> None:
    """A submit that reaches the writer after the close would be written alone, after the
    close's flush, and so be known as the last sender's: it is refused, and nothing of it kept."""
    repo = world.repo
    late, other, _ = await _answer(world, 2000)
    await repo.apply_step(UpdateId(1), other.id, other.state, [], [], at(90), "submitted")
    await repo.close_round(world.anonymous.id, at(95))
    with pytest.raises(RoundClosedError):
        await repo.apply_step(UpdateId(3), late.id, late.state, [], [], at(96), "submitted")
    assert (
        await repo.apply_step(UpdateId(3), late.id, late.state, [], [], at(96), "timed_out")
        is ApplyResult.APPLIED
    )  # the refused step claimed no update id
    answers = await repo.answers_of_round(world.anonymous.id)
    assert {a.value for a in answers} == {
        _text(other.user_id, s, n) for s, n in (("q1", 2006), ("q2", 2005))
    }
