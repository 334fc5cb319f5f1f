"""Faults on demand: 5xx, hangs past the client's timeout, 429, dropped connections."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from telegram import Bot
from telegram.error import NetworkError, RetryAfter, TimedOut
from telegram.request import HTTPXRequest

from sandbox.client import SandboxClient
from sandbox.server import SandboxServer


@pytest.fixture
async def ana(sandbox_client: SandboxClient) -> int:
    return (await sandbox_client.create_user("Ana", user_id=42, started=True)).id


@pytest.fixture
async def impatient_bot(sandbox: SandboxServer) -> AsyncIterator[Bot]:
    """A bot whose read timeout is far below the injected hang, so nothing waits long."""
    request = HTTPXRequest(read_timeout=0.1)
    async with Bot(sandbox.token, base_url=sandbox.bot_api_url, request=request) as bot:
        yield bot


async def test_next_calls_fail_with_5xx(
    sandbox_bot: Bot, sandbox_client: SandboxClient, ana: int
) -> None:
    await sandbox_client.inject_fault("error", count=2, status=502)
    for _ in range(2):
        with pytest.raises(NetworkError, match="Bad Gateway"):
            await sandbox_bot.send_message(ana, "perdu")
    await sandbox_bot.send_message(ana, "passe")
    assert [m.text for m in await sandbox_client.messages(ana)] == ["passe"]
    assert [c.status for c in await sandbox_client.calls("sendMessage")] == [502, 502, 200]


async def test_500_is_a_network_error_too(
    sandbox_bot: Bot, ana: int, sandbox_client: SandboxClient
) -> None:
    await sandbox_client.inject_fault("error", status=500)
    with pytest.raises(NetworkError, match="Internal Server Error"):
        await sandbox_bot.get_chat(ana)


async def test_hang_past_the_client_timeout(
    impatient_bot: Bot, sandbox_client: SandboxClient, ana: int
) -> None:
    await sandbox_client.inject_fault("hang", hang_seconds=5.0)
    with pytest.raises(TimedOut):
        await impatient_bot.send_message(ana, "lent")
    await impatient_bot.send_message(ana, "rapide")
    assert [m.text for m in await sandbox_client.messages(ana)] == ["rapide"]


async def test_flood_fault_answers_429(
    sandbox_bot: Bot, sandbox_client: SandboxClient, ana: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    await sandbox_client.inject_fault("flood", retry_after=7)
    with pytest.raises(RetryAfter) as caught:
        await sandbox_bot.send_message(ana, "trop")
    assert caught.value.retry_after.total_seconds() == 7  # type: ignore[union-attr]


async def test_dropped_connection(
    sandbox_bot: Bot, sandbox_client: SandboxClient, ana: int
) -> None:
    await sandbox_client.inject_fault("drop")
    with pytest.raises(NetworkError):
        await sandbox_bot.send_message(ana, "coupé")
    [call] = await sandbox_client.calls("sendMessage")
    assert call.status == 0


async def test_applied_fault_loses_only_the_answer(
    sandbox_bot: Bot, sandbox_client: SandboxClient, ana: int
) -> None:
    await sandbox_client.inject_fault("drop", applied=True)
    with pytest.raises(NetworkError):
        await sandbox_bot.send_message(ana, "envoyé quand même")
    await sandbox_bot.send_message(ana, "envoyé quand même")  # the naive retry duplicates it
    assert [m.text for m in await sandbox_client.messages(ana)] == ["envoyé quand même"] * 2


async def test_faults_target_methods_and_spare_polling(
    sandbox_bot: Bot, sandbox_client: SandboxClient, ana: int
) -> None:
    await sandbox_client.inject_fault("error", methods=["sendPhoto"])
    assert await sandbox_bot.get_updates() == ()
    await sandbox_bot.send_message(ana, "épargné")
    await sandbox_client.inject_fault("error", methods=["getUpdates"])
    with pytest.raises(NetworkError):
        await sandbox_bot.get_updates()
    await sandbox_client.clear_faults()
    with pytest.raises(Exception, match="count must be"):
        await sandbox_client.inject_fault("error", status=404)
