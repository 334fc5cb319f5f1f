"""The group outbox against the sandbox: coalesced edits, the window, sends first, 429s waited for.

Times are taken where the Bot's requests leave and come back (`RecordingRequest`), so the
gaps asserted are the ones Telegram would see; contents are read back from the sandbox.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.ext import AIORateLimiter, ExtBot
from telegram.request import HTTPXRequest

from bot.group.outbox import GroupOutbox, retry_seconds
from sandbox.client import SandboxClient
from sandbox.observer import loopback_tls
from sandbox.rules import FloodLimits, Window
from sandbox.server import SandboxServer
from tests.sandbox.test_smoke import tiny_png

EPSILON = 1e-3  # the clocks compared are the same monotonic clock; this is rounding only


@dataclass(frozen=True, slots=True)
class Seen:
    """One Bot API request: its method, when it left and when its answer came back."""

    method: str
    sent: float
    answered: float


class RecordingRequest(HTTPXRequest):
    """PTB's own HTTP request, noting when each call leaves and returns."""

    def __init__(self) -> None:
        super().__init__(connection_pool_size=8, httpx_kwargs={"verify": loopback_tls()})
        self.seen: list[Seen] = []

    async def do_request(
        self, url: str, method: str, *args: Any, **kwargs: Any
    ) -> tuple[int, bytes]:
        sent = time.monotonic()
        try:
            return await super().do_request(url, method, *args, **kwargs)
        finally:
            self.seen.append(Seen(url.rsplit("/", 1)[-1], sent, time.monotonic()))

    def calls(self, *methods: str) -> list[Seen]:
        return [s for s in self.seen if s.method in methods]


@pytest.fixture
def recorder() -> RecordingRequest:
    return RecordingRequest()


@pytest.fixture
async def bot(sandbox: SandboxServer, recorder: RecordingRequest) -> AsyncIterator[Bot]:
    async with Bot(sandbox.token, base_url=sandbox.bot_api_url, request=recorder) as bot:
        yield bot


@pytest.fixture
async def group(sandbox_client: SandboxClient) -> int:
    return (await sandbox_client.create_group("Atelier SWOT")).id


async def shown(client: SandboxClient, chat_id: int, message_id: int) -> str:
    [message] = [m for m in await client.messages(chat_id) if m.message_id == message_id]
    return message.content


def assert_window(calls: Sequence[Seen], per_minute: int, window: float) -> None:
    """No `per_minute + 1` calls within one window, even counting the network's delays."""
    for earlier, later in zip(calls, calls[per_minute:], strict=False):
        assert later.sent - earlier.answered >= window - EPSILON, (earlier, later)


def media(params: Mapping[str, Any]) -> list[Any]:
    raw = params["media"]
    return list(json.loads(raw) if isinstance(raw, str) else raw)


def keyboard(data: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton("Rejoindre", callback_data=data)]])


async def test_a_burst_of_edits_is_coalesced_and_ends_on_the_last(
    bot: Bot, recorder: RecordingRequest, sandbox_client: SandboxClient, group: int
) -> None:
    outbox = GroupOutbox(bot, per_minute=1000, edit_interval=0.3)
    board = await outbox.send(group, "<b>Tableau</b> 0")
    assert board is not None
    for i in range(100):  # two handlers in a row often bring the same count
        outbox.edit(group, board.message_id, f"<b>Tableau</b> {i // 2}")
        await asyncio.sleep(0.02)
    await outbox.drain()

    edits = recorder.calls("editMessageText")
    assert 3 <= len(edits) <= 2.5 / 0.3
    for earlier, later in itertools.pairwise(edits):
        assert later.sent - earlier.answered >= 0.3 - EPSILON
    assert await shown(sandbox_client, group, board.message_id) == "Tableau 49"
    assert all(c.ok for c in await sandbox_client.calls("editMessageText"))
    assert outbox.stats.coalesced >= 100 - 2 * len(edits)
    assert (outbox.stats.edits, outbox.stats.failures) == (len(edits), 0)
    assert not [t for t in asyncio.all_tasks() if t.get_name().startswith("outbox")]


async def test_an_edit_to_what_the_message_shows_is_not_made(
    bot: Bot, recorder: RecordingRequest, sandbox_client: SandboxClient, group: int
) -> None:
    outbox = GroupOutbox(bot, per_minute=1000, edit_interval=0.05)
    board = await outbox.send(group, "F 1 · Fa 0", keyboard("a"))
    assert board is not None
    outbox.edit(group, board.message_id, "F 1 · Fa 0", keyboard("a"))  # what it shows
    outbox.edit(group, board.message_id, "F 2 · Fa 0", keyboard("a"))
    outbox.edit(group, board.message_id, "F 1 · Fa 0", keyboard("a"))  # back before it left
    await outbox.drain()
    assert recorder.calls("editMessageText") == []
    assert outbox.stats.skipped_identical == 2

    outbox.edit(group, board.message_id, "F 1 · Fa 0", keyboard("b"))  # only the buttons change
    await outbox.drain()
    [message] = await sandbox_client.messages(group)
    assert (message.edited, message.button("Rejoindre").callback_data) == (True, "b")

    outbox.track(group, board.message_id, "F 9 · Fa 9", None)  # as found after a restart
    outbox.edit(group, board.message_id, "F 9 · Fa 9")
    await outbox.drain()
    assert len(recorder.calls("editMessageText")) == 1


async def test_sends_go_first_and_the_window_holds_edits_too(
    bot: Bot, recorder: RecordingRequest, sandbox_client: SandboxClient, group: int
) -> None:
    outbox = GroupOutbox(bot, per_minute=10, window=1.0, edit_interval=0.0)
    board = await outbox.send(group, "Tableau 0")
    assert board is not None
    asked: list[float] = []

    async def announce(text: str) -> None:
        await asyncio.sleep(0.3)
        asked.append(time.monotonic())
        assert await outbox.send(group, text) is not None

    announcements = asyncio.gather(announce("Ouvert"), announce("Rappel"))
    for i in range(1, 30):  # a board kept busy far beyond the budget
        outbox.edit(group, board.message_id, f"Tableau {i}")
        await asyncio.sleep(0.02)
    await announcements
    await outbox.drain()

    calls = recorder.calls("sendMessage", "editMessageText")
    assert_window(calls, per_minute=10, window=1.0)
    assert_window(recorder.calls("editMessageText"), per_minute=9, window=1.0)  # 1 kept free
    after_asked = [c for c in calls if c.sent >= asked[0]]
    assert [c.method for c in after_asked[:2]] == ["sendMessage", "sendMessage"]
    assert after_asked[0].sent - asked[0] < 0.2  # the slot edits leave free, long before 1 s
    texts = [m.content for m in await sandbox_client.messages(group)]
    assert texts == ["Tableau 29", "Ouvert", "Rappel"]


async def test_a_refused_edit_waits_retry_after_and_sends_the_newest(
    bot: Bot, recorder: RecordingRequest, sandbox_client: SandboxClient, group: int
) -> None:
    outbox = GroupOutbox(bot, per_minute=1000, edit_interval=0.05)
    board = await outbox.send(group, "Tableau 0")
    assert board is not None
    await sandbox_client.inject_fault("flood", methods=["editMessageText"], retry_after=1)
    outbox.edit(group, board.message_id, "Tableau 1")
    await asyncio.sleep(0.2)
    outbox.edit(group, board.message_id, "Tableau 2")  # while the chat is paused
    await outbox.drain()

    refused, retried = recorder.calls("editMessageText")
    assert retried.sent - refused.answered >= 1.0 - EPSILON
    assert [c.status for c in await sandbox_client.calls("editMessageText")] == [429, 200]
    assert await shown(sandbox_client, group, board.message_id) == "Tableau 2"
    assert (outbox.stats.retried_after, outbox.stats.failures) == (1, 0)


async def test_sends_over_the_group_window_are_retried_in_order(
    bot: Bot, sandbox_client: SandboxClient, group: int
) -> None:
    await sandbox_client.set_flood_limits(FloodLimits(per_group=Window(2, 1.0)))
    outbox = GroupOutbox(bot, per_minute=1000)  # blind to the sandbox's tighter window
    sent = await asyncio.gather(*(outbox.send(group, f"Message {i}") for i in range(3)))
    assert all(message is not None for message in sent)
    assert [m.content for m in await sandbox_client.messages(group)] == [
        "Message 0",
        "Message 1",
        "Message 2",
    ]
    assert [c.status for c in await sandbox_client.calls("sendMessage")] == [200, 200, 429, 200]
    assert (outbox.stats.sends, outbox.stats.retried_after, outbox.stats.failures) == (3, 1, 0)


async def test_it_works_behind_ptbs_rate_limiter(
    sandbox: SandboxServer, sandbox_client: SandboxClient
) -> None:
    async def through_limiter(max_retries: int) -> tuple[GroupOutbox, int]:
        group = (await sandbox_client.create_group(f"Atelier {max_retries}")).id
        limited = ExtBot(
            sandbox.token,
            base_url=sandbox.bot_api_url,
            request=RecordingRequest(),
            rate_limiter=AIORateLimiter(max_retries=max_retries),
        )
        async with limited:
            outbox = GroupOutbox(limited)
            message = await outbox.send(group, "Bonjour")
            await outbox.drain()
        assert message is not None
        assert message.text == "Bonjour"
        return outbox, group

    # Both limiters at once, so the one-second pause is waited once: the one that gives up
    # at once hands the 429 to the outbox, the one that retries hides it.
    await sandbox_client.inject_fault("flood", count=2, methods=["sendMessage"], retry_after=1)
    (hands_over, _), (retries, _) = await asyncio.gather(through_limiter(0), through_limiter(3))
    assert [c.status for c in await sandbox_client.calls("sendMessage")] == [429, 429, 200, 200]
    assert (hands_over.stats.retried_after, retries.stats.retried_after) == (1, 0)
    assert hands_over.stats.failures == retries.stats.failures == 0


async def test_an_album_is_split_and_costs_one_unit_per_photo(
    bot: Bot, recorder: RecordingRequest, sandbox_client: SandboxClient, group: int
) -> None:
    outbox = GroupOutbox(bot, per_minute=1000)
    photos = [(tiny_png(), f"<b>Photo</b> {i}") for i in range(11)]
    delivered = await outbox.send_album(group, photos)

    albums = await sandbox_client.calls("sendMediaGroup")
    assert [len(media(c.params)) for c in albums] == [10]
    shown = [m for m in await sandbox_client.messages(group) if m.photo is not None]
    [single] = [m for m in shown if m.media_group_id is None]
    assert single.caption == "Photo 10"
    assert [m.caption for m in shown] == [f"Photo {i}" for i in range(11)]
    assert all(c.ok for c in albums)
    assert len(delivered) == 11

    small = GroupOutbox(bot, per_minute=3, window=0.5)
    await small.send_album(group, photos[:3])
    await small.send(group, "Après l'album")
    album, after = recorder.calls("sendMediaGroup", "sendMessage")[-2:]
    assert after.sent - album.answered >= 0.5 - EPSILON


async def test_a_deleted_board_is_dropped_and_failures_never_raise(
    bot: Bot, sandbox_client: SandboxClient, group: int
) -> None:
    outbox = GroupOutbox(bot, per_minute=1000, edit_interval=0.05)
    board = await outbox.send(group, "Tableau")
    assert board is not None
    await bot.delete_message(group, board.message_id)
    outbox.edit(group, board.message_id, "Tableau 2")
    assert await outbox.send(-999, "personne") is None  # a chat that does not exist
    await outbox.drain()
    assert outbox.stats.failures == 2
    assert outbox.stats.edits == 0


async def test_close_drops_what_waits_and_leaves_no_task(bot: Bot, group: int) -> None:
    outbox = GroupOutbox(bot, per_minute=1, window=60.0)
    assert await outbox.send(group, "Seul message de la minute") is not None
    waiting = asyncio.create_task(outbox.send(group, "Trop tard"))
    outbox.edit(group, 1, "jamais")
    await asyncio.sleep(0.05)
    await outbox.close()
    assert await waiting is None
    assert await outbox.send(group, "Fermé") is None
    assert not [t for t in asyncio.all_tasks() if t.get_name().startswith("outbox")]


@pytest.mark.parametrize(("retry_after", "seconds"), [(3, 3.0), (timedelta(seconds=2.5), 2.5)])
def test_retry_after_reads_both_forms_of_ptb_22(
    retry_after: int | timedelta, seconds: float
) -> None:
    assert retry_seconds(retry_after) == seconds
