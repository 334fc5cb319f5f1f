"""Anonymous rounds: what someone holding the database file can learn, and the pool that keeps it so.

The model. From `data/bilan.db` (with its -wal, its free pages, a backup) a reader learns who
took part in an anonymous round and when (`sessions`, `completions`: who started, who sent, who
left, at what time) and what was answered (`responses`, `answers`, once the round is closed).
They never learn which answers are whose better than by chance among those who sent:
- while someone answers, their answers live only in their session's state, which names them and
  is theirs to resume; no `responses` or `answers` row exists for them;
- sending makes the final answers one *deposit* in the round's pool (a row of `pools`): a list
  re-shuffled at every write, with no person, session, time or rank in it. The finished session
  keeps a state that is the same for everyone in the round (flow, version, language, outcome),
  and no response id, revision, answer count or message id;
- cancelled and timed-out sessions sent nothing: their answers are discarded, not pooled (a lone
  partial response among complete ones would be theirs);
- closing the round writes the pool out in one transaction: one response and its answers per
  deposit, in shuffled order, with fresh random ids, and every time set to the round's opening
  day, the same for all. Until then the answers are readable in the pool row only;
- what was overwritten does not survive elsewhere in the file: `secure_delete = ON` zeroes freed
  cells and pages, and after a scrub the writer empties the -wal (`wal_checkpoint(TRUNCATE)`);
  after the pool is written out, or a person forgotten, it first runs `VACUUM`, which rebuilds
  every table and index in key order (random keys) with no free page, so no cell offset, page
  order or leftover keeps the order things were written in. Backups are `VACUUM INTO` copies.
What this does not hide: two copies of the file taken at different times (two backups) tell
apart the deposits sent in between, from the people who finished in between; and the answers
themselves (a free text that names its author, a language only one person speaks).

Why the pool is written out at the close only, not every k deposits: the deposits still waiting
would be those of the last people to send (their times are in `completions`), one person alone
whenever the count is one past a multiple of k. Writing at each send instead would need a VACUUM
per send, and still leave the newest rows in order until it ran.

Anonymous SWOT boards (storage/board_steps.py) hold to the same promise: from the file a reader
learns who is in the cohort and how many contributed, the items once revealed and the totals once
the vote is closed, never whose an item or a dot is. While an item may still be edited or deleted
by its author (until the reveal), and a dot withdrawn by its voter (until the vote closes), its
row names its person, as an active session's state does: a copy of the file taken then tells
whose it is, as a copy taken mid-questionnaire tells whose answers an active session holds.

Rule: one mechanism for every anonymous contribution. A contribution stays linked to its author
only while the author may still change it; when it becomes fixed it is unlinked in one
transaction, every row it leaves has a random id and one constant time (the round's opening day,
`day_of_text`), and the file is then vacuumed. For answers the unlinking is the deposit: a pool
row per round, whose deposits carry a `kind` ("response" today) and are written out at the close
by the writer `WRITERS` maps the kind to. SWOT items and votes are unlinked in place instead, as
rows: an item must be listed, edited and deleted by its author, and counted on the live board,
until the reveal, and a ballot changed by its voter until the close, which a pool (no person in
it) cannot serve. The reveal sets every item's author to NULL, the close of the vote deletes the
ballots once summed into the items' totals, each in the transaction that fixes them and followed
by a VACUUM; the items' ids are drawn at random by the shell and their times are the opening day,
so the rows left keep no order of arrival to undo. Functions take a `sqlite3.Connection` and run
inside the writer's transaction, as everywhere in `storage/`.
"""

from __future__ import annotations

import secrets
import sqlite3
from collections.abc import Callable, Mapping, Sequence
from typing import Any, cast

from flows.effects import FinishOutcome
from flows.state import SessionState
from storage.errors import ConstraintError, NotFoundError
from storage.models import RoundId, SessionStatus, day_of_text, from_json, to_json

_ATTEMPTS = 8  # random ids collide with odds of 2**-62 each

# (step id, value as JSON text, detail): as `steps.EncodedAnswer`.
PooledAnswer = tuple[str, str, str | None]
DepositWriter = Callable[[sqlite3.Connection, RoundId, str, Mapping[str, Any]], None]


def final_answers(state: SessionState) -> list[PooledAnswer]:
    """The answers a session sends, by step id: their order tells nothing of how they came.

    Raises: ValueError, TypeError: a value is not plain JSON.
    """
    return [
        (step, to_json(answer.value), answer.detail)
        for step, answer in sorted(state.answers.items())
    ]


def scrubbed_state(state: SessionState, status: SessionStatus) -> SessionState:
    """The state every finished session of an anonymous round keeps: nothing of its path."""
    return SessionState(
        flow_id=state.flow_id,
        flow_version=state.flow_version,
        language=state.language,
        phase="finished",
        outcome=cast(FinishOutcome, status),
    )


def deposit(
    conn: sqlite3.Connection, round_id: RoundId, kind: str, payload: Mapping[str, Any]
) -> None:
    """Add one deposit to the round's pool, and shuffle the whole pool again."""
    if kind not in WRITERS:
        raise ValueError(f"no writer for deposits of kind {kind!r} (known: {', '.join(WRITERS)})")
    deposits = [*_pooled(conn, round_id), {"kind": kind, **payload}]
    secrets.SystemRandom().shuffle(deposits)
    conn.execute(
        "INSERT INTO pools (round_id, deposits_json) VALUES (?, ?) "
        "ON CONFLICT (round_id) DO UPDATE SET deposits_json = excluded.deposits_json",
        (round_id, to_json(deposits)),
    )


def flush(conn: sqlite3.Connection, round_id: RoundId) -> bool:
    """Write the round's pool out, each deposit by its kind's writer; False if it was empty.

    Raises: NotFoundError: no round has this id.
    """
    deposits = _pooled(conn, round_id)
    if not deposits:
        return False
    opened = conn.execute("SELECT opened_at FROM rounds WHERE id = ?", (round_id,)).fetchone()
    if opened is None:
        raise NotFoundError(f"no round with id {round_id}")
    day = day_of_text(opened["opened_at"])  # one time for every row, and not the close's
    secrets.SystemRandom().shuffle(deposits)
    for item in deposits:
        WRITERS[item["kind"]](conn, round_id, day, item)
    conn.execute("DELETE FROM pools WHERE round_id = ?", (round_id,))
    return True


def _pooled(conn: sqlite3.Connection, round_id: RoundId) -> list[dict[str, Any]]:
    row = conn.execute("SELECT deposits_json FROM pools WHERE round_id = ?", (round_id,)).fetchone()
    return [] if row is None else list(from_json(row["deposits_json"]))


def _write_response(
    conn: sqlite3.Connection, round_id: RoundId, day: str, deposit: Mapping[str, Any]
) -> None:
    response_id = _insert_with_random_id(
        conn,
        "INSERT INTO responses (id, round_id, user_id, submitted_at) VALUES (?, ?, NULL, ?)",
        (round_id, day),
    )
    answers: Sequence[PooledAnswer] = deposit["answers"]
    for step_id, value_json, detail in answers:
        _insert_with_random_id(
            conn,
            "INSERT INTO answers (id, response_id, step_id, value_json, detail, answered_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (response_id, step_id, value_json, detail, day),
        )


def _insert_with_random_id(conn: sqlite3.Connection, sql: str, values: tuple[Any, ...]) -> int:
    for _ in range(_ATTEMPTS):
        row_id = secrets.randbits(62) + 1  # in [1, 2**62]
        try:
            conn.execute(sql, (row_id, *values))
            return row_id
        except sqlite3.IntegrityError as error:
            if not str(error).endswith(".id"):  # not a random id drawn twice
                raise
    raise ConstraintError("could not write an anonymous row: every id drawn is taken")


WRITERS: dict[str, DepositWriter] = {"response": _write_response}
