"""Storage benchmark: how close group commit gets to the disk's durable commit rate.

Prints, in one run on a temporary database beside the default one (same disk):
  1. raw `sqlite3` single-row durable commits/s (WAL, synchronous=FULL, one INSERT + COMMIT per
     row): the rate at which this disk can make one write durable, i.e. the limit;
  2. answers/s through `apply_step` with 70 concurrent writers (one answer per call), and its
     ratio to (1), whose goal is at least 0.5;
  3. p50/p99 latency of one `apply_step` call, and the mean group-commit batch size.

Run: `.venv/bin/python bench/storage.py [seconds per phase, default 4]`.
"""

from __future__ import annotations

import asyncio
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

# This script is named like the package it measures: without its own directory on the import
# path, `import storage` finds the package instead of this file.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != _HERE]

from flows.state import SessionState  # noqa: E402  (after the import path fix above)
from storage import (  # noqa: E402  (after the import path fix above)
    AnswerWrite,
    ApplyResult,
    RoundId,
    SessionId,
    SqliteRepository,
    UpdateId,
    UserId,
    open_repository,
)

WRITERS = 70
REPO = _HERE.parent
START = datetime(2025, 1, 6, 9, 0, tzinfo=UTC)


def raw_commits_per_second(path: Path, seconds: float) -> float:
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("CREATE TABLE rows (id INTEGER PRIMARY KEY, value TEXT NOT NULL)")
        count, began = 0, time.perf_counter()
        while time.perf_counter() - began < seconds:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("INSERT INTO rows (value) VALUES (?)", ('{"choice":"yes"}',))
            conn.execute("COMMIT")
            count += 1
        return count / (time.perf_counter() - began)
    finally:
        conn.close()


async def prepare(repo: SqliteRepository) -> list[SessionId]:
    facilitator = UserId(1)
    await repo.upsert_person(facilitator, "Facilitator", "fr", START)
    cohort = await repo.create_cohort("Bench cohort", "bench", facilitator, START)
    await repo.register_flow("bench", 1, "0" * 64, "Bench", START)
    opened = await repo.open_round(cohort.id, "bench", 1, False, facilitator, START)
    return list(await asyncio.gather(*(join(repo, opened.id, n) for n in range(WRITERS))))


def _state(revision: int) -> SessionState:
    return SessionState(flow_id="bench", flow_version=1, language="fr", revision=revision)


async def join(repo: SqliteRepository, round_id: RoundId, n: int) -> SessionId:
    user = UserId(1000 + n)
    await repo.upsert_person(user, f"Participant {n}", "fr", START)
    started = await repo.start_session(round_id, user, _state(0), 1, START)
    return started.id


async def writer(
    repo: SqliteRepository, session: SessionId, first: int, deadline: float, latencies: list[float]
) -> int:
    count = 0
    while time.perf_counter() < deadline:
        update = first + count
        at = START + timedelta(seconds=count)
        began = time.perf_counter()
        result = await repo.apply_step(
            UpdateId(update),
            session,
            _state(count),
            [AnswerWrite(f"q{count % 12}", {"choice": "yes", "n": count})],
            [],
            at,
        )
        latencies.append(time.perf_counter() - began)
        assert result is ApplyResult.APPLIED
        count += 1
    return count


async def apply_step_rate(path: Path, seconds: float) -> tuple[float, list[float], float]:
    async with await open_repository(path) as repo:
        sessions = await prepare(repo)
        before = repo.write_stats
        latencies: list[float] = []
        began = time.perf_counter()
        deadline = began + seconds
        counts = await asyncio.gather(
            *(
                writer(repo, session, n * 10_000_000, deadline, latencies)
                for n, session in enumerate(sessions)
            )
        )
        elapsed = time.perf_counter() - began
        after = repo.write_stats
    batch = sum(counts) / max(1, after.batches - before.batches)
    return sum(counts) / elapsed, latencies, batch


def main() -> None:
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 4.0
    data = REPO / "data"
    with tempfile.TemporaryDirectory(prefix="bench-", dir=data if data.is_dir() else REPO) as tmp:
        raw = raw_commits_per_second(Path(tmp) / "raw.db", seconds)
        answers, latencies, batch = asyncio.run(apply_step_rate(Path(tmp) / "bilan.db", seconds))
        where = Path(tmp).parent
    cuts = statistics.quantiles(latencies, n=100)
    print(f"disk: {where}")
    print(
        f"raw sqlite3 durable commits: {raw:,.0f} commits/s (WAL, synchronous=FULL, one row each)"
    )
    print(f"apply_step, {WRITERS} concurrent writers: {answers:,.0f} answers/s")
    print(f"answers/s over raw commits/s: {answers / raw:.2f} (goal ≥ 0.5)")
    print(f"apply_step latency p50: {cuts[49] * 1000:.1f} ms")
    print(f"apply_step latency p99: {cuts[98] * 1000:.1f} ms")
    print(f"group-commit batch: {batch:.1f} apply_step calls per COMMIT")


if __name__ == "__main__":
    main()
