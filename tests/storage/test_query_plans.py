"""Every query the repository runs is served by an index: no full table scan, ever.

Rather than a hand-kept list that drifts from the code, the test records every statement both
connections run during a workload that calls every repository method, then asks SQLite for the
plan of each (`EXPLAIN QUERY PLAN`).
"""

from __future__ import annotations

import contextlib
import dataclasses
import re
import sqlite3
from pathlib import Path

from flows.board import Action, ActionId, BoardState, Item, ItemId, MemberId
from storage import AnswerWrite, ChatId, SqliteRepository, UpdateId
from tests.storage.conftest import World, at, build_world, state

PLANNED = re.compile(r"^\s*(SELECT|UPDATE|DELETE|WITH)\b", re.IGNORECASE)
FULL_SCAN = re.compile(r"^SCAN (?!CONSTANT ROW)(\w+)")


async def _workload(repo: SqliteRepository) -> None:
    """Call every read and write of the repository at least once."""
    world: World = await build_world(repo)
    user, cohort = world.participants[0], world.cohort
    await _people_and_cohorts(world)
    await _rounds_and_sessions(world)
    await repo.mark_update_processed(UpdateId(99), at(13))
    await repo.prune_processed_updates(at(0))
    await repo.record_audit(world.facilitator, "x", cohort.id, {}, at(13))
    await repo.audit_of_cohort(cohort.id)
    await _boards(world)
    await repo.person_data(user)
    await repo.forget_person(user, at(14))  # a participant: their row goes
    await repo.forget_person(world.facilitator, at(14))  # accountable: their row stays


async def _people_and_cohorts(world: World) -> None:
    repo, user, cohort = world.repo, world.participants[0], world.cohort
    await repo.upsert_person(user, "Renamed", "fr", at(9))
    await repo.get_person(user)
    await repo.set_person_language(user, "en", at(9))
    await repo.set_person_profile(user, "P", "Org", at(9))
    await repo.set_reachable(user, True, at(9))
    await repo.set_dialog(user, "join", {"step": "name"}, at(9), UpdateId(90))
    await repo.get_dialog(user)
    await repo.clear_dialog(user, at(9), UpdateId(91))
    await repo.get_cohort(cohort.id)
    await repo.get_cohort_by_code("COOP25")
    await repo.memberships_of(user)
    await repo.members_of(cohort.id)
    await repo.members_of(cohort.id, "participant")
    await repo.member_names(cohort.id)
    await repo.join_cohort(cohort.id, user, "participant", "P", None, "fr", at(9), UpdateId(92))
    await repo.bind_chat(ChatId(-1), cohort.id, "g", "group", at(9))
    await repo.cohort_of_chat(ChatId(-1))
    await repo.chats_of_cohort(cohort.id)


async def _rounds_and_sessions(world: World) -> None:
    repo, user, cohort = world.repo, world.participants[0], world.cohort
    await repo.register_flow("review", 1, "a" * 64, "Review", at(9))
    await repo.get_round(world.named.id)
    await repo.open_rounds_of_cohort(cohort.id)
    await repo.rounds_of_cohort(cohort.id)
    await repo.open_rounds_due(at(60))
    await repo.all_open_rounds()
    await repo.closed_rounds_with_active_sessions()
    for round_ in (world.named, world.anonymous):
        session = await repo.start_session(round_.id, user, state(), 1, at(10))
        await repo.apply_step(
            UpdateId(round_.id), session.id, state(), [AnswerWrite("q", 1)], [], at(11)
        )
        await repo.apply_step(
            None, session.id, state(), [AnswerWrite("q", 2)], ["r"], at(12), "submitted"
        )
        await repo.set_prompt_message(session.id, 3)
        await repo.get_session(session.id)
        await repo.session_of(round_.id, user)
        await repo.live_answers(session.id)
        await repo.round_status(round_.id)
        await repo.answers_of_round(round_.id)
    await repo.active_sessions_of(user)
    await repo.active_sessions_of_round(world.named.id)
    await repo.close_round(world.named.id, at(13))


async def _boards(world: World) -> None:
    """An anonymous board from collection to actions, then a named one left grouping (forgetting
    its author prunes the proposals)."""
    repo, cohort = world.repo, world.cohort
    board = await repo.open_board(cohort.id, "review", 1, world.facilitator, True, at(13))
    await repo.set_board_message(board.round_id, ChatId(-1), 5)
    written = {n: Item(n, "strengths", "x", MemberId(u)) for n, u in ((ItemId(101), 21), (ItemId(102), 22))}  # fmt: skip
    shown = {i: dataclasses.replace(item, author=None) for i, item in written.items()}
    done = Action(ActionId(7), "do", MemberId(21), None, ItemId(101))
    states = [
        BoardState("collecting", True, items=written),
        BoardState("voting", True, items=shown, ballots={MemberId(21): {ItemId(101): 1}}),
        BoardState("results", True, items=shown, totals={ItemId(101): 1}),
        BoardState("results", True, items=shown, totals={ItemId(101): 1}, actions=(done,)),
    ]
    for n, after in enumerate(states):
        await repo.apply_board(UpdateId(700 + n), board.round_id, board.state, after, at(13))
        stored = await repo.get_board(board.round_id)
        assert stored is not None
        board = stored
    await repo.latest_board_of_cohort(cohort.id)
    await repo.actions_of_cohort(cohort.id)
    await repo.get_action(ActionId(7))
    await repo.set_action_status(UpdateId(710), ActionId(7), "done", at(13))
    grouping = await repo.open_board(cohort.id, "review", 1, world.facilitator, False, at(13))
    await repo.active_board_of_cohort(cohort.id)
    more = {ItemId(n): Item(ItemId(n), "threats", "x", MemberId(21)) for n in (201, 202)}
    collecting = BoardState("collecting", False, items=more)
    await repo.apply_board(None, grouping.round_id, grouping.state, collecting, at(13))
    proposed = BoardState("grouping", False, items=more, proposals=(tuple(more),))
    await repo.apply_board(None, grouping.round_id, collecting, proposed, at(13))


def _plan(path: Path, statement: str) -> list[str]:
    with contextlib.closing(sqlite3.connect(path)) as conn:
        return [row[3] for row in conn.execute(f"EXPLAIN QUERY PLAN {statement}")]


async def test_no_query_scans_a_whole_table(repo: SqliteRepository) -> None:
    statements: list[str] = []
    # The connections are internal; tracing them is the one reason a test reaches for them.
    for db in (repo._read_db, repo._write_db):
        await db.run(lambda conn: conn.set_trace_callback(statements.append))
    await _workload(repo)
    for db in (repo._read_db, repo._write_db):
        await db.run(lambda conn: conn.set_trace_callback(None))
    planned = sorted({s for s in statements if PLANNED.match(s)})
    assert len(planned) > 30, "the trace should have seen the repository's queries"
    scans = {}
    for statement in planned:
        lines = _plan(repo.path, statement)
        full = [line for line in lines if FULL_SCAN.match(line)]
        if full:
            scans[statement] = full
    assert not scans, "\n".join(f"{plan}: {sql}" for sql, plan in scans.items())


# Queries that digests, reminders and later features will run on tables the repository does not
# query yet: the schema already indexes them (per cohort, per round, per person, by time).
FORESEEN = [
    "SELECT * FROM reminders WHERE sent_at IS NULL AND due_at <= '2025' ORDER BY due_at",
    "SELECT * FROM reminders WHERE round_id = 1",
    "SELECT * FROM reminders WHERE user_id = 1",
    "SELECT * FROM actions WHERE cohort_id = 1 AND status = 'open' ORDER BY due_date",
    "SELECT * FROM actions WHERE owner_user_id = 1 AND status = 'open'",
    "SELECT * FROM actions WHERE status = 'open' AND due_date <= '2025'",
    "SELECT * FROM actions WHERE round_id = 1",
    "SELECT * FROM swot_items WHERE round_id = 1 AND hidden = 0 ORDER BY quadrant",
    "SELECT * FROM swot_items WHERE user_id = 1",
    "SELECT * FROM swot_items WHERE merged_into = 1",
    "SELECT v.item_id, sum(v.dots) FROM swot_items i JOIN votes v ON v.item_id = i.id "
    "WHERE i.round_id = 1 GROUP BY v.item_id",
    "SELECT * FROM votes WHERE user_id = 1",
    "SELECT * FROM completions WHERE round_id = 1",
    "SELECT * FROM completions WHERE user_id = 1 ORDER BY completed_at",
    "SELECT * FROM completions WHERE completed_at >= '2025'",
    "SELECT count(*) FROM answers WHERE answered_at >= '2025'",
    "SELECT * FROM audit_log WHERE at >= '2025' ORDER BY at",
    "SELECT * FROM audit_log WHERE actor_user_id = 1 ORDER BY at",
    "SELECT * FROM rounds WHERE status = 'open' AND deadline <= '2025'",
    "SELECT * FROM sessions WHERE round_id = 1 AND status = 'active'",
    "SELECT * FROM sessions WHERE user_id = 1",
    "SELECT * FROM responses WHERE user_id = 1",
    "SELECT * FROM chats WHERE cohort_id = 1",
    "SELECT * FROM cohorts WHERE created_by = 1",
]


async def test_foreseen_digest_queries_use_indexes(repo: SqliteRepository) -> None:
    plans = {sql: _plan(repo.path, sql) for sql in FORESEEN}
    scans = {sql: plan for sql, plan in plans.items() if any(map(FULL_SCAN.match, plan))}
    assert not scans, "\n".join(f"{plan}: {sql}" for sql, plan in scans.items())


async def test_the_scan_detector_does_detect_a_scan(repo: SqliteRepository) -> None:
    plan = _plan(repo.path, "SELECT * FROM answers WHERE value_json = '1'")
    assert [line for line in plan if FULL_SCAN.match(line)] == ["SCAN answers"]
