"""A person's data: the export holds what is linked to them; forgetting erases exactly that."""

from __future__ import annotations

import contextlib
import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from storage import AnswerWrite, Round, SqliteRepository, UpdateId, UserId
from tests.storage.conftest import World, at, state

# Every column that references a person, all handled by `storage/privacy.py`.
REFERENCES = {
    ("cohorts", "created_by"),
    ("memberships", "user_id"),
    ("rounds", "opened_by"),
    ("responses", "user_id"),
    ("sessions", "user_id"),
    ("completions", "user_id"),
    ("swot_items", "user_id"),
    ("votes", "user_id"),
    ("actions", "owner_user_id"),
    ("reminders", "user_id"),
    ("audit_log", "actor_user_id"),
    ("dialogs", "user_id"),
}
# Where a forgotten person's id may remain: what a cohort needs to hold its facilitators to account.
ACCOUNTABLE = {("cohorts", "created_by"), ("rounds", "opened_by"), ("audit_log", "actor_user_id")}


@dataclass(frozen=True)
class Story:
    ada: UserId  # the person who asks for their data, then to be forgotten
    bea: UserId  # another participant, whose data must not move
    later: Round  # an anonymous round in which Ada is still answering
    items: tuple[int, int, int]  # Ada's unvoted item, Ada's item Bea voted for, Bea's item


def _sql(path: Path, sql: str, *params: object) -> list[tuple[object, ...]]:
    with contextlib.closing(sqlite3.connect(path, isolation_level=None)) as conn:
        conn.execute("PRAGMA foreign_keys = ON")
        return conn.execute(sql, params).fetchall()


def _insert(path: Path, sql: str, *params: object) -> int:
    with contextlib.closing(sqlite3.connect(path, isolation_level=None)) as conn:
        conn.execute("PRAGMA foreign_keys = ON")
        return conn.execute(sql, params).lastrowid or 0


async def _answer(
    world: World, round_: Round, user: UserId, values: list[object], end: bool
) -> None:
    repo = world.repo
    session = await repo.start_session(round_.id, user, state(), 1, at(10))
    # The state holds the answers, as the engine's does: an anonymous round keeps them there.
    for n, value in enumerate(values):
        answered = state(q1=value)
        await repo.apply_step(
            None, session.id, answered, [AnswerWrite("q1", value)], [], at(11 + n)
        )
    if end:
        final = state(q1=values[-1])
        await repo.apply_step(None, session.id, final, [], [], at(20), "submitted")


async def _story(world: World) -> Story:
    repo, path = world.repo, world.repo.path
    ada, bea, _ = world.participants
    later = await repo.open_round(world.cohort.id, "review", 1, True, world.facilitator, at(7))
    await _answer(world, world.named, ada, ["ada-retracted", "ada-named"], end=True)
    await _answer(world, world.anonymous, ada, ["ada-anonymous"], end=True)
    await _answer(world, later, ada, ["ada-unfinished"], end=False)
    await _answer(world, world.named, bea, ["bea-named"], end=True)
    await _answer(world, world.anonymous, bea, ["bea-anonymous"], end=True)
    await repo.set_dialog(ada, "rename", {"step": "name"}, at(21), UpdateId(1))
    await repo.record_audit(world.facilitator, "round.open", world.cohort.id, {"r": 1}, at(22))
    alone, liked, beas = (
        _insert(
            path,
            "INSERT INTO swot_items (round_id, user_id, quadrant, text, created_at) "
            "VALUES (?, ?, 'strengths', ?, 't')",
            world.named.id,
            author,
            text,
        )
        for author, text in ((ada, "ada alone"), (ada, "ada liked"), (bea, "bea's"))
    )
    for voter, item in ((bea, liked), (ada, beas)):
        _sql(path, "INSERT INTO votes VALUES (?, ?, 1, 't')", item, voter)
    _sql(
        path,
        "INSERT INTO actions (cohort_id, title, owner_user_id, created_at, updated_at) "
        "VALUES (?, 'call the bank', ?, 't', 't')",
        world.cohort.id,
        ada,
    )
    for user in (ada, bea):
        _sql(path, "INSERT INTO reminders (kind, user_id, due_at) VALUES ('nudge', ?, 't')", user)
    return Story(ada, bea, later, (alone, liked, beas))


def _everything_of(path: Path, user: UserId) -> dict[str, list[tuple[object, ...]]]:
    """Every row that names `user`, and the answers of their responses."""
    rows = {
        f"{table}.{column}": _sql(path, f"SELECT * FROM {table} WHERE {column} = ?", user)
        for table, column in sorted(REFERENCES)
    }
    rows["people"] = _sql(path, "SELECT * FROM people WHERE user_id = ?", user)
    rows["answers"] = _sql(
        path,
        "SELECT a.* FROM answers a JOIN responses r ON r.id = a.response_id "
        "WHERE r.user_id = ? ORDER BY a.id",
        user,
    )
    return rows


async def test_person_data_holds_what_is_linked_to_the_person(world: World) -> None:
    story = await _story(world)
    data = await world.repo.person_data(story.ada)
    assert json.loads(json.dumps(data)) == data  # plain JSON, no converter needed
    assert data["user_id"] == story.ada
    assert data["profile"]["display_name"] == "Participant 0"
    assert data["dialog"] == {
        "kind": "rename",
        "payload": {"step": "name"},
        "updated_at": at(21).isoformat(),
    }
    assert [(m["cohort_name"], m["role"]) for m in data["memberships"]] == [
        ("Coopératives 2025", "participant")
    ]
    sessions = {
        s["round_id"]: (s["flow_id"], s["status"], s["anonymous"]) for s in data["sessions"]
    }
    assert sessions == {
        world.named.id: ("review", "submitted", False),
        world.anonymous.id: ("review", "submitted", True),
        story.later.id: ("review", "active", True),
    }
    answers = {(a["round_id"], a["value"], a["retracted"]) for a in data["answers"]}
    # The finished anonymous answer is linked to nobody: it cannot be found, so it is not here.
    # An unfinished anonymous one lives in its session's state only, which is exported.
    assert answers == {
        (world.named.id, "ada-retracted", True),
        (world.named.id, "ada-named", False),
    }
    (later,) = [s for s in data["sessions"] if s["round_id"] == story.later.id]
    assert later["state"]["answers"] == {"q1": "ada-unfinished"}
    assert sorted(c["round_id"] for c in data["completions"]) == [
        world.named.id,
        world.anonymous.id,
    ]
    assert [i["text"] for i in data["swot_items"]] == ["ada alone", "ada liked"]
    assert [v["item_id"] for v in data["votes"]] == [story.items[2]]
    assert [a["title"] for a in data["actions"]] == ["call the bank"]
    assert len(data["reminders"]) == 1
    assert data["audit"] == []
    audit = (await world.repo.person_data(world.facilitator))["audit"]
    # The facilitator's own actions, each logged with it, then the entry recorded by hand.
    assert [e["action"] for e in audit] == [
        "create_cohort",
        "open_round",
        "open_round",
        "open_round",
        "round.open",
    ]


async def test_the_export_ties_named_answers_to_their_response(world: World) -> None:
    story = await _story(world)
    data = await world.repo.person_data(story.ada)
    [named] = _sql(
        world.repo.path,
        "SELECT id, submitted_at FROM responses WHERE round_id = ? AND user_id = ?",
        world.named.id,
        story.ada,
    )
    responses = {r["round_id"]: r for r in data["responses"]}
    assert responses[world.named.id] == {
        "response_id": named[0],
        "round_id": world.named.id,
        "anonymous": False,
        "submitted": True,
        "submitted_at": named[1],
    }
    assert world.anonymous.id not in responses, "a sent anonymous response is nobody's"
    stored = _sql(
        world.repo.path,
        "SELECT id, response_id, value_json FROM answers WHERE response_id = ? ORDER BY id",
        named[0],
    )
    exported = [
        (a["answer_id"], a["response_id"], json.dumps(a["value"]))
        for a in data["answers"]
        if a["round_id"] == world.named.id
    ]
    assert sorted(exported) == sorted(stored)
    session = next(s for s in data["sessions"] if s["round_id"] == world.named.id)
    assert session["response_id"] == named[0]
    assert "note" not in session


async def test_the_export_says_why_sent_anonymous_answers_are_not_in_it(world: World) -> None:
    story = await _story(world)
    data = await world.repo.person_data(story.ada)
    sessions = {s["round_id"]: s for s in data["sessions"]}
    sent = sessions[world.anonymous.id]
    assert sent["status"] == "submitted"
    assert sent["response_id"] is None
    assert "no longer linked to you" in sent["note"]
    assert "not even the bot" in sent["note"]
    assert "note" not in sessions[story.later.id], "still theirs: its answers are in the file"
    assert "ada-anonymous" not in json.dumps(data)


async def test_the_export_holds_what_a_facilitator_created(world: World) -> None:
    data = await world.repo.person_data(world.facilitator)
    assert [c["name"] for c in data["cohorts_created"]] == ["Coopératives 2025"]
    assert {r["round_id"] for r in data["rounds_opened"]} == {world.named.id, world.anonymous.id}
    assert all(e["entry_id"] for e in data["audit"])


async def test_a_stranger_has_an_empty_export(repo: SqliteRepository) -> None:
    data = await repo.person_data(UserId(404))
    assert data["profile"] is None
    assert data["dialog"] is None
    sections = {key: value for key, value in data.items() if isinstance(value, list)}
    assert len(sections) == 12
    assert all(value == [] for value in sections.values())


async def test_forgetting_erases_every_link_and_leaves_others_untouched(world: World) -> None:
    story, path = await _story(world), world.repo.path
    await world.repo.close_round(world.anonymous.id, at(25))  # its pool written out
    before = _everything_of(path, story.bea)
    anonymous = "SELECT * FROM answers WHERE value_json = '\"ada-anonymous\"'"
    anonymous_before = _sql(path, anonymous)
    assert len(anonymous_before) == 1
    await world.repo.forget_person(story.ada, at(30))
    for table, column in REFERENCES | {("people", "user_id")}:
        hits = _sql(path, f"SELECT count(*) FROM {table} WHERE {column} = ?", story.ada)
        assert hits == [(0,)], f"{table}.{column} still names the forgotten person"
    left = _sql(path, "SELECT value_json FROM answers WHERE value_json LIKE '\"ada-%' ")
    assert left == [('"ada-anonymous"',)]  # unlinked: nothing can tell it is Ada's
    assert _sql(path, anonymous) == anonymous_before
    assert _sql(path, "SELECT count(*) FROM responses WHERE round_id = ?", story.later.id) == [(0,)]
    assert _everything_of(path, story.bea) == before
    alone, liked, beas = story.items
    items = _sql(path, "SELECT id, user_id, text FROM swot_items ORDER BY id")
    assert alone not in {item[0] for item in items}  # nobody else needs it
    assert items == [(liked, None, "ada liked"), (beas, story.bea, "bea's")]
    assert _sql(path, "SELECT item_id, user_id FROM votes") == [(liked, story.bea)]
    assert _sql(path, "SELECT owner_user_id, title FROM actions") == [(None, "call the bank")]
    assert _sql(path, "PRAGMA foreign_key_check") == []
    assert await world.repo.get_person(story.ada) is None
    status = await world.repo.round_status(world.named.id)
    assert story.ada not in (
        *status.not_started,
        *status.active,
        *status.submitted,
        *status.stopped,
    )


async def test_a_forgotten_facilitator_stays_accountable_without_a_name(world: World) -> None:
    await _story(world)
    repo, path, facilitator = world.repo, world.repo.path, world.facilitator
    await repo.forget_person(facilitator, at(30))
    person = await repo.get_person(facilitator)
    assert person is not None
    assert (person.display_name, person.organisation, person.language) == ("—", "—", None)
    for table, column in REFERENCES - ACCOUNTABLE:
        hits = _sql(path, f"SELECT count(*) FROM {table} WHERE {column} = ?", facilitator)
        assert hits == [(0,)], f"{table}.{column} still names the forgotten person"
    assert _sql(path, "SELECT DISTINCT actor_user_id FROM audit_log") == [(facilitator,)]
    assert _sql(path, "SELECT created_by FROM cohorts") == [(facilitator,)]
    data = await repo.person_data(facilitator)
    assert (data["profile"]["display_name"], data["memberships"]) == ("—", [])
    assert [e["action"] for e in data["audit"]][-1] == "round.open"


async def test_forgetting_twice_or_a_stranger_is_harmless(world: World) -> None:
    story = await _story(world)
    await world.repo.forget_person(story.ada, at(30))
    await world.repo.forget_person(story.ada, at(31))
    await world.repo.forget_person(world.facilitator, at(31))
    await world.repo.forget_person(world.facilitator, at(32))
    await world.repo.forget_person(UserId(404), at(32))
    assert len(await world.repo.members_of(world.cohort.id)) == 2


async def test_every_column_that_references_a_person_is_handled(repo: SqliteRepository) -> None:
    tables = _sql(repo.path, "SELECT name FROM sqlite_master WHERE type = 'table'")
    found = {
        (str(table), str(key[3]))
        for (table,) in tables
        for key in _sql(repo.path, f"PRAGMA foreign_key_list({table})")
        if key[2] == "people"
    }
    # A new column naming a person must be exported and erased: teach storage/privacy.py.
    assert found == REFERENCES
