"""The private ballot: dots on the board's items, within the budget, seen only by the voter.

Rule: a ballot shows one quadrant's page of items with − and + per item and the dots left; a tap
is one `VoteCast` or `VoteWithdrawn` through `workshop.apply` (committed with its update id, so a
tap delivered twice counts once), then the same message is edited to show the new dots. The
refusals (no dots left, the most on one item) come back as a toast.
"""

from __future__ import annotations

from telegram import Bot, CallbackQuery, Message, User

from bot import telegram_io
from bot.callbacks import BoardButton
from bot.conversation import t_for
from bot.group import screens, texts, workshop
from bot.group.collect import member_board
from bot.render import Reply
from bot.services import Services
from flows.board import ItemId, MemberId, VoteCast, VoteWithdrawn


async def open_ballot(services: Services, bot: Bot, user: User, round_id: int) -> None:
    """The deep link of the board's “My ballot”."""
    t = await t_for(services, user)
    found = await member_board(services, user, round_id, t)
    if isinstance(found, str):
        await workshop.send_private(services, bot, user.id, Reply(found))
        return
    if found.state.phase != "voting":
        text = t("The vote of this SWOT is not open.")
        await workshop.send_private(services, bot, user.id, Reply(text))
        return
    await workshop.send_private(
        services, bot, user.id, screens.ballot_reply(t, found, user.id, 0, 0)
    )


async def on_button(
    services: Services, bot: Bot, query: CallbackQuery, button: BoardButton, update_id: int
) -> str | None:
    """+ and − on an item, or another page (b); returns the toast."""
    user = query.from_user
    t = await t_for(services, user)
    found = await member_board(services, user, button.board, t)
    if isinstance(found, str):
        return found
    if found.state.phase != "voting":
        return t("The vote of this SWOT is not open.")
    board, toast = found, None
    if button.action in "+-":
        member, item = MemberId(user.id), ItemId(button.number or 0)
        event = VoteCast(member, item) if button.action == "+" else VoteWithdrawn(member, item)
        applied = await workshop.apply(services, bot, button.board, event, update_id, user.id)
        if applied is None:
            return t("This SWOT no longer exists.")
        if applied.refusal is not None:
            return texts.refusal_text(t, applied.refusal)
        board = applied.board
        left = board.state.budget - sum(board.state.ballots.get(member, {}).values())
        toast = t.plural("{count} dot left", "{count} dots left", left)
    message = query.message
    if isinstance(message, Message):
        reply = screens.ballot_reply(t, board, user.id, button.quadrant, button.page)
        await telegram_io.edit(bot, message.chat.id, message.message_id, reply)
    return toast
