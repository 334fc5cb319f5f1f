"""A questionnaire in private chat: load → step → commit → show, one participant at a time.

Rule: the answer is on disk before anything is sent. `drive` commits the engine's new state, its
answers and the update_id in one transaction; only then does `Presenter` touch Telegram. An update
that Telegram delivers again finds its update_id stored and changes nothing.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import assert_never

from telegram import Bot

from bot import telegram_io
from bot.i18n import Translator, translator
from bot.render import (
    Reply,
    already_finished_text,
    answered_reply,
    ask_reply,
    finish_text,
    review_reply,
    say_text,
)
from bot.services import Services
from flows.effects import (
    AnswerView,
    Ask,
    Effect,
    Finish,
    RecordAnswer,
    RetractAnswer,
    Review,
    Say,
    Settle,
    Stale,
)
from flows.engine import Outcome, step
from flows.events import Event, Started, TimedOut
from flows.schema import Flow
from flows.views import summary
from storage.errors import RoundClosedError
from storage.models import (
    AnswerWrite,
    ApplyResult,
    Round,
    RoundId,
    Session,
    SessionStatus,
    UpdateId,
    UserId,
)

log = logging.getLogger(__name__)

# Input mistakes made with a button are answered with a toast: a new message would only clutter.
TOAST_KEYS = frozenset(
    {
        "choose_at_least",
        "choose_at_most",
        "cannot_skip",
        "cannot_go_back",
        "items_needed",
        "items_full",
    }
)


@dataclass
class Shown:
    """What the shell did for an update: the toast a button press should get, if any."""

    toast: str | None = None
    duplicate: bool = False
    sent: list[int] = field(default_factory=list)


async def drive(
    services: Services,
    bot: Bot,
    session: Session,
    event: Event,
    update_id: int | None,
    *,
    via_button: bool = False,
    on_screen: int | None = None,
) -> Shown:
    """Apply `event` to `session`, commit, then show the outcome. Call with the chat's lock held.

    `on_screen`: the message known to show the current question (a tap on it), which wins over
    the stored id.
    """
    flow = services.flows.get(session.state.flow_id, session.flow_version)
    before = session.state
    found = await services.repo.get_round(session.round_id)
    now = event.at  # the clock was read for the event, just before
    if found is not None and is_closed(found, now) and not before.is_finished:
        event = TimedOut(at=now)  # late answers are refused
    outcome = step(flow, before, event)
    try:
        result = await _commit(services, session, outcome, update_id, now)
    except RoundClosedError:  # closed since it was read: the session only ends, as above
        outcome = step(flow, before, TimedOut(at=now))
        result = await _commit(services, session, outcome, update_id, now)
    if result is ApplyResult.DUPLICATE:
        log.info("update %s was handled before: nothing changes", update_id)
        return Shown(duplicate=True)
    anonymous = found is not None and found.anonymous
    presenter = Presenter(services, bot, flow, session, outcome, via_button, on_screen, anonymous)
    return await presenter.run()


async def _commit(
    services: Services,
    session: Session,
    outcome: Outcome,
    update_id: int | None,
    now: datetime,
) -> ApplyResult:
    """State, answers and update_id in one transaction (a finished session only notes the id)."""
    known_update = UpdateId(update_id) if update_id is not None else None
    if not session.is_active:
        if known_update is None:
            return ApplyResult.APPLIED
        fresh = await services.repo.mark_update_processed(known_update, now)
        return ApplyResult.APPLIED if fresh else ApplyResult.DUPLICATE
    status, recorded, retracted = _writes_of(outcome, session)
    # The real final state, answers included: in an anonymous round the storage sends them to
    # the round's pool and keeps a scrubbed state (storage/anonymity.py).
    return await services.repo.apply_step(
        known_update, session.id, outcome.state, recorded, retracted, now, status=status
    )


def is_closed(found: Round, now: datetime) -> bool:
    return found.status == "closed" or (found.deadline is not None and found.deadline <= now)


def _writes_of(
    outcome: Outcome, session: Session
) -> tuple[SessionStatus, list[AnswerWrite], list[str]]:
    """The session's status after the step, the answers it records and those it retracts."""
    status = session.status
    recorded: list[AnswerWrite] = []
    retracted: list[str] = []
    for effect in outcome.effects:  # one pass: it runs at every answer
        if isinstance(effect, RecordAnswer):
            recorded.append(AnswerWrite(effect.step, effect.value, effect.detail))
        elif isinstance(effect, RetractAnswer):
            retracted.append(effect.step)
        elif isinstance(effect, Finish):
            status = effect.outcome  # a finish outcome is the session's final status
    return status, recorded, retracted


@dataclass(slots=True)
class Presenter:
    """Turns one outcome's effects into Telegram calls, after the commit."""

    services: Services
    bot: Bot
    flow: Flow
    session: Session
    outcome: Outcome
    via_button: bool
    on_screen: int | None = None
    anonymous: bool = False  # what the last words promise depends on it
    shown: Shown = field(default_factory=Shown)

    @property
    def t(self) -> Translator:
        return translator(self.outcome.state.language)

    @property
    def chat_id(self) -> int:
        return int(self.session.user_id)

    async def run(self) -> Shown:
        prompt = self.on_screen if self.on_screen is not None else self.session.prompt_message_id
        for effect in self.outcome.effects:
            prompt = await self._show(effect, prompt)
        if prompt != self.session.prompt_message_id:
            # Which message to edit when the next answer is typed (a tap names its own).
            await self.services.repo.set_prompt_message(self.session.id, prompt)
        return self.shown

    async def _show(self, effect: Effect, prompt: int | None) -> int | None:
        """Carry out one effect; returns the message that shows the question from now on."""
        t, chat = self.t, self.chat_id
        match effect:
            case RecordAnswer() | RetractAnswer():
                pass  # the commit carried them out
            case Settle(answer=None) if prompt is not None:
                await telegram_io.edit_buttons(self.bot, chat, prompt, None)
            case Settle(answer=AnswerView() as answer) if prompt is not None:
                await telegram_io.edit(self.bot, chat, prompt, answered_reply(t, self.flow, answer))
            case Settle():
                pass  # nothing on screen to settle
            case Ask(refresh=True):
                if prompt is not None:
                    reply = ask_reply(t, self.flow, self.session.id, effect)
                    await telegram_io.edit_buttons(self.bot, chat, prompt, reply)
            case Ask(progress=None):  # a note: the question that follows is the prompt
                await self._send(ask_reply(t, self.flow, self.session.id, effect))
            case Ask():
                return await self._send(ask_reply(t, self.flow, self.session.id, effect))
            case Review():
                return await self._send(review_reply(t, self.flow, self.session.id, effect))
            case Finish():
                await self._send(Reply(finish_text(t, effect, self.anonymous)))
                return None
            case Say():
                await self._say(effect)
            case Stale():
                self.shown.toast = t("This question is no longer current.")
            case _:
                assert_never(effect)
        return prompt

    async def _say(self, say: Say) -> None:
        text = say_text(self.t, say)
        finished = self.outcome.state.outcome
        if say.key == "already_finished" and finished is not None:
            text = already_finished_text(self.t, finished, self.anonymous)
        if self.via_button and say.key in TOAST_KEYS:
            self.shown.toast = text
        else:
            await self._send(Reply(text))

    async def _send(self, reply: Reply) -> int | None:
        try:
            message = await telegram_io.send(self.bot, self.chat_id, reply)
        except telegram_io.UnreachableError:
            await self.services.repo.set_reachable(
                self.session.user_id, False, self.services.clock()
            )
            return None
        if message is None:
            return None
        self.shown.sent.append(message.message_id)
        return message.message_id


async def close_round(
    services: Services,
    bot: Bot,
    round_id: RoundId,
    *,
    closed_by: UserId | None = None,
    in_background: bool = False,
) -> None:
    """Close a round and end its sessions: late answers are refused, anonymous ones scrubbed.

    Each participant still answering is told, in their language, what becomes of their answers
    (kept in a named round; discarded, never sent, in an anonymous one).
    `in_background` ends the sessions in a task of their own: a handler holding its own chat's
    lock must not wait for other chats' locks (two facilitators closing at once would deadlock).
    """
    await services.repo.close_round(round_id, services.clock(), closed_by)
    if not in_background:
        await end_sessions(services, bot, round_id)
        return
    task = asyncio.create_task(end_sessions(services, bot, round_id))
    services.background.add(task)  # held until done: the loop keeps only weak references
    task.add_done_callback(services.background.discard)


async def end_sessions(services: Services, bot: Bot, round_id: RoundId) -> None:
    """Time out the round's sessions still active, each under its chat's lock."""
    for session in await services.repo.active_sessions_of_round(round_id):
        try:
            async with services.locks.hold(int(session.user_id)):
                fresh = await services.repo.get_session(session.id)
                if fresh is not None and fresh.is_active:
                    await drive(services, bot, fresh, TimedOut(at=services.clock()), None)
        except Exception:  # one broken session must not leave the others open
            log.exception("could not end session %s of closed round %s", session.id, round_id)


def summary_of_review(services: Services, session: Session) -> Review | None:
    """The review on screen, rebuilt from the stored state (None when not reviewing)."""
    state = session.state
    if state.phase != "review":
        return None
    flow = services.flows.get(state.flow_id, session.flow_version)
    return Review(summary(flow, state), state.revision)


async def begin(services: Services, bot: Bot, session: Session, update_id: int | None) -> Shown:
    """Open or resume a session where the participant left it."""
    return await drive(services, bot, session, Started(at=services.clock()), update_id)
