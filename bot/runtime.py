"""Starting and stopping the bot: open the database, load the flows, poll until told to stop.

Rule: what can go wrong at start (no token, a database that cannot be opened, a token Telegram
rejects, no network) ends in `StartupError` with one line for a person, never a traceback.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import AsyncIterator

from telegram import Update
from telegram.error import InvalidToken, NetworkError, TelegramError

from bot.app import build_application, prepare
from bot.flowbook import FlowBook
from bot.services import Services
from bot.settings import Settings
from flows.errors import FlowError
from reports.worker import RenderError, RenderWorker
from storage import FlowConflictError, StorageError, open_repository

log = logging.getLogger(__name__)


class StartupError(Exception):
    """The bot cannot start; `str()` is one line that says why."""


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
    services = Services(settings, repo, flows, pictures=RenderWorker())
    try:
        try:
            await flows.register(repo, services.clock())
        except FlowConflictError as error:  # a flow changed without a new version
            raise StartupError(f"flows: {error}") from error
        yield services
    finally:
        if services.outbox is not None:
            await services.outbox.close()
        assert services.pictures is not None
        await services.pictures.close()
        await repo.close()


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
            await _warm_up(services)
            await application.start()
            assert application.updater is not None, "built with an updater"
            await application.updater.start_polling(allowed_updates=Update.ALL_TYPES)
            log.info("@%s is polling; Ctrl-C stops it", application.bot.username)
            await stop.wait()
            await application.updater.stop()
            await application.stop()
        finally:
            await application.shutdown()


async def _warm_up(services: Services) -> None:
    """Start the drawing process now, so the first SWOT picture does not wait for it."""
    assert services.pictures is not None, "opened_services sets the render worker up"
    try:
        await services.pictures.warm_up()
    except RenderError:
        log.warning("the drawing process did not start; pictures will be retried", exc_info=True)


def _stop_on_signals() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for number in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(number, stop.set)
    return stop
