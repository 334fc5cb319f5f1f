"""The crash test: SIGKILL a writing process at random moments, 20 times, on one file.

After each kill, every update whose `apply_step` had returned (the child printed it) is on disk
with its answer, no update has two answers, and SQLite finds the file intact. Each run starts a
few updates back, so Telegram's re-delivery of already stored updates is exercised too.
"""

from __future__ import annotations

import contextlib
import json
import random
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

from tests.storage.conftest import ROOT, child_command

KILLS = 20
WORKERS = 8  # concurrent apply_step tasks in the child, so commits are shared
REDELIVERED = 3


def test_sigkill_never_loses_or_doubles_an_answer(db_path: Path) -> None:
    rng = random.Random(20250303)
    printed: set[int] = set()
    calls, commits = 0, 0
    spawned: list[subprocess.Popen[str]] = []
    try:
        upcoming = _spawn(db_path, spawned)
        for run in range(KILLS):
            current = upcoming
            first = max(printed) + 1 - REDELIVERED if printed else 1
            _go(current, first)
            # The next child imports while this one runs: the test pays for start-up once.
            upcoming = _spawn(db_path, spawned)
            lines = _kill_at_random(current, early=run % 7 == 0, rng=rng)
            pairs = [(int(a), int(b)) for a, b in (line.split() for line in lines)]
            printed.update(update for update, _ in pairs)
            calls += len(pairs)
            commits += len({batch for _, batch in pairs})
            _check(db_path, printed, run)
    finally:
        for process in spawned:
            _reap(process)
    assert len(printed) > KILLS, "the child should apply many updates across its runs"
    assert commits < calls, "group commit should put several concurrent calls in one commit"


def _spawn(db_path: Path, spawned: list[subprocess.Popen[str]]) -> subprocess.Popen[str]:
    process = subprocess.Popen(
        child_command("write", str(db_path), str(WORKERS)),
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    spawned.append(process)
    return process


def _go(process: subprocess.Popen[str], first: int) -> None:
    assert process.stdin is not None
    process.stdin.write(f"go {first}\n")
    process.stdin.flush()


def _kill_at_random(
    process: subprocess.Popen[str], *, early: bool, rng: random.Random
) -> list[str]:
    """Kill the child with SIGKILL; return the complete update lines it printed."""
    if early:  # anywhere: opening, migrating, preparing or writing
        time.sleep(rng.uniform(0.0, 0.06))
    else:  # somewhere in the loop of writes
        assert process.stdout is not None
        ready = process.stdout.readline()
        assert ready == "ready\n", f"child did not start: {ready!r}"
        time.sleep(rng.uniform(0.005, 0.1))
    process.send_signal(signal.SIGKILL)
    out, err = process.communicate(timeout=10)
    assert process.returncode == -signal.SIGKILL, f"child ended by itself: {err[-2000:]}"
    # A line cut by the kill was never complete, so its call is not known to have returned.
    complete = [line for line in out.splitlines(keepends=True) if line.endswith("\n")]
    return [line for line in complete if line.strip() and line != "ready\n"]


def _reap(process: subprocess.Popen[str]) -> None:
    with contextlib.suppress(ProcessLookupError):
        process.kill()
    process.communicate()


def _check(db_path: Path, printed: set[int], run: int) -> None:
    with contextlib.closing(sqlite3.connect(db_path)) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)], f"run {run}"
        if conn.execute("SELECT name FROM sqlite_master WHERE name = 'answers'").fetchone() is None:
            assert not printed, "printed updates but the schema is missing"
            return
        claimed = {u for (u,) in conn.execute("SELECT update_id FROM processed_updates")}
        answered: dict[int, int] = {}
        for (value,) in conn.execute("SELECT value_json FROM answers"):
            update = json.loads(value)["update"]
            answered[update] = answered.get(update, 0) + 1
    doubled = {update: count for update, count in answered.items() if count > 1}
    assert not doubled, f"run {run}: updates with two answers: {doubled}"
    assert printed <= claimed, f"run {run}: returned but not stored: {sorted(printed - claimed)}"
    # The update id and its answer commit together: never one without the other.
    assert set(answered) == claimed, f"run {run}: {sorted(set(answered) ^ claimed)[:10]}"
