"""pytest fixtures: a sandbox per test, its client, a real PTB bot against it, no internet.

Rule: each test gets its own sandbox on a free port of 127.0.0.1, with flood limits off
(`sandbox_config` can be overridden in a module to change that), and everything started here
is stopped here. The autouse `sandbox_offline` guard fails any test that tries to reach a
host outside the loopback interface, even when the bot swallowed the resulting error.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
import pytest_asyncio
from telegram import Bot

from sandbox.client import SandboxClient
from sandbox.context import SandboxConfig
from sandbox.errors import NetworkBlockedError
from sandbox.harness import (
    AnyApplication,
    AnyBuilder,
    application_builder,
    loopback_request,
    running_application,
)
from sandbox.server import SandboxServer

__all__ = [
    "AnyApplication",
    "AnyBuilder",
    "application_builder",
    "loopback_request",
    "running_application",
]
_LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})


@pytest.fixture
def sandbox_config() -> SandboxConfig:
    """The configuration the `sandbox` fixture starts with; override it to change one."""
    return SandboxConfig()


@pytest_asyncio.fixture
async def sandbox(sandbox_config: SandboxConfig) -> AsyncIterator[SandboxServer]:
    """A sandbox running in this test's event loop on a free port."""
    server = SandboxServer(sandbox_config)
    async with server:
        yield server
    if server.internal_errors:
        pytest.fail(f"the sandbox itself failed: {server.internal_errors}")


@pytest_asyncio.fixture
async def sandbox_client(sandbox: SandboxServer) -> AsyncIterator[SandboxClient]:
    async with SandboxClient(sandbox.base_url) as client:
        yield client


@pytest_asyncio.fixture
async def sandbox_bot(sandbox: SandboxServer) -> AsyncIterator[Bot]:
    """A PTB `Bot` initialized against the sandbox, for tests that call methods directly."""
    bot = Bot(
        sandbox.token,
        base_url=sandbox.bot_api_url,
        base_file_url=sandbox.file_url,
        request=loopback_request(),
        get_updates_request=loopback_request(pool_size=1),
    )
    async with bot:
        yield bot


def is_loopback(host: Any) -> bool:
    """Whether `host` names this machine's loopback interface."""
    if host is None or host == "" or host == b"":
        return True
    name = host.decode() if isinstance(host, bytes) else str(host)
    if name.lower() in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(name.split("%")[0]).is_loopback
    except ValueError:
        return False


@pytest.fixture(autouse=True)
def sandbox_offline(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Refuse and record any connection or DNS lookup outside loopback; fail the test if any."""
    attempts: list[str] = []
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex
    real_getaddrinfo = socket.getaddrinfo

    def check(host: Any) -> None:
        if not is_loopback(host):
            attempts.append(host.decode() if isinstance(host, bytes) else str(host))
            raise NetworkBlockedError(f"tests stay offline: connection to {host!r} refused")

    def connect(self: socket.socket, address: Any) -> None:
        if self.family in (socket.AF_INET, socket.AF_INET6):
            check(address[0])
        real_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        if self.family in (socket.AF_INET, socket.AF_INET6):
            check(address[0])
        return real_connect_ex(self, address)

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        check(host)
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    yield attempts
    if attempts:
        pytest.fail(f"test tried to reach the internet: {attempts}")
