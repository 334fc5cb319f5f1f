"""The control API: `POST /_control/<action>` with a JSON body, for tests and the demo.

Rule: every answer is `{"ok": true, "result": …}` or `{"ok": false, "description": …}` with
400 (refused), 404 (unknown thing) or 408 (a wait ran out). Waits are event-driven: they
sleep on the change notifier and wake on the change that satisfies them, never on a timer.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any

from sandbox import actions
from sandbox.context import Context
from sandbox.errors import ControlError
from sandbox.faults import Fault
from sandbox.rules import FloodGate, FloodLimits, Window
from sandbox.state import MessageRecord
from sandbox.views import (
    call_view,
    callback_view,
    chat_view,
    event_view,
    message_view,
    to_json,
    user_view,
)

Body = dict[str, Any]
Action = Callable[[Context, Body], Awaitable[Any]]
ACTIONS: dict[str, Action] = {}
# A single wait never holds a connection longer than this; the client loops.
_MAX_WAIT = 30.0


def action(name: str) -> Callable[[Action], Action]:
    def register(func: Action) -> Action:
        ACTIONS[name] = func
        return func

    return register


def _sent(ctx: Context, record: Any) -> Body:
    return {"message": to_json(message_view(ctx.world, record)), "version": ctx.changes.version}


@action("reset")
async def _reset(ctx: Context, body: Body) -> None:
    ctx.reset()


@action("create_user")
async def _create_user(ctx: Context, body: Body) -> Any:
    return to_json(user_view(actions.create_user(ctx, body)))


@action("create_group")
async def _create_group(ctx: Context, body: Body) -> Any:
    return to_json(chat_view(actions.create_group(ctx, body)))


@action("send_text")
async def _send_text(ctx: Context, body: Body) -> Body:
    return _sent(ctx, actions.send_text(ctx, body))


@action("edit_text")
async def _edit_text(ctx: Context, body: Body) -> Body:
    return _sent(ctx, actions.edit_text(ctx, body))


@action("send_document")
async def _send_document(ctx: Context, body: Body) -> Body:
    return _sent(ctx, actions.send_file(ctx, body, kind="document"))


@action("send_photo")
async def _send_photo(ctx: Context, body: Body) -> Body:
    return _sent(ctx, actions.send_file(ctx, body, kind="photo"))


@action("press_button")
async def _press_button(ctx: Context, body: Body) -> Body:
    query_id = actions.press_button(ctx, body)
    return {"callback_query_id": query_id, "version": ctx.changes.version}


@action("follow_link")
async def _follow_link(ctx: Context, body: Body) -> Body:
    return _sent(ctx, actions.follow_link(ctx, body))


@action("answer_poll")
async def _answer_poll(ctx: Context, body: Body) -> Body:
    actions.answer_poll(ctx, body)
    return {"version": ctx.changes.version}


@action("join_group")
async def _join_group(ctx: Context, body: Body) -> Body:
    return _sent(ctx, actions.join_group(ctx, body, joining=True))


@action("leave_group")
async def _leave_group(ctx: Context, body: Body) -> Body:
    return _sent(ctx, actions.join_group(ctx, body, joining=False))


@action("block_bot")
async def _block_bot(ctx: Context, body: Body) -> Body:
    actions.block_bot(ctx, body, blocked=True)
    return {"version": ctx.changes.version}


@action("unblock_bot")
async def _unblock_bot(ctx: Context, body: Body) -> Body:
    actions.block_bot(ctx, body, blocked=False)
    return {"version": ctx.changes.version}


@action("messages")
async def _messages(ctx: Context, body: Body) -> Body:
    """A chat's messages; `changed_after` keeps those created or edited after that version,
    and `since`+`timeout` first wait until one of them was created or edited after `since`."""
    chat_id = int(body["chat_id"])
    if "since" in body:
        await _wait_for_chat_change(ctx, chat_id, int(body["since"]), float(body["timeout"]))
    chat = ctx.world.chats.get(chat_id)
    after = int(body.get("changed_after", 0))
    records = [
        r
        for r in (chat.messages.values() if chat else ())
        if _changed(r) > after and (body.get("include_deleted", False) or not r.deleted)
    ]
    views = [to_json(message_view(ctx.world, r)) for r in records]
    return {"version": ctx.changes.version, "messages": views}


def _changed(record: MessageRecord) -> int:
    return max(record.version, record.edit_version or 0)


async def _wait_for_chat_change(ctx: Context, chat_id: int, since: int, seconds: float) -> None:
    # Waking only for this chat's messages spares the client a fetch per unrelated change.
    deadline = time.monotonic() + min(seconds, _MAX_WAIT)
    while (remaining := deadline - time.monotonic()) > 0:
        chat = ctx.world.chats.get(chat_id)
        if chat and any(_changed(r) > since for r in reversed(chat.messages.values())):
            return
        await ctx.changes.wait(ctx.changes.version, remaining)


@action("chat")
async def _chat(ctx: Context, body: Body) -> Any:
    chat = ctx.world.chats.get(int(body["chat_id"]))
    if chat is None:
        raise ControlError(f"no chat {body['chat_id']}", status=404)
    return to_json(chat_view(chat))


@action("calls")
async def _calls(ctx: Context, body: Body) -> list[Any]:
    method = str(body.get("method") or "").lower()
    since = int(body.get("since", 0))
    calls = [c for c in ctx.world.calls if c.seq > since]
    return [to_json(call_view(c)) for c in calls if not method or c.method.lower() == method]


@action("history")
async def _history(ctx: Context, body: Body) -> list[Any]:
    """Sends, edits and deletions in order; `chat_id`, `message_id`, `kinds` (a list of
    "sent"/"edited"/"deleted") and `from_bot` filter, each when given."""
    chat_id, message_id = body.get("chat_id"), body.get("message_id")
    kinds, from_bot = body.get("kinds"), body.get("from_bot")
    events = [event_view(ctx.world, record) for record in ctx.world.history]
    return [
        to_json(event)
        for event in events
        if (chat_id is None or event.chat_id == int(chat_id))
        and (message_id is None or event.message_id == int(message_id))
        and (kinds is None or event.kind in kinds)
        and (from_bot is None or event.from_bot == bool(from_bot))
    ]


@action("flood_refusals")
async def _flood_refusals(ctx: Context, body: Body) -> dict[str, int]:
    """429 answers per Bot API method (flood windows and injected `flood` faults alike),
    to calls naming `chat_id` when given."""
    chat_id = body.get("chat_id")
    counts = Counter(
        call.method
        for call in ctx.world.calls
        if call.status == 429
        and (chat_id is None or str(call.params.get("chat_id")) == str(chat_id))
    )
    return dict(counts)


@action("callback")
async def _callback(ctx: Context, body: Body) -> Any:
    query = ctx.world.callbacks.get(str(body["query_id"]))
    if query is None:
        raise ControlError(f"no callback query {body['query_id']}", status=404)
    return to_json(callback_view(query))


@action("updates")
async def _updates(ctx: Context, body: Body) -> Body:
    return {"pending": ctx.updates.pending}


@action("changes")
async def _changes(ctx: Context, body: Body) -> Body:
    since = int(body.get("since", -1))
    timeout = min(float(body.get("timeout", 0.0)), _MAX_WAIT)
    return {"version": await ctx.changes.wait(since, timeout)}


@action("wait_idle")
async def _wait_idle(ctx: Context, body: Body) -> Body:
    quiet = float(body.get("quiet", 0.1))
    timeout = min(float(body.get("timeout", 5.0)), _MAX_WAIT)
    deadline = time.monotonic() + timeout
    while True:
        now = time.monotonic()
        busy = ctx.updates.pending > 0 or ctx.in_flight > 0
        idle_for = now - ctx.changes.last_change
        if not busy and idle_for >= quiet:
            return {"version": ctx.changes.version}
        if now >= deadline:
            raise ControlError(
                f"not idle after {timeout}s: {ctx.updates.pending} updates unconfirmed, "
                f"{ctx.in_flight} Bot API calls running",
                status=408,
            )
        pause = deadline - now if busy else min(quiet - idle_for, deadline - now)
        await ctx.changes.wait(ctx.changes.version, pause)


@action("fault")
async def _fault(ctx: Context, body: Body) -> None:
    ctx.faults.add(Fault.from_json(body))


@action("clear_faults")
async def _clear_faults(ctx: Context, body: Body) -> None:
    ctx.faults.clear()


def _window(raw: Any) -> Window | None:
    if raw is None:
        return None
    count, seconds = raw
    return Window(int(count), float(seconds))


@action("settings")
async def _settings(ctx: Context, body: Body) -> None:
    if "privacy_mode" in body:
        ctx.privacy = bool(body["privacy_mode"])
    if "flood" in body:
        flood = body["flood"] or {}
        limits = FloodLimits(
            per_chat=_window(flood.get("per_chat")),
            per_group=_window(flood.get("per_group")),
            per_bot=_window(flood.get("per_bot")),
        )
        ctx.flood = FloodGate(limits)


@action("advance_clock")
async def _advance_clock(ctx: Context, body: Body) -> None:
    ctx.clock.offset += float(body["seconds"])
    ctx.changes.bump()
