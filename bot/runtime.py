"""Starting and stopping the bot: open the database, load the flows, poll until told to stop.

Rule: what can go wrong at start (no token, a database that cannot be opened, a token Telegram
rejects, no network) ends in `StartupError` with one line for a person, never a traceback.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import signal
import sys
from collections.abc import AsyncIterator

from telegram import Update
from telegram.error import InvalidToken, NetworkError, TelegramError

from bot.app import build_application, prepare
from bot.flowbook import FlowBook
from bot.services import Services
from bot.settings import Settings
from flows.errors import FlowError
from storage import FlowConflictError, StorageError, open_repository

log = logging.getLogger(__name__)


class StartupError(Exception):
    """The bot cannot start; `str()` is one line that says why."""


# How long a thread may hold the GIL while another waits (Python's default is 5 ms).
GIL_SLICE_SECONDS = 0.0002
# Tracked objects allocated, net, before the garbage collector scans the young ones (Python's
# default is 700).
YOUNG_COLLECTION_THRESHOLD = 10_000


@contextlib.asynccontextmanager
async def opened_services(settings: Settings) -> AsyncIterator[Services]:
    """Database open and migrated, flows loaded and checked; closed again on exit."""
    try:
        settings.database_path.parent.mkdir(parents=True, exist_ok=True)
        flows = FlowBook.load(settings.flows_dir)
        repo = await open_repository(
            settings.database_path, synchronous=settings.sqlite_synchronous
        )
    except (StorageError, OSError) as error:
        raise StartupError(f"database: {error}") from error
    except FlowError as error:
        raise StartupError(f"flows: {error}") from error
    with _TUNING:
        try:
            services = Services(settings, repo, flows)
            try:
                await flows.register(repo, services.clock())
            except FlowConflictError as error:  # a flow changed without a new version
                raise StartupError(f"flows: {error}") from error
            yield services
        finally:
            await repo.close()


class _ProcessTuning:
    """The process-wide settings the services run under, set by the first of the services open
    in this process and given back by the last to close (tests and the demo open several)."""

    def __init__(self) -> None:
        self.users = 0
        self.slice_before = 0.0
        self.thresholds_before: tuple[int, int, int] = (0, 0, 0)
        self.was_frozen = False

    def __enter__(self) -> None:
        self.users += 1
        if self.users > 1:
            return
        # The database writer's thread needs the GIL back after each SQLite statement; with
        # Python's default 5 ms slices, each one can wait 5 ms while the event loop is busy,
        # and a commit that everyone awaits takes as long as a whole turn of answers.
        self.slice_before = sys.getswitchinterval()
        sys.setswitchinterval(GIL_SLICE_SECONDS)
        # Each answer keeps a few new objects alive until the participant's next answer (the
        # state in the session cache), and 70 answers in flight keep theirs across their
        # commit: at Python's default, a scan of young objects ran every 40 answers and found
        # nothing to free, and the full scans walked everything loaded at start. What is loaded
        # so far (flows, schemas, libraries) lives as long as the process: frozen, no scan
        # walks it again.
        self.thresholds_before = gc.get_threshold()
        self.was_frozen = gc.get_freeze_count() > 0
        gc.freeze()
        gc.set_threshold(YOUNG_COLLECTION_THRESHOLD, *self.thresholds_before[1:])

    def __exit__(self, *exc_info: object) -> None:
        self.users -= 1
        if self.users > 0:
            return
        sys.setswitchinterval(self.slice_before)
        gc.set_threshold(*self.thresholds_before)
        if not self.was_frozen:  # whoever froze objects before us keeps them frozen
            gc.unfreeze()


_TUNING = _ProcessTuning()


async def serve(settings: Settings, stop: asyncio.Event | None = None) -> None:
    """Poll Telegram until SIGINT/SIGTERM (or `stop`).

    Raises:
        StartupError: the bot could not start.
    """
    stop = stop or _stop_on_signals()
    async with opened_services(settings) as services:
        application = build_application(services)
        try:
            await application.initialize()
        except InvalidToken as error:
            raise StartupError("Telegram rejected the token: check BOT_TOKEN in .env") from error
        except NetworkError as error:
            raise StartupError(
                f"cannot reach Telegram ({error.message}): check the network"
            ) from error
        except TelegramError as error:
            raise StartupError(f"Telegram refused to start the bot: {error.message}") from error
        try:
            await prepare(application)
            await application.start()
            assert application.updater is not None, "built with an updater"
            await application.updater.start_polling(allowed_updates=Update.ALL_TYPES)
            log.info("@%s is polling; Ctrl-C stops it", application.bot.username)
            await stop.wait()
            await application.updater.stop()
            await application.stop()
        finally:
            await application.shutdown()


def _stop_on_signals() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for number in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(number, stop.set)
    return stop
