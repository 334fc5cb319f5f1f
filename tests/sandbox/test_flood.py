"""The flood windows count every message the bot posts or changes, as Telegram does: edits and
media share the sending limits, an album counts one per item, answerCallbackQuery is free."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta

import pytest
from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaPhoto,
    Message,
)
from telegram.error import BadRequest, RetryAfter

from sandbox.client import SandboxClient
from sandbox.rules import FloodLimits, Window
from tests.sandbox.test_smoke import tiny_png

Act = Callable[[Bot, Message, int], Awaitable[object]]


@pytest.fixture
async def ana(sandbox_client: SandboxClient) -> int:
    return (await sandbox_client.create_user("Ana", user_id=42, started=True)).id


@pytest.fixture
async def group(sandbox_client: SandboxClient, ana: int) -> int:
    return (await sandbox_client.create_group("Cohorte", admins=[ana])).id


def keyboard(data: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton("Voir", callback_data=data)]])


def _seconds(error: RetryAfter) -> float:
    value = error.retry_after
    assert isinstance(value, timedelta)
    return value.total_seconds()


async def _edit_text(bot: Bot, board: Message, n: int) -> object:
    return await bot.edit_message_text(f"F {n}", board.chat_id, board.message_id)


async def _edit_markup(bot: Bot, board: Message, n: int) -> object:
    return await bot.edit_message_reply_markup(
        board.chat_id, board.message_id, reply_markup=keyboard(f"k{n}")
    )


async def _edit_caption(bot: Bot, board: Message, n: int) -> object:
    return await bot.edit_message_caption(board.chat_id, board.message_id, caption=f"c{n}")


async def _edit_media(bot: Bot, board: Message, n: int) -> object:
    media = InputMediaPhoto(tiny_png(n + 1, 2), caption=f"m{n}")
    return await bot.edit_message_media(media, board.chat_id, board.message_id)


async def _send_photo(bot: Bot, board: Message, n: int) -> object:
    return await bot.send_photo(board.chat_id, tiny_png(), caption=f"p{n}")


async def _send_document(bot: Bot, board: Message, n: int) -> object:
    return await bot.send_document(board.chat_id, b"x", filename=f"d{n}.txt")


async def _send_text(bot: Bot, board: Message, n: int) -> object:
    return await bot.send_message(board.chat_id, f"t{n}")


@pytest.mark.parametrize(
    ("act", "method"),
    [
        (_edit_text, "editMessageText"),
        (_edit_markup, "editMessageReplyMarkup"),
        (_edit_caption, "editMessageCaption"),
        (_edit_media, "editMessageMedia"),
        (_send_photo, "sendPhoto"),
        (_send_document, "sendDocument"),
        (_send_text, "sendMessage"),
    ],
)
async def test_the_21st_message_or_edit_in_a_group_minute_gets_429(
    sandbox_bot: Bot, sandbox_client: SandboxClient, group: int, act: Act, method: str
) -> None:
    await sandbox_client.set_flood_limits(FloodLimits.telegram())
    photo = method in ("editMessageCaption", "editMessageMedia")
    board = await (
        sandbox_bot.send_photo(group, tiny_png(), caption="F 0")
        if photo
        else sandbox_bot.send_message(group, "F 0")
    )
    await sandbox_client.advance_clock(61)  # the board's own send leaves the window
    for n in range(1, 21):
        await act(sandbox_bot, board, n)
    with pytest.raises(RetryAfter) as caught:
        await act(sandbox_bot, board, 21)
    assert 55 <= _seconds(caught.value) <= 60
    assert await sandbox_client.flood_refusals() == {method: 1}
    await sandbox_client.advance_clock(61)
    await act(sandbox_bot, board, 22)


async def test_edits_and_sends_share_one_window(
    sandbox_bot: Bot, sandbox_client: SandboxClient, group: int
) -> None:
    await sandbox_client.set_flood_limits(FloodLimits(per_group=Window(3, 60.0)))
    board = await sandbox_bot.send_message(group, "F 0")
    await _edit_text(sandbox_bot, board, 1)
    await _send_photo(sandbox_bot, board, 2)
    with pytest.raises(RetryAfter):
        await _edit_markup(sandbox_bot, board, 3)
    with pytest.raises(RetryAfter):
        await _send_text(sandbox_bot, board, 4)
    refusals = await sandbox_client.flood_refusals(group)
    assert refusals == {"editMessageReplyMarkup": 1, "sendMessage": 1}


async def test_edits_count_in_a_private_chat_and_for_the_bot(
    sandbox_bot: Bot, sandbox_client: SandboxClient, ana: int, group: int
) -> None:
    await sandbox_client.set_flood_limits(
        FloodLimits(per_chat=Window(2, 10.0), per_bot=Window(4, 1.0))
    )
    ballot = await sandbox_bot.send_message(ana, "0 vote")
    await _edit_text(sandbox_bot, ballot, 1)
    with pytest.raises(RetryAfter):
        await _edit_text(sandbox_bot, ballot, 2)
    board = await sandbox_bot.send_message(group, "F 0")
    await _edit_text(sandbox_bot, board, 1)
    with pytest.raises(RetryAfter):  # the bot's 5th message or edit within the second
        await _edit_text(sandbox_bot, board, 2)


async def test_an_album_counts_one_message_per_item(
    sandbox_bot: Bot, sandbox_client: SandboxClient, group: int
) -> None:
    await sandbox_client.set_flood_limits(FloodLimits(per_group=Window(20, 60.0)))
    album = [InputMediaPhoto(tiny_png(), caption=f"{n}") for n in range(10)]
    await sandbox_bot.send_media_group(group, album)
    await sandbox_bot.send_message(group, "11")
    with pytest.raises(RetryAfter):  # 11 sent: 10 more do not fit in 20
        await sandbox_bot.send_media_group(group, album)
    assert len(await sandbox_client.messages(group)) == 11  # a refused album posts nothing
    await sandbox_bot.send_media_group(group, album[:9])
    with pytest.raises(RetryAfter):
        await sandbox_bot.send_message(group, "21")


async def test_an_album_larger_than_the_window_needs_it_empty(
    sandbox_bot: Bot, sandbox_client: SandboxClient, ana: int
) -> None:
    await sandbox_client.set_flood_limits(FloodLimits.telegram())
    album = [InputMediaPhoto(tiny_png()) for _ in range(10)]
    await sandbox_bot.send_media_group(ana, album)  # 10 photos, a 3-per-3-s window
    with pytest.raises(RetryAfter):
        await sandbox_bot.send_message(ana, "after")
    await sandbox_client.advance_clock(3.5)
    await sandbox_bot.send_message(ana, "after")
    with pytest.raises(RetryAfter):
        await sandbox_bot.send_media_group(ana, album)


async def test_a_refused_identical_edit_counts_a_refused_bad_one_does_not(
    sandbox_bot: Bot, sandbox_client: SandboxClient, group: int
) -> None:
    await sandbox_client.set_flood_limits(FloodLimits(per_group=Window(3, 60.0)))
    board = await sandbox_bot.send_message(group, "F 0")  # 1
    with pytest.raises(BadRequest, match=r"(?i)message is too long"):
        await sandbox_bot.edit_message_text("x" * 4097, group, board.message_id)
    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await sandbox_bot.edit_message_text("F 0", group, board.message_id)  # 2
    await _edit_text(sandbox_bot, board, 1)  # 3
    with pytest.raises(RetryAfter):
        await _edit_text(sandbox_bot, board, 2)
    assert [e.text for e in await sandbox_client.edits_of(group, board.message_id)] == ["F 1"]


async def test_answer_callback_query_is_never_limited(
    sandbox_bot: Bot, sandbox_client: SandboxClient, ana: int, group: int
) -> None:
    board = await sandbox_bot.send_message(group, "F 0", reply_markup=keyboard("vote"))
    strict = Window(1, 60.0)
    await sandbox_client.set_flood_limits(
        FloodLimits(per_chat=strict, per_group=strict, per_bot=strict)
    )
    for _ in range(50):
        await sandbox_client.press_button(ana, board.message_id, data="vote", chat_id=group)
    queries = [u.callback_query for u in await sandbox_bot.get_updates() if u.callback_query]
    assert len(queries) == 50
    for query in queries:
        assert await query.answer("Noté") is True
    await _send_text(sandbox_bot, board, 1)  # the windows are on: one message passes…
    with pytest.raises(RetryAfter):
        await _edit_text(sandbox_bot, board, 2)  # …and the next is refused
    assert await sandbox_client.flood_refusals() == {"editMessageText": 1}
    answers = [await sandbox_client.callback_answer(q.id) for q in queries]
    assert all(answer.answered and answer.text == "Noté" for answer in answers)
