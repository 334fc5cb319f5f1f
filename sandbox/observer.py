"""`SandboxObserver`: reads what happened in a running sandbox and waits for it.

Rule: every wait is event-driven (the server holds the request until something changes), so
a test never sleeps a fixed time. `wait_for_message` and `wait_for_edit` look, by default,
only at what happened in that chat after this client's last action there: "the reply to
what the user just did". The waits take `timeout=` as a deadline the server enforces, hence
the ASYNC109 exemptions.

Reading what happened, for checks on rates and repeats (a live board edited at most once
every 3 s and never to identical text, a group's messages per minute, no 429):
- `messages(chat_id)`: the chat as it stands now (`ChatMessage`, current text after edits).
- `history(chat_id, message_id=, kinds=, from_bot=)`: every send, successful edit and
  deletion in order, as `MessageEvent`s with `at` (the sandbox's monotonic clock), `date`,
  `text` (text or caption) and `buttons`; `views.busiest(events, 60.0)` gives the most in
  any minute.
- `edits_of(chat_id, message_id)`: the successful edits of one message, oldest first. A
  refused edit ("message is not modified", 429) changes nothing and is not there; it is in
  `calls(...)` with its status.
- `flood_refusals(chat_id=None)`: `{method: number of 429 answers}`.
- `download(file)`: the bytes of a photo or document a bot or user sent (as the bot itself
  would get them with getFile and the file URL).
"""

from __future__ import annotations

import asyncio
import functools
import ssl
from collections.abc import Awaitable, Callable, Collection, Mapping
from typing import Any, TypeVar

import httpx

from sandbox.errors import ControlError, SandboxTimeoutError
from sandbox.state import HistoryKind
from sandbox.views import ApiCall, CallbackAnswer, ChatMessage, FileRef, MessageEvent, from_json

T = TypeVar("T")
MessagePredicate = Callable[[ChatMessage], bool]


def _matcher(predicate: MessagePredicate | None, contains: str | None) -> MessagePredicate:
    def match(message: ChatMessage) -> bool:
        if contains is not None and contains not in message.content:
            return False
        return predicate is None or predicate(message)

    return match


@functools.cache
def loopback_tls() -> ssl.SSLContext:
    """One TLS context for every client of the sandbox.

    Plain HTTP on 127.0.0.1 never uses TLS, but httpx loads the CA bundle for each new client
    (about 50 ms, twice per PTB bot); sharing one context keeps tests fast.
    """
    return ssl.create_default_context()


class SandboxObserver:
    """The reading half of `SandboxClient`: chats, files, calls, answers, and waits."""

    def __init__(self, base_url: str, *, timeout: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/")
        self._http = httpx.AsyncClient(
            base_url=self.base_url, timeout=timeout, verify=loopback_tls()
        )
        # chat id -> sandbox version at this client's last action in that chat
        self._marks: dict[int, int] = {}

    async def aclose(self) -> None:
        await self._http.aclose()

    async def _call(self, action: str, body: Mapping[str, Any] | None = None) -> Any:
        wait = float((body or {}).get("timeout", 0.0))
        response = await self._http.post(
            f"/_control/{action}", json=dict(body or {}), timeout=wait + 10.0
        )
        payload = response.json()
        if response.status_code == 408:
            raise SandboxTimeoutError(payload["description"])
        if not payload.get("ok"):
            raise ControlError(str(payload.get("description")), status=response.status_code)
        return payload["result"]

    async def messages(self, chat_id: int, *, include_deleted: bool = False) -> list[ChatMessage]:
        """The chat's messages in order, as they stand now."""
        body = {"chat_id": chat_id, "include_deleted": include_deleted}
        result = await self._call("messages", body)
        return [from_json(ChatMessage, item) for item in result["messages"]]

    async def history(
        self,
        chat_id: int | None = None,
        *,
        message_id: int | None = None,
        kinds: Collection[HistoryKind] | None = None,
        from_bot: bool | None = None,
    ) -> list[MessageEvent]:
        """Sends, successful edits and deletions, oldest first; each argument given filters."""
        body = {
            "chat_id": chat_id,
            "message_id": message_id,
            "kinds": None if kinds is None else list(kinds),
            "from_bot": from_bot,
        }
        return [from_json(MessageEvent, item) for item in await self._call("history", body)]

    async def edits_of(self, chat_id: int, message_id: int) -> list[MessageEvent]:
        """The successful edits of one message, oldest first, each with its time and text."""
        edited: tuple[HistoryKind, ...] = ("edited",)
        return await self.history(chat_id, message_id=message_id, kinds=edited)

    async def flood_refusals(self, chat_id: int | None = None) -> dict[str, int]:
        """429 answers so far per Bot API method (to calls naming `chat_id`, when given)."""
        result = await self._call("flood_refusals", {"chat_id": chat_id})
        return {str(method): int(count) for method, count in result.items()}

    async def download(self, file: FileRef | str) -> bytes:
        """The bytes of a photo or document (a `FileRef` or a file_id)."""
        file_id = file.file_id if isinstance(file, FileRef) else file
        response = await self._http.get(f"/_control/files/{file_id}")
        if response.status_code != 200:
            raise ControlError(f"no file {file_id}", status=response.status_code)
        return response.content

    async def calls(self, method: str | None = None) -> list[ApiCall]:
        """The Bot API calls made so far, oldest first; `method` filters (any case)."""
        result = await self._call("calls", {"method": method})
        return [from_json(ApiCall, item) for item in result]

    async def callback_answer(self, query_id: str) -> CallbackAnswer:
        """The press and whether (and how) the bot answered it."""
        return from_json(CallbackAnswer, await self._call("callback", {"query_id": query_id}))

    async def pending_updates(self) -> int:
        """Updates the bot has not confirmed yet."""
        return int((await self._call("updates"))["pending"])

    async def wait_until(
        self,
        probe: Callable[[], Awaitable[T | None]],
        *,
        timeout: float = 5.0,  # noqa: ASYNC109
        describe: Callable[[], Awaitable[str]] | None = None,
    ) -> T:
        """Re-run `probe` on every change in the sandbox until it returns something.

        Raises:
            SandboxTimeoutError: nothing after `timeout` seconds; `describe` says what was seen.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        version = int((await self._call("changes", {"since": -1}))["version"])
        while True:
            found = await probe()
            if found is not None:
                return found
            remaining = deadline - loop.time()
            if remaining <= 0:
                detail = await describe() if describe else ""
                raise SandboxTimeoutError(f"nothing after {timeout}s. {detail}".strip())
            result = await self._call("changes", {"since": version, "timeout": remaining})
            version = int(result["version"])

    async def wait_for_message(
        self,
        chat_id: int,
        predicate: MessagePredicate | None = None,
        *,
        contains: str | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109
        since_last_action: bool = True,
    ) -> ChatMessage:
        """The first bot message in the chat matching `contains`/`predicate`, once sent.

        Only messages sent after this client's last action in that chat count, unless
        `since_last_action` is False.

        Raises:
            SandboxTimeoutError: none came in time; the message lists what the chat holds.
        """
        mark = self._marks.get(chat_id, 0) if since_last_action else 0
        match = _matcher(predicate, contains)

        def pick(message: ChatMessage) -> bool:
            return message.from_bot and message.version > mark and match(message)

        what = f"no bot message in chat {chat_id} with contains={contains!r}"
        return await self._wait_in_chat(chat_id, mark, pick, timeout, what)

    async def wait_for_edit(
        self,
        chat_id: int,
        message_id: int,
        predicate: MessagePredicate | None = None,
        *,
        contains: str | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> ChatMessage:
        """The message once the bot edited it after this client's last action in the chat."""
        mark = self._marks.get(chat_id, 0)
        match = _matcher(predicate, contains)

        def pick(message: ChatMessage) -> bool:
            edited = message.edit_version is not None and message.edit_version > mark
            return message.message_id == message_id and edited and match(message)

        what = f"message {message_id} of chat {chat_id} not edited with contains={contains!r}"
        return await self._wait_in_chat(chat_id, mark, pick, timeout, what)

    async def _wait_in_chat(
        self,
        chat_id: int,
        mark: int,
        pick: MessagePredicate,
        timeout: float,  # noqa: ASYNC109
        what: str,
    ) -> ChatMessage:
        """One request per change: the server waits, then sends only what changed after `mark`."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        body: dict[str, Any] = {"chat_id": chat_id, "changed_after": mark}
        while True:
            result = await self._call("messages", body)
            for item in result["messages"]:
                message = from_json(ChatMessage, item)
                if pick(message):
                    return message
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise SandboxTimeoutError(f"{what}; {await self._chat_tail(chat_id)}")
            body.update(since=result["version"], timeout=remaining)

    async def _chat_tail(self, chat_id: int) -> str:
        seen = [
            f"#{m.message_id} {'bot' if m.from_bot else m.sender_id}: {m.content[:60]!r}"
            f"{' ' + str(m.button_texts) if m.buttons else ''}"
            for m in (await self.messages(chat_id))[-8:]
        ]
        return f"the chat ends with: {seen}"

    async def wait_for_answer(
        self,
        query_id: str,
        *,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> CallbackAnswer:
        """The callback query once the bot called answerCallbackQuery for it."""

        async def probe() -> CallbackAnswer | None:
            answer = await self.callback_answer(query_id)
            return answer if answer.answered else None

        async def describe() -> str:
            return f"callback query {query_id} was never answered"

        return await self.wait_until(probe, timeout=timeout, describe=describe)

    async def wait_idle(
        self,
        *,
        quiet: float = 0.1,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> None:
        """Return once every update is confirmed and no Bot API call ran for `quiet` seconds.

        Raises:
            SandboxTimeoutError: still busy after `timeout`.
        """
        await self._call("wait_idle", {"quiet": quiet, "timeout": timeout})
