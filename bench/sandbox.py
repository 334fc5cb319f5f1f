"""Figures of the Bot API sandbox: start time, round trip through a real PTB bot, suite time.

    .venv/bin/python bench/sandbox.py [--messages 100] [--suite-runs 10]

Round trip: a user sends a text, the bot's long poll wakes, a PTB handler replies with
sendMessage, and the test client sees the reply (`wait_for_message`). The suite figure runs
`pytest tests/sandbox` in fresh processes, as CI does, and fails if any run is not green.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# This file is named like the package it measures: put the repository first on the path.
sys.path[0] = str(ROOT)

from telegram import Update  # noqa: E402
from telegram.ext import ContextTypes, MessageHandler, filters  # noqa: E402

from sandbox.client import SandboxClient  # noqa: E402
from sandbox.pytest_plugin import application_builder, running_application  # noqa: E402
from sandbox.server import SandboxServer  # noqa: E402


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


async def start_times(runs: int) -> list[float]:
    """In-process start: bind, listen, ready for the first request."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        server = await SandboxServer().start()
        times.append(time.perf_counter() - started)
        await server.close()
    return times


def standalone_start() -> float:
    """`python -m sandbox` until it prints its URL (interpreter and imports included)."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "sandbox", "--port", "0"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    assert process.stdout is not None
    process.stdout.readline()
    elapsed = time.perf_counter() - started
    process.terminate()
    process.wait(10)
    return elapsed


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    assert message is not None
    assert message.text is not None
    await message.reply_text(f"echo {message.text}")


async def round_trips(count: int) -> list[float]:
    async with SandboxServer() as server, SandboxClient(server.base_url) as client:
        app = application_builder(server).build()
        app.add_handler(MessageHandler(filters.TEXT, echo))
        user = await client.create_user("Bench")
        times = []
        async with running_application(app):
            for n in range(count + 5):
                started = time.perf_counter()
                await client.send_text(user.id, f"m{n}")
                await client.wait_for_message(user.id, contains=f"echo m{n}")
                if n >= 5:  # the first ones warm up connections
                    times.append(time.perf_counter() - started)
        return times


def suite_times(runs: int) -> list[float]:
    times = []
    for run in range(1, runs + 1):
        started = time.perf_counter()
        result = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/sandbox"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
        times.append(time.perf_counter() - started)
        summary = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else ""
        print(f"  run {run}: {times[-1]:.2f} s  {summary}", flush=True)
        if result.returncode != 0:
            sys.exit(f"suite run {run} failed:\n{result.stdout}\n{result.stderr}")
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=100)
    parser.add_argument("--suite-runs", type=int, default=10, help="0 skips the suite")
    args = parser.parse_args()

    starts = asyncio.run(start_times(20))
    print(f"sandbox start (in process, median of 20): {_ms(statistics.median(starts))}")
    print(f"sandbox start (python -m sandbox, to URL printed): {_ms(standalone_start())}")
    trips = asyncio.run(round_trips(args.messages))
    quantiles = statistics.quantiles(trips, n=10)
    print(
        f"round trip over {len(trips)} messages: median {_ms(statistics.median(trips))}, "
        f"p90 {_ms(quantiles[-1])}, max {_ms(max(trips))}"
    )
    if args.suite_runs:
        print(f"tests/sandbox, {args.suite_runs} runs:", flush=True)
        suite = suite_times(args.suite_runs)
        print(
            f"suite: median {statistics.median(suite):.2f} s, min {min(suite):.2f} s, "
            f"max {max(suite):.2f} s, {args.suite_runs}/{args.suite_runs} green"
        )


if __name__ == "__main__":
    main()
