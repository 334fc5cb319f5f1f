"""Sending, editing and answering through Telegram, with Telegram's failures taken in hand.

Rule: by the time anything is sent, the answer is committed. A failed send is logged and never
undoes it: Telegram errors stop here, except the ones a caller must know about (the person
blocked the bot: `Unreachable`).
"""

from __future__ import annotations

import logging
import re
from html import unescape

from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    MaybeInaccessibleMessage,
    Message,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, TelegramError

from bot.render import Reply

log = logging.getLogger(__name__)
TEXT_LIMIT = 4096


class UnreachableError(Exception):
    """The person blocked the bot, or never started it: nothing can be sent to them."""


def markup(reply: Reply) -> InlineKeyboardMarkup | None:
    if not reply.buttons:
        return None
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(b.text, callback_data=b.data, url=b.url) for b in row]
            for row in reply.buttons
        ]
    )


# The HTML this bot writes: a tag, an entity, a run of text; tags and entities stay whole.
_HTML_TOKEN = re.compile(r"<(/?)([a-zA-Z-]+)[^>]*>|&#?\w+;|[^<&]+|[<&]")


def fit(text: str, limit: int = TEXT_LIMIT) -> str:
    """`text` cut to Telegram's limit, as valid HTML: a cut summary beats no message at all.

    Telegram counts what the reader sees (tags excluded, an entity is one character) and
    refuses markup cut inside a tag or left unclosed: the cut falls between tokens, within a
    run of text, and every tag still open is closed after the ellipsis.
    """
    if len(text) <= limit:
        return text
    kept: list[tuple[str, str | None]] = []  # (token, tag it opens)
    room = limit - 1  # for the ellipsis
    for match in _HTML_TOKEN.finditer(text):
        token, closing, tag = match.group(0), match.group(1), match.group(2)
        if tag is not None:
            kept.append((token, None if closing else tag.lower()))
            continue
        is_entity = token.startswith("&") and len(token) > 1
        visible = 1 if is_entity else len(token)
        if visible > room:
            if not is_entity:
                kept.append((token[:room], None))
            break
        kept.append((token, None))
        room -= visible
    else:
        return text  # long only by its tags: it fits as it is
    while kept and kept[-1][1] is not None:
        kept.pop()  # a tag opened right at the cut would wrap nothing
    open_tags: list[str] = []
    for token, opens in kept:
        if opens is not None:
            open_tags.append(opens)
        elif token.startswith("</") and open_tags:
            open_tags.pop()
    closing_tags = "".join(f"</{tag}>" for tag in reversed(open_tags))
    return "".join(token for token, _ in kept) + "…" + closing_tags


_TAG = re.compile(r"<[^>]*>")


def shows(message: MaybeInaccessibleMessage, reply: Reply) -> bool:
    """Does `message`, as an update just brought it, already show `reply`'s text and buttons?

    Telegram refuses such an edit ("message is not modified"); only the caller holds the
    message as it is on screen, so the caller asks before editing. Text is compared as
    people read it: this bot never changes only the formatting of a message.
    """
    if not isinstance(message, Message) or message.text is None:
        return False
    text = unescape(_TAG.sub("", fit(reply.text)))
    return message.text == text.strip() and message.reply_markup == markup(reply)


async def send(bot: Bot, chat_id: int, reply: Reply) -> Message | None:
    """Send `reply`; None if it could not be sent (logged).

    Raises:
        UnreachableError: the chat blocked the bot or never started it.
    """
    try:
        return await bot.send_message(
            chat_id,
            fit(reply.text),
            parse_mode=ParseMode.HTML,
            reply_markup=markup(reply),
            disable_web_page_preview=True,
        )
    except Forbidden as error:
        raise UnreachableError(str(error)) from error
    except TelegramError:
        log.exception("could not send a message to chat %s", chat_id)
        return None


async def edit(bot: Bot, chat_id: int, message_id: int, reply: Reply) -> None:
    """Replace a message's text and buttons (an identical edit is not an error)."""
    try:
        await bot.edit_message_text(
            fit(reply.text),
            chat_id=chat_id,
            message_id=message_id,
            parse_mode=ParseMode.HTML,
            reply_markup=markup(reply),
            disable_web_page_preview=True,
        )
    except BadRequest as error:
        _unless_not_modified(error, chat_id, message_id)
    except TelegramError:
        log.exception("could not edit message %s in chat %s", message_id, chat_id)


async def edit_buttons(bot: Bot, chat_id: int, message_id: int, reply: Reply | None) -> None:
    """Replace only a message's buttons (None removes them)."""
    try:
        await bot.edit_message_reply_markup(
            chat_id=chat_id,
            message_id=message_id,
            reply_markup=markup(reply) if reply is not None else None,
        )
    except BadRequest as error:
        _unless_not_modified(error, chat_id, message_id)
    except TelegramError:
        log.exception("could not edit the buttons of message %s in chat %s", message_id, chat_id)


def _unless_not_modified(error: BadRequest, chat_id: int, message_id: int) -> None:
    if "not modified" in error.message:
        return
    log.warning("could not edit message %s in chat %s: %s", message_id, chat_id, error.message)
