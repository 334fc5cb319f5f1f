"""The SWOT board's driver: event → board lock → load → step → commit → effects.

Rule: every change to a board goes through `apply`, under the board's own lock (one board, many
people: the private chats' locks do not serialise them), and is committed with the Telegram
update it came from before anything is sent. Group messages go through the outbox, which owns the
group's send budget; private ones are sent directly (one person, one chat).
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Coroutine, Sequence
from dataclasses import dataclass, replace
from html import escape
from typing import Any

from telegram import Bot

from bot import telegram_io
from bot.callbacks import QUADRANT_LETTERS, board_button
from bot.conversation import language_for
from bot.deeplinks import board_payload
from bot.group import screens, texts
from bot.group.outbox import GroupOutbox
from bot.i18n import Translator, translator
from bot.render import Button, Reply
from bot.services import Services
from bot.telegram_io import UnreachableError
from flows import board as machine
from flows.board import (
    AcknowledgeItem,
    BoardEffect,
    BoardEvent,
    BoardOutcome,
    GroupingDone,
    OfferBallots,
    PostResults,
    PostReveal,
    ProposeGroup,
    RefreshBallot,
    RefreshBoard,
    RefreshOwnItems,
    Refusal,
    Refuse,
    TellOwner,
)
from reports.worker import RenderError, RenderWorker
from storage import StaleBoardError
from storage.models import ApplyResult, Board, RoundId, UpdateId, UserId

log = logging.getLogger(__name__)
REVEAL_TEXT_LIMIT = 4096


def new_id() -> int:
    """An item's or an action's id: random, so its rank says nothing of when it came."""
    return secrets.randbelow(2**62 - 1) + 1


@dataclass(frozen=True, slots=True)
class Applied:
    board: Board  # as committed
    refusal: Refusal | None
    effects: tuple[BoardEffect, ...]


async def apply(
    services: Services,
    bot: Bot,
    round_id: int,
    event: BoardEvent,
    update_id: int | None,
    actor: int,
) -> Applied | None:
    """Step the board and commit; then carry out what the step asks. None: no such board."""
    async with services.board_locks.hold(round_id):
        stepped = await _step_and_commit(services, round_id, event, update_id)
        if stepped is None:
            return None
        board, outcome, duplicate = stepped
        if duplicate:  # a re-delivered update: done already
            return Applied(board, None, ())
        # The board's text is made from this state before the next event can commit: the
        # outbox keeps the newest text it is given, so it must be given them in order.
        if any(isinstance(effect, RefreshBoard) for effect in outcome.effects):
            await refresh_board(services, board)
    refusal = next((e.reason for e in outcome.effects if isinstance(e, Refuse)), None)
    await perform(services, bot, board, outcome.effects, actor)
    return Applied(board, refusal, outcome.effects)


async def _step_and_commit(
    services: Services, round_id: int, event: BoardEvent, update_id: int | None
) -> tuple[Board, BoardOutcome, bool] | None:
    """The board after `event`, committed (and whether the update was a duplicate)."""
    for attempt in range(2):
        board = await services.repo.get_board(RoundId(round_id))
        if board is None:
            return None
        outcome = machine.step(board.state, event)
        if outcome.state == board.state:
            return board, outcome, False
        try:
            done = await services.repo.apply_board(
                None if update_id is None else UpdateId(update_id),
                RoundId(round_id),
                board.state,
                outcome.state,
                services.clock(),
            )
        except StaleBoardError:  # changed outside the board's lock (a /forget): read again
            if attempt:
                raise
            continue
        return replace(board, state=outcome.state), outcome, done is ApplyResult.DUPLICATE
    raise AssertionError("unreachable: the second attempt returns or raises")


async def perform(
    services: Services, bot: Bot, board: Board, effects: Sequence[BoardEffect], actor: int
) -> None:
    """What the step asked for, in order. Effects the caller shows itself are left to it.

    What goes to the group or to many people (the reveal, the ballots, the results) runs as a
    task: the tap that caused it is answered at once, whatever the group's send budget.
    """
    for effect in effects:
        match effect:
            case PostReveal():
                _in_background(services, post_reveal(services, board, effect))
            case ProposeGroup() | GroupingDone():
                await _tell_facilitator(services, bot, board, effect, actor)
            case OfferBallots():
                _in_background(services, offer_ballots(services, bot, board))
            case PostResults():
                _in_background(services, post_results(services, bot, board, effect, actor))
            case TellOwner():
                await _tell_owner(services, bot, board, effect)
            case (
                RefreshBoard() | Refuse() | AcknowledgeItem() | RefreshOwnItems() | RefreshBallot()
            ):
                pass  # the board is refreshed under its lock; the rest answered by the handler


def _in_background(services: Services, work: Coroutine[Any, Any, None]) -> None:
    task = asyncio.get_running_loop().create_task(_logged(work))
    services.background.add(task)
    task.add_done_callback(services.background.discard)


async def _logged(work: Coroutine[Any, Any, None]) -> None:
    try:
        await work
    except Exception:  # a task's error has no handler to reach: it is logged here
        log.exception("a SWOT post failed")


# ---- the group's board -----------------------------------------------------------------------


async def group_translator(services: Services, board: Board) -> Translator:
    """The group reads the board in the language of the facilitator who started it, as it reads
    the announcements of the rounds they open."""
    return await person_translator(services, board.opened_by)


async def board_title(services: Services, t: Translator, board: Board) -> str:
    cohort = await services.repo.get_cohort(board.cohort_id)
    name = cohort.name if cohort is not None else ""
    return t("SWOT — {cohort}", cohort=name)


async def board_reply(services: Services, board: Board) -> Reply:
    t = await group_translator(services, board)
    members = len({m.user_id for m in await services.repo.members_of(board.cohort_id)})
    counts = machine.board_counts(board.state)
    title = await board_title(services, t, board)
    text = texts.board_text(t, title, board.state, counts, members)
    return Reply(text, board_buttons(services, t, board))


def board_buttons(
    services: Services, t: Translator, board: Board
) -> tuple[tuple[Button, ...], ...]:
    link = f"https://t.me/{services.bot_username}?start="
    round_id, phase = int(board.round_id), board.state.phase

    def tap(label: str, action: str) -> Button:
        return Button(label, board_button(action, round_id).encode())

    match phase:
        case "collecting":
            return (
                (Button(t("✍️ Add my items"), url=link + board_payload(round_id, "write")),),
                (tap(t("👁 Reveal (facilitators)"), "R"),),
            )
        case "closed":
            return ((tap(t("👁 Reveal (facilitators)"), "R"),),)
        case "revealed" | "grouping":
            return (
                (tap(t("🔗 Group look-alikes (facilitators)"), "g"),),
                (tap(t("🗳 Open the vote (facilitators)"), "V"),),
            )
        case "voting":
            return (
                (Button(t("🗳 My ballot"), url=link + board_payload(round_id, "vote")),),
                (tap(t("🏁 Close the vote (facilitators)"), "C"),),
            )
        case "results":
            return ((tap(t("📌 Add an action (facilitators)"), "A"),),)


async def refresh_board(services: Services, board: Board) -> None:
    """Ask the outbox to show the board's newest counts (it coalesces and skips repeats)."""
    if board.chat_id is None or board.message_id is None:
        return
    reply = await board_reply(services, board)
    outbox(services).edit(
        board.chat_id, board.message_id, telegram_io.fit(reply.text), telegram_io.markup(reply)
    )


def outbox(services: Services) -> GroupOutbox:
    assert services.outbox is not None, "prepare() sets the outbox up"
    return services.outbox


async def post_reveal(services: Services, board: Board, effect: PostReveal) -> None:
    if board.chat_id is None:
        return
    t = await group_translator(services, board)
    names = await services.repo.member_names(board.cohort_id)
    named = {int(user): name for user, name in names.items()}
    for quadrant, items in effect.quadrants:
        text = texts.revealed_text(t, quadrant, items, named)
        if len(text) <= REVEAL_TEXT_LIMIT:
            await outbox(services).send(board.chat_id, text)
            continue
        heading = f"{texts.ICONS[quadrant]} {texts.quadrant_name(t, quadrant)} ({len(items)})"
        try:
            picture = await pictures(services).render_item_list(
                heading, texts.revealed_plain(items, named), more=t("+{count} more")
            )
        except RenderError:  # then as much of the list as a message holds
            log.exception("could not draw the items of round %s", board.round_id)
            await outbox(services).send(board.chat_id, text)
            continue
        await outbox(services).send_photo(board.chat_id, picture, caption=heading)


def pictures(services: Services) -> RenderWorker:
    assert services.pictures is not None, "opened_services sets the render worker up"
    return services.pictures


# ---- private messages ------------------------------------------------------------------------


async def person_translator(services: Services, user_id: int) -> Translator:
    person = await services.repo.get_person(UserId(user_id))
    return translator(language_for(services, person, None))


async def send_private(services: Services, bot: Bot, user_id: int, reply: Reply) -> bool:
    """False when the person cannot be written to (never started the bot, or blocked it)."""
    try:
        return await telegram_io.send(bot, user_id, reply) is not None
    except UnreachableError:
        await services.repo.set_reachable(UserId(user_id), False, services.clock())
        return False


async def _tell_facilitator(
    services: Services, bot: Bot, board: Board, effect: ProposeGroup | GroupingDone, actor: int
) -> None:
    t = await person_translator(services, actor)
    await send_private(services, bot, actor, screens.grouping_reply(t, board, effect))


async def offer_ballots(services: Services, bot: Bot, board: Board) -> None:
    """Everyone in the cohort gets their ballot in private (those the bot can reach)."""
    people = {m.user_id for m in await services.repo.members_of(board.cohort_id)}
    for user_id in sorted(people):  # one ballot each, whatever their roles
        t = await person_translator(services, user_id)
        await send_private(services, bot, user_id, screens.ballot_reply(t, board, user_id, 0, 0))


async def post_results(
    services: Services, bot: Bot, board: Board, effect: PostResults, actor: int
) -> None:
    """The matrix picture and the same content as text, once, in the group."""
    t = await group_translator(services, board)
    title = await board_title(services, t, board)
    text = texts.results_text(t, title, effect.top, effect.voters)
    if board.chat_id is not None:
        try:
            picture = await pictures(services).render_matrix(
                screens.matrix_picture(t, title, effect)
            )
        except RenderError:  # the text says it all: the results never wait on a drawing
            log.exception("could not draw the SWOT matrix of round %s", board.round_id)
        else:
            await outbox(services).send_photo(board.chat_id, picture, caption=escape(title))
        await outbox(services).send(board.chat_id, text)
    mine = await person_translator(services, actor)
    await send_private(services, bot, actor, screens.actions_offer_reply(mine, board, effect))


async def _tell_owner(services: Services, bot: Bot, board: Board, effect: TellOwner) -> None:
    t = await person_translator(services, effect.action.owner)
    cohort = await services.repo.get_cohort(board.cohort_id)
    reply = screens.owner_reply(
        t, cohort.name if cohort else "", int(board.round_id), effect.action
    )
    await send_private(services, bot, effect.action.owner, reply)


def quadrant_letter(index: int) -> str:
    return QUADRANT_LETTERS[index]
