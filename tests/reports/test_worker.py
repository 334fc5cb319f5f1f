"""The worker process: draws what the functions draw, keeps working, recovers when killed."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from reports.item_list import render_item_list
from reports.swot_matrix import render_matrix
from reports.worker import RenderError, RenderWorker
from tests.reports.pictures import LONG_TEXT, decoded, picture

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def worker() -> Iterator[RenderWorker]:
    """One worker for the module: it keeps no event loop, so each test's loop can use it."""
    worker = RenderWorker()
    yield worker
    asyncio.run(worker.close())


async def test_the_worker_draws_what_the_functions_draw(worker: RenderWorker) -> None:
    assert await worker.render_matrix(picture()) == render_matrix(picture())
    title, items = "Strengths", ["Good finish", "$x$"]
    drawn = await worker.render_item_list(title, items, more="+{count} more")
    assert drawn == render_item_list(title, items, more="+{count} more")


async def test_the_worker_keeps_drawing_and_queues_pictures(worker: RenderWorker) -> None:
    pid = await worker.warm_up()
    first = await worker.render_matrix(picture())
    together = await asyncio.gather(
        worker.render_matrix(picture(captions=None)),
        worker.render_item_list("Threats", ["Competition"]),
        worker.render_matrix(picture()),
    )
    assert together[2] == first
    assert all(decoded(png) for png in together)
    assert await worker.warm_up() == pid  # the same process all along


async def test_a_worker_killed_while_idle_is_replaced(worker: RenderWorker) -> None:
    pid = await worker.warm_up()
    os.kill(pid, signal.SIGKILL)
    # The call that meets the death first may fail, if it was handed over before the death was
    # seen; the next one is drawn by a new process.
    with contextlib.suppress(RenderError):
        await worker.render_matrix(picture())
    assert decoded(await worker.render_matrix(picture()))
    assert await worker.warm_up() != pid


async def test_a_worker_killed_while_drawing_fails_that_picture_then_recovers(
    worker: RenderWorker,
) -> None:
    pid = await worker.warm_up()
    slow = asyncio.create_task(worker.render_item_list("Long", [LONG_TEXT] * 200))
    await asyncio.sleep(0.1)  # handed over, and drawing: a long list takes a second or more
    os.kill(pid, signal.SIGKILL)
    with pytest.raises(RenderError, match="died"):
        await slow
    assert decoded(await worker.render_matrix(picture()))


async def test_a_failing_drawing_raises_a_render_error_and_the_worker_goes_on(
    worker: RenderWorker,
) -> None:
    pid = await worker.warm_up()
    with pytest.raises(RenderError, match="could not be drawn"):
        await worker.render_item_list("Bad", [None])  # type: ignore[list-item]  # a caller's bug
    assert await worker.warm_up() == pid


async def test_a_closed_worker_refuses_pictures() -> None:
    worker = RenderWorker()
    async with worker:
        pass
    with pytest.raises(RenderError, match="closed"):
        await worker.render_matrix(picture())


SCRIPT = """
import asyncio, multiprocessing, pathlib, sys
import reports.worker
from reports.worker import RenderWorker

assert "matplotlib" not in sys.modules, "imported at import time"
assert not multiprocessing.active_children(), "a process started at import time"

async def main() -> None:
    async with RenderWorker() as worker:
        await worker.warm_up()
        print(len(await worker.render_item_list("Title", ["Item"])))
    assert "matplotlib" not in sys.modules, "drawn in the bot's process"

asyncio.run(main())
"""


def test_the_worker_starts_on_demand_and_copes_with_an_unwritable_home(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.write_text("a file, not a directory: nothing can be written under it\n")
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    environ = {
        name: value
        for name, value in os.environ.items()
        if name not in ("MPLCONFIGDIR", "XDG_CONFIG_HOME", "XDG_CACHE_HOME")
    }
    environ |= {"HOME": str(home), "TMPDIR": str(temporary), "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""  # no warning from matplotlib about its directories
    assert int(done.stdout) > 0
    assert list(temporary.iterdir()) == []  # the worker's matplotlib directory went with it
