"""What a test sees of the sandbox: chats, messages, calls and answers as frozen values.

Rule: the control API sends these as JSON and the client rebuilds the same classes, so the
server and the client cannot disagree on a field. They describe what a person would see in
the chat (current text after edits, buttons, files), not the Bot API's shapes. A
`ChatMessage` is a message as it stands now; a `MessageEvent` is one step of its history (sent,
edited, deleted) with its time and what it showed, for checks on rates and repeats.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from sandbox.state import (
    CallbackRecord,
    CallRecord,
    ChatRecord,
    FileRecord,
    HistoryKind,
    HistoryRecord,
    MessageRecord,
    UserRecord,
    World,
)


@dataclass(frozen=True, slots=True)
class Button:
    text: str
    callback_data: str | None = None
    url: str | None = None


@dataclass(frozen=True, slots=True)
class FileRef:
    """A file in a chat; `SandboxClient.download(ref)` returns its bytes."""

    file_id: str
    file_name: str | None
    mime_type: str
    size: int
    width: int = 0
    height: int = 0


@dataclass(frozen=True, slots=True)
class PollView:
    id: str
    question: str
    options: tuple[str, ...]
    counts: tuple[int, ...]
    is_closed: bool
    is_anonymous: bool


@dataclass(frozen=True, slots=True)
class ChatMessage:
    """One message of a chat as it stands now."""

    message_id: int
    chat_id: int
    sender_id: int
    from_bot: bool
    date: int
    text: str | None
    caption: str | None
    keyboard: Literal["inline", "reply"] | None
    buttons: tuple[tuple[Button, ...], ...]
    photo: FileRef | None
    document: FileRef | None
    poll: PollView | None
    media_group_id: str | None
    reply_to: int | None
    edited: bool
    deleted: bool
    service: str | None
    version: int
    edit_version: int | None

    @property
    def content(self) -> str:
        """The text, or the caption of a photo or document."""
        return self.text or self.caption or ""

    @property
    def button_texts(self) -> list[str]:
        return [button.text for row in self.buttons for button in row]

    def button(self, text: str) -> Button:
        for row in self.buttons:
            for button in row:
                if button.text == text:
                    return button
        raise KeyError(f"no button {text!r} in message {self.message_id}: {self.button_texts}")


@dataclass(frozen=True, slots=True)
class MessageEvent:
    """A message sent, edited or deleted, and what it showed right after.

    `at`: the sandbox's monotonic clock in seconds (`time.monotonic()` of the sandbox's
    process plus any `advance_clock`; the flood windows' clock). `date`: Unix seconds.
    `text`: the text, or the caption of a photo or document ("" for neither).
    """

    seq: int
    chat_id: int
    message_id: int
    kind: HistoryKind
    sender_id: int
    from_bot: bool
    at: float
    date: int
    text: str
    buttons: tuple[tuple[Button, ...], ...]

    @property
    def button_texts(self) -> list[str]:
        return [button.text for row in self.buttons for button in row]


def busiest(events: Sequence[MessageEvent], seconds: float) -> int:
    """The most events within any `seconds` (e.g. a group's messages and edits per minute)."""
    times = sorted(event.at for event in events)
    most, start = 0, 0
    for end, moment in enumerate(times):
        while moment - times[start] >= seconds:
            start += 1
        most = max(most, end - start + 1)
    return most


@dataclass(frozen=True, slots=True)
class ApiCall:
    """One Bot API call the bot made, with its outcome (`status` None while running)."""

    seq: int
    method: str
    params: Mapping[str, Any]
    status: int | None
    description: str | None
    duration: float | None

    @property
    def ok(self) -> bool:
        return self.status == 200


@dataclass(frozen=True, slots=True)
class CallbackAnswer:
    """A button press and what the bot answered (the toast text, whether an alert)."""

    query_id: str
    user_id: int
    chat_id: int
    message_id: int
    data: str
    answered: bool
    text: str | None
    show_alert: bool
    url: str | None


@dataclass(frozen=True, slots=True)
class SandboxUser:
    id: int
    first_name: str
    username: str | None
    language_code: str | None
    started: bool
    blocked: bool


@dataclass(frozen=True, slots=True)
class SandboxChat:
    id: int
    type: str
    title: str | None
    members: tuple[int, ...]
    admins: tuple[int, ...]
    bot_admin: bool
    pinned: int | None
    last_action: str | None


T = TypeVar("T")


def to_json(value: Any) -> Any:
    return dataclasses.asdict(value)


def from_json(cls: type[T], data: Mapping[str, Any]) -> T:
    """Rebuild a view from its JSON, nested views and tuples included."""
    values = dict(data)
    if cls is ChatMessage:
        values["buttons"] = tuple(tuple(Button(**b) for b in row) for row in data["buttons"])
        for name in ("photo", "document"):
            values[name] = FileRef(**data[name]) if data[name] else None
        if data["poll"]:
            poll = dict(data["poll"])
            poll["options"], poll["counts"] = tuple(poll["options"]), tuple(poll["counts"])
            values["poll"] = PollView(**poll)
    if cls is MessageEvent:
        values["buttons"] = tuple(tuple(Button(**b) for b in row) for row in data["buttons"])
    if cls is SandboxChat:
        values["members"], values["admins"] = tuple(data["members"]), tuple(data["admins"])
    return cls(**values)


def user_view(user: UserRecord) -> SandboxUser:
    return SandboxUser(
        user.id, user.first_name, user.username, user.language_code, user.started, user.blocked
    )


def chat_view(chat: ChatRecord) -> SandboxChat:
    return SandboxChat(
        chat.id,
        chat.type,
        chat.title,
        tuple(chat.members),
        tuple(chat.admins),
        chat.bot_admin,
        chat.pinned,
        chat.last_action,
    )


def file_view(record: FileRecord) -> FileRef:
    return FileRef(
        record.file_id,
        record.file_name,
        record.mime_type,
        len(record.data),
        record.width,
        record.height,
    )


def _buttons(markup: Mapping[str, Any] | None) -> tuple[tuple[Button, ...], ...]:
    rows = (markup or {}).get("inline_keyboard") or (markup or {}).get("keyboard") or []
    return tuple(
        tuple(
            Button(b["text"], b.get("callback_data"), b.get("url"))
            if isinstance(b, dict)
            else Button(str(b))
            for b in row
        )
        for row in rows
    )


def message_view(world: World, record: MessageRecord) -> ChatMessage:
    markup = record.reply_markup or {}
    keyboard: Literal["inline", "reply"] | None = (
        "inline" if "inline_keyboard" in markup else "reply" if "keyboard" in markup else None
    )
    poll = world.polls.get(record.poll_id) if record.poll_id else None
    counts = [0] * len(poll.options) if poll else []
    for choice in poll.votes.values() if poll else ():
        for option in choice:
            counts[option] += 1
    return ChatMessage(
        message_id=record.message_id,
        chat_id=record.chat_id,
        sender_id=record.sender_id,
        from_bot=record.sender_id == world.bot.id,
        date=record.date,
        text=record.text,
        caption=record.caption,
        keyboard=keyboard,
        buttons=_buttons(markup),
        photo=file_view(world.files[record.photo]) if record.photo else None,
        document=file_view(world.files[record.document]) if record.document else None,
        poll=PollView(
            poll.id,
            poll.question,
            tuple(poll.options),
            tuple(counts),
            poll.is_closed,
            poll.is_anonymous,
        )
        if poll
        else None,
        media_group_id=record.media_group_id,
        reply_to=record.reply_to,
        edited=record.edit_date is not None,
        deleted=record.deleted,
        service=next(iter(record.service), None) if record.service else None,
        version=record.version,
        edit_version=record.edit_version,
    )


def call_view(call: CallRecord) -> ApiCall:
    return ApiCall(call.seq, call.method, call.params, call.status, call.description, call.duration)


def callback_view(query: CallbackRecord) -> CallbackAnswer:
    return CallbackAnswer(
        query.id,
        query.user_id,
        query.chat_id,
        query.message_id,
        query.data,
        query.answered,
        query.text,
        query.show_alert,
        query.url,
    )


def event_view(world: World, record: HistoryRecord) -> MessageEvent:
    return MessageEvent(
        seq=record.seq,
        chat_id=record.chat_id,
        message_id=record.message_id,
        kind=record.kind,
        sender_id=record.sender_id,
        from_bot=record.sender_id == world.bot.id,
        at=record.at,
        date=record.date,
        text=record.text,
        buttons=_buttons(record.reply_markup),
    )
