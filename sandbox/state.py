"""The sandbox's world: users, chats, messages, files, polls, callback queries, the call log.

Rule: plain records and the lookups that refuse like Telegram (unknown chat, unknown message).
Messages change in place (a chat shows them as they stand); `World.history` keeps, in order,
every send, edit and deletion with its time and content, which the current state forgets.
No HTTP here and no PTB objects: those are built from these records in `objects.py`, so the
world can be inspected by the control API without going through the Bot API's shapes.
"""

from __future__ import annotations

import asyncio
import itertools
import secrets
import time
from dataclasses import dataclass, field
from typing import Any, Literal

from sandbox.errors import ControlError, bad_request

ChatType = Literal["private", "group", "supergroup"]


class Clock:
    """Wall time for message dates and monotonic time for limits, both shiftable by tests."""

    def __init__(self) -> None:
        self.offset = 0.0

    def now(self) -> int:
        """Unix time in seconds, as Telegram dates are."""
        return int(time.time() + self.offset)

    def monotonic(self) -> float:
        return time.monotonic() + self.offset


class Changes:
    """A version number bumped on every change, which waiters can sleep on."""

    def __init__(self) -> None:
        self.version = 0
        self.last_change = time.monotonic()
        self._event = asyncio.Event()

    def bump(self) -> int:
        self.version += 1
        self.last_change = time.monotonic()
        self._event.set()
        self._event = asyncio.Event()
        return self.version

    async def wait(self, since: int, seconds: float) -> int:
        """Return the version once it exceeds `since`, or the current one after `seconds`."""
        if self.version > since or seconds <= 0:
            return self.version
        event = self._event
        try:
            async with asyncio.timeout(seconds):
                await event.wait()
        except TimeoutError:
            pass
        return self.version


@dataclass(slots=True)
class UserRecord:
    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None
    is_bot: bool = False
    started: bool = False
    blocked: bool = False


@dataclass(slots=True)
class MessageRecord:
    chat_id: int
    message_id: int
    sender_id: int
    date: int
    version: int
    text: str | None = None
    entities: list[dict[str, Any]] = field(default_factory=list)
    caption: str | None = None
    caption_entities: list[dict[str, Any]] = field(default_factory=list)
    reply_markup: dict[str, Any] | None = None
    photo: str | None = None
    document: str | None = None
    poll_id: str | None = None
    media_group_id: str | None = None
    reply_to: int | None = None
    edit_date: int | None = None
    edit_version: int | None = None
    deleted: bool = False
    service: dict[str, Any] | None = None


@dataclass(slots=True)
class ChatRecord:
    id: int
    type: ChatType
    title: str | None = None
    members: list[int] = field(default_factory=list)
    admins: list[int] = field(default_factory=list)
    bot_member: bool = True
    bot_admin: bool = False
    pinned: int | None = None
    last_action: str | None = None
    messages: dict[int, MessageRecord] = field(default_factory=dict)
    chat_instance: str = field(default_factory=lambda: str(secrets.randbits(62)))

    @property
    def is_group(self) -> bool:
        return self.type != "private"

    @property
    def owner(self) -> int | None:
        return self.admins[0] if self.admins else None


@dataclass(slots=True)
class FileRecord:
    file_id: str
    unique_id: str
    path: str
    data: bytes
    mime_type: str
    file_name: str | None
    width: int = 0
    height: int = 0


@dataclass(slots=True)
class PollRecord:
    id: str
    chat_id: int
    message_id: int
    question: str
    options: list[str]
    is_anonymous: bool
    type: str
    allows_multiple_answers: bool
    correct_option_ids: list[int] | None = None
    explanation: str | None = None
    is_closed: bool = False
    votes: dict[int, tuple[int, ...]] = field(default_factory=dict)


@dataclass(slots=True)
class CallbackRecord:
    id: str
    user_id: int
    chat_id: int
    message_id: int
    data: str
    answered: bool = False
    text: str | None = None
    show_alert: bool = False
    url: str | None = None


HistoryKind = Literal["sent", "edited", "deleted"]


@dataclass(frozen=True, slots=True)
class HistoryRecord:
    """A message posted, changed or deleted, with what it showed right after.

    `at` is the sandbox's monotonic clock (the flood windows' clock: `time.monotonic()` plus
    any `advance_clock`), `date` its Unix time in seconds.
    """

    seq: int
    chat_id: int
    message_id: int
    kind: HistoryKind
    sender_id: int
    at: float
    date: int
    text: str
    reply_markup: dict[str, Any] | None


@dataclass(slots=True)
class CallRecord:
    seq: int
    method: str
    params: dict[str, Any]
    started: float
    status: int | None = None
    description: str | None = None
    duration: float | None = None


class World:
    """Everything the sandbox remembers between two resets."""

    def __init__(self, bot: UserRecord, changes: Changes, clock: Clock) -> None:
        self.bot = bot
        self.changes = changes
        self.clock = clock
        self.users: dict[int, UserRecord] = {}
        self.chats: dict[int, ChatRecord] = {}
        self.files: dict[str, FileRecord] = {}
        self.polls: dict[str, PollRecord] = {}
        self.callbacks: dict[str, CallbackRecord] = {}
        self.commands: dict[str, list[dict[str, str]]] = {}
        self.calls: list[CallRecord] = []
        self.history: list[HistoryRecord] = []
        self._ids = itertools.count(1)
        self._user_ids = itertools.count(1_000_001)
        self._group_ids = itertools.count(1)

    def next_id(self) -> int:
        """A fresh number for file, poll and callback identifiers."""
        return next(self._ids)

    def new_user_id(self) -> int:
        return next(n for n in self._user_ids if n not in self.users)

    def new_group_id(self, chat_type: ChatType) -> int:
        base = -1_001_000_000_000 if chat_type == "supergroup" else -4_000_000_000
        return next(base - n for n in self._group_ids if base - n not in self.chats)

    def user(self, user_id: int) -> UserRecord:
        """The user, or a control error when the test names an unknown one."""
        try:
            return self.users[user_id]
        except KeyError:
            raise ControlError(f"no user {user_id}", status=404) from None

    def chat(self, chat_id: int) -> ChatRecord:
        """The chat as the bot addresses it.

        Raises:
            ApiError: 400 "chat not found", as Telegram answers.
        """
        chat = self.chats.get(chat_id)
        if chat is not None:
            return chat
        if chat_id in self.users:
            return self.private_chat(chat_id)
        raise bad_request("chat not found")

    def private_chat(self, user_id: int) -> ChatRecord:
        chat = self.chats.get(user_id)
        if chat is None:
            chat = ChatRecord(id=user_id, type="private")
            self.chats[user_id] = chat
        return chat

    def message(self, chat: ChatRecord, message_id: int) -> MessageRecord | None:
        """The message if it exists and was not deleted."""
        message = chat.messages.get(message_id)
        return None if message is None or message.deleted else message

    def add_message(self, chat: ChatRecord, sender_id: int, **fields: Any) -> MessageRecord:
        message_id = max(chat.messages, default=0) + 1
        record = MessageRecord(
            chat_id=chat.id,
            message_id=message_id,
            sender_id=sender_id,
            date=self.clock.now(),
            version=self.changes.version + 1,
            **fields,
        )
        chat.messages[message_id] = record
        self.record(record, "sent")
        self.changes.bump()
        return record

    def record(self, message: MessageRecord, kind: HistoryKind) -> None:
        """Log what `message` shows now; every send, edit and deletion goes through here."""
        self.history.append(
            HistoryRecord(
                seq=len(self.history) + 1,
                chat_id=message.chat_id,
                message_id=message.message_id,
                kind=kind,
                sender_id=message.sender_id,
                at=self.clock.monotonic(),
                date=self.clock.now(),
                text=message.text or message.caption or "",
                reply_markup=message.reply_markup,
            )
        )

    def store_file(
        self,
        data: bytes,
        *,
        folder: str,
        file_name: str | None,
        mime_type: str,
        suffix: str | None = None,
    ) -> FileRecord:
        number = self.next_id()
        if suffix is None:
            suffix = file_name.rsplit(".", 1)[-1] if file_name and "." in file_name else "bin"
        record = FileRecord(
            file_id=f"SBX{number:06d}{secrets.token_hex(8)}",
            unique_id=f"U{number:06d}",
            path=f"{folder}/file_{number}.{suffix}",
            data=data,
            mime_type=mime_type,
            file_name=file_name,
        )
        self.files[record.file_id] = record
        return record

    def file_by_path(self, path: str) -> FileRecord | None:
        return next((f for f in self.files.values() if f.path == path), None)
