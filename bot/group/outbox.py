"""One owner of a group chat's send budget: every message and edit the bot makes in a group.

Rule: Telegram allows about 20 messages a minute in a group, edits included, and answers the
next one with 429 and a `retry_after`. So every call the bot makes to a group goes through
`GroupOutbox`: a sliding window per chat counts sends (one per photo) and edits, sends go
before edits, a board's edits are coalesced (the newest content wins, at most one edit per
`edit_interval`) and never repeat what the message already shows, and a 429 pauses the chat
for `retry_after` before the same call (or the newest content) is tried again. Telegram
errors stop here: a caller gets None, the log gets the reason, `stats` gets a count.

Private chats are not its business: their limit (about one message a second) is PTB's
`AIORateLimiter`'s, and an answer in private must never queue behind a group's board. The
outbox works with or without that limiter in front of the Bot: the limiter's own group limiter
is looser than this window, and a 429 it gives up on reaches the outbox like any other.

Each chat with work pending has one task, which makes its calls one at a time (20 a minute
leave no room for concurrency to buy anything) and ends when nothing is left.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import OrderedDict, deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial
from typing import TypeAlias, TypeVar

from telegram import Bot, InlineKeyboardMarkup, InputMediaPhoto, LinkPreviewOptions, Message
from telegram.constants import ParseMode
from telegram.error import BadRequest, NetworkError, RetryAfter, TelegramError

from bot.telegram_io import fit

log = logging.getLogger(__name__)
CAPTION_LIMIT = 1024
ALBUM_LIMIT = 10  # Telegram's most photos in one sendMediaGroup
MAX_ATTEMPTS = 4  # tries of one call refused with 429 (or lost, for an edit) before giving up
_REMEMBERED = 1024  # messages whose content is kept, to skip identical edits
_NO_PREVIEW = LinkPreviewOptions(is_disabled=True)

Content: TypeAlias = tuple[str, InlineKeyboardMarkup | None]
Call: TypeAlias = Callable[[], Awaitable[Message | tuple[Message, ...]]]
T = TypeVar("T")


@dataclass(slots=True)
class OutboxStats:
    """What the outbox did since it started (mutable counters, read by tests and the bench).

    `sends`: messages delivered (each photo of an album counts); `edits`: edit calls Telegram
    answered; `skipped_identical`: edits not made because the message already showed that
    content; `coalesced`: edit() contents replaced by a newer one before they went out;
    `retried_after`: 429 answers met (and waited for); `failures`: sends and edits given up.
    """

    sends: int = 0
    edits: int = 0
    skipped_identical: int = 0
    coalesced: int = 0
    retried_after: int = 0
    failures: int = 0


@dataclass(slots=True, eq=False)
class _Send:
    call: Call
    cost: int
    what: str
    future: asyncio.Future[list[Message] | None] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )
    attempts: int = 0


@dataclass(slots=True, eq=False)
class _Chat:
    """One group's budget and the work waiting for it."""

    stamps: deque[float] = field(default_factory=deque)  # when recent calls were answered
    sends: deque[_Send] = field(default_factory=deque)
    edits: dict[int, Content] = field(default_factory=dict)  # message id → newest content
    not_before: dict[int, float] = field(default_factory=dict)  # message id → next edit
    attempts: dict[int, int] = field(default_factory=dict)  # message id → tries of its edit
    paused_until: float = 0.0  # Telegram's retry_after
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    worker: asyncio.Task[None] | None = None


def _caption(caption: str | None) -> str | None:
    return None if caption is None else fit(caption, CAPTION_LIMIT)


def retry_seconds(retry_after: int | timedelta) -> float:
    """A `RetryAfter.retry_after` in seconds: PTB 22 gives an int, or a timedelta with
    `PTB_TIMEDELTA` set."""
    if isinstance(retry_after, timedelta):
        return retry_after.total_seconds()
    return float(retry_after)


class GroupOutbox:
    """One owner of every group chat's send budget."""

    def __init__(
        self,
        bot: Bot,
        *,
        per_minute: int = 20,
        window: float = 60.0,
        edit_interval: float = 3.0,
    ) -> None:
        if per_minute < 1 or window <= 0 or edit_interval < 0:
            raise ValueError("per_minute must be ≥ 1, window > 0 and edit_interval ≥ 0")
        self._bot = bot
        self._per_minute = per_minute
        self._window = window
        self._edit_interval = edit_interval
        # Edits leave a tenth of the window to sends, so a message posted while a board is
        # busy goes out at once and the board's final edit is never stuck behind a burst.
        self._edit_reserve = per_minute // 10
        self._chats: dict[int, _Chat] = {}
        self._shown: OrderedDict[tuple[int, int], Content] = OrderedDict()
        self._closed = False
        self.stats = OutboxStats()

    async def send(
        self, chat_id: int, text: str, markup: InlineKeyboardMarkup | None = None
    ) -> Message | None:
        """Send an HTML message (cut to 4096) once the budget allows; None if it failed (logged)."""
        text = fit(text)
        call = partial(
            self._bot.send_message,
            chat_id,
            text,
            parse_mode=ParseMode.HTML,
            reply_markup=markup,
            link_preview_options=_NO_PREVIEW,
        )
        messages = await self._submit(chat_id, [_Send(call, 1, "a message")])
        for message in messages:
            self.track(chat_id, message.message_id, text, markup)
        return messages[0] if messages else None

    async def send_photo(
        self,
        chat_id: int,
        photo: bytes,
        caption: str | None = None,
        markup: InlineKeyboardMarkup | None = None,
        filename: str = "picture.png",
    ) -> Message | None:
        """Send a picture with an HTML caption (cut to 1024); None if it failed (logged)."""
        call = self._photo(chat_id, photo, caption, markup, filename)
        messages = await self._submit(chat_id, [_Send(call, 1, "a picture")])
        return messages[0] if messages else None

    async def send_album(
        self, chat_id: int, photos: Sequence[tuple[bytes, str | None]]
    ) -> list[Message]:
        """Send pictures (with HTML captions) as albums of at most 10, each photo one budget
        unit; the messages delivered, in order (a failed album is logged and missing)."""
        size = min(ALBUM_LIMIT, self._per_minute)  # an album's cost must fit in the window
        jobs: list[_Send] = []
        for start in range(0, len(photos), size):
            chunk = photos[start : start + size]
            if len(chunk) == 1:  # Telegram wants 2 to 10 media in an album
                jobs.append(
                    _Send(self._photo(chat_id, *chunk[0], None, "picture.png"), 1, "a picture")
                )
                continue
            media = [
                InputMediaPhoto(
                    photo,
                    caption=_caption(caption),
                    parse_mode=ParseMode.HTML,
                    filename=f"picture-{start + index + 1}.png",
                )
                for index, (photo, caption) in enumerate(chunk)
            ]
            call = partial(self._bot.send_media_group, chat_id, media)
            jobs.append(_Send(call, len(chunk), "an album"))
        return await self._submit(chat_id, jobs)

    def edit(
        self,
        chat_id: int,
        message_id: int,
        text: str,
        markup: InlineKeyboardMarkup | None = None,
    ) -> None:
        """Have the message show `text` (HTML, cut to 4096) and `markup`, soon.

        The newest content wins over the ones still waiting; it goes out when the budget
        allows, at most once per `edit_interval` per message, and not at all when the message
        already shows it.
        """
        if self._closed:
            log.warning(
                "the outbox is closed: edit of message %s in %s dropped", message_id, chat_id
            )
            return
        content: Content = (fit(text), markup)
        chat = self._chat(chat_id)
        if chat.edits.pop(message_id, None) is not None:
            self.stats.coalesced += 1
        if self._shown.get((chat_id, message_id)) == content:
            self.stats.skipped_identical += 1
            return
        chat.edits[message_id] = content
        self._kick(chat_id, chat)

    def track(
        self, chat_id: int, message_id: int, text: str, markup: InlineKeyboardMarkup | None
    ) -> None:
        """Record what a message shows now (a board found again after a restart, say)."""
        self._remember((chat_id, message_id), (fit(text), markup))

    async def drain(self) -> None:
        """Return once nothing is queued or scheduled in any chat."""
        while workers := [c.worker for c in self._chats.values() if c.worker is not None]:
            await asyncio.wait(workers)

    async def close(self) -> None:
        """Stop: what is still queued is dropped (senders get None). Call drain() first."""
        self._closed = True
        workers = [c.worker for c in self._chats.values() if c.worker is not None]
        for worker in workers:
            worker.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
        for chat in self._chats.values():
            for job in chat.sends:
                if not job.future.done():
                    job.future.set_result(None)
            chat.sends.clear()
            chat.edits.clear()

    # -- queuing --------------------------------------------------------------------------

    def _chat(self, chat_id: int) -> _Chat:
        return self._chats.setdefault(chat_id, _Chat())

    def _kick(self, chat_id: int, chat: _Chat) -> None:
        chat.wake.set()
        if chat.worker is None:
            loop = asyncio.get_running_loop()
            chat.worker = loop.create_task(self._work(chat_id, chat), name=f"outbox {chat_id}")

    async def _submit(self, chat_id: int, jobs: Sequence[_Send]) -> list[Message]:
        if self._closed:
            log.warning("the outbox is closed: nothing more is sent to %s", chat_id)
            return []
        chat = self._chat(chat_id)
        chat.sends.extend(jobs)  # together, so nothing else slips between an album's parts
        self._kick(chat_id, chat)
        delivered: list[Message] = []
        try:
            for job in jobs:
                delivered.extend(await job.future or ())
        except asyncio.CancelledError:  # the sender gave up waiting: nothing of it goes out
            for job in jobs:
                job.future.cancel()
            raise
        return delivered

    def _photo(
        self,
        chat_id: int,
        photo: bytes,
        caption: str | None,
        markup: InlineKeyboardMarkup | None,
        filename: str,
    ) -> Call:
        return partial(
            self._bot.send_photo,
            chat_id,
            photo,
            caption=_caption(caption),
            parse_mode=ParseMode.HTML,
            reply_markup=markup,
            filename=filename,
        )

    # -- the worker -----------------------------------------------------------------------

    async def _work(self, chat_id: int, chat: _Chat) -> None:
        loop = asyncio.get_running_loop()
        try:
            while True:
                chat.wake.clear()
                now = loop.time()
                job, at = self._next(chat, now)
                if job is None:
                    return
                if at > now:
                    with contextlib.suppress(TimeoutError):  # new work wakes it sooner
                        async with asyncio.timeout(at - now):
                            await chat.wake.wait()
                elif isinstance(job, _Send):
                    await self._run_send(chat_id, chat, job)
                else:
                    await self._run_edit(chat_id, chat, job)
        finally:
            chat.worker = None
            now = loop.time()
            chat.not_before = {m: t for m, t in chat.not_before.items() if t > now}

    def _next(self, chat: _Chat, now: float) -> tuple[_Send | int | None, float]:
        """The next call to make in `chat`, and when it may start."""
        while chat.sends and chat.sends[0].future.done():  # its sender was cancelled
            chat.sends.popleft()
        start = max(now, chat.paused_until)
        if chat.sends:
            job = chat.sends[0]
            return job, max(start, self._free_at(chat, job.cost, now))
        if not chat.edits:
            return None, now
        message_id = min(chat.edits, key=lambda m: chat.not_before.get(m, 0.0))
        due = chat.not_before.get(message_id, 0.0)
        return message_id, max(start, due, self._free_at(chat, 1 + self._edit_reserve, now))

    def _free_at(self, chat: _Chat, need: int, now: float) -> float:
        """When `need` calls fit in the window."""
        stamps = chat.stamps
        while stamps and stamps[0] <= now - self._window:
            stamps.popleft()
        excess = len(stamps) + need - self._per_minute
        return now if excess <= 0 else stamps[excess - 1] + self._window

    async def _attempt(
        self, chat: _Chat, call: Callable[[], Awaitable[T]], cost: int
    ) -> T | RetryAfter:
        """Make one call; a 429 pauses the chat and is returned, not raised.

        A call counts from its answer, not its start: whatever the network's delays, two
        calls a window apart on our clock are a window apart at Telegram's end too. That is
        the headroom; the window itself stays Telegram's.
        """
        loop = asyncio.get_running_loop()
        try:
            result = await call()
        except RetryAfter as error:  # refused, so not counted: Telegram said when to come back
            self.stats.retried_after += 1
            chat.paused_until = loop.time() + retry_seconds(error.retry_after)
            return error
        except BaseException:  # answered or lost on the way: it may have counted
            chat.stamps.extend([loop.time()] * cost)
            raise
        chat.stamps.extend([loop.time()] * cost)
        return result

    async def _run_send(self, chat_id: int, chat: _Chat, job: _Send) -> None:
        job.attempts += 1
        result: Message | tuple[Message, ...] | RetryAfter | None
        try:
            result = await self._attempt(chat, job.call, job.cost)
        except TelegramError as error:  # a timed-out send may have arrived: never sent twice
            log.warning("could not send %s to group %s: %s", job.what, chat_id, error)
            self.stats.failures += 1
            result = None
        except Exception as error:  # a bug, not Telegram: the caller sees it
            self._dequeue(chat, job)
            job.future.set_exception(error)
            return
        if isinstance(result, RetryAfter):
            if job.attempts < MAX_ATTEMPTS:
                return  # it stays first in line, for when the pause is over
            log.warning("gave up sending %s to group %s: %s", job.what, chat_id, result)
            self.stats.failures += 1
            result = None
        self._dequeue(chat, job)
        messages = [result] if isinstance(result, Message) else list(result or ())
        self.stats.sends += len(messages)
        if not job.future.done():
            job.future.set_result(messages)

    @staticmethod
    def _dequeue(chat: _Chat, job: _Send) -> None:
        if chat.sends and chat.sends[0] is job:
            chat.sends.popleft()

    async def _run_edit(self, chat_id: int, chat: _Chat, message_id: int) -> None:
        content = chat.edits.pop(message_id)
        key = (chat_id, message_id)
        before = self._shown.get(key)
        if before == content:
            self.stats.skipped_identical += 1
            return
        # Shown from the moment it leaves, so an edit() meanwhile compares with what will be.
        self._remember(key, content)
        call = partial(
            self._bot.edit_message_text,
            content[0],
            chat_id=chat_id,
            message_id=message_id,
            parse_mode=ParseMode.HTML,
            reply_markup=content[1],
            link_preview_options=_NO_PREVIEW,
        )
        loop = asyncio.get_running_loop()
        try:
            result = await self._attempt(chat, call, 1)
        except BadRequest as error:
            self._edit_refused(chat_id, chat, message_id, before, error)
            return
        except NetworkError as error:  # it may or may not show now: send it again
            self._shown.pop(key, None)
            self._edit_again(chat_id, chat, message_id, content, error)
            chat.not_before[message_id] = loop.time() + self._edit_interval
            return
        except Exception as error:  # Telegram's refusal, or a bug (then with its traceback)
            trace = not isinstance(error, TelegramError)
            log.warning(
                "could not edit message %s in group %s", message_id, chat_id, exc_info=trace
            )
            self._restore(key, before)
            self.stats.failures += 1
            return
        if isinstance(result, RetryAfter):
            self._restore(key, before)
            self._edit_again(chat_id, chat, message_id, content, result)
            return
        self._edited(chat, message_id, loop.time())

    def _edited(self, chat: _Chat, message_id: int, now: float) -> None:
        self.stats.edits += 1
        chat.attempts.pop(message_id, None)
        chat.not_before[message_id] = now + self._edit_interval

    def _edit_refused(
        self,
        chat_id: int,
        chat: _Chat,
        message_id: int,
        before: Content | None,
        error: BadRequest,
    ) -> None:
        key = (chat_id, message_id)
        if "not modified" in error.message:  # it shows what we wanted: done
            self._edited(chat, message_id, asyncio.get_running_loop().time())
            return
        chat.attempts.pop(message_id, None)
        self.stats.failures += 1
        log.warning("could not edit message %s in group %s: %s", message_id, chat_id, error)
        if "not found" in error.message or "can't be edited" in error.message:
            self._shown.pop(key, None)  # deleted, or never the bot's: nothing left to edit
            chat.edits.pop(message_id, None)
        else:
            self._restore(key, before)

    def _edit_again(
        self, chat_id: int, chat: _Chat, message_id: int, content: Content, error: TelegramError
    ) -> None:
        """Queue the edit again (a newer content waiting wins), a bounded number of times."""
        attempts = chat.attempts.get(message_id, 0) + 1
        if attempts >= MAX_ATTEMPTS:
            chat.attempts.pop(message_id, None)
            self.stats.failures += 1
            log.warning("gave up editing message %s in group %s: %s", message_id, chat_id, error)
            return
        chat.attempts[message_id] = attempts
        chat.edits.setdefault(message_id, content)

    def _remember(self, key: tuple[int, int], content: Content) -> None:
        self._shown[key] = content
        self._shown.move_to_end(key)
        while len(self._shown) > _REMEMBERED:
            self._shown.popitem(last=False)

    def _restore(self, key: tuple[int, int], before: Content | None) -> None:
        if before is None:
            self._shown.pop(key, None)
        else:
            self._remember(key, before)
