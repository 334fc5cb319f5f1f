"""What tests and benches read of a live board: every send and successful edit with its time and
text, 429s per method, and the deep links that take a member from the group to the bot."""

from __future__ import annotations

import time

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, RetryAfter

from sandbox.client import SandboxClient
from sandbox.errors import ControlError
from sandbox.rules import FloodLimits, Window
from sandbox.views import Button, MessageEvent, busiest

LINK = "https://t.me/bilan_sandbox_bot?start=swot_12"


@pytest.fixture
async def ana(sandbox_client: SandboxClient) -> int:
    return (await sandbox_client.create_user("Ana", user_id=42)).id


@pytest.fixture
async def group(sandbox_client: SandboxClient, ana: int) -> int:
    return (await sandbox_client.create_group("Cohorte", admins=[ana])).id


def board_keyboard(data: str = "close") -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton("Écrire mes items", url=LINK)],
            [InlineKeyboardButton("Clore", callback_data=data)],
        ]
    )


async def test_group_keyboard_with_a_deep_link_and_a_callback_button(
    sandbox_bot: Bot, sandbox_client: SandboxClient, ana: int, group: int
) -> None:
    await sandbox_bot.send_message(group, "SWOT", reply_markup=board_keyboard())
    [board] = await sandbox_client.messages(group)
    assert board.buttons == (
        (Button("Écrire mes items", url=LINK),),
        (Button("Clore", callback_data="close"),),
    )
    start = await sandbox_client.follow_link(ana, board, "Écrire mes items")
    assert (start.chat_id, start.text) == (ana, "/start swot_12")
    await sandbox_client.press_button(ana, board, text="Clore")
    updates = await sandbox_bot.get_updates()
    first = updates[0].message
    assert first is not None
    assert (first.chat.type, first.text, first.entities[0].type) == (
        "private",
        "/start swot_12",
        "bot_command",
    )
    assert updates[1].callback_query is not None
    assert updates[1].callback_query.data == "close"
    assert (await sandbox_bot.send_message(ana, "Bienvenue")).text == "Bienvenue"  # started


@pytest.mark.parametrize(
    ("url", "error"),
    [
        ("https://example.org", "not a deep link"),
        ("https://t.me/other_bot?start=swot_12", "not a deep link"),
        ("https://t.me/bilan_sandbox_bot?start=swot 12", "start parameter"),
        ("https://t.me/bilan_sandbox_bot?start=" + "x" * 65, "start parameter"),
    ],
)
async def test_follow_link_refuses_what_would_not_start_the_bot(
    sandbox_bot: Bot, sandbox_client: SandboxClient, ana: int, group: int, url: str, error: str
) -> None:
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Lien", url=url)]])
    await sandbox_bot.send_message(group, "SWOT", reply_markup=keyboard)
    [board] = await sandbox_client.messages(group)
    with pytest.raises(ControlError, match=error):
        await sandbox_client.follow_link(ana, board, "Lien")
    with pytest.raises(ControlError, match="no url button"):
        await sandbox_client.follow_link(ana, board, "Autre")


async def test_history_holds_every_send_edit_and_deletion_in_order(
    sandbox_bot: Bot, sandbox_client: SandboxClient, ana: int, group: int
) -> None:
    before = time.monotonic()
    board = await sandbox_bot.send_message(group, "F 0", reply_markup=board_keyboard())
    await sandbox_bot.edit_message_text(
        "F 1", group, board.message_id, reply_markup=board_keyboard()
    )
    with pytest.raises(BadRequest, match=r"(?i)not modified"):
        await sandbox_bot.edit_message_text(
            "F 1", group, board.message_id, reply_markup=board_keyboard()
        )
    await sandbox_client.advance_clock(5)
    await sandbox_bot.edit_message_reply_markup(group, board.message_id)
    chatter = await sandbox_client.send_text(ana, "/status", chat_id=group)
    await sandbox_bot.delete_message(group, board.message_id)
    history = await sandbox_client.history(group)
    assert [(e.kind, e.message_id, e.from_bot, e.text) for e in history] == [
        ("sent", board.message_id, True, "F 0"),
        ("edited", board.message_id, True, "F 1"),
        ("edited", board.message_id, True, "F 1"),
        ("sent", chatter.message_id, False, "/status"),
        ("deleted", board.message_id, True, "F 1"),
    ]
    assert history[0].button_texts == ["Écrire mes items", "Clore"]
    assert history[2].buttons == ()
    edits = await sandbox_client.edits_of(group, board.message_id)
    assert [(e.text, len(e.buttons)) for e in edits] == [("F 1", 2), ("F 1", 0)]
    assert before <= history[0].at <= edits[0].at < edits[0].at + 5 <= edits[1].at
    assert edits[1].date - history[0].date >= 5
    mine = await sandbox_client.history(from_bot=True, kinds=("sent", "edited"))
    assert [e.seq for e in mine] == [1, 2, 3]


async def test_a_user_edit_is_in_the_history_too(
    sandbox_client: SandboxClient, ana: int, group: int
) -> None:
    sent = await sandbox_client.send_text(ana, "bonne finition", chat_id=group)
    await sandbox_client.edit_text(ana, sent, "Bonne finition", chat_id=group)
    [edit] = await sandbox_client.edits_of(group, sent.message_id)
    assert (edit.from_bot, edit.sender_id, edit.text) == (False, ana, "Bonne finition")


async def test_flood_refusals_per_method_and_chat(
    sandbox_bot: Bot, sandbox_client: SandboxClient, ana: int, group: int
) -> None:
    await sandbox_client.send_command(ana, "start")
    await sandbox_client.set_flood_limits(
        FloodLimits(per_chat=Window(1, 60.0), per_group=Window(1, 60.0))
    )
    assert await sandbox_client.flood_refusals() == {}
    board = await sandbox_bot.send_message(group, "F 0")
    for n in range(3):
        with pytest.raises(RetryAfter):
            await sandbox_bot.edit_message_text(f"F {n + 1}", group, board.message_id)
    with pytest.raises(RetryAfter):
        await sandbox_bot.send_message(group, "encore")
    await sandbox_bot.send_message(ana, "privé")
    with pytest.raises(RetryAfter):
        await sandbox_bot.send_message(ana, "privé 2")
    await sandbox_client.inject_fault("flood", methods=["sendPhoto"])
    with pytest.raises(RetryAfter):
        await sandbox_bot.send_photo(ana, b"unused: the fault answers first")
    assert await sandbox_client.flood_refusals() == {
        "editMessageText": 3,
        "sendMessage": 2,
        "sendPhoto": 1,
    }
    assert await sandbox_client.flood_refusals(group) == {"editMessageText": 3, "sendMessage": 1}
    assert await sandbox_client.edits_of(group, board.message_id) == []


def _event(at: float) -> MessageEvent:
    return MessageEvent(1, -1, 1, "edited", 7, True, at, 0, "F", ())


def test_busiest_counts_the_most_events_in_any_window() -> None:
    times = [0.0, 10.0, 20.0, 59.9, 60.0, 61.0, 200.0]
    assert busiest([_event(t) for t in times], 60.0) == 5  # 10, 20, 59.9, 60, 61 (not 0)
    assert busiest([_event(t) for t in times], 1.0) == 2
    assert busiest([], 60.0) == 0
