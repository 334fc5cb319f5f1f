"""`SandboxClient`: plays users and groups against a running sandbox, and reads what happened.

Rule: every action goes through the control API and records, per chat, the sandbox version it
left behind, so the waits of `SandboxObserver` can look only at what came after it.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import Any

from sandbox.errors import ControlError
from sandbox.faults import FaultKind
from sandbox.observer import SandboxObserver
from sandbox.rules import FloodLimits, Window
from sandbox.views import ChatMessage, SandboxChat, SandboxUser, from_json


def _window(window: Window | None) -> list[float] | None:
    return None if window is None else [window.count, window.seconds]


class SandboxClient(SandboxObserver):
    """Async client of the control API; `async with SandboxClient(server.base_url) as c:`."""

    async def __aenter__(self) -> SandboxClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def _act(self, action: str, chat_id: int, body: Mapping[str, Any]) -> Any:
        result = await self._call(action, body)
        self._marks[chat_id] = int(result["version"])
        return result

    async def reset(self) -> None:
        """Back to an empty world with the starting settings (pending updates dropped)."""
        await self._call("reset")
        self._marks.clear()

    async def create_user(
        self,
        first_name: str = "Ana",
        *,
        user_id: int | None = None,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "fr",
        started: bool = False,
    ) -> SandboxUser:
        """A Telegram user; until `started` (or their first private message) the bot gets 403."""
        body = {
            "id": user_id,
            "first_name": first_name,
            "last_name": last_name,
            "username": username,
            "language_code": language_code,
            "started": started,
        }
        return from_json(SandboxUser, await self._call("create_user", body))

    async def create_group(
        self,
        title: str,
        *,
        members: Sequence[int] = (),
        admins: Sequence[int] = (),
        chat_id: int | None = None,
        supergroup: bool = False,
        bot_admin: bool = False,
        bot_member: bool = True,
    ) -> SandboxChat:
        """A group with the bot in it; the first admin is the owner."""
        body = {
            "title": title,
            "members": list(members),
            "admins": list(admins),
            "id": chat_id,
            "type": "supergroup" if supergroup else "group",
            "bot_admin": bot_admin,
            "bot_member": bot_member,
        }
        return from_json(SandboxChat, await self._call("create_group", body))

    async def chat(self, chat_id: int) -> SandboxChat:
        return from_json(SandboxChat, await self._call("chat", {"chat_id": chat_id}))

    async def send_text(
        self, user_id: int, text: str, *, chat_id: int | None = None, reply_to: int | None = None
    ) -> ChatMessage:
        """The user writes `text` (commands and @mentions get their entities)."""
        chat = user_id if chat_id is None else chat_id
        body = {"user_id": user_id, "chat_id": chat_id, "text": text, "reply_to": reply_to}
        result = await self._act("send_text", chat, body)
        return from_json(ChatMessage, result["message"])

    async def edit_text(
        self, user_id: int, message: ChatMessage, text: str, *, chat_id: int | None = None
    ) -> ChatMessage:
        """The user edits a text message they sent."""
        chat = user_id if chat_id is None else chat_id
        body = {"user_id": user_id, "chat_id": chat_id, "message_id": message.message_id}
        result = await self._act("edit_text", chat, {**body, "text": text})
        return from_json(ChatMessage, result["message"])

    async def send_command(
        self,
        user_id: int,
        command: str,
        *args: str,
        chat_id: int | None = None,
        bot_username: str | None = None,
    ) -> ChatMessage:
        """`/command args…`, addressed as `/command@bot_username` when given."""
        head = f"/{command.lstrip('/')}" + (f"@{bot_username}" if bot_username else "")
        return await self.send_text(user_id, " ".join((head, *args)), chat_id=chat_id)

    async def send_document(
        self,
        user_id: int,
        data: bytes,
        *,
        filename: str,
        mime_type: str = "application/octet-stream",
        caption: str | None = None,
        chat_id: int | None = None,
    ) -> ChatMessage:
        return await self._send_file(
            "send_document", user_id, data, chat_id, filename, mime_type, caption
        )

    async def send_photo(
        self, user_id: int, data: bytes, *, caption: str | None = None, chat_id: int | None = None
    ) -> ChatMessage:
        """A PNG, JPEG or GIF image from the user."""
        return await self._send_file("send_photo", user_id, data, chat_id, None, None, caption)

    async def _send_file(
        self,
        action: str,
        user_id: int,
        data: bytes,
        chat_id: int | None,
        filename: str | None,
        mime_type: str | None,
        caption: str | None,
    ) -> ChatMessage:
        body = {
            "user_id": user_id,
            "chat_id": chat_id,
            "data": base64.b64encode(data).decode(),
            "filename": filename,
            "mime_type": mime_type,
            "caption": caption,
        }
        result = await self._act(action, user_id if chat_id is None else chat_id, body)
        return from_json(ChatMessage, result["message"])

    async def press_button(
        self,
        user_id: int,
        message: ChatMessage | int,
        *,
        text: str | None = None,
        data: str | None = None,
        chat_id: int | None = None,
        forged: str | None = None,
    ) -> str:
        """Tap an inline button found by its `text` or `data`; return the callback query id.

        `forged`: the tap carries this callback data instead, as a modified client can send.
        """
        if isinstance(message, ChatMessage):
            chat_id, message = message.chat_id, message.message_id
        body = {
            "user_id": user_id,
            "chat_id": None if chat_id == user_id else chat_id,
            "message_id": message,
            "text": text,
            "data": data,
            "forged": forged,
        }
        result = await self._act("press_button", user_id if chat_id is None else chat_id, body)
        return str(result["callback_query_id"])

    async def follow_link(self, user_id: int, message: ChatMessage, text: str) -> ChatMessage:
        """Tap the url button `text` deep-linking to the bot (`https://t.me/<bot>?start=<p>`):
        the user's app sends `/start <p>` in their private chat, which this returns."""
        body = {
            "user_id": user_id,
            "chat_id": None if message.chat_id == user_id else message.chat_id,
            "message_id": message.message_id,
            "text": text,
        }
        result = await self._act("follow_link", user_id, body)
        return from_json(ChatMessage, result["message"])

    async def answer_poll(
        self, user_id: int, poll: ChatMessage | str, option_ids: Sequence[int]
    ) -> None:
        """Vote (an empty `option_ids` retracts the vote)."""
        if isinstance(poll, ChatMessage):
            if poll.poll is None:
                raise ControlError(f"message {poll.message_id} holds no poll")
            poll = poll.poll.id
        body = {"user_id": user_id, "poll_id": poll, "option_ids": list(option_ids)}
        await self._call("answer_poll", body)

    async def join_group(self, user_id: int, chat_id: int) -> ChatMessage:
        result = await self._act("join_group", chat_id, {"user_id": user_id, "chat_id": chat_id})
        return from_json(ChatMessage, result["message"])

    async def leave_group(self, user_id: int, chat_id: int) -> ChatMessage:
        result = await self._act("leave_group", chat_id, {"user_id": user_id, "chat_id": chat_id})
        return from_json(ChatMessage, result["message"])

    async def block_bot(self, user_id: int) -> None:
        """From now on the bot gets 403 "bot was blocked by the user" writing to them."""
        await self._act("block_bot", user_id, {"user_id": user_id})

    async def unblock_bot(self, user_id: int) -> None:
        await self._act("unblock_bot", user_id, {"user_id": user_id})

    async def inject_fault(
        self,
        kind: FaultKind,
        *,
        count: int = 1,
        methods: Sequence[str] | None = None,
        status: int = 502,
        hang_seconds: float = 1.0,
        retry_after: int = 1,
        applied: bool = False,
    ) -> None:
        """Make the next `count` matching calls fail; see `sandbox.faults.Fault`."""
        body = {
            "kind": kind,
            "count": count,
            "methods": list(methods) if methods else None,
            "status": status,
            "hang_seconds": hang_seconds,
            "retry_after": retry_after,
            "applied": applied,
        }
        await self._call("fault", body)

    async def clear_faults(self) -> None:
        await self._call("clear_faults")

    async def set_privacy_mode(self, enabled: bool) -> None:
        await self._call("settings", {"privacy_mode": enabled})

    async def set_flood_limits(self, limits: FloodLimits) -> None:
        """Replace the flood limits (windows start empty); `FloodLimits()` turns them off."""
        flood = {
            "per_chat": _window(limits.per_chat),
            "per_group": _window(limits.per_group),
            "per_bot": _window(limits.per_bot),
        }
        await self._call("settings", {"flood": flood})

    async def advance_clock(self, seconds: float) -> None:
        """Move the sandbox's clock (message dates, flood windows), not the bot's."""
        await self._call("advance_clock", {"seconds": seconds})
