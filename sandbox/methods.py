"""Bot API methods on text messages: send, edit, delete, and answering callback queries.

Rule: checks run in Telegram's order that matters to a bot (chat, then permission, then
content, then flood). Edits count in the flood windows as sends do; an edit is admitted there
before it is compared with the current content, so "message is not modified" (the error a
button handler meets when a user taps twice) is a request that counted (see `rules.py`).
"""

from __future__ import annotations

from typing import Any

from sandbox.context import Context, bot_method
from sandbox.errors import bad_request
from sandbox.markup import formatted
from sandbox.params import Params
from sandbox.rules import MAX_CALLBACK_ANSWER, check_caption, check_markup, check_text
from sandbox.state import ChatRecord, MessageRecord

_NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)
# Telegram refuses to delete messages older than 48 hours for everyone.
_DELETE_WINDOW = 48 * 3600


def reply_target(ctx: Context, chat: ChatRecord, params: Params) -> int | None:
    """The message this one replies to, from `reply_parameters` or the older field."""
    reply = params.json("reply_parameters")
    allow_missing = False
    if isinstance(reply, dict):
        target = reply.get("message_id")
        allow_missing = bool(reply.get("allow_sending_without_reply"))
    else:
        target = params.integer("reply_to_message_id")
        allow_missing = params.flag("allow_sending_without_reply")
    if target is None:
        return None
    if ctx.world.message(chat, int(target)) is None:
        if allow_missing:
            return None
        raise bad_request("message to be replied not found")
    return int(target)


def text_of(params: Params, field: str, entities_field: str) -> tuple[str, list[Any]]:
    source = params.text(field) or ""
    return formatted(source, params.text("parse_mode"), params.json(entities_field))


@bot_method("sendMessage")
def send_message(ctx: Context, params: Params) -> dict[str, Any]:
    chat = ctx.writable_chat(params)
    text, entities = text_of(params, "text", "entities")
    check_text(text)
    markup = check_markup(params.json("reply_markup"))
    reply = reply_target(ctx, chat, params)
    ctx.admit(chat)
    record = ctx.world.add_message(
        chat, ctx.world.bot.id, text=text, entities=entities, reply_markup=markup, reply_to=reply
    )
    return ctx.message_json(record)


def editable(ctx: Context, params: Params) -> tuple[ChatRecord, MessageRecord]:
    """The bot's own message an edit method names."""
    if params.has("inline_message_id"):
        raise bad_request("inline messages are not emulated")
    chat = ctx.chat_param(params)
    record = ctx.world.message(chat, params.integer("message_id") or 0)
    if record is None:
        raise bad_request("message to edit not found")
    if record.sender_id != ctx.world.bot.id:
        raise bad_request("message can't be edited")
    return chat, record


def inline(markup: dict[str, Any] | None) -> dict[str, Any] | None:
    return markup if markup and "inline_keyboard" in markup else None


def commit_edit(ctx: Context, record: MessageRecord, **fields: Any) -> dict[str, Any]:
    """Apply a bot's edit, log it in the history and return the edited message."""
    for name, value in fields.items():
        setattr(record, name, value)
    record.edit_date = ctx.clock.now()
    record.edit_version = ctx.changes.bump()
    ctx.world.record(record, "edited")
    return ctx.message_json(record)


def refuse_unchanged(new: Any, current: Any) -> None:
    """Telegram's 400 for an edit that would change nothing.

    Raises:
        ApiError: 400 "message is not modified: …".
    """
    if new == current:
        raise bad_request(_NOT_MODIFIED)


@bot_method("editMessageText")
def edit_message_text(ctx: Context, params: Params) -> dict[str, Any]:
    chat, record = editable(ctx, params)
    if record.text is None:
        raise bad_request("there is no text in the message to edit")
    text, entities = text_of(params, "text", "entities")
    check_text(text)
    # Leaving reply_markup out of an edit removes the inline keyboard, as on Telegram.
    markup = check_markup(params.json("reply_markup"), inline_only=True)
    ctx.admit(chat)
    current = (record.text, record.entities, inline(record.reply_markup))
    refuse_unchanged((text, entities, markup), current)
    return commit_edit(ctx, record, text=text, entities=entities, reply_markup=markup)


@bot_method("editMessageCaption")
def edit_message_caption(ctx: Context, params: Params) -> dict[str, Any]:
    chat, record = editable(ctx, params)
    if record.photo is None and record.document is None:
        raise bad_request("there is no caption in the message to edit")
    caption, entities = text_of(params, "caption", "caption_entities")
    check_caption(caption)
    markup = check_markup(params.json("reply_markup"), inline_only=True)
    ctx.admit(chat)
    current = (record.caption or "", record.caption_entities, inline(record.reply_markup))
    refuse_unchanged((caption, entities, markup), current)
    return commit_edit(
        ctx, record, caption=caption or None, caption_entities=entities, reply_markup=markup
    )


@bot_method("editMessageReplyMarkup")
def edit_message_reply_markup(ctx: Context, params: Params) -> dict[str, Any]:
    chat, record = editable(ctx, params)
    markup = check_markup(params.json("reply_markup"), inline_only=True)
    ctx.admit(chat)
    refuse_unchanged(markup, inline(record.reply_markup))
    return commit_edit(ctx, record, reply_markup=markup)


@bot_method("deleteMessage")
def delete_message(ctx: Context, params: Params) -> bool:
    chat = ctx.chat_param(params)
    record = ctx.world.message(chat, params.required_integer("message_id"))
    if record is None:
        raise bad_request("message to delete not found")
    is_own = record.sender_id == ctx.world.bot.id
    if chat.is_group and not is_own and not chat.bot_admin:
        raise bad_request("message can't be deleted")
    if ctx.clock.now() - record.date > _DELETE_WINDOW:
        raise bad_request("message can't be deleted for everyone")
    record.deleted = True
    ctx.world.record(record, "deleted")
    ctx.changes.bump()
    return True


@bot_method("answerCallbackQuery")
def answer_callback_query(ctx: Context, params: Params) -> bool:
    query = ctx.world.callbacks.get(params.text("callback_query_id") or "")
    if query is None or query.answered:
        raise bad_request("query is too old and response timeout expired or query ID is invalid")
    text = params.text("text")
    if text is not None and len(text) > MAX_CALLBACK_ANSWER:
        raise bad_request("MESSAGE_TOO_LONG")
    query.answered = True
    query.text = text
    query.show_alert = params.flag("show_alert")
    query.url = params.text("url")
    ctx.changes.bump()
    return True
