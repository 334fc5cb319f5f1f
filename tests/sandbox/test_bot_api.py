"""PTB's own `Bot` calls every emulated method and gets parsed objects back."""

from __future__ import annotations

import pytest
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeAllGroupChats,
    ChatFullInfo,
    ChatMemberAdministrator,
    ChatMemberLeft,
    ChatMemberMember,
    ChatMemberOwner,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    Poll,
    ReplyKeyboardMarkup,
    User,
)
from telegram.constants import ChatAction
from telegram.error import BadRequest, InvalidToken
from telegram.request import HTTPXRequest

from sandbox.client import SandboxClient
from sandbox.server import SandboxServer
from tests.sandbox.test_smoke import tiny_png


@pytest.fixture
async def ana(sandbox_client: SandboxClient) -> int:
    return (await sandbox_client.create_user("Ana", user_id=42, started=True)).id


async def test_get_me_describes_the_bot(sandbox_bot: Bot) -> None:
    me = await sandbox_bot.get_me()
    assert isinstance(me, User)
    assert (me.is_bot, me.username, me.can_read_all_group_messages) == (
        True,
        "bilan_sandbox_bot",
        False,
    )


async def test_send_message_with_html_and_keyboard(
    sandbox_bot: Bot, sandbox_client: SandboxClient, ana: int
) -> None:
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Go", callback_data="go")]])
    sent = await sandbox_bot.send_message(
        ana, "<b>Bilan</b> &amp; SWOT", parse_mode="HTML", reply_markup=keyboard
    )
    assert isinstance(sent, Message)
    assert sent.text == "Bilan & SWOT"
    assert sent.entities[0].type == "bold"
    assert sent.entities[0].length == 5
    assert sent.reply_markup == keyboard
    assert sent.from_user is not None
    assert sent.from_user.is_bot
    [seen] = await sandbox_client.messages(ana)
    assert (seen.text, seen.button_texts, seen.keyboard) == ("Bilan & SWOT", ["Go"], "inline")


async def test_reply_keyboard_is_visible_to_tests(
    sandbox_bot: Bot, sandbox_client: SandboxClient, ana: int
) -> None:
    await sandbox_bot.send_message(ana, "Choisis", reply_markup=ReplyKeyboardMarkup([["A", "B"]]))
    [seen] = await sandbox_client.messages(ana)
    assert (seen.keyboard, seen.button_texts) == ("reply", ["A", "B"])


async def test_edits_and_delete(sandbox_bot: Bot, sandbox_client: SandboxClient, ana: int) -> None:
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("x", callback_data="x")]])
    sent = await sandbox_bot.send_message(ana, "v1", reply_markup=keyboard)
    edited = await sandbox_bot.edit_message_text("v2", ana, sent.message_id, reply_markup=keyboard)
    assert isinstance(edited, Message)
    assert edited.text == "v2"
    assert edited.edit_date is not None
    bare = await sandbox_bot.edit_message_reply_markup(ana, sent.message_id)
    assert isinstance(bare, Message)
    assert bare.reply_markup is None
    assert await sandbox_bot.delete_message(ana, sent.message_id) is True
    assert await sandbox_client.messages(ana) == []
    [gone] = await sandbox_client.messages(ana, include_deleted=True)
    assert gone.deleted
    assert gone.edited
    assert gone.text == "v2"


async def test_photo_document_and_get_file(
    sandbox_bot: Bot, sandbox_client: SandboxClient, ana: int
) -> None:
    photo = await sandbox_bot.send_photo(ana, tiny_png(), caption="<i>chart</i>", parse_mode="HTML")
    assert photo.caption == "chart"
    assert photo.photo[-1].width == 3
    file = await sandbox_bot.get_file(photo.photo[-1].file_id)
    assert bytes(await file.download_as_bytearray()) == tiny_png()
    doc = await sandbox_bot.send_document(ana, b"%PDF-1.4", filename="report.pdf")
    assert doc.document is not None
    assert doc.document.file_name == "report.pdf"
    again = await sandbox_bot.send_document(ana, doc.document.file_id)
    assert again.document is not None
    assert again.document.file_id == doc.document.file_id
    with pytest.raises(BadRequest, match=r"(?i)invalid file_id"):
        await sandbox_bot.get_file("nope")


async def test_poll_send_answer_and_stop(
    sandbox_bot: Bot, sandbox_client: SandboxClient, ana: int
) -> None:
    sent = await sandbox_bot.send_poll(ana, "Humeur ?", ["bien", "bof"], is_anonymous=False)
    assert sent.poll is not None
    assert [o.text for o in sent.poll.options] == ["bien", "bof"]
    [seen] = await sandbox_client.messages(ana)
    await sandbox_client.answer_poll(ana, seen, [1])
    updates = await sandbox_bot.get_updates()
    kinds = [
        u.poll_answer.option_ids if u.poll_answer else u.poll.total_voter_count for u in updates
    ]  # type: ignore[union-attr]
    assert kinds == [1, (1,)]
    stopped = await sandbox_bot.stop_poll(ana, sent.message_id)
    assert isinstance(stopped, Poll)
    assert stopped.is_closed
    assert stopped.options[1].voter_count == 1


async def test_chat_queries(sandbox_bot: Bot, sandbox_client: SandboxClient, ana: int) -> None:
    ben = (await sandbox_client.create_user("Ben")).id
    group = await sandbox_client.create_group(
        "Cohorte", members=[ben], admins=[ana], bot_admin=True
    )
    info = await sandbox_bot.get_chat(group.id)
    assert isinstance(info, ChatFullInfo)
    assert info.title == "Cohorte"
    assert isinstance(await sandbox_bot.get_chat_member(group.id, ana), ChatMemberOwner)
    assert isinstance(await sandbox_bot.get_chat_member(group.id, ben), ChatMemberMember)
    me = await sandbox_bot.get_chat_member(group.id, sandbox_bot.id)
    assert isinstance(me, ChatMemberAdministrator)
    outsider = (await sandbox_client.create_user("Zoé")).id
    assert isinstance(await sandbox_bot.get_chat_member(group.id, outsider), ChatMemberLeft)
    admins = await sandbox_bot.get_chat_administrators(group.id)
    assert [a.user.id for a in admins] == [ana, sandbox_bot.id]
    assert await sandbox_bot.get_chat_member_count(group.id) == 3
    private = await sandbox_bot.get_chat(ana)
    assert private.first_name == "Ana"
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await sandbox_bot.get_chat(-999)


async def test_pin_and_chat_action(
    sandbox_bot: Bot, sandbox_client: SandboxClient, ana: int
) -> None:
    sent = await sandbox_bot.send_message(ana, "épinglé")
    assert await sandbox_bot.pin_chat_message(ana, sent.message_id) is True
    assert await sandbox_bot.send_chat_action(ana, ChatAction.UPLOAD_PHOTO) is True
    chat = await sandbox_client.chat(ana)
    assert (chat.pinned, chat.last_action) == (sent.message_id, "upload_photo")
    info = await sandbox_bot.get_chat(ana)
    assert info.pinned_message is not None
    assert info.pinned_message.text == "épinglé"


async def test_commands_per_scope_and_language(sandbox_bot: Bot) -> None:
    commands = [BotCommand("start", "Commencer"), BotCommand("swot", "Analyse SWOT")]
    assert await sandbox_bot.set_my_commands(commands, language_code="fr") is True
    assert await sandbox_bot.get_my_commands(language_code="fr") == tuple(commands)
    assert await sandbox_bot.get_my_commands() == ()
    group_scope = BotCommandScopeAllGroupChats()
    await sandbox_bot.set_my_commands(commands[:1], scope=group_scope)
    assert await sandbox_bot.get_my_commands(scope=group_scope) == tuple(commands[:1])
    assert await sandbox_bot.delete_my_commands(language_code="fr") is True
    assert await sandbox_bot.get_my_commands(language_code="fr") == ()
    with pytest.raises(BadRequest, match=r"(?i)BOT_COMMAND_INVALID"):
        await sandbox_bot.set_my_commands([BotCommand("Bad-Name", "x")])


async def test_answer_callback_query_is_recorded(
    sandbox_bot: Bot, sandbox_client: SandboxClient, ana: int
) -> None:
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Oui", callback_data="yes")]])
    sent = await sandbox_bot.send_message(ana, "?", reply_markup=keyboard)
    query_id = await sandbox_client.press_button(ana, sent.message_id, data="yes")
    [update] = await sandbox_bot.get_updates()
    query = update.callback_query
    assert query is not None
    assert query.id == query_id
    assert query.data == "yes"
    assert query.chat_instance
    assert query.message is not None
    assert not (await sandbox_client.callback_answer(query_id)).answered
    await query.answer("Attention", show_alert=True)
    answer = await sandbox_client.callback_answer(query_id)
    assert (answer.answered, answer.text, answer.show_alert) == (True, "Attention", True)
    with pytest.raises(BadRequest, match=r"(?i)query is too old"):
        await query.answer()


async def test_unknown_method_and_wrong_token(sandbox: SandboxServer, sandbox_bot: Bot) -> None:
    with pytest.raises(BadRequest, match=r"(?i)sendSticker not emulated|sendsticker not emulated"):
        await sandbox_bot.send_sticker(1, "CAAC")
    request = HTTPXRequest()
    stranger = Bot("987:wrong", base_url=sandbox.bot_api_url, request=request)
    try:
        with pytest.raises(InvalidToken, match=r"(?i)unauthorized"):
            await stranger.get_me()
    finally:
        await request.shutdown()  # the bot was never initialized, so it would not close it


async def test_every_call_is_logged(
    sandbox_bot: Bot, sandbox_client: SandboxClient, ana: int
) -> None:
    await sandbox_bot.send_message(ana, "un")
    with pytest.raises(BadRequest):
        await sandbox_bot.send_message(ana, "")
    calls = await sandbox_client.calls("sendMessage")
    assert [(c.method, c.status, c.params["text"]) for c in calls] == [
        ("sendMessage", 200, "un"),
        ("sendMessage", 400, ""),
    ]
    assert calls[1].description == "Bad Request: message text is empty"
