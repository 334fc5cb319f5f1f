"""getUpdates: long polling that holds and wakes, confirmation by offset, re-delivery."""

from __future__ import annotations

import asyncio
import time

import pytest
from telegram import Bot
from telegram.error import Conflict

from sandbox.client import SandboxClient
from sandbox.server import SandboxServer


@pytest.fixture
async def ana(sandbox_client: SandboxClient) -> int:
    return (await sandbox_client.create_user("Ana", user_id=42)).id


async def test_poll_holds_for_its_timeout_when_nothing_comes(sandbox_bot: Bot) -> None:
    started = time.monotonic()
    assert await sandbox_bot.get_updates(timeout=0.3) == ()
    assert 0.25 <= time.monotonic() - started < 2.0


async def test_poll_wakes_as_soon_as_an_update_arrives(
    sandbox_bot: Bot, sandbox_client: SandboxClient, ana: int
) -> None:
    poll = asyncio.create_task(sandbox_bot.get_updates(timeout=10))
    await sandbox_client.wait_until(_has_waiting_poll(sandbox_client))
    started = time.monotonic()
    await sandbox_client.send_text(ana, "bonjour")
    updates = await poll
    assert time.monotonic() - started < 1.0
    assert [u.message.text for u in updates if u.message] == ["bonjour"]


def _has_waiting_poll(client: SandboxClient):  # type: ignore[no-untyped-def]
    async def probe() -> bool | None:
        calls = await client.calls("getUpdates")
        return True if calls and calls[-1].status is None else None

    return probe


async def test_unconfirmed_updates_are_delivered_again(
    sandbox_bot: Bot, sandbox_client: SandboxClient, ana: int
) -> None:
    await sandbox_client.send_text(ana, "un")
    await sandbox_client.send_text(ana, "deux")
    first = await sandbox_bot.get_updates()
    again = await sandbox_bot.get_updates()
    assert [u.update_id for u in first] == [u.update_id for u in again]
    after = await sandbox_bot.get_updates(offset=first[0].update_id + 1)
    assert [u.message.text for u in after if u.message] == ["deux"]
    assert await sandbox_bot.get_updates(offset=after[-1].update_id + 1) == ()
    assert await sandbox_client.pending_updates() == 0


async def test_limit_and_negative_offset(
    sandbox_bot: Bot, sandbox_client: SandboxClient, ana: int
) -> None:
    for text in ("a", "b", "c"):
        await sandbox_client.send_text(ana, text)
    assert len(await sandbox_bot.get_updates(limit=2)) == 2
    last = await sandbox_bot.get_updates(offset=-1)
    assert [u.message.text for u in last if u.message] == ["c"]
    assert await sandbox_client.pending_updates() == 1


async def test_allowed_updates_filters_later_updates(
    sandbox_bot: Bot, sandbox_client: SandboxClient, ana: int
) -> None:
    await sandbox_bot.get_updates(allowed_updates=["callback_query"])
    await sandbox_client.send_text(ana, "ignoré")
    assert await sandbox_bot.get_updates() == ()
    await sandbox_bot.get_updates(allowed_updates=[])
    await sandbox_client.send_text(ana, "reçu")
    assert len(await sandbox_bot.get_updates()) == 1


async def test_chat_member_updates_are_opt_in(
    sandbox_bot: Bot, sandbox_client: SandboxClient, ana: int
) -> None:
    group = await sandbox_client.create_group("G", admins=[ana])
    ben = (await sandbox_client.create_user("Ben")).id
    await sandbox_client.join_group(ben, group.id)
    updates = await sandbox_bot.get_updates()
    assert [u.message.new_chat_members[0].id for u in updates if u.message] == [ben]
    assert all(u.chat_member is None for u in updates)
    await sandbox_bot.get_updates(
        offset=updates[-1].update_id + 1, allowed_updates=["chat_member", "message"]
    )
    await sandbox_client.leave_group(ben, group.id)
    kinds = [
        (u.message is not None, u.chat_member is not None) for u in await sandbox_bot.get_updates()
    ]
    assert kinds == [(True, False), (False, True)]


async def test_a_newer_poll_ends_the_older_with_conflict(
    sandbox: SandboxServer, sandbox_bot: Bot, sandbox_client: SandboxClient
) -> None:
    older = asyncio.create_task(sandbox_bot.get_updates(timeout=10))
    await sandbox_client.wait_until(_has_waiting_poll(sandbox_client))
    # A second bot process: PTB's own polling connection pool holds a single connection.
    async with Bot(sandbox.token, base_url=sandbox.bot_api_url) as second:
        newer = asyncio.create_task(second.get_updates(timeout=0.2))
        with pytest.raises(Conflict, match="terminated by other getUpdates"):
            await older
        assert await newer == ()


async def test_a_poll_whose_client_left_is_dropped(
    sandbox_bot: Bot, sandbox_client: SandboxClient, ana: int
) -> None:
    poll = asyncio.create_task(sandbox_bot.get_updates(timeout=10))
    await sandbox_client.wait_until(_has_waiting_poll(sandbox_client))
    poll.cancel()
    with pytest.raises(asyncio.CancelledError):
        await poll

    async def dropped() -> bool | None:
        calls = await sandbox_client.calls("getUpdates")
        return True if calls[-1].status == 0 else None

    await sandbox_client.wait_until(dropped, timeout=2)
    await sandbox_client.send_text(ana, "après")
    assert [u.message.text for u in await sandbox_bot.get_updates() if u.message] == ["après"]


async def test_wait_idle_needs_confirmed_updates(
    sandbox_bot: Bot, sandbox_client: SandboxClient, ana: int
) -> None:
    await sandbox_client.wait_idle(quiet=0.05)
    await sandbox_client.send_text(ana, "en attente")
    with pytest.raises(TimeoutError, match="1 updates unconfirmed"):
        await sandbox_client.wait_idle(quiet=0.05, timeout=0.2)
    updates = await sandbox_bot.get_updates()
    await sandbox_bot.get_updates(offset=updates[-1].update_id + 1)
    await sandbox_client.wait_idle(quiet=0.05)
