"""A second process for storage tests (run as a script, never collected by pytest).

    child.py write DB WORKERS                wait for "go FIRST_UPDATE" on stdin, then apply
                                             steps forever; print "UPDATE BATCH" per call
    child.py hold DB                         open the store, print "ready", hold until stdin ends
    child.py probe DB                        without the power to bypass file permissions, try
                                             to open the store and print the outcome in one line

`write` is the body of the crash test: it prints an update id only after `apply_step` returned,
so every printed id must be on disk however the process dies.
"""

from __future__ import annotations

import asyncio
import ctypes
import sys
from datetime import UTC, datetime, timedelta

from flows.state import SessionState
from storage import (
    AnswerWrite,
    SessionId,
    SqliteRepository,
    StorageError,
    UpdateId,
    UserId,
    open_repository,
)

START = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
PARTICIPANTS = 6


def crash_state(revision: int) -> SessionState:
    return SessionState(flow_id="crash", flow_version=1, language="fr", revision=revision)


def update_plan(update: int, sessions: list[SessionId]) -> tuple[SessionId, AnswerWrite]:
    """Which session and answer an update id carries: the test checks the same rule."""
    step = f"q{update % 5}"
    return sessions[update % len(sessions)], AnswerWrite(step, {"update": update})


async def prepare(repo: SqliteRepository) -> list[SessionId]:
    """Create the cohort, round and sessions unless an earlier (killed) run already did."""
    facilitator = UserId(1)
    await repo.upsert_person(facilitator, "Facilitator", "fr", START)
    cohort = await repo.get_cohort_by_code("CRASH")
    if cohort is None:
        cohort = await repo.create_cohort("Crash cohort", "CRASH", facilitator, START)
    await repo.register_flow("crash", 1, "c" * 64, "Crash", START)
    rounds = await repo.open_rounds_of_cohort(cohort.id)
    opened = rounds[0] if rounds else None
    if opened is None:
        opened = await repo.open_round(cohort.id, "crash", 1, False, facilitator, START)
    users = [UserId(100 + n) for n in range(PARTICIPANTS)]
    # Concurrent calls share commits: a restart costs a few fsyncs, not one per row.
    await asyncio.gather(*(repo.upsert_person(u, f"Participant {u}", "fr", START) for u in users))
    await asyncio.gather(*(repo.add_member(cohort.id, u, "participant", START) for u in users))
    started = await asyncio.gather(
        *(repo.start_session(opened.id, u, crash_state(0), 1, START) for u in users)
    )
    sessions = [session.id for session in started]
    return sessions


async def write(path: str, first: int, workers: int) -> None:
    repo = await open_repository(path)
    sessions = await prepare(repo)
    print("ready", flush=True)
    next_update = first

    async def worker() -> None:
        nonlocal next_update
        while True:
            update = next_update
            next_update += 1
            session, answer = update_plan(update, sessions)
            at = START + timedelta(seconds=update)
            await repo.apply_step(UpdateId(update), session, crash_state(update), [answer], [], at)
            print(update, repo.write_stats.batches, flush=True)

    await asyncio.gather(*(worker() for _ in range(workers)))


async def hold(path: str) -> None:
    async with await open_repository(path):
        print("ready", flush=True)
        await asyncio.to_thread(sys.stdin.read)


def drop_file_permission_override() -> None:
    """Make even root obey file modes, as the bot's own unprivileged user does (Linux)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        capget, capset = libc.capget, libc.capset
    except (AttributeError, OSError):
        return  # not Linux: an unprivileged test run obeys file modes anyway

    class Header(ctypes.Structure):
        _fields_ = (("version", ctypes.c_uint32), ("pid", ctypes.c_int))

    class Data(ctypes.Structure):
        _fields_ = (
            ("effective", ctypes.c_uint32),
            ("permitted", ctypes.c_uint32),
            ("inheritable", ctypes.c_uint32),
        )

    header, data = Header(0x20080522, 0), (Data * 2)()  # _LINUX_CAPABILITY_VERSION_3
    if capget(ctypes.byref(header), data) == 0:
        data[0].effective &= ~(1 << 1)  # CAP_DAC_OVERRIDE
        capset(ctypes.byref(header), data)


async def probe(path: str) -> None:
    drop_file_permission_override()
    try:
        async with await open_repository(path):
            print("opened", flush=True)
    except StorageError as error:
        print(f"{type(error).__name__}: {error}", flush=True)


def main() -> None:
    mode, path, *rest = sys.argv[1:]
    if mode == "write":
        # Started ahead and told when to go, so the crash test hides this process's start-up
        # (imports) behind the previous run.
        go, first = sys.stdin.readline().split()
        assert go == "go", go
        asyncio.run(write(path, int(first), int(rest[0])))
    elif mode == "hold":
        asyncio.run(hold(path))
    elif mode == "probe":
        asyncio.run(probe(path))
    else:
        raise SystemExit(f"unknown mode {mode!r}")


if __name__ == "__main__":
    main()
