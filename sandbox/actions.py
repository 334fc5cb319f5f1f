"""What users do: create themselves and groups, write, press buttons, follow deep links, vote,
join, block.

Rule: an action changes the world, then queues the updates Telegram would send the bot, with
privacy mode deciding which group messages reach it. A test asking for something a real
user could not do (write in a group they are not in, press a button that is not there) gets
a `ControlError` that says what is there instead.
"""

from __future__ import annotations

import base64
import re
from typing import Any

import telegram

from sandbox.context import Context
from sandbox.errors import ControlError
from sandbox.markup import utf16_len
from sandbox.media import image_info
from sandbox.objects import (
    member_obj,
    membership_obj,
    message_obj,
    poll_obj,
    sender_obj,
    user_obj,
    when,
)
from sandbox.rules import MAX_CAPTION, MAX_TEXT, is_seen_by_bot
from sandbox.state import CallbackRecord, ChatRecord, FileRecord, MessageRecord, UserRecord

_ENTITY_PATTERNS = (
    ("bot_command", re.compile(r"(?<![\w/])/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?(?!\w)")),
    ("mention", re.compile(r"(?<![\w@])@[A-Za-z0-9_]{3,32}(?!\w)")),
    ("url", re.compile(r"https?://[^\s]+")),
)
_DEEP_LINK = re.compile(
    r"https://(?:t|telegram)\.me/(?P<bot>[A-Za-z0-9_]{3,32})(?:\?start=(?P<payload>[^&#]*))?"
)
_START_PAYLOAD = re.compile(r"[A-Za-z0-9_-]{1,64}")


def user_entities(text: str) -> list[dict[str, Any]]:
    """The entities Telegram's clients mark in a typed text (offsets in UTF-16 units)."""
    found = []
    for kind, pattern in _ENTITY_PATTERNS:
        for match in pattern.finditer(text):
            found.append(
                {
                    "type": kind,
                    "offset": utf16_len(text[: match.start()]),
                    "length": utf16_len(match.group()),
                }
            )
    return sorted(found, key=lambda e: e["offset"])


def create_user(ctx: Context, body: dict[str, Any]) -> UserRecord:
    world = ctx.world
    user_id = int(body.get("id") or world.new_user_id())
    if user_id <= 0 or user_id in world.users or user_id == world.bot.id:
        raise ControlError(f"user id {user_id} is taken or invalid")
    user = UserRecord(
        id=user_id,
        first_name=str(body.get("first_name") or f"User {user_id}"),
        last_name=body.get("last_name"),
        username=body.get("username"),
        language_code=body.get("language_code"),
        started=bool(body.get("started", False)),
    )
    world.users[user_id] = user
    ctx.changes.bump()
    return user


def create_group(ctx: Context, body: dict[str, Any]) -> ChatRecord:
    world = ctx.world
    kind = body.get("type", "group")
    if kind not in ("group", "supergroup"):
        raise ControlError(f"group type must be 'group' or 'supergroup', not {kind!r}")
    chat_id = int(body.get("id") or world.new_group_id(kind))
    if chat_id >= 0 or chat_id in world.chats:
        raise ControlError(f"group id {chat_id} is taken or not negative")
    admins = [world.user(int(i)).id for i in body.get("admins", [])]
    members = [world.user(int(i)).id for i in body.get("members", [])]
    chat = ChatRecord(
        id=chat_id,
        type=kind,
        title=str(body.get("title") or f"Group {-chat_id}"),
        members=list(dict.fromkeys(admins + members)),
        admins=admins,
        bot_member=bool(body.get("bot_member", True)),
        bot_admin=bool(body.get("bot_admin", False)),
    )
    world.chats[chat_id] = chat
    ctx.changes.bump()
    return chat


def _chat_of(ctx: Context, user: UserRecord, chat_id: int | None) -> ChatRecord:
    if chat_id is None or chat_id == user.id:
        if user.blocked:
            raise ControlError(f"user {user.id} blocked the bot: unblock it first")
        return ctx.world.private_chat(user.id)
    chat = ctx.world.chats.get(chat_id)
    if chat is None or not chat.is_group:
        raise ControlError(f"user {user.id} cannot write in chat {chat_id}", status=404)
    if user.id not in chat.members:
        raise ControlError(f"user {user.id} is not a member of chat {chat_id}")
    return chat


def _deliver(ctx: Context, chat: ChatRecord, record: MessageRecord) -> MessageRecord:
    if is_seen_by_bot(ctx.world, chat, record, privacy=ctx.privacy):
        ctx.updates.push("message", message_obj(ctx.world, record))
    return record


def user_message(ctx: Context, body: dict[str, Any], **fields: Any) -> MessageRecord:
    """Post a message from `body["user_id"]` and deliver it to the bot if it may see it."""
    user = ctx.world.user(int(body["user_id"]))
    chat_id = body.get("chat_id")
    chat = _chat_of(ctx, user, None if chat_id is None else int(chat_id))
    reply_to = body.get("reply_to")
    if reply_to is not None and ctx.world.message(chat, int(reply_to)) is None:
        raise ControlError(f"no message {reply_to} to reply to in chat {chat.id}")
    if chat.type == "private":
        user.started = True
    record = ctx.world.add_message(
        chat, user.id, reply_to=None if reply_to is None else int(reply_to), **fields
    )
    return _deliver(ctx, chat, record)


def send_text(ctx: Context, body: dict[str, Any]) -> MessageRecord:
    text = str(body.get("text", ""))
    if not text.strip() or len(text) > MAX_TEXT:
        raise ControlError(f"a message text has 1 to {MAX_TEXT} characters")
    return user_message(ctx, body, text=text, entities=user_entities(text))


def edit_text(ctx: Context, body: dict[str, Any]) -> MessageRecord:
    """The user edits a text they sent: the bot gets an `edited_message` update."""
    user = ctx.world.user(int(body["user_id"]))
    chat_id = body.get("chat_id")
    chat = _chat_of(ctx, user, None if chat_id is None else int(chat_id))
    record = ctx.world.message(chat, int(body["message_id"]))
    if record is None or record.sender_id != user.id or record.text is None:
        raise ControlError(f"user {user.id} sent no text {body['message_id']} in chat {chat.id}")
    text = str(body.get("text", ""))
    if not text.strip() or len(text) > MAX_TEXT:
        raise ControlError(f"a message text has 1 to {MAX_TEXT} characters")
    record.text, record.entities = text, user_entities(text)
    record.edit_date = ctx.clock.now()
    ctx.world.record(record, "edited")
    ctx.changes.bump()
    if is_seen_by_bot(ctx.world, chat, record, privacy=ctx.privacy):
        ctx.updates.push("edited_message", message_obj(ctx.world, record))
    return record


def send_file(ctx: Context, body: dict[str, Any], *, kind: str) -> MessageRecord:
    data = base64.b64decode(body.get("data", ""))
    caption = body.get("caption")
    if caption is not None and len(caption) > MAX_CAPTION:
        raise ControlError(f"a caption has at most {MAX_CAPTION} characters")
    file = _stored(ctx, data, kind, body)
    return user_message(
        ctx,
        body,
        caption=caption,
        caption_entities=user_entities(caption) if caption else [],
        **{kind: file.file_id},
    )


def _stored(ctx: Context, data: bytes, kind: str, body: dict[str, Any]) -> FileRecord:
    info = image_info(data) if kind == "photo" else ("", 0, 0)
    if info is None:
        raise ControlError("a photo must be a PNG, JPEG or GIF image")
    mime = f"image/{info[0].replace('jpg', 'jpeg')}" if info[0] else body.get("mime_type")
    file = ctx.world.store_file(
        data,
        folder=f"{kind}s",
        file_name=body.get("filename"),
        mime_type=str(mime or "application/octet-stream"),
        suffix=info[0] or None,
    )
    file.width, file.height = info[1], info[2]
    return file


def _find_button(record: MessageRecord, body: dict[str, Any]) -> dict[str, Any]:
    rows = (record.reply_markup or {}).get("inline_keyboard", [])
    buttons: list[dict[str, Any]] = [button for row in rows for button in row]
    text, data = body.get("text"), body.get("data")
    for button in buttons:
        if (text is not None and button["text"] == text) or (
            data is not None and button.get("callback_data") == data
        ):
            if "callback_data" not in button:
                raise ControlError(f"button {button['text']!r} sends no callback data")
            return button
    labels = [(b["text"], b.get("callback_data")) for b in buttons]
    raise ControlError(f"no button text={text!r} data={data!r} on it; buttons: {labels}")


def press_button(ctx: Context, body: dict[str, Any]) -> str:
    """Press an inline button; return the callback query id the bot must answer."""
    user = ctx.world.user(int(body["user_id"]))
    chat_id = body.get("chat_id")
    chat = _chat_of(ctx, user, None if chat_id is None else int(chat_id))
    record = ctx.world.message(chat, int(body["message_id"]))
    if record is None:
        raise ControlError(f"no message {body['message_id']} in chat {chat.id}", status=404)
    # A modified client can send any callback data with a tap on any of the bot's messages.
    forged = body.get("forged")
    data = str(forged) if forged is not None else _find_button(record, body)["callback_data"]
    query_id = str(7_000_000_000_000 + ctx.world.next_id())
    query = telegram.CallbackQuery(
        id=query_id,
        from_user=user_obj(user),
        chat_instance=chat.chat_instance,
        message=message_obj(ctx.world, record),
        data=data,
    )
    ctx.world.callbacks[query_id] = CallbackRecord(
        query_id, user.id, chat.id, record.message_id, data
    )
    ctx.updates.push("callback_query", query)
    return query_id


def _link_button(record: MessageRecord, text: str) -> str:
    rows = (record.reply_markup or {}).get("inline_keyboard", [])
    buttons: list[dict[str, Any]] = [button for row in rows for button in row]
    for button in buttons:
        if button["text"] == text and "url" in button:
            return str(button["url"])
    labels = [(b["text"], b.get("url")) for b in buttons]
    raise ControlError(f"no url button {text!r} on it; buttons: {labels}")


def follow_link(ctx: Context, body: dict[str, Any]) -> MessageRecord:
    """Tap a url button that deep-links to the bot (`https://t.me/<bot>?start=<payload>`).

    The user's app opens the private chat with the bot and sends `/start <payload>`, as
    Telegram's apps do; this returns that message.
    """
    user = ctx.world.user(int(body["user_id"]))
    chat_id = body.get("chat_id")
    chat = _chat_of(ctx, user, None if chat_id is None else int(chat_id))
    record = ctx.world.message(chat, int(body["message_id"]))
    if record is None:
        raise ControlError(f"no message {body['message_id']} in chat {chat.id}", status=404)
    url = _link_button(record, str(body["text"]))
    match = _DEEP_LINK.fullmatch(url)
    if match is None or match["bot"].lower() != str(ctx.world.bot.username).lower():
        raise ControlError(f"{url!r} is not a deep link to @{ctx.world.bot.username}")
    payload = match["payload"]
    if payload is not None and not _START_PAYLOAD.fullmatch(payload):
        # Telegram's apps drop such a parameter: the bot would get a bare /start.
        raise ControlError(f"start parameter {payload!r} is not 1-64 of A-Z a-z 0-9 _ -")
    text = "/start" if payload is None else f"/start {payload}"
    return send_text(ctx, {"user_id": user.id, "text": text})


def answer_poll(ctx: Context, body: dict[str, Any]) -> None:
    user = ctx.world.user(int(body["user_id"]))
    poll = ctx.world.polls.get(str(body.get("poll_id")))
    if poll is None:
        raise ControlError(f"no poll {body.get('poll_id')!r}", status=404)
    _chat_of(ctx, user, poll.chat_id)
    options = tuple(int(i) for i in body.get("option_ids", []))
    if poll.is_closed:
        raise ControlError(f"poll {poll.id} is closed")
    if not all(0 <= i < len(poll.options) for i in options) or len(set(options)) != len(options):
        raise ControlError(f"options {options} do not fit poll {poll.id} {poll.options}")
    if len(options) > 1 and not poll.allows_multiple_answers:
        raise ControlError(f"poll {poll.id} takes one answer")
    poll.votes[user.id] = options
    ctx.changes.bump()
    ctx.updates.push("poll", poll_obj(poll))
    if not poll.is_anonymous:
        answer = telegram.PollAnswer(
            poll_id=poll.id,
            option_ids=list(options),
            user=user_obj(user),
            option_persistent_ids=[str(i) for i in options],
        )
        ctx.updates.push("poll_answer", answer)


def join_group(ctx: Context, body: dict[str, Any], *, joining: bool) -> MessageRecord:
    """A user joins or leaves a group: a service message, and `chat_member` if asked for."""
    user = ctx.world.user(int(body["user_id"]))
    chat = ctx.world.chats.get(int(body["chat_id"]))
    if chat is None or not chat.is_group:
        raise ControlError(f"no group {body['chat_id']}", status=404)
    if (user.id in chat.members) == joining:
        raise ControlError(f"user {user.id} is {'already' if joining else 'not'} in {chat.id}")
    old = member_obj(ctx.world, chat, user.id)
    if joining:
        chat.members.append(user.id)
        service: dict[str, Any] = {"new_chat_members": [user.id]}
    else:
        chat.members.remove(user.id)
        chat.admins = [a for a in chat.admins if a != user.id]
        service = {"left_chat_member": user.id}
    record = _deliver(ctx, chat, ctx.world.add_message(chat, user.id, service=service))
    new = member_obj(ctx.world, chat, user.id)
    ctx.updates.push("chat_member", membership_obj(ctx.world, chat, user.id, old, new))
    return record


def block_bot(ctx: Context, body: dict[str, Any], *, blocked: bool) -> None:
    """A user blocks or unblocks the bot; the bot hears of it through `my_chat_member`."""
    user = ctx.world.user(int(body["user_id"]))
    if user.blocked == blocked:
        return
    chat = ctx.world.private_chat(user.id)
    bot = sender_obj(ctx.world, ctx.world.bot.id)
    member = telegram.ChatMemberMember(user=bot)
    banned = telegram.ChatMemberBanned(user=bot, until_date=when(0))
    user.blocked = blocked
    old, new = (member, banned) if blocked else (banned, member)
    ctx.updates.push("my_chat_member", membership_obj(ctx.world, chat, user.id, old, new))
    ctx.changes.bump()
