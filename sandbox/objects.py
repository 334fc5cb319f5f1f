"""Bot API objects built from the world's records with PTB's own classes.

Rule: every object the bot receives is a `telegram.*` instance turned into a dict by
`to_dict()`, so what the sandbox sends is exactly what PTB parses (measured: a hand-written
emulator drifted from PTB 22's required fields and broke whole update batches).
"""

from __future__ import annotations

import datetime as dtm
from typing import Any

import telegram
from telegram import constants

from sandbox.state import ChatRecord, FileRecord, MessageRecord, PollRecord, UserRecord, World

JSON = dict[str, Any]


def when(timestamp: int) -> dtm.datetime:
    return dtm.datetime.fromtimestamp(timestamp, tz=dtm.UTC)


def user_obj(user: UserRecord) -> telegram.User:
    return telegram.User(
        id=user.id,
        first_name=user.first_name,
        is_bot=user.is_bot,
        last_name=user.last_name,
        username=user.username,
        language_code=user.language_code,
    )


def me_obj(world: World, *, privacy_mode: bool) -> telegram.User:
    bot = world.bot
    return telegram.User(
        id=bot.id,
        first_name=bot.first_name,
        is_bot=True,
        username=bot.username,
        can_join_groups=True,
        can_read_all_group_messages=not privacy_mode,
        supports_inline_queries=False,
        can_connect_to_business=False,
        has_main_web_app=False,
    )


def chat_obj(world: World, chat: ChatRecord) -> telegram.Chat:
    if chat.type == "private":
        user = world.users[chat.id]
        return telegram.Chat(
            id=chat.id,
            type=constants.ChatType.PRIVATE,
            first_name=user.first_name,
            last_name=user.last_name,
            username=user.username,
        )
    return telegram.Chat(id=chat.id, type=chat.type, title=chat.title)


def full_chat_obj(world: World, chat: ChatRecord) -> telegram.ChatFullInfo:
    base = chat_obj(world, chat)
    pinned = world.message(chat, chat.pinned) if chat.pinned else None
    return telegram.ChatFullInfo(
        id=base.id,
        type=base.type,
        title=base.title,
        first_name=base.first_name,
        last_name=base.last_name,
        username=base.username,
        accent_color_id=0,
        max_reaction_count=11,
        accepted_gift_types=telegram.AcceptedGiftTypes(False, False, False, False, False),
        pinned_message=message_obj(world, pinned) if pinned else None,
    )


def file_obj(record: FileRecord) -> telegram.File:
    return telegram.File(
        file_id=record.file_id,
        file_unique_id=record.unique_id,
        file_size=len(record.data),
        file_path=record.path,
    )


def photo_obj(record: FileRecord) -> telegram.PhotoSize:
    return telegram.PhotoSize(
        file_id=record.file_id,
        file_unique_id=record.unique_id,
        width=record.width,
        height=record.height,
        file_size=len(record.data),
    )


def document_obj(record: FileRecord) -> telegram.Document:
    return telegram.Document(
        file_id=record.file_id,
        file_unique_id=record.unique_id,
        file_name=record.file_name,
        mime_type=record.mime_type,
        file_size=len(record.data),
    )


def poll_obj(poll: PollRecord) -> telegram.Poll:
    counts = [0] * len(poll.options)
    for choice in poll.votes.values():
        for option in choice:
            counts[option] += 1
    options = [
        telegram.PollOption(text, count, persistent_id=str(index))
        for index, (text, count) in enumerate(zip(poll.options, counts, strict=True))
    ]
    return telegram.Poll(
        id=poll.id,
        question=poll.question,
        options=options,
        total_voter_count=sum(1 for choice in poll.votes.values() if choice),
        is_closed=poll.is_closed,
        is_anonymous=poll.is_anonymous,
        type=poll.type,
        allows_multiple_answers=poll.allows_multiple_answers,
        allows_revoting=True,
        members_only=False,
        correct_option_ids=poll.correct_option_ids,
        explanation=poll.explanation,
    )


def sender_obj(world: World, sender_id: int) -> telegram.User:
    return user_obj(world.bot if sender_id == world.bot.id else world.users[sender_id])


def message_obj(world: World, record: MessageRecord, *, nested: bool = True) -> telegram.Message:
    chat = world.chats[record.chat_id]
    reply = chat.messages.get(record.reply_to) if record.reply_to else None
    fields: dict[str, Any] = {
        "text": record.text,
        "entities": _entities(record.entities),
        "caption": record.caption,
        "caption_entities": _entities(record.caption_entities),
        "reply_markup": _markup(record.reply_markup),
        "edit_date": when(record.edit_date) if record.edit_date else None,
        "reply_to_message": message_obj(world, reply, nested=False) if reply and nested else None,
        "media_group_id": record.media_group_id,
    }
    if record.photo:
        fields["photo"] = [photo_obj(world.files[record.photo])]
    if record.document:
        fields["document"] = document_obj(world.files[record.document])
    if record.poll_id:
        fields["poll"] = poll_obj(world.polls[record.poll_id])
    fields.update(_service(world, record.service))
    return telegram.Message(
        message_id=record.message_id,
        date=when(record.date),
        chat=chat_obj(world, chat),
        from_user=sender_obj(world, record.sender_id),
        **fields,
    )


def _entities(raw: list[JSON]) -> list[telegram.MessageEntity] | None:
    return [telegram.MessageEntity.de_json(item, None) for item in raw] if raw else None


def _markup(raw: JSON | None) -> telegram.InlineKeyboardMarkup | None:
    # Telegram echoes only inline keyboards back in the message; reply keyboards live in the chat.
    if raw is None or "inline_keyboard" not in raw:
        return None
    return telegram.InlineKeyboardMarkup.de_json(raw, None)


def _service(world: World, service: JSON | None) -> dict[str, Any]:
    if not service:
        return {}
    if "new_chat_members" in service:
        return {"new_chat_members": [sender_obj(world, i) for i in service["new_chat_members"]]}
    if "left_chat_member" in service:
        return {"left_chat_member": sender_obj(world, service["left_chat_member"])}
    return {}


def member_obj(world: World, chat: ChatRecord, user_id: int) -> telegram.ChatMember:
    user = sender_obj(world, user_id)
    if chat.type == "private":
        return telegram.ChatMemberMember(user=user)
    is_bot = user_id == world.bot.id
    if user_id == chat.owner:
        return telegram.ChatMemberOwner(user=user, is_anonymous=False)
    if user_id in chat.admins or (is_bot and chat.bot_admin):
        return _administrator(user)
    if (is_bot and chat.bot_member) or user_id in chat.members:
        return telegram.ChatMemberMember(user=user)
    return telegram.ChatMemberLeft(user=user)


def _administrator(user: telegram.User) -> telegram.ChatMemberAdministrator:
    return telegram.ChatMemberAdministrator(
        user=user,
        can_be_edited=False,
        is_anonymous=False,
        can_manage_chat=True,
        can_delete_messages=True,
        can_manage_video_chats=True,
        can_restrict_members=True,
        can_promote_members=False,
        can_change_info=True,
        can_invite_users=True,
        can_post_stories=False,
        can_edit_stories=False,
        can_delete_stories=False,
        can_pin_messages=True,
    )


def membership_obj(
    world: World,
    chat: ChatRecord,
    actor_id: int,
    old: telegram.ChatMember,
    new: telegram.ChatMember,
) -> telegram.ChatMemberUpdated:
    return telegram.ChatMemberUpdated(
        chat=chat_obj(world, chat),
        from_user=sender_obj(world, actor_id),
        date=when(world.clock.now()),
        old_chat_member=old,
        new_chat_member=new,
    )
