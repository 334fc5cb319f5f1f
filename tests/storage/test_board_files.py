"""An anonymous SWOT board, read from the database files as someone holding a copy would.

Rule: as in `test_file_attacks.py`, the files are read as bytes (`filefmt`), not through our
storage code. A link is a person's id, as a record holds it, lying within a few bytes of one of
their items (its text or its id) in any page of the main file or frame of the -wal, live or
stale, where a row or an index entry would put them together. Before the reveal (and before the
close of the vote) the links are there, so the search can find them; afterwards none is left.
"""

from __future__ import annotations

import contextlib
import dataclasses
import sqlite3
from collections.abc import Mapping, Sequence
from pathlib import Path

from flows.board import ItemId
from storage import Board, SqliteRepository, UserId
from tests.storage.board_world import (
    ADA,
    BEA,
    CHLOE,
    BoardWorld,
    ballots,
    build_board_world,
    item,
    item_id,
    items,
    open_board,
    step,
    without_authors,
)
from tests.storage.filefmt import (
    Image,
    find_all,
    integer_encodings,
    pages_of,
    read_header,
    wal_frames,
)

NEAR = 64  # bytes: a record or an index entry holds its values closer than this

WRITTEN = items(
    item(1, ADA, "Notre atelier partagé"),
    item(2, ADA, "Dépendance aux subsides", "weaknesses"),
    item(3, BEA, "Marché bio en hausse", "opportunities"),
    item(4, CHLOE, "Nouvelle réglementation", "threats"),
)
# The items each person is linked to: their own, then the ones they put dots on.
AUTHORS = {ADA: (1, 2), BEA: (3,), CHLOE: (4,)}
VOTES = {ADA: {3: 2, 4: 1}, BEA: {1: 1}, CHLOE: {1: 2, 2: 1}}


def _pages(path: Path) -> list[bytes]:
    """Every page of the main file and every frame of its -wal, valid or stale."""
    main = path.read_bytes()
    size = read_header(main).page_size
    pages = [page for _, page in pages_of(main, size)]
    wal = Path(f"{path}-wal")
    data = wal.read_bytes() if wal.exists() else b""
    pages += [data[f.offset : f.offset + size] for f in wal_frames(data, size)]
    return pages


def _marks(n: int) -> list[bytes]:
    written = WRITTEN[item_id(n)]
    return [written.text.encode(), integer_encodings(written.id)["int8"]]


def links(path: Path, linked: Mapping[UserId, Sequence[int]]) -> set[tuple[UserId, int]]:
    """(person, item) pairs whose marks lie near each other in some page of the files."""
    found = set()
    for page in _pages(path):
        for user, numbers in linked.items():
            near_user = find_all(page, integer_encodings(user)["int6"])
            for n in numbers:
                at = [a for mark in _marks(n) for a in find_all(page, mark)]
                if any(abs(a - u) < NEAR for a in at for u in near_user):
                    found.add((user, n))
    return found


def written_out_of_key_order(path: Path) -> list[str]:
    """The b-trees whose cells holding items lie in another order than their keys: an order of
    writing, which VACUUM's rebuild (in key order, the keys random) leaves none of."""
    main, wal = path.read_bytes(), Path(f"{path}-wal")
    image = Image(main, wal.read_bytes() if wal.exists() else b"")
    marks = [m for n in (1, 2, 3, 4) for m in _marks(n)]
    ids = {w.id for w in WRITTEN.values()}
    out_of_order = []
    for tree, cells in image.trees().items():
        held = [c for c in cells if c.rowid in ids or any(m in c.payload for m in marks)]
        # A page fills from its end: a cell written later lies lower in it.
        if held != sorted(held, key=lambda c: (c.page, -c.offset)):
            out_of_order.append(tree)
    return out_of_order


def _sql(path: Path, sql: str) -> list[tuple[object, ...]]:
    with contextlib.closing(sqlite3.connect(path)) as conn:
        return conn.execute(sql).fetchall()


def _wal_size(path: Path) -> int:
    return Path(f"{path}-wal").stat().st_size


def _freelist(path: Path) -> int:
    (count,) = _sql(path, "PRAGMA freelist_count")[0]
    assert isinstance(count, int)
    return count


async def _collected(repo: SqliteRepository) -> tuple[BoardWorld, Board]:
    world = await build_board_world(repo)
    board = await open_board(world, anonymous=True)
    for n, written in enumerate(WRITTEN.values()):
        after = dataclasses.replace(board.state, items={**board.state.items, written.id: written})
        board = await step(world, board, after, 10 + n, update=n + 1)
    edited = dict(board.state.items)  # an edit and a removal leave old images behind
    edited[item_id(9)] = item(9, BEA, "Un doublon à retirer")
    board = await step(world, board, dataclasses.replace(board.state, items=edited), 15)
    del edited[item_id(9)]
    board = await step(world, board, dataclasses.replace(board.state, items=edited), 16)
    return world, board


async def test_after_the_reveal_nothing_in_the_files_links_an_item_to_its_author(
    repo: SqliteRepository,
) -> None:
    world, board = await _collected(repo)
    path = repo.path
    pairs = {(user, n) for user, numbers in AUTHORS.items() for n in numbers}
    assert links(path, AUTHORS) == pairs, "the search must find the links while they exist"
    assert written_out_of_key_order(path), "items were written in another order than their ids"
    unlinked = without_authors(board.state)
    revealed = dataclasses.replace(board.state, phase="revealed", items=unlinked, contributors=3)
    board = await step(world, board, revealed, 20)
    assert board.state == revealed
    assert _sql(path, "SELECT count(*) FROM swot_items WHERE user_id IS NOT NULL") == [(0,)]
    assert links(path, AUTHORS) == set()
    assert written_out_of_key_order(path) == []
    assert _wal_size(path) == 0
    assert _freelist(path) == 0
    texts = b"".join(_pages(path))
    assert all(w.text.encode() in texts for w in WRITTEN.values()), "the items themselves stay"
    assert "Un doublon à retirer".encode() not in texts


async def test_after_the_close_no_ballot_is_left_and_the_totals_are(repo: SqliteRepository) -> None:
    world, board = await _collected(repo)
    path = repo.path
    shown = without_authors(board.state)
    voting = dataclasses.replace(board.state, phase="voting", items=shown, contributors=3)
    board = await step(world, board, voting, 20)
    for n, user in enumerate(VOTES):
        cast = {**board.state.ballots, **ballots({user: VOTES[user]})}
        board = await step(world, board, dataclasses.replace(voting, ballots=cast), 21 + n)
    voted = {user: tuple(ballot) for user, ballot in VOTES.items()}
    pairs = {(user, n) for user, numbers in voted.items() for n in numbers}
    assert links(path, voted) == pairs, "the search must find the ballots while they exist"
    totals = {ItemId(item_id(n)): dots for n, dots in {1: 3, 2: 1, 3: 2, 4: 1}.items()}
    results = dataclasses.replace(voting, phase="results", ballots={}, totals=totals)
    board = await step(world, board, results, 30)
    assert board.state == results
    assert _sql(path, "SELECT count(*) FROM votes") == [(0,)]
    assert sorted(_sql(path, "SELECT id, total FROM swot_items")) == sorted(totals.items())
    assert links(path, voted) == set()
    assert _wal_size(path) == 0
    assert _freelist(path) == 0


async def test_a_named_board_keeps_its_authors_after_the_reveal(repo: SqliteRepository) -> None:
    world = await build_board_world(repo)
    board = await open_board(world, anonymous=False)
    board = await step(world, board, dataclasses.replace(board.state, items=WRITTEN), 10)
    board = await step(world, board, dataclasses.replace(board.state, phase="revealed"), 11)
    assert board.state.items == WRITTEN
    pairs = {(user, n) for user, numbers in AUTHORS.items() for n in numbers}
    assert links(repo.path, AUTHORS) == pairs
