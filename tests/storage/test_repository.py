"""The repository's use cases outside `apply_step`: people, cohorts, chats, flows, rounds, audit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from storage import (
    AnswerWrite,
    ChatId,
    CohortId,
    ConstraintError,
    FlowConflictError,
    InviteCodeTakenError,
    NotFoundError,
    Repository,
    RoundClosedError,
    RoundId,
    SqliteRepository,
    UpdateId,
    UserId,
)
from tests.storage.conftest import T0, World, at, state


def test_the_sqlite_repository_implements_the_protocol(repo: SqliteRepository) -> None:
    implementation: Repository = repo  # checked by mypy; here, by the import at least
    assert implementation is repo


# -- people --------------------------------------------------------------------------------


async def test_upsert_person_creates_then_keeps_what_the_person_chose(
    repo: SqliteRepository,
) -> None:
    created = await repo.upsert_person(UserId(7), "Ana", "fr", at(0))
    assert (created.display_name, created.language, created.reachable) == ("Ana", "fr", False)
    assert created.created_at == at(0)
    await repo.set_person_language(UserId(7), "nl", at(1))
    kept = await repo.upsert_person(UserId(7), "Ana Telegram", "en", at(2))
    assert (kept.display_name, kept.language) == ("Ana", "nl")
    assert kept.updated_at == at(1)  # nothing changed, nothing written
    forced = await repo.upsert_person(UserId(7), "Ana T.", "en", at(3), force=True)
    assert (forced.display_name, forced.language, forced.updated_at) == ("Ana T.", "en", at(3))


async def test_upsert_person_fills_a_language_telegram_did_not_give(repo: SqliteRepository) -> None:
    await repo.upsert_person(UserId(7), "Ana", None, at(0))
    person = await repo.upsert_person(UserId(7), "Ana", "fr", at(1))
    assert person.language == "fr"


async def test_profile_and_reachability(repo: SqliteRepository) -> None:
    await repo.upsert_person(UserId(7), "Ana", "fr", at(0))
    profile = await repo.set_person_profile(UserId(7), "Ana Lima", "Coop Lumen", at(1))
    assert (profile.display_name, profile.organisation) == ("Ana Lima", "Coop Lumen")
    await repo.set_reachable(UserId(7), True, at(2))
    person = await repo.get_person(UserId(7))
    assert person is not None
    assert person.reachable is True
    await repo.set_reachable(UserId(7), False, at(3))
    person = await repo.get_person(UserId(7))
    assert person is not None
    assert person.reachable is False
    with pytest.raises(NotFoundError, match="no person with user id 8"):
        await repo.set_reachable(UserId(8), True, at(3))


async def test_times_are_utc_and_must_be_aware(repo: SqliteRepository) -> None:
    brussels = timezone(timedelta(hours=2))
    person = await repo.upsert_person(
        UserId(7), "Ana", "fr", datetime(2025, 6, 1, 12, tzinfo=brussels)
    )
    assert person.created_at == datetime(2025, 6, 1, 10, tzinfo=UTC)
    assert person.created_at.tzinfo is not None
    with pytest.raises(ValueError, match="aware datetime"):
        await repo.upsert_person(UserId(8), "Bo", "fr", datetime(2025, 6, 1, 12))


# -- cohorts, members, chats ---------------------------------------------------------------


async def test_the_creator_of_a_cohort_is_its_facilitator(world: World) -> None:
    repo, cohort = world.repo, world.cohort
    assert await repo.get_cohort(cohort.id) == cohort
    assert await repo.get_cohort_by_code("COOP25") == cohort
    assert await repo.get_cohort_by_code("nope") is None
    facilitators = await repo.members_of(cohort.id, "facilitator")
    assert [m.user_id for m in facilitators] == [world.facilitator]
    participants = await repo.members_of(cohort.id, "participant")
    assert [m.user_id for m in participants] == list(world.participants)
    assert len(await repo.members_of(cohort.id)) == 4


async def test_invite_codes_are_unique(world: World) -> None:
    with pytest.raises(InviteCodeTakenError, match="COOP25"):
        await world.repo.create_cohort("Other", "COOP25", world.facilitator, at(9))


async def test_add_member_is_idempotent_per_role(world: World) -> None:
    repo, user = world.repo, world.participants[0]
    assert await repo.add_member(world.cohort.id, user, "participant", at(9)) is False
    assert await repo.add_member(world.cohort.id, user, "facilitator", at(9)) is True
    roles = [(m.cohort_id, m.role) for m in await repo.memberships_of(user)]
    assert roles == [(world.cohort.id, "facilitator"), (world.cohort.id, "participant")]
    with pytest.raises(NotFoundError, match="no cohort with id 99"):
        await repo.add_member(CohortId(99), user, "participant", at(9))
    with pytest.raises(NotFoundError, match="no person with user id 99"):
        await repo.add_member(world.cohort.id, UserId(99), "participant", at(9))


async def test_member_names_lists_each_member_once(world: World) -> None:
    repo, cohort = world.repo, world.cohort
    await repo.add_member(cohort.id, world.participants[0], "facilitator", at(9))  # two roles
    other = await repo.create_cohort("Other", "OTHER", world.facilitator, at(9))
    await repo.upsert_person(UserId(30), "Elsewhere", "fr", at(9))
    await repo.add_member(other.id, UserId(30), "participant", at(9))
    assert await repo.member_names(cohort.id) == {
        world.facilitator: "Fatou",
        world.participants[0]: "Participant 0",
        world.participants[1]: "Participant 1",
        world.participants[2]: "Participant 2",
    }
    assert await repo.member_names(CohortId(99)) == {}


async def test_chats_bind_rebind_and_unbind(world: World) -> None:
    repo = world.repo
    chat = await repo.bind_chat(ChatId(-100123), world.cohort.id, "Coop group", "supergroup", at(9))
    assert chat.cohort_id == world.cohort.id
    assert await repo.cohort_of_chat(ChatId(-100123)) == world.cohort
    assert await repo.chats_of_cohort(world.cohort.id) == [chat]
    other = await repo.create_cohort("Other", "OTHER", world.facilitator, at(10))
    await repo.bind_chat(ChatId(-100123), other.id, "Coop group", "supergroup", at(11))
    assert await repo.cohort_of_chat(ChatId(-100123)) == other
    await repo.bind_chat(ChatId(-100123), None, "Coop group", "supergroup", at(12))
    assert await repo.cohort_of_chat(ChatId(-100123)) is None
    assert await repo.chats_of_cohort(world.cohort.id) == []
    assert await repo.cohort_of_chat(ChatId(5)) is None


# -- flows and rounds ----------------------------------------------------------------------


async def test_register_flow_is_idempotent_and_refuses_a_changed_source(world: World) -> None:
    repo = world.repo
    assert await repo.register_flow("review", 1, "a" * 64, "Review", at(9)) is False
    assert await repo.register_flow("review", 2, "b" * 64, "Review", at(9)) is True
    with pytest.raises(FlowConflictError, match="bump its version"):
        await repo.register_flow("review", 1, "c" * 64, "Review", at(9))


async def test_rounds_open_and_close(world: World) -> None:
    repo, cohort = world.repo, world.cohort
    deadline = at(60 * 24)
    opened = await repo.open_round(
        cohort.id, "review", 1, False, world.facilitator, at(9), deadline
    )
    assert (opened.status, opened.deadline, opened.closed_at) == ("open", deadline, None)
    assert [r.id for r in await repo.open_rounds_of_cohort(cohort.id)] == [
        world.named.id,
        world.anonymous.id,
        opened.id,
    ]
    closed = await repo.close_round(opened.id, at(10))
    assert (closed.status, closed.closed_at) == ("closed", at(10))
    assert await repo.close_round(opened.id, at(11)) == closed  # closing twice changes nothing
    assert opened.id not in [r.id for r in await repo.open_rounds_of_cohort(cohort.id)]
    assert len(await repo.rounds_of_cohort(cohort.id)) == 3
    assert await repo.get_round(RoundId(999)) is None


async def test_open_rounds_due_and_all_open_rounds(world: World) -> None:
    repo, cohort, by = world.repo, world.cohort.id, world.facilitator
    late = await repo.open_round(cohort, "review", 1, False, by, at(7), deadline=at(120))
    soon = await repo.open_round(cohort, "review", 1, True, by, at(8), deadline=at(60))
    gone = await repo.open_round(cohort, "review", 1, False, by, at(9), deadline=at(30))
    await repo.close_round(gone.id, at(10))
    other = await repo.create_cohort("Other", "OTHER", by, at(11))
    elsewhere = await repo.open_round(other.id, "review", 1, False, by, at(12), deadline=at(90))
    assert await repo.open_rounds_due(at(59)) == []
    assert [r.id for r in await repo.open_rounds_due(at(60))] == [soon.id]  # at the deadline
    assert [r.id for r in await repo.open_rounds_due(at(200))] == [soon.id, elsewhere.id, late.id]
    assert [r.id for r in await repo.all_open_rounds()] == [
        world.named.id,
        world.anonymous.id,
        late.id,
        soon.id,
        elsewhere.id,
    ]


async def test_active_sessions_of_round(world: World) -> None:
    repo, round_id = world.repo, world.named.id
    first, second, third = [
        await repo.start_session(round_id, user, state(), 1, at(9)) for user in world.participants
    ]
    await repo.start_session(world.anonymous.id, world.participants[0], state(), 1, at(9))
    await repo.apply_step(None, second.id, state(), [], [], at(10), "cancelled")
    assert await repo.active_sessions_of_round(round_id) == [first, third]
    assert await repo.active_sessions_of_round(RoundId(999)) == []


async def test_a_round_needs_a_registered_flow(world: World) -> None:
    with pytest.raises(NotFoundError, match="flow 'swot' version 1 is not registered"):
        await world.repo.open_round(world.cohort.id, "swot", 1, False, world.facilitator, at(9))


async def test_start_session_is_idempotent_and_refused_in_a_closed_round(world: World) -> None:
    repo, user = world.repo, world.participants[0]
    first = await repo.start_session(world.named.id, user, state(1), 1, at(9))
    again = await repo.start_session(world.named.id, user, state(2), 1, at(10))
    assert again == first
    assert again.state == state(1)
    assert await repo.session_of(world.named.id, user) == first
    assert await repo.get_session(first.id) == first
    assert await repo.active_sessions_of(user) == [first]
    await repo.close_round(world.anonymous.id, at(11))
    with pytest.raises(RoundClosedError):
        await repo.start_session(world.anonymous.id, user, state(), 1, at(12))
    with pytest.raises(NotFoundError):
        await repo.start_session(world.named.id, UserId(404), state(), 1, at(12))


async def test_round_status_counts_participants_only(world: World) -> None:
    repo = world.repo
    first, second, third = world.participants
    one = await repo.start_session(world.named.id, first, state(), 1, at(9))
    await repo.start_session(world.named.id, second, state(), 1, at(9))
    await repo.start_session(world.named.id, world.facilitator, state(), 1, at(9))
    await repo.apply_step(None, one.id, state(), [], [], at(10), status="submitted")
    status = await repo.round_status(world.named.id)
    assert (status.not_started, status.active, status.submitted) == ((third,), (second,), (first,))
    assert status.stopped == ()
    assert status.participant_count == 3
    with pytest.raises(NotFoundError):
        await repo.round_status(RoundId(999))


async def test_round_status_counts_a_cancelled_participant_as_not_having_answered(
    world: World,
) -> None:
    """/status and /close agree: one answer, then /cancel, is not an answered questionnaire."""
    repo = world.repo
    first, second, third = world.participants
    for user, status in ((first, "submitted"), (second, "cancelled"), (third, "timed_out")):
        session = await repo.start_session(world.named.id, user, state(), 1, at(9))
        await repo.apply_step(None, session.id, state(1), [AnswerWrite("q1", 1)], [], at(10))
        await repo.apply_step(None, session.id, state(2), [], [], at(11), status=status)
    counted = await repo.round_status(world.named.id)
    assert counted.submitted == (first,)
    assert counted.stopped == (second, third)
    assert (counted.not_started, counted.active) == ((), ())
    assert counted.participant_count == 3


# -- updates and audit ---------------------------------------------------------------------


async def test_mark_update_processed_once_and_prune(repo: SqliteRepository) -> None:
    assert await repo.mark_update_processed(UpdateId(1), at(0)) is True
    assert await repo.mark_update_processed(UpdateId(1), at(1)) is False
    assert await repo.mark_update_processed(UpdateId(2), at(60 * 48)) is True
    assert await repo.prune_processed_updates(at(60 * 24)) == 1
    assert await repo.mark_update_processed(UpdateId(1), at(60 * 49)) is True
    assert await repo.mark_update_processed(UpdateId(2), at(60 * 49)) is False


async def test_audit_log_per_cohort_newest_first(world: World) -> None:
    repo, cohort = world.repo, world.cohort
    logged_by_the_actions = await repo.audit_of_cohort(cohort.id)
    await repo.record_audit(world.facilitator, "round.open", cohort.id, {"round": 1}, at(9))
    await repo.record_audit(world.facilitator, "round.close", cohort.id, {"round": 1}, at(10))
    await repo.record_audit(world.facilitator, "cohort.create", None, {"name": "x"}, at(11))
    entries = await repo.audit_of_cohort(cohort.id)
    assert [(e.action, e.at, e.detail) for e in entries[:2]] == [
        ("round.close", at(10), {"round": 1}),
        ("round.open", at(9), {"round": 1}),
    ]
    assert entries[2:] == logged_by_the_actions
    assert len(await repo.audit_of_cohort(cohort.id, limit=1)) == 1
    with pytest.raises(ConstraintError, match="FOREIGN KEY"):
        await repo.record_audit(UserId(404), "x", None, {}, at(12))


async def test_values_that_are_not_json_fail_their_caller_only(world: World) -> None:
    with pytest.raises(ValueError, match="Out of range float"):
        await world.repo.record_audit(world.facilitator, "x", None, {"n": float("nan")}, T0)
    with pytest.raises(TypeError):
        await world.repo.record_audit(world.facilitator, "x", None, {"when": T0}, T0)
    assert all(e.action != "x" for e in await world.repo.audit_of_cohort(world.cohort.id))


async def test_a_facilitators_action_and_its_audit_entry_are_one_transaction(
    world: World,
) -> None:
    repo, cohort = world.repo, world.cohort
    opened = await repo.open_round(
        cohort.id, "review", 1, False, world.facilitator, at(20), deadline=at(60)
    )
    await repo.close_round(opened.id, at(21), closed_by=world.facilitator)
    await repo.bind_chat(
        ChatId(-77), cohort.id, "Group", "group", at(22), bound_by=world.facilitator
    )
    newest = [(e.action, e.detail) for e in (await repo.audit_of_cohort(cohort.id))[:3]]
    assert newest == [
        ("bind_group", {"chat": -77}),
        ("close_round", {"round": opened.id}),
        (
            "open_round",
            {"round": opened.id, "flow": "review", "deadline": at(60).isoformat()},
        ),
    ]
    before = await repo.audit_of_cohort(cohort.id)
    with pytest.raises(NotFoundError):  # the action fails: no entry either
        await repo.open_round(cohort.id, "nowhere", 1, False, world.facilitator, at(23))
    assert await repo.audit_of_cohort(cohort.id) == before


async def test_closed_rounds_with_sessions_still_active(world: World) -> None:
    repo = world.repo
    session = await repo.start_session(world.named.id, world.participants[0], state(), 1, at(10))
    await repo.start_session(world.anonymous.id, world.participants[0], state(), 1, at(10))
    assert await repo.closed_rounds_with_active_sessions() == []  # both still open
    await repo.close_round(world.named.id, at(11))  # and its sessions were not ended
    assert await repo.closed_rounds_with_active_sessions() == [world.named.id]
    await repo.apply_step(None, session.id, state(), [], [], at(12), status="timed_out")
    assert await repo.closed_rounds_with_active_sessions() == []
