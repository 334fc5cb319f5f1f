"""Telegram's rules that production enforces and a test should trip over first.

Rule: each check raises the `ApiError` Telegram answers with (same status, same description),
so the bot under test meets the PTB exception it would meet in production. The flood windows
are approximations of Telegram's unpublished limits and are configurable; tests that are not
about them leave them off.

What the flood windows count: every message the bot posts or changes, because edits share the
sending limits (about 20 per minute in a group, tdlib/td #2592). That is sendMessage,
sendPhoto, sendDocument, sendPoll, each item of a sendMediaGroup album, editMessageText,
editMessageCaption, editMessageReplyMarkup, editMessageMedia and stopPoll. An edit refused as
"message is not modified" still counts: Telegram limits requests, and a bot that skips its
identical edits (as it must) never pays for them. answerCallbackQuery, sendChatAction,
deleteMessage, pins and reads are not counted (answerCallbackQuery is not limited:
tdlib/telegram-bot-api #648). A request refused before the flood check (bad text, unknown
message) and a request answered 429 count nothing.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import telegram

from sandbox.errors import bad_request, forbidden, too_many_requests
from sandbox.state import ChatRecord, MessageRecord, World

MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_DATA = 64
MAX_BUTTONS = 100
MAX_CALLBACK_ANSWER = 200
_ACTION_FIELDS = (
    "callback_data",
    "url",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)


def check_text(text: str) -> None:
    if not text.strip():
        raise bad_request("message text is empty")
    if len(text) > MAX_TEXT:
        raise bad_request("message is too long")


def check_caption(caption: str | None) -> None:
    if caption is not None and len(caption) > MAX_CAPTION:
        raise bad_request("message caption is too long")


def check_markup(raw: Any, *, inline_only: bool = False) -> dict[str, Any] | None:
    """Validate a `reply_markup` and return it as PTB normalises it."""
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in raw:
        return _check_inline(raw)
    if inline_only:
        raise bad_request("inline keyboard expected")
    try:
        if "keyboard" in raw:
            if _count(raw["keyboard"]) > MAX_BUTTONS * 3:
                raise bad_request("reply markup is too long")
            return telegram.ReplyKeyboardMarkup.de_json(raw, None).to_dict()
        if "remove_keyboard" in raw:
            return telegram.ReplyKeyboardRemove.de_json(raw, None).to_dict()
        if "force_reply" in raw:
            return telegram.ForceReply.de_json(raw, None).to_dict()
    except (TypeError, KeyError, ValueError) as exc:
        raise bad_request(f"can't parse reply keyboard markup: {exc}") from exc
    raise bad_request("can't parse reply keyboard markup JSON object")


def _count(rows: Any) -> int:
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request('field "keyboard" must be an Array of Array')
    return sum(len(row) for row in rows)


def _check_inline(raw: dict[str, Any]) -> dict[str, Any]:
    rows = raw["inline_keyboard"]
    if _count(rows) > MAX_BUTTONS:
        raise bad_request("reply markup is too long")
    for row in rows:
        for button in row:
            _check_button(button)
    return telegram.InlineKeyboardMarkup.de_json(raw, None).to_dict()


def _check_button(button: Any) -> None:
    if not isinstance(button, dict) or not isinstance(button.get("text"), str):
        raise bad_request("can't parse inline keyboard button: Text must be a String")
    if not button["text"]:
        raise bad_request("BUTTON_TEXT_EMPTY")
    actions = [name for name in _ACTION_FIELDS if name in button]
    if len(actions) != 1:
        raise bad_request(
            "can't parse inline keyboard button: Exactly one of the optional fields must be used"
        )
    data = button.get("callback_data")
    if data is not None and not 1 <= len(str(data).encode()) <= MAX_CALLBACK_DATA:
        raise bad_request("BUTTON_DATA_INVALID")


def check_can_write(world: World, chat: ChatRecord) -> None:
    """Refuse as Telegram does when the bot may not write to `chat`."""
    if chat.type == "private":
        user = world.users[chat.id]
        if user.blocked:
            raise forbidden("bot was blocked by the user")
        if not user.started:
            raise forbidden("bot can't initiate conversation with a user")
    elif not chat.bot_member:
        raise forbidden(f"bot is not a member of the {chat.type} chat")


def is_seen_by_bot(
    world: World, chat: ChatRecord, message: MessageRecord, *, privacy: bool
) -> bool:
    """Whether a user's message in `chat` reaches the bot (privacy mode for groups)."""
    if chat.type == "private":
        return True
    if not chat.bot_member:
        return False
    if not privacy or chat.bot_admin or message.service:
        return True
    replied = chat.messages.get(message.reply_to) if message.reply_to else None
    if replied is not None and replied.sender_id == world.bot.id:
        return True
    text = message.text or message.caption or ""
    mention = f"@{world.bot.username}".lower()
    for entity in message.entities or message.caption_entities:
        piece = _utf16_slice(text, entity["offset"], entity["length"]).lower()
        if entity["type"] == "mention" and piece == mention:
            return True
        if entity["type"] == "bot_command" and entity["offset"] == 0:
            target = piece.partition("@")[2]
            if not target or f"@{target}" == mention:
                return True
    return False


def _utf16_slice(text: str, offset: int, length: int) -> str:
    units = text.encode("utf-16-le")
    return units[offset * 2 : (offset + length) * 2].decode("utf-16-le")


@dataclass(frozen=True, slots=True)
class Window:
    """At most `count` messages within any `seconds`."""

    count: int
    seconds: float


@dataclass(frozen=True, slots=True)
class FloodLimits:
    """Sending limits; None switches one off."""

    per_chat: Window | None = None
    per_group: Window | None = None
    per_bot: Window | None = None

    @classmethod
    def telegram(cls) -> FloodLimits:
        """Telegram's documented figures: about 1 message/s per chat (short bursts pass),
        20 per minute per group, 30 per second overall."""
        return cls(per_chat=Window(3, 3.0), per_group=Window(20, 60.0), per_bot=Window(30, 1.0))


@dataclass(slots=True)
class FloodGate:
    """Sliding windows of recent messages, answering 429 with `retry_after` when one is full."""

    limits: FloodLimits = field(default_factory=FloodLimits)
    _sent: dict[object, deque[float]] = field(default_factory=dict)

    def admit(self, chat: ChatRecord, now: float, *, count: int = 1) -> None:
        """Count `count` messages to `chat` (an album's items), or refuse them all.

        An album larger than a window passes only when that window is empty, so a private
        chat's 1-per-second window still lets a 10-photo album through, then holds the chat.

        Raises:
            ApiError: 429 "Too Many Requests: retry after N".
        """
        per_chat = self.limits.per_group if chat.is_group else self.limits.per_chat
        windows = [(("chat", chat.id), per_chat), ("bot", self.limits.per_bot)]
        live = [(key, window) for key, window in windows if window is not None]
        wait = max((self._wait(key, window, now, count) for key, window in live), default=0.0)
        if wait > 0:
            raise too_many_requests(max(1, math.ceil(wait)))
        for key, _ in live:
            self._sent.setdefault(key, deque()).extend([now] * count)

    def _wait(self, key: object, window: Window, now: float, count: int) -> float:
        """Seconds until `count` more messages fit in the window (0 when they fit now)."""
        sent = self._sent.setdefault(key, deque())
        while sent and sent[0] <= now - window.seconds:
            sent.popleft()
        overflow = len(sent) + min(count, window.count) - window.count
        if overflow <= 0:
            return 0.0
        return sent[overflow - 1] + window.seconds - now
