"""The one worker process that draws the pictures, so that the event loop never waits on one.

Rule: the bot's process hands data to the worker and gets PNG bytes back; it never imports
matplotlib (the drawing modules are imported inside the functions the worker runs). Nothing
starts at import time: the process starts with the first picture, or with `warm_up`.

Drawing is CPU work of a few hundred milliseconds: in a thread it would hold the GIL and stall
the loop anyway; in its own process it costs the loop only the hand-over of the data and of the
bytes. One process suffices, pictures are rare (a reveal, the results), and they queue.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import multiprocessing
import os
import shutil
import signal
import sys
import tempfile
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from types import TracebackType
from typing import Self, TypeVar

from reports.swot_matrix import MatrixPicture, render_matrix

T = TypeVar("T")

# "spawn": the worker is a fresh interpreter. "fork" would copy a parent that runs threads (PTB's,
# aiosqlite's) with their locks held mid-way, which can deadlock the child. "forkserver" would
# also be safe, but keeps a second process alive for good and, at its first start, makes the
# caller wait while it imports the main module (the whole bot); its gain, faster restarts,
# matters little for one worker that lives as long as the bot.
START_METHOD = "spawn"


class RenderError(Exception):
    """A picture could not be drawn: the worker died, or the drawing failed (see the cause)."""


class RenderWorker:
    """Owns one worker process; draws pictures there. Use as `async with RenderWorker() as w`.

    A worker that died (killed, out of memory) fails the pictures it held with `RenderError`;
    the next picture starts a fresh process.
    """

    def __init__(self) -> None:
        self._executor: concurrent.futures.ProcessPoolExecutor | None = None
        self._config_dir: str | None = None
        self._closed = False

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    async def warm_up(self) -> int:
        """Starts the worker and has it load matplotlib and the fonts, so that the first
        picture takes no longer than the others. Returns the worker's process id, for logs.

        Raises:
            RenderError: the worker could not start, or is closed.
        """
        return await self._run(_warm)

    async def render_matrix(self, picture: MatrixPicture) -> bytes:
        """`reports.swot_matrix.render_matrix`, drawn in the worker.

        Raises:
            RenderError: the worker died meanwhile, the drawing failed, or the worker is closed.
        """
        return await self._run(render_matrix, picture)

    async def render_item_list(
        self, title: str, items: Sequence[str], *, more: str = "+{count}"
    ) -> bytes:
        """`reports.item_list.render_item_list`, drawn in the worker.

        Raises:
            RenderError: the worker died meanwhile, the drawing failed, or the worker is closed.
        """
        return await self._run(_draw_item_list, title, tuple(items), more)

    async def close(self) -> None:
        """Stops the worker once it has drawn the pictures in hand; later calls raise
        `RenderError`."""
        self._closed = True
        executor, self._executor = self._executor, None
        if executor is not None:
            # Joining the process blocks: done in a thread, the loop goes on meanwhile.
            await asyncio.to_thread(executor.shutdown, wait=True)
        if self._config_dir is not None:
            shutil.rmtree(self._config_dir, ignore_errors=True)
            self._config_dir = None

    async def _run(self, function: Callable[..., T], *args: object) -> T:
        future = self._submit(function, args)
        try:
            return await future
        except BrokenProcessPool as error:
            self._discard()
            raise RenderError("the render worker died while drawing") from error
        except Exception as error:  # raised by the drawing, sent back from the worker
            raise RenderError(f"the picture could not be drawn: {error!r}") from error

    def _submit(self, function: Callable[..., T], args: tuple[object, ...]) -> asyncio.Future[T]:
        if self._closed:
            raise RenderError("the render worker is closed")
        loop = asyncio.get_running_loop()
        try:
            try:
                return loop.run_in_executor(self._started(), function, *args)
            except BrokenProcessPool:  # it died before this call, which lost nothing yet
                self._discard()
                return loop.run_in_executor(self._started(), function, *args)
        except (OSError, RuntimeError) as error:  # no process could start (BrokenProcessPool too)
            self._discard()
            raise RenderError("the render worker could not start") from error

    def _started(self) -> concurrent.futures.ProcessPoolExecutor:
        if self._executor is None:
            if self._config_dir is None and not _can_write_matplotlib_dirs(os.environ):
                # Else matplotlib makes a fresh temporary directory in each process it starts
                # in, with a warning, and builds its font cache there again: one is kept for
                # the worker's whole life instead, restarts included, and removed by `close`.
                self._config_dir = tempfile.mkdtemp(prefix="bilan-bot-matplotlib-")
            self._executor = concurrent.futures.ProcessPoolExecutor(
                max_workers=1,
                mp_context=multiprocessing.get_context(START_METHOD),
                initializer=_prepare,
                initargs=(self._config_dir,),
            )
        return self._executor

    def _discard(self) -> None:
        executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=False, cancel_futures=True)


def _can_write_matplotlib_dirs(environ: Mapping[str, str]) -> bool:
    """Whether matplotlib can write its configuration and cache directories, found as it finds
    them (an approximation off Linux, where it looks elsewhere: then, trust it)."""
    if environ.get("MPLCONFIGDIR"):
        candidates = [Path(environ["MPLCONFIGDIR"])]
    elif sys.platform.startswith(("linux", "freebsd")):
        try:
            home = Path.home()
        except RuntimeError:  # no home directory known
            return False
        candidates = [
            Path(environ.get("XDG_CONFIG_HOME") or home / ".config", "matplotlib"),
            Path(environ.get("XDG_CACHE_HOME") or home / ".cache", "matplotlib"),
        ]
    else:
        return True
    for candidate in candidates:
        try:
            candidate.mkdir(parents=True, exist_ok=True)
        except OSError:
            return False
        if not (candidate.is_dir() and os.access(candidate, os.W_OK)):
            return False
    return True


# ---- run in the worker process ----------------------------------------------------------------


def _prepare(config_dir: str | None) -> None:
    """The worker's setup, before it imports matplotlib."""
    # Ctrl+C in a terminal reaches the whole process group: the bot stops, and closes the
    # worker itself; a worker stopped first would fail the pictures in hand.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if config_dir is not None:
        os.environ["MPLCONFIGDIR"] = config_dir


def _warm() -> int:
    # Imported here, as below: only the worker loads matplotlib.
    from reports import matrix_drawing  # noqa: F401  (imported for its import's cost only)
    from reports.item_list import render_item_list

    render_item_list("Warm-up", ["matplotlib, fonts, the PNG encoder"])
    return os.getpid()


def _draw_item_list(title: str, items: tuple[str, ...], more: str) -> bytes:
    from reports.item_list import render_item_list

    return render_item_list(title, items, more=more)
