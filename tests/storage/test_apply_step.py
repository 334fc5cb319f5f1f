"""`apply_step`: one transaction per step, each update counted once, group commit shared."""

from __future__ import annotations

import asyncio

import pytest

from storage import (
    UNCHANGED,
    AnswerWrite,
    ApplyResult,
    NotFoundError,
    Session,
    SessionFinishedError,
    SessionId,
    UpdateId,
)
from tests.storage.conftest import World, at, state


async def _named_session(world: World, n: int = 0) -> Session:
    return await world.repo.start_session(world.named.id, world.participants[n], state(), 1, at(9))


async def test_a_step_stores_state_answers_and_update_together(world: World) -> None:
    repo = world.repo
    session = await _named_session(world)
    result = await repo.apply_step(
        UpdateId(100),
        session.id,
        state(2),
        [AnswerWrite("q1", {"choice": "other"}, "a cooperative bakery")],
        [],
        at(10),
        prompt_message_id=555,
    )
    assert result is ApplyResult.APPLIED
    stored = await repo.get_session(session.id)
    assert stored is not None
    assert (stored.state, stored.prompt_message_id, stored.updated_at) == (
        state(2),
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
        await repo.apply_step(UpdateId(7), session.id, state(), answer, [], at(10))
        is ApplyResult.APPLIED
    )
    again = await repo.apply_step(UpdateId(7), session.id, state(2), answer, [], at(11))
    assert again is ApplyResult.DUPLICATE
    rows = await repo.answers_of_round(world.named.id)
    assert [(row.step_id, row.value) for row in rows] == [("q1", 1)]


async def test_the_same_update_applied_concurrently_stores_one_answer(world: World) -> None:
    repo = world.repo
    session = await _named_session(world)
    before = repo.write_stats
    results = await asyncio.gather(
        *(
            repo.apply_step(UpdateId(7), session.id, state(n), [AnswerWrite("q1", n)], [], at(10))
            for n in range(5)
        )
    )
    assert sorted(results) == [ApplyResult.APPLIED] + [ApplyResult.DUPLICATE] * 4
    assert repo.write_stats.batches - before.batches == 1  # all five met in one transaction
    rows = await repo.answers_of_round(world.named.id)
    assert [(row.step_id, row.value) for row in rows] == [("q1", 0)]
    stored = await repo.get_session(session.id)
    assert stored is not None
    assert stored.state == state(0)


async def test_re_answering_retracts_and_retracting_hides(world: World) -> None:
    repo = world.repo
    session = await _named_session(world)
    await repo.apply_step(UpdateId(1), session.id, state(), [AnswerWrite("q1", "a")], [], at(10))
    await repo.apply_step(UpdateId(2), session.id, state(), [AnswerWrite("q2", "b")], [], at(11))
    await repo.apply_step(
        UpdateId(3), session.id, state(), [AnswerWrite("q1", "c")], ["q2"], at(12)
    )
    answers = await repo.live_answers(session.id)
    assert {step: row.value for step, row in answers.items()} == {"q1": "c"}
    assert (
        await repo.apply_step(None, session.id, state(), [], ["q9"], at(13)) is ApplyResult.APPLIED
    )


async def _prompt(world: World, session_id: SessionId) -> int | None:
    stored = await world.repo.get_session(session_id)
    assert stored is not None
    return stored.prompt_message_id


async def test_prompt_message_is_kept_set_or_cleared(world: World) -> None:
    repo = world.repo
    session = await _named_session(world)
    await repo.set_prompt_message(session.id, 41)
    await repo.apply_step(None, session.id, state(), [], [], at(10), prompt_message_id=UNCHANGED)
    assert await _prompt(world, session.id) == 41
    await repo.apply_step(None, session.id, state(), [], [], at(11), prompt_message_id=42)
    assert await _prompt(world, session.id) == 42
    await repo.apply_step(None, session.id, state(), [], [], at(12), prompt_message_id=None)
    assert await _prompt(world, session.id) is None
    with pytest.raises(NotFoundError):
        await repo.set_prompt_message(SessionId(999), 1)


async def test_finishing_records_completion_and_ends_the_session(world: World) -> None:
    repo = world.repo
    session = await _named_session(world)
    await repo.apply_step(
        UpdateId(1), session.id, state(9), [AnswerWrite("q1", 5)], [], at(10), "submitted"
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
        await repo.apply_step(UpdateId(2), session.id, state(), [AnswerWrite("q1", 6)], [], at(11))
    # The refused update was not consumed, and a re-delivered final update is a duplicate.
    assert await repo.mark_update_processed(UpdateId(2), at(12)) is True
    assert (
        await repo.apply_step(UpdateId(1), session.id, state(), [], [], at(13))
        is ApplyResult.DUPLICATE
    )


async def test_a_failing_call_fails_alone_inside_a_shared_commit(world: World) -> None:
    repo = world.repo
    sessions = [await _named_session(world, n) for n in range(3)]
    before = repo.write_stats
    results = await asyncio.gather(
        repo.apply_step(UpdateId(1), sessions[0].id, state(), [AnswerWrite("q1", 1)], [], at(10)),
        repo.apply_step(UpdateId(2), SessionId(999), state(), [AnswerWrite("q1", 2)], [], at(10)),
        repo.apply_step(UpdateId(3), sessions[1].id, state(), [AnswerWrite("q1", 3)], [], at(10)),
        repo.apply_step(
            UpdateId(4), sessions[2].id, state(), [AnswerWrite("q1", float("inf"))], [], at(10)
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
            repo.apply_step(UpdateId(n), session.id, state(), [AnswerWrite(f"q{n}", n)], [], at(10))
            for n in range(70)
        )
    )
    assert set(results) == {ApplyResult.APPLIED}
    stats = repo.write_stats
    assert stats.requests - before.requests == 70
    assert stats.batches - before.batches <= 2
    assert len(await repo.live_answers(session.id)) == 70
