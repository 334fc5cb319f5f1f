"""Attacks on the database files themselves, as someone holding a copy of them would attack.

Rule: these tests know the SQLite file format and the public repository API, and nothing of our
storage code: no table or column name of ours appears below. Tables are found through
`sqlite_master`, the rows that hold answers by their content (the free texts), and the links
between rows by the values they share. So a change to storage cannot hide from them: whatever
the layout, the promises must hold in the bytes.

The promises attacked: (1) once an anonymous questionnaire is sent, a reader of the files
learns who finished and the answers, never which answers are whose better than chance;
(2) after `forget_person`, nothing of the person is left in any table, nor in the bytes of
the main file, its `-wal`, or a backup taken afterwards.

How many correct guesses chance allows. Each attack ("variant") maps every participant who sent
answers to one free text, by a rule that reads only the files and what is public (who finished,
and when each did what: the facilitator sees it happen). If the files hold no link, the true
assignment is, for the attacker, a uniformly random permutation σ of the n texts, independent
of the guess g. Then for any g, injective or not,
    P(at least k correct) ≤ E[C(correct, k)] ≤ C(n, k) · (n-k)!/n! = 1/k!,
whatever n. A test that runs V variants allows the largest t with V/(t+1)! < 0.1 %, so that the
test as a whole raises a false alarm with probability below 0.1 % (a union bound): up to 40
variants allow t = 7 (40/8! = 0.099 %), up to 362 allow t = 8. The story has 22 senders; the
attacks below run 21, 108 and 32 variants today, the count is computed each time.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import shutil
import sqlite3
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, TypeVar

import pytest

from storage import UserId
from tests.storage.attack_story import (
    FORGOTTEN,
    FORGOTTEN_NAME,
    FORGOTTEN_ORG,
    Files,
    Participant,
    Story,
    build,
)
from tests.storage.filefmt import (
    Cell,
    Image,
    find_all,
    integer_encodings,
    pages_of,
    read_header,
    wal_frames,
)

ALARM = 1e-3
Value = None | int | float | str | bytes
Guess = Mapping[UserId, str | None]


def threshold(variants: int) -> int:
    """The most correct guesses that `variants` attacks on unlinked files reach together with
    probability below `ALARM` (see the module's docstring)."""
    allowed = 0
    while variants / math.factorial(allowed + 1) >= ALARM:
        allowed += 1
    return allowed


@pytest.fixture(scope="module")
def story(tmp_path_factory: pytest.TempPathFactory) -> Story:
    return asyncio.run(build(tmp_path_factory.mktemp("attacks")))


# ---- scoring ----------------------------------------------------------------------------------


@dataclass
class Scores:
    """Correct guesses of each variant of an attack, against the story's ground truth."""

    senders: Sequence[Participant]
    found: dict[str, int] = field(default_factory=dict)

    def add(self, variant: str, guess: Guess) -> None:
        self.found[variant] = sum(guess.get(p.user) == p.text for p in self.senders)

    def check(self) -> None:
        allowed = threshold(len(self.found))
        worst = sorted(self.found.items(), key=lambda item: -item[1])
        report = ", ".join(f"{name}: {count}" for name, count in worst if count > allowed)
        assert not report, (
            f"of {len(self.senders)} senders, more than {allowed} guessed right "
            f"(chance: < {ALARM:.1%} over {len(self.found)} variants) by {report}"
        )


def by_rank(
    people: Sequence[Participant], texts: Sequence[str], *, from_end: bool = False
) -> Guess:
    """The i-th person gets the i-th text (counted from the end with `from_end`)."""
    if from_end:
        people, texts = people[::-1], texts[::-1]
    return {p.user: text for p, text in zip(people, texts, strict=False)}


def in_order(
    people: Iterable[Participant], key: Callable[[Participant], object]
) -> list[Participant]:
    return sorted(people, key=key)  # type: ignore[arg-type]  # datetimes and numbers


def done(p: Participant) -> datetime:
    assert p.done_at is not None
    return p.done_at


def started(p: Participant) -> datetime:
    return p.started


def typed(p: Participant) -> datetime:
    assert p.text_at is not None
    return p.text_at


# ---- the files, read as SQL -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Row:
    table: str
    values: Mapping[str, Value]


def read_rows(files: Files | Path, scratch: Path) -> list[Row]:
    """Every row of every table (rowid included where there is one), read read-only from a copy."""
    scratch.mkdir()
    source = files if isinstance(files, Path) else files.main
    for path in (
        source,
        source.with_name(source.name + "-wal"),
        source.with_name(source.name + "-shm"),
    ):
        if path.exists():
            shutil.copyfile(path, scratch / path.name)
    uri = (scratch / source.name).as_uri() + "?mode=ro"
    rows: list[Row] = []
    # Read-only needs the -shm beside a -wal; a copy without one is opened as any file.
    opened = sqlite3.connect(uri, uri=True) if (scratch / f"{source.name}-shm").exists() else None
    with contextlib.closing(opened or sqlite3.connect(scratch / source.name)) as conn:
        tables = [t for (t,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        for table in tables:
            try:
                cursor = conn.execute(f'SELECT rowid AS "(rowid)", * FROM "{table}"')
            except sqlite3.OperationalError:  # WITHOUT ROWID
                cursor = conn.execute(f'SELECT * FROM "{table}"')
            names = [d[0] for d in cursor.description]
            rows.extend(Row(table, dict(zip(names, values, strict=True))) for values in cursor)
    return rows


def leaves(value: Value, path: str = "") -> Iterable[tuple[str, Value]]:
    """The value itself, and inside a JSON text every scalar leaf, with its path."""
    yield path, value
    if isinstance(value, str) and value[:1] in "{[":
        with contextlib.suppress(ValueError):
            yield from _json_leaves(json.loads(value), path)


def _json_leaves(data: object, path: str) -> Iterable[tuple[str, Value]]:
    if isinstance(data, dict):
        yield f"{path}.len", len(data)
        for key, item in data.items():
            yield from _json_leaves(item, f"{path}.{key}")
    elif isinstance(data, list):
        yield f"{path}.len", len(data)
        for item in data:
            yield from _json_leaves(item, f"{path}[]")
    elif isinstance(data, int | float | str) or data is None:
        yield path, data


def as_time(value: Value) -> datetime | None:
    if not isinstance(value, str) or not 10 <= len(value) <= 40 or value[4:5] != "-":
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


@dataclass
class Traits:
    """What the files tell of one text (its rows and the rows linked to them) or one person."""

    times: list[datetime] = field(default_factory=list)
    numbers: dict[str, float] = field(default_factory=dict)

    def take(self, row: Row, skip: object = None) -> None:
        for column, value in row.values.items():
            for path, leaf in leaves(value, f"{row.table}.{column}"):
                if (moment := as_time(leaf)) is not None:
                    self.times.append(moment)
                elif isinstance(leaf, int | float) and leaf != skip:
                    self.numbers.setdefault(path, leaf)
                elif isinstance(leaf, str):
                    self.numbers.setdefault(f"{path}.chars", len(leaf))


def text_traits(rows: Sequence[Row], texts: Sequence[str]) -> dict[str, Traits]:
    """Per text, in the order the texts are first met: the traits of the rows holding it and of
    the rows that share with them a value found with no other text (a link, whatever its name)."""
    holding: dict[str, list[Row]] = {}
    for row in rows:
        for text in texts:
            if any(isinstance(v, str) and text in v for v in row.values.values()):
                holding.setdefault(text, []).append(row)
    owners: dict[Value, set[str]] = {}
    for text, found in holding.items():
        for row in found:
            for value in row.values.values():
                if isinstance(value, int):
                    owners.setdefault(value, set()).add(text)
    links = {value: next(iter(o)) for value, o in owners.items() if len(o) == 1}
    traits = {text: Traits() for text in holding}
    group: Counter[tuple[str, str]] = Counter()
    size: Counter[tuple[str, str]] = Counter()
    for row in rows:
        linked = {links[v] for v in row.values.values() if isinstance(v, int) and v in links}
        for text in linked:
            traits[text].take(row)
            group[text, row.table] += 1
            size[text, row.table] += sum(len(v) for v in row.values.values() if isinstance(v, str))
    for text, found in holding.items():
        for row in found:
            traits[text].take(row)
        table = found[0].table
        traits[text].numbers["(rows linked)"] = group[text, table]
        traits[text].numbers["(chars linked)"] = size[text, table]
    return traits


def person_traits(rows: Sequence[Row], user: UserId) -> Traits:
    traits = Traits()
    for row in rows:
        if user in row.values.values():
            traits.take(row, skip=user)
    return traits


def nearest(targets: Mapping[str, Sequence[float]], probes: Sequence[float]) -> str | None:
    """The first target whose values come nearest to one of `probes`."""
    best, text = math.inf, None
    for candidate, values in targets.items():
        gap = min((abs(a - b) for a in values for b in probes), default=math.inf)
        if gap < best:
            best, text = gap, candidate
    return text


def test_sql_joins_of_every_column_do_not_link_answers_to_people(
    story: Story, tmp_path: Path
) -> None:
    """Times, ids and counts, read with SQL from every column of every table (a backup holds
    the same rows: the page-level attacks below read the backups)."""
    senders = story.scored
    texts = [p.text for p in senders if p.text is not None]
    rows = read_rows(story.during, tmp_path / "copy")
    traits = text_traits(rows, texts)
    assert set(traits) == set(texts), "the answers sent must all be in the file"
    people = {p.user: person_traits(rows, p.user) for p in senders}
    scores = Scores(senders)
    stamps = {t: [m.timestamp() for m in tr.times] for t, tr in traits.items()}
    public = {p.user: [m.timestamp() for m in (p.started, typed(p), done(p))] for p in senders}
    scores.add("nearest time to the person's", {u: nearest(stamps, v) for u, v in public.items()})
    scores.add(
        "nearest time to the person's rows'",
        {u: nearest(stamps, [m.timestamp() for m in tr.times]) for u, tr in people.items()},
    )
    days = {t: {m.date() for m in tr.times} for t, tr in traits.items()}
    scores.add("same day", {p.user: _first_on(days, typed(p).date()) for p in senders})
    first = sorted(traits, key=lambda t: min(stamps[t], default=math.inf))
    scores.add("time order vs finishing", by_rank(in_order(senders, done), first))
    scores.add("time order vs typing", by_rank(in_order(senders, typed), first))
    _number_orders(scores, senders, traits, people)
    scores.check()


def _first_on(days: Mapping[str, set[date]], day: date) -> str | None:
    return next((text for text, seen in days.items() if day in seen), None)


def _number_orders(
    scores: Scores,
    senders: Sequence[Participant],
    traits: Mapping[str, Traits],
    people: Mapping[UserId, Traits],
) -> None:
    """Ids and counts: every number kept with the texts, in order, against the order people
    finished and started; and every number kept about people (a revision, a count, a length)
    against the size of what is linked to each text."""
    theirs = _orders({t: tr.numbers for t, tr in traits.items()}, list(traits))
    mine = _orders({p: people[p.user].numbers for p in senders}, in_order(senders, done))
    for key, ordered in theirs.items():
        if key.startswith("("):  # what is linked to the text, against what is kept of people
            for label, ranked in mine.items():
                scores.add(f"{label} vs {key}", by_rank(ranked, ordered))
        else:
            scores.add(f"{key} vs finishing", by_rank(in_order(senders, done), ordered))
            scores.add(f"{key} vs starting", by_rank(in_order(senders, started), ordered))


T = TypeVar("T")


def _orders(numbers: Mapping[Any, Mapping[str, float]], items: Sequence[T]) -> dict[str, list[T]]:
    """`items` sorted by each number most of them have, if it is not the same for all; two
    numbers that sort them alike count once."""
    keys = Counter(key for values in numbers.values() for key in values)
    orders: dict[str, list[T]] = {}
    for key, seen in sorted(keys.items()):
        values = [numbers[item].get(key, math.inf) for item in items]
        if seen < len(items) // 2 or len(set(values)) < 2:
            continue  # held by few, or the same for all: no order to read
        ordered = [
            item for _, _, item in sorted(zip(values, range(len(items)), items, strict=True))
        ]
        if ordered not in orders.values():
            orders[key] = ordered
    return orders


# ---- the files, read as pages -----------------------------------------------------------------


def images(story: Story) -> dict[str, Image]:
    """What a reader of the files sees: the database as the WAL makes it, the main file alone
    (an older state), and the backup."""
    main = story.during.main.read_bytes()
    wal = story.during.wal_bytes()
    return {
        "live": Image(main, wal),
        "main file alone": Image(main),
        "backup": Image(story.anonymous_backup.read_bytes()),
    }


def test_physical_order_of_rows_and_index_entries_does_not_follow_people(story: Story) -> None:
    senders = story.scored
    texts = [p.text for p in senders if p.text is not None]
    needles = {text: text.encode() for text in texts}
    orders_of_people = {
        "finishing": in_order(senders, done),
        "starting": in_order(senders, started),
    }
    scores = Scores(senders)
    for source, image in images(story).items():
        trees = image.trees()
        holding = [
            (cell, text)
            for cells in trees.values()
            for cell in cells
            for text, needle in needles.items()
            if needle in cell.payload
        ]
        if source != "main file alone":
            assert {text for _, text in holding} == set(texts), f"{source}: answers missing"
        links = _distinctive_links(holding)
        for name, cells in trees.items():
            linked = [(cell, text) for cell in cells for text in _texts_of(cell, needles, links)]
            if len({text for _, text in linked}) < 2:
                continue
            orders = {
                "key order": linked,
                "(page, offset)": sorted(linked, key=lambda c: (c[0].page, c[0].offset)),
                "(page, -offset)": sorted(linked, key=lambda c: (c[0].page, -c[0].offset)),
            }
            for order, entries in orders.items():
                ranked = list(dict.fromkeys(text for _, text in entries))
                for label, people in orders_of_people.items():
                    scores.add(f"{source}: {name} in {order} vs {label}", by_rank(people, ranked))
    scores.check()


def _distinctive_links(holding: Sequence[tuple[Cell, str]]) -> dict[int, str]:
    """Integers (keys, ids) found in the cells of exactly one text: they link other cells to it."""
    owners: dict[int, set[str]] = {}
    for cell, text in holding:
        for value in (*cell.values, cell.rowid):
            if isinstance(value, int):
                owners.setdefault(value, set()).add(text)
    return {value: next(iter(o)) for value, o in owners.items() if len(o) == 1}


def _texts_of(cell: Cell, needles: Mapping[str, bytes], links: Mapping[int, str]) -> list[str]:
    found = [text for text, needle in needles.items() if needle in cell.payload]
    found += [links[v] for v in (*cell.values, cell.rowid) if isinstance(v, int) and v in links]
    return list(dict.fromkeys(found))


# ---- the files, read as bytes -----------------------------------------------------------------


def raw_files(story: Story) -> dict[str, bytes]:
    files = {
        "main file": story.during.main.read_bytes(),
        "backup": story.anonymous_backup.read_bytes(),
        "main file after close": story.closed.main.read_bytes(),
    }
    files["wal"] = story.during.wal_bytes()
    return files


def page_images(name: str, data: bytes) -> list[bytes]:
    """The pages of a database file, or every frame of a WAL, valid or stale."""
    if name == "wal":
        size = int.from_bytes(data[8:12], "big")
        return [data[f.offset : f.offset + size] for f in wal_frames(data, size)]
    return [page for _, page in pages_of(data, read_header(data).page_size)]


def test_bytes_do_not_place_answers_by_finishing_or_beside_their_author(story: Story) -> None:
    senders = story.scored
    needles = {p.text: p.text.encode() for p in senders if p.text is not None}
    ids = {p.user: integer_encodings(p.user)["int6"] for p in senders}  # as a record holds them
    names = {p.user: p.name.encode() for p in senders}
    scores = Scores(senders)
    for name, data in raw_files(story).items():
        wal = name == "wal"
        size = int.from_bytes(data[8:12], "big") if wal else read_header(data).page_size
        first = {text: at for text, needle in needles.items() if (at := data.find(needle)) >= 0}
        # A page fills from its end: the cell written last lies lowest in it.
        pages = {t: (at - 32) // (size + 24) if wal else at // size for t, at in first.items()}
        orders = {
            "offsets": sorted(first, key=first.__getitem__),
            "offsets, each page from its end": sorted(first, key=lambda t: (pages[t], -first[t])),
        }
        for label, key in (("finishing", done), ("starting", started)):
            people = in_order(senders, key)
            for order, ranked in orders.items():
                scores.add(f"{name}: {order} vs {label}", by_rank(people, ranked))
                if wal:  # the log may hold only the latest texts
                    guess = by_rank(people, ranked, from_end=True)
                    scores.add(f"{name}: {order} vs {label}, from the end", guess)
        images = page_images(name, data)
        for how in ("nearest", "preceding"):
            scores.add(f"{name}: user id {how}", _colocated(images, needles, ids, how))
        scores.add(f"{name}: name nearest", _colocated(images, needles, names, "nearest"))
    scores.check()


def _colocated(
    pages: Sequence[bytes],
    needles: Mapping[str, bytes],
    marks: Mapping[UserId, bytes],
    how: str,
) -> Guess:
    """Each text met in a page (or frame) votes for the person whose mark lies nearest to it in
    that page (or nearest before it); each person's guess is the text that voted most for them."""
    votes: dict[UserId, Counter[str]] = {}
    for page in pages:
        found = {u: offsets for u, mark in marks.items() if (offsets := find_all(page, mark))}
        if not found:
            continue
        for text, needle in needles.items():
            for at in find_all(page, needle):
                gaps = {u: _gap(at, offsets, how) for u, offsets in found.items()}
                user = min(gaps, key=gaps.__getitem__)
                if gaps[user] < math.inf:
                    votes.setdefault(user, Counter())[text] += 1
    return {u: counter.most_common(1)[0][0] for u, counter in votes.items()}


def _gap(at: int, offsets: Sequence[int], how: str) -> float:
    if how == "preceding":
        return min((at - o for o in offsets if o < at), default=math.inf)
    return min(abs(at - o) for o in offsets)


# ---- forgetting -------------------------------------------------------------------------------


def test_a_forgotten_person_leaves_no_trace_in_tables_files_or_backups(
    story: Story, tmp_path: Path
) -> None:
    texts = {f"free text {n}": t.encode() for n, t in enumerate(story.forgotten_texts)}
    encodings = integer_encodings(FORGOTTEN)
    # A record stores this id in 6 bytes; 8 bytes, the rowid varint and decimal text are the other
    # ways a file can hold it. Its 1- to 4-byte truncations would match anywhere: not searched.
    needles = {
        "name": FORGOTTEN_NAME.encode(),
        "first name": FORGOTTEN_NAME.split()[0].encode(),
        "surname": FORGOTTEN_NAME.split()[1].encode(),
        "organisation": FORGOTTEN_ORG.encode(),
        **texts,
        **{f"id as {kind}": encodings[kind] for kind in ("int6", "int8", "varint", "decimal")},
    }
    places: dict[str, Path | None] = {
        "main file, open": story.after_forget.main,
        "wal, open": story.after_forget.wal,
        "backup, open": story.forget_backup,
        "main file, closed": story.closed.main,
        "wal, closed": story.closed.wal,
        "backup, closed": story.closed_backup,
    }
    before = story.before_forget.main.read_bytes() + story.before_forget.wal_bytes()
    missed = [w for w, needle in needles.items() if needle not in before and "id" not in w]
    missed += [] if any(needle in before for needle in encodings.values()) else ["the id"]
    assert not missed, f"before the forget, the search finds nothing of: {missed}"
    hits = []
    for place, path in places.items():
        data = path.read_bytes() if path is not None and path.exists() else b""
        hits += [
            f"{place}: {what} ×{len(find_all(data, needle))}"
            for what, needle in needles.items()
            if needle in data
        ]
    strings = [n.decode() for k, n in needles.items() if not k.startswith("id as ")]
    for place, files in (
        ("open", story.after_forget),
        ("closed", story.closed),
        ("backup, open", story.forget_backup),
        ("backup, closed", story.closed_backup),
    ):
        for row in read_rows(files, tmp_path / place):
            for column, value in row.values.items():
                if value == FORGOTTEN or (
                    isinstance(value, str) and any(s in value for s in strings)
                ):
                    hits.append(f"SQL {place}: {row.table}.{column} = {value!r}")
    assert not hits, "traces of the forgotten person:\n" + "\n".join(hits)


# ---- the reader itself ------------------------------------------------------------------------


def test_the_page_reader_reads_what_sqlite_reads(story: Story, tmp_path: Path) -> None:
    """The attacks are only as good as the reader: it must find every row and page SQLite does,
    in the main file alone and with the WAL on top."""
    for name, files in (("live", story.during), ("closed", story.closed)):
        image = Image(files.main.read_bytes(), files.wal_bytes())
        scratch = tmp_path / name
        scratch.mkdir()
        for path in files.folder.iterdir():
            shutil.copyfile(path, scratch / path.name)
        with contextlib.closing(sqlite3.connect(scratch / files.main.name)) as conn:
            stat: dict[str, set[int]] = {}
            for tree, page in conn.execute("SELECT name, pageno FROM dbstat"):
                stat.setdefault(tree, set()).add(page)
            for entry in image.schema():
                if entry.type != "table" or not entry.rootpage:
                    continue
                cells = image.walk(entry.rootpage)
                try:
                    rowids = [
                        r
                        for (r,) in conn.execute(f'SELECT rowid FROM "{entry.name}" ORDER BY rowid')
                    ]
                except sqlite3.OperationalError:  # WITHOUT ROWID: compare the number of rows
                    (count,) = conn.execute(f'SELECT count(*) FROM "{entry.name}"').fetchone()
                    assert len(cells) == count, entry.name
                else:
                    assert [c.rowid for c in cells] == rowids, entry.name
            for tree, cells in image.trees().items():
                pages = stat.get("sqlite_schema" if tree == "sqlite_master" else tree, set())
                assert {c.page for c in cells} <= pages, tree
            (free,) = conn.execute("PRAGMA freelist_count").fetchone()
            assert len(image.freelist()) == free
