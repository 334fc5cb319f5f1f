"""Which part of the SWOT workshop a board button belongs to (`b|<action>|…`).

Rule: routing only. The collection's and the ballot's buttons act only in the person's private
chat; the facilitator's are authorized by `facilitate` (and actions' by it too, except marking
one's own action done, which is the owner's).
"""

from __future__ import annotations

from telegram import Bot, CallbackQuery

from bot import telegram_io
from bot.callbacks import BoardButton
from bot.conversation import t_for
from bot.group import actions, ballot, collect, facilitate
from bot.policy import Action, authorize
from bot.services import Services
from storage.models import RoundId, UserId

COLLECT = frozenset("qnldexX")
BALLOT = frozenset("b+-")
FACILITATE = frozenset("YNZRrgastmVvCc")
ACTION_WIZARD = frozenset("ATow")


async def on_board_button(
    services: Services, bot: Bot, query: CallbackQuery, button: BoardButton, update_id: int
) -> str | None:
    """The toast for a board button (None: nothing to say)."""
    user = query.from_user
    t = await t_for(services, user)
    private = query.message is None or query.message.chat.id == user.id
    if button.action == "k":
        return await actions.mark_done(services, user, button, update_id)
    if button.action == "0":
        return await _not_now(services, bot, query)
    if button.action in FACILITATE:
        return await facilitate.on_button(services, bot, query, button, update_id)
    if not private and button.action != "A":
        return t("This button is no longer valid.")
    if button.action in COLLECT:
        return await collect.on_button(services, bot, user, button, update_id)
    if button.action in BALLOT:
        return await ballot.on_button(services, bot, query, button, update_id)
    board = await services.repo.get_board(RoundId(button.board))
    if board is None:
        return t("This SWOT no longer exists.")
    group = None if private or query.message is None else query.message.chat.id
    decision = await authorize(services, bot, t, user.id, board.cohort_id, Action.RUN_SWOT, group)
    if not decision.allowed:
        return decision.reason
    if button.action == "A":
        toast = await actions.start(services, bot, user, board, button, update_id)
        return toast if toast is not None or private else t("I have written to you in private.")
    return await actions.on_button(services, bot, query, button, update_id)


async def _not_now(services: Services, bot: Bot, query: CallbackQuery) -> str | None:
    """ "Not now" or "Cancel": the buttons go, and a name or an action being typed is dropped."""
    user = query.from_user
    if query.message is not None:
        await telegram_io.edit_buttons(bot, query.message.chat.id, query.message.message_id, None)
    dialog = await services.repo.get_dialog(UserId(user.id))
    if dialog is not None and dialog.kind in (facilitate.RENAME, actions.DIALOG):
        await services.repo.clear_dialog(UserId(user.id), services.clock())
    t = await t_for(services, user)
    return t("Cancelled: nothing was changed.")
