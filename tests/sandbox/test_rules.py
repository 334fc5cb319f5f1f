"""Each Telegram rule surfaces in PTB as the exception production would raise."""

from __future__ import annotations

from datetime import timedelta

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, Forbidden, RetryAfter

from sandbox.client import SandboxClient
from sandbox.rules import FloodLimits, Window
from tests.sandbox.test_smoke import tiny_png


@pytest.fixture
async def ana(sandbox_client: SandboxClient) -> int:
    return (await sandbox_client.create_user("Ana", user_id=42, started=True)).id


def keyboard(*data: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(d[:10] or "x", callback_data=d)] for d in data]
    )


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("é" * 4096, None),
        ("é" * 4097, "message is too long"),
        ("   ", "message text is empty"),
    ],
)
async def test_text_length(sandbox_bot: Bot, ana: int, text: str, error: str | None) -> None:
    if error is None:
        assert (await sandbox_bot.send_message(ana, text)).text == text
    else:
        with pytest.raises(BadRequest, match=rf"(?i){error}"):
            await sandbox_bot.send_message(ana, text)


async def test_caption_length(sandbox_bot: Bot, ana: int) -> None:
    await sandbox_bot.send_photo(ana, tiny_png(), caption="x" * 1024)
    with pytest.raises(BadRequest, match=r"(?i)message caption is too long"):
        await sandbox_bot.send_photo(ana, tiny_png(), caption="x" * 1025)


async def test_photo_must_be_an_image(sandbox_bot: Bot, ana: int) -> None:
    with pytest.raises(BadRequest, match=r"(?i)IMAGE_PROCESS_FAILED"):
        await sandbox_bot.send_photo(ana, b"not an image")


async def test_callback_data_is_at_most_64_bytes(sandbox_bot: Bot, ana: int) -> None:
    await sandbox_bot.send_message(ana, "ok", reply_markup=keyboard("é" * 32))
    with pytest.raises(BadRequest, match=r"(?i)BUTTON_DATA_INVALID"):
        await sandbox_bot.send_message(ana, "trop", reply_markup=keyboard("é" * 32 + "x"))


async def test_at_most_100_buttons(sandbox_bot: Bot, ana: int) -> None:
    await sandbox_bot.send_message(ana, "ok", reply_markup=keyboard(*map(str, range(100))))
    with pytest.raises(BadRequest, match=r"(?i)reply markup is too long"):
        await sandbox_bot.send_message(ana, "trop", reply_markup=keyboard(*map(str, range(101))))


async def test_identical_edit_is_not_modified(sandbox_bot: Bot, ana: int) -> None:
    sent = await sandbox_bot.send_message(ana, "même", reply_markup=keyboard("a"))
    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await sandbox_bot.edit_message_text(
            "même", ana, sent.message_id, reply_markup=keyboard("a")
        )
    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await sandbox_bot.edit_message_reply_markup(
            ana, sent.message_id, reply_markup=keyboard("a")
        )
    await sandbox_bot.edit_message_text("même", ana, sent.message_id)  # drops the keyboard


async def test_only_own_messages_can_be_edited(
    sandbox_bot: Bot, sandbox_client: SandboxClient, ana: int
) -> None:
    mine = await sandbox_client.send_text(ana, "à moi")
    with pytest.raises(BadRequest, match=r"(?i)message can't be edited"):
        await sandbox_bot.edit_message_text("non", ana, mine.message_id)
    with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
        await sandbox_bot.edit_message_text("non", ana, 999)


async def test_user_who_never_started_the_bot(
    sandbox_bot: Bot, sandbox_client: SandboxClient
) -> None:
    ben = await sandbox_client.create_user("Ben")
    with pytest.raises(Forbidden, match=r"(?i)bot can't initiate conversation with a user"):
        await sandbox_bot.send_message(ben.id, "salut")
    await sandbox_client.send_command(ben.id, "start")
    assert (await sandbox_bot.send_message(ben.id, "salut")).text == "salut"


async def test_user_who_blocked_the_bot(
    sandbox_bot: Bot, sandbox_client: SandboxClient, ana: int
) -> None:
    await sandbox_client.block_bot(ana)
    with pytest.raises(Forbidden, match=r"(?i)bot was blocked by the user"):
        await sandbox_bot.send_message(ana, "coucou")
    with pytest.raises(Forbidden):
        await sandbox_bot.send_photo(ana, tiny_png())
    [update] = await sandbox_bot.get_updates()
    assert update.my_chat_member is not None
    assert update.my_chat_member.new_chat_member.status == "kicked"
    await sandbox_client.unblock_bot(ana)
    await sandbox_bot.send_message(ana, "re")


async def test_group_the_bot_is_not_in(
    sandbox_bot: Bot, sandbox_client: SandboxClient, ana: int
) -> None:
    group = await sandbox_client.create_group("G", admins=[ana], bot_member=False)
    with pytest.raises(Forbidden, match=r"(?i)bot is not a member"):
        await sandbox_bot.send_message(group.id, "hello")


async def test_privacy_mode_filters_group_messages(
    sandbox_bot: Bot, sandbox_client: SandboxClient, ana: int
) -> None:
    group = await sandbox_client.create_group("G", admins=[ana])
    bot_message = await sandbox_bot.send_message(group.id, "question")
    texts = [
        "bavardage",
        "/start",
        "/start@bilan_sandbox_bot",
        "/start@other_bot",
        "merci @bilan_sandbox_bot",
        "@someone_else salut",
    ]
    for text in texts:
        await sandbox_client.send_text(ana, text, chat_id=group.id)
    await sandbox_client.send_text(
        ana, "réponse", chat_id=group.id, reply_to=bot_message.message_id
    )
    seen = [u.message.text for u in await sandbox_bot.get_updates() if u.message]
    assert seen == ["/start", "/start@bilan_sandbox_bot", "merci @bilan_sandbox_bot", "réponse"]


async def test_privacy_mode_off_or_admin_bot_sees_everything(
    sandbox_bot: Bot, sandbox_client: SandboxClient, ana: int
) -> None:
    admin_group = await sandbox_client.create_group("A", admins=[ana], bot_admin=True)
    await sandbox_client.send_text(ana, "bavardage", chat_id=admin_group.id)
    assert len(await sandbox_bot.get_updates()) == 1
    group = await sandbox_client.create_group("G", admins=[ana])
    await sandbox_client.set_privacy_mode(False)
    await sandbox_client.send_text(ana, "bavardage", chat_id=group.id)
    assert len(await sandbox_bot.get_updates()) == 2
    assert (await sandbox_bot.get_me()).can_read_all_group_messages is True


async def test_flood_limit_per_chat_answers_retry_after(
    sandbox_bot: Bot, sandbox_client: SandboxClient, ana: int
) -> None:
    await sandbox_client.set_flood_limits(FloodLimits(per_chat=Window(2, 10.0)))
    await sandbox_bot.send_message(ana, "1")
    await sandbox_bot.send_message(ana, "2")
    with pytest.raises(RetryAfter) as caught:
        await sandbox_bot.send_message(ana, "3")
    assert 1 <= _seconds(caught.value) <= 10
    await sandbox_client.advance_clock(10.5)
    await sandbox_bot.send_message(ana, "3")


async def test_flood_limit_per_group_and_per_bot(
    sandbox_bot: Bot, sandbox_client: SandboxClient, ana: int
) -> None:
    group = await sandbox_client.create_group("G", admins=[ana])
    await sandbox_client.set_flood_limits(
        FloodLimits(per_group=Window(3, 60.0), per_bot=Window(4, 1.0))
    )
    for n in range(3):
        await sandbox_bot.send_message(group.id, str(n))
    with pytest.raises(RetryAfter) as in_group:
        await sandbox_bot.send_message(group.id, "trop")
    assert _seconds(in_group.value) == 60
    await sandbox_bot.send_message(ana, "privé")  # a private chat has its own window
    with pytest.raises(RetryAfter):
        await sandbox_bot.send_message(ana, "le 5e en une seconde")


def _seconds(error: RetryAfter) -> int:
    value = error.retry_after
    assert isinstance(value, timedelta)
    return int(value.total_seconds())


@pytest.fixture(autouse=True)
def _timedelta_retry_after(monkeypatch: pytest.MonkeyPatch) -> None:
    # PTB 22 warns on every RetryAfter unless the bot opts in to timedelta periods.
    monkeypatch.setenv("PTB_TIMEDELTA", "true")


async def test_markdown_v2_reserved_characters(sandbox_bot: Bot, ana: int) -> None:
    with pytest.raises(BadRequest, match=r"(?i)character '\.' is reserved"):
        await sandbox_bot.send_message(ana, "Fin.", parse_mode="MarkdownV2")
    sent = await sandbox_bot.send_message(ana, r"*Fin*\.", parse_mode="MarkdownV2")
    assert sent.text == "Fin."
    assert sent.entities[0].type == "bold"


async def test_html_must_be_well_formed(sandbox_bot: Bot, ana: int) -> None:
    with pytest.raises(BadRequest, match=r"(?i)can't parse entities"):
        await sandbox_bot.send_message(ana, "<b>ouvert", parse_mode="HTML")
    with pytest.raises(BadRequest, match=r"(?i)unsupported start tag"):
        await sandbox_bot.send_message(ana, "<div>x</div>", parse_mode="HTML")
