"""Collecting SWOT items in private: a quadrant by button, then one item per message.

Rule: the person's place in the collection (which board, which quadrant, an item being edited,
a text waiting for its quadrant) is their dialog, stored, so a restart loses nothing; the items
themselves are the board's, changed only through `workshop.apply`.
"""

from __future__ import annotations

from html import escape
from typing import Any

from telegram import Bot, User

from bot.callbacks import QUADRANT_LETTERS, BoardButton, board_button
from bot.conversation import t_for
from bot.group import screens, texts, workshop
from bot.i18n import Translator
from bot.policy import standing_in
from bot.render import Button, Reply
from bot.services import Services
from flows import board as machine
from flows.board import QUADRANTS, ItemAdded, ItemEdited, ItemId, ItemRemoved, MemberId
from storage.models import SWOT_COLLECTION_DIALOG, Board, RoundId, UpdateId, UserId

DIALOG = SWOT_COLLECTION_DIALOG


async def member_board(services: Services, user: User, round_id: int, t: Translator) -> Board | str:
    """The board, if `user` is in its cohort; else why not, to tell them."""
    board = await services.repo.get_board(RoundId(round_id))
    if board is None:
        return t("This SWOT no longer exists.")
    if await standing_in(services, user.id, board.cohort_id) == "stranger":
        return t("Sorry, you are not a member of this cohort.")
    return board


async def open_collection(
    services: Services, bot: Bot, user: User, round_id: int, update_id: int | None
) -> None:
    """The deep link of the board's “Add my items”: the rule, then the quadrants."""
    t = await t_for(services, user)
    found = await member_board(services, user, round_id, t)
    if isinstance(found, str):
        await workshop.send_private(services, bot, user.id, Reply(found))
        return
    if found.state.phase != "collecting":
        await workshop.send_private(
            services, bot, user.id, Reply(t("The collection of this SWOT is closed."))
        )
        return
    await _set(services, user, found, {}, update_id)
    title = await workshop.board_title(services, t, found)
    await workshop.send_private(services, bot, user.id, screens.collection_reply(t, found, title))


async def _set(
    services: Services, user: User, board: Board, payload: dict[str, Any], update_id: int | None
) -> None:
    await services.repo.set_dialog(
        UserId(user.id),
        DIALOG,
        {"round": int(board.round_id), **payload},
        services.clock(),
        None if update_id is None else UpdateId(update_id),
    )


async def handle_text(
    services: Services, bot: Bot, user: User, text: str, update_id: int, since: Any = None
) -> bool:
    """A message while collecting: an item, a new text for an item, or a text to place.

    False when the person is not collecting (or touched a questionnaire since: it keeps the text).
    """
    dialog = await services.repo.get_dialog(UserId(user.id))
    if dialog is None or dialog.kind != DIALOG:
        return False
    if since is not None and since > dialog.updated_at:
        return False
    t = await t_for(services, user)
    found = await member_board(services, user, int(dialog.payload.get("round", 0)), t)
    if isinstance(found, str) or found.state.phase != "collecting":
        # The collection is over: the text is for whatever comes next, not for the board.
        await services.repo.clear_dialog(UserId(user.id), services.clock())
        return False
    payload = dict(dialog.payload)
    member = MemberId(user.id)
    if payload.get("edit") is not None:
        event: Any = ItemEdited(member, ItemId(int(payload["edit"])), text)
        await _apply_and_answer(services, bot, user, found, event, update_id, t)
        await _set(services, user, found, {"quadrant": payload.get("quadrant")}, None)
        return True
    letter = payload.get("quadrant")
    if letter not in tuple(QUADRANT_LETTERS):
        await _set(services, user, found, {"pending": text}, update_id)
        reply = screens.pending_reply(t, found, text)
        await workshop.send_private(services, bot, user.id, reply)
        return True
    quadrant = QUADRANTS[QUADRANT_LETTERS.index(letter)]
    event = ItemAdded(member, ItemId(workshop.new_id()), quadrant, text)
    await _apply_and_answer(services, bot, user, found, event, update_id, t)
    return True


async def _apply_and_answer(
    services: Services,
    bot: Bot,
    user: User,
    board: Board,
    event: Any,
    update_id: int | None,
    t: Translator,
) -> str | None:
    """Apply a person's change to their items and answer them; returns a refusal, if any."""
    applied = await workshop.apply(services, bot, int(board.round_id), event, update_id, user.id)
    if applied is None:
        return t("This SWOT no longer exists.")
    if applied.refusal is not None:
        await workshop.send_private(
            services, bot, user.id, Reply(texts.refusal_text(t, applied.refusal))
        )
        return applied.refusal
    for effect in applied.effects:
        if isinstance(effect, machine.AcknowledgeItem):
            reply = screens.ack_reply(t, applied.board, effect.quadrant, effect.number)
            await workshop.send_private(services, bot, user.id, reply)
        elif isinstance(effect, machine.RefreshOwnItems):
            mine = machine.own_items(applied.board.state, MemberId(user.id))
            await workshop.send_private(
                services, bot, user.id, screens.own_items_reply(t, applied.board, mine)
            )
    return None


# ---- buttons ---------------------------------------------------------------------------------


async def on_button(
    services: Services, bot: Bot, user: User, button: BoardButton, update_id: int
) -> str | None:
    """The collection's buttons (q n l d e x X); returns the toast."""
    t = await t_for(services, user)
    found = await member_board(services, user, button.board, t)
    if isinstance(found, str):
        return found
    if found.state.phase != "collecting":
        return t("The collection of this SWOT is closed.")
    letter = QUADRANT_LETTERS[button.quadrant]
    match button.action:
        case "q":
            await _set(services, user, found, {"quadrant": letter}, update_id)
            quadrant = QUADRANTS[button.quadrant]
            reply = screens.writing_in_reply(t, found, quadrant)
            await workshop.send_private(services, bot, user.id, reply)
        case "n":
            return await _place_pending(services, bot, user, found, letter, update_id, t)
        case "l":
            mine = machine.own_items(found.state, MemberId(user.id))
            reply = screens.own_items_reply(t, found, mine)
            await workshop.send_private(services, bot, user.id, reply)
        case "d":
            await services.repo.clear_dialog(UserId(user.id), services.clock(), UpdateId(update_id))
            text = t(
                "Thank you! You can come back with the board's button and add items until the facilitator closes the collection."
            )
            await workshop.send_private(services, bot, user.id, Reply(text))
        case "e":
            return await _ask_new_text(services, bot, user, found, button, update_id, t)
        case "x":
            return await _ask_delete(services, bot, user, found, button, t)
        case "X":
            event = ItemRemoved(MemberId(user.id), ItemId(button.number or 0))
            await _apply_and_answer(services, bot, user, found, event, update_id, t)
    return None


async def _place_pending(
    services: Services,
    bot: Bot,
    user: User,
    board: Board,
    letter: str,
    update_id: int,
    t: Translator,
) -> str | None:
    dialog = await services.repo.get_dialog(UserId(user.id))
    pending = (
        dialog.payload.get("pending") if dialog is not None and dialog.kind == DIALOG else None
    )
    if not isinstance(pending, str):
        return t("This button is no longer valid.")
    await _set(services, user, board, {"quadrant": letter}, None)
    quadrant = QUADRANTS[QUADRANT_LETTERS.index(letter)]
    event = ItemAdded(MemberId(user.id), ItemId(workshop.new_id()), quadrant, pending)
    await _apply_and_answer(services, bot, user, board, event, update_id, t)
    return None


def _own(board: Board, user: User, number: int | None) -> machine.Item | None:
    item = board.state.items.get(ItemId(number or 0))
    return item if item is not None and item.author == user.id else None


async def _ask_new_text(
    services: Services,
    bot: Bot,
    user: User,
    board: Board,
    button: BoardButton,
    update_id: int,
    t: Translator,
) -> str | None:
    item = _own(board, user, button.number)
    if item is None:
        return t("This item is no longer there.")
    dialog = await services.repo.get_dialog(UserId(user.id))
    quadrant = dialog.payload.get("quadrant") if dialog is not None else None
    await _set(services, user, board, {"edit": int(item.id), "quadrant": quadrant}, update_id)
    text = t("Send the new text for: “{item}”", item=escape(texts.short(item.text, 80)))
    await workshop.send_private(services, bot, user.id, Reply(text))
    return None


async def _ask_delete(
    services: Services, bot: Bot, user: User, board: Board, button: BoardButton, t: Translator
) -> str | None:
    item = _own(board, user, button.number)
    if item is None:
        return t("This item is no longer there.")
    round_id, number = int(board.round_id), str(item.id)
    question = t("Delete “{item}”? This cannot be undone.", item=escape(texts.short(item.text, 80)))
    rows = (
        (
            Button(t("Yes, delete it"), board_button("X", round_id, number).encode()),
            Button(t("No, keep it"), board_button("l", round_id).encode()),
        ),
    )
    await workshop.send_private(services, bot, user.id, Reply(question, rows))
    return None
