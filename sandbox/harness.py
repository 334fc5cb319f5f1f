"""Running a real PTB application against the sandbox: for tests and for the offline demo.

Rule: nothing here imports pytest, so the demo (`bilan-bot demo`) runs without test packages.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any, TypeAlias

from telegram.ext import Application, ApplicationBuilder
from telegram.request import HTTPXRequest

from sandbox.errors import SandboxError
from sandbox.observer import loopback_tls
from sandbox.server import SandboxServer

AnyApplication: TypeAlias = Application[Any, Any, Any, Any, Any, Any]
AnyBuilder: TypeAlias = ApplicationBuilder[Any, Any, Any, Any, Any, Any]


def loopback_request(*, pool_size: int = 8, read_timeout: float = 5.0) -> HTTPXRequest:
    """A PTB request object for the sandbox (shared TLS context: see `loopback_tls`)."""
    return HTTPXRequest(
        connection_pool_size=pool_size,
        read_timeout=read_timeout,
        httpx_kwargs={"verify": loopback_tls()},
    )


def application_builder(server: SandboxServer, *, read_timeout: float = 5.0) -> AnyBuilder:
    """An `ApplicationBuilder` aimed at `server`; add handlers after `.build()`.

    Its request objects are set, so PTB refuses builder timeout setters: pass
    `read_timeout` here instead.
    """
    return (
        ApplicationBuilder()
        .token(server.token)
        .base_url(server.bot_api_url)
        .base_file_url(server.file_url)
        .request(loopback_request(read_timeout=read_timeout))
        .get_updates_request(loopback_request(pool_size=1, read_timeout=read_timeout))
    )


@asynccontextmanager
async def running_application(
    app: AnyApplication, *, poll_timeout: float = 10.0
) -> AsyncIterator[AnyApplication]:
    """Initialize, start and poll `app`; on exit stop polling, stop and shut down.

    Long polling wakes as soon as an update arrives, so `poll_timeout` does not slow tests.
    """
    updater = app.updater
    if updater is None:
        raise SandboxError("the application has no updater to poll with")
    await app.initialize()
    try:
        await app.start()
        await updater.start_polling(poll_interval=0, timeout=timedelta(seconds=poll_timeout))
        try:
            yield app
        finally:
            if updater.running:
                await updater.stop()
            if app.running:
                await app.stop()
    finally:
        await app.shutdown()
