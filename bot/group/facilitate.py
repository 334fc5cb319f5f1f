"""The facilitator's side of the SWOT: /swot in the group, reveal, grouping, opening and closing
the vote.

Rule: the group sees only the board and what the workshop posts; a facilitator's tap on the
board's buttons is authorized again (a cohort's facilitator, and an admin of the group, as for
every facilitator command in a group), then continued in private, where confirmations and
choices do not spend the group's send budget. Anyone else's tap gets a short refusal.
"""

from __future__ import annotations

from typing import Any

from telegram import Bot, CallbackQuery, Message, Update, User

from bot import telegram_io
from bot.callbacks import BoardButton, board_button
from bot.conversation import Context, t_for
from bot.group import screens, texts, workshop
from bot.i18n import Translator
from bot.policy import Action, authorize
from bot.render import Button, Reply
from bot.services import Services, services_of
from flows.board import (
    MAX_LABEL_LENGTH,
    BoardEvent,
    GroupingStarted,
    GroupRenamed,
    ItemDetached,
    ItemId,
    ProposalApproved,
    ProposalRejected,
    Revealed,
    VotingClosed,
    VotingOpened,
)
from storage import BoardExistsError
from storage.models import Board, ChatId, CohortId, RoundId, UpdateId, UserId

SWOT_FLOW = "swot"
RENAME = "swot_rename"


async def on_swot(update: Update, context: Context) -> None:
    """`/swot` in the cohort's group: start the board (asking anonymous or with names), or show
    the one under way again, as a new message, when it has scrolled away."""
    services, user, chat = services_of(context), update.effective_user, update.effective_chat
    if user is None or chat is None:
        return
    t = await t_for(services, user)
    if chat.type not in ("group", "supergroup"):
        text = t("The SWOT runs in your cohort's group: send /swot there.")
        await telegram_io.send(context.bot, chat.id, Reply(text))
        return
    cohort = await services.repo.cohort_of_chat(ChatId(chat.id))
    if cohort is None:
        text = t(
            "This group is not linked to a cohort yet: a facilitator sends /bind followed by the cohort's code."
        )
        await workshop.outbox(services).send(chat.id, text)
        return
    decision = await authorize(
        services, context.bot, t, user.id, cohort.id, Action.RUN_SWOT, chat.id
    )
    if not decision.allowed:
        await workshop.outbox(services).send(chat.id, decision.reason)
        return
    board = await services.repo.active_board_of_cohort(cohort.id)
    if board is not None:
        await post_board(services, board, chat.id)
        return
    reply = start_question(t, cohort.id)  # the board speaks its starter's language
    await workshop.outbox(services).send(chat.id, reply.text, telegram_io.markup(reply))


async def post_board(services: Services, board: Board, chat_id: int) -> None:
    """The board as a new message in the group; it is the one edited from now on."""
    reply = await workshop.board_reply(services, board)
    sent = await workshop.outbox(services).send(chat_id, reply.text, telegram_io.markup(reply))
    if sent is not None:
        await services.repo.set_board_message(board.round_id, ChatId(chat_id), sent.message_id)


async def _start(
    services: Services, bot: Bot, query: CallbackQuery, button: BoardButton, t: Translator
) -> str | None:
    """Y (anonymous), N (with names), Z (not now): from the /swot question in the group, or from
    /open in private, where the board goes to the cohort's group."""
    message = query.message
    in_group = isinstance(message, Message) and message.chat.type in ("group", "supergroup")
    if in_group and isinstance(message, Message):
        cohort = await services.repo.cohort_of_chat(ChatId(message.chat.id))
        if cohort is None or cohort.id != button.board:
            return t("This button is no longer valid.")
        chat_id = message.chat.id
    else:
        chats = await services.repo.chats_of_cohort(CohortId(button.board))
        groups = [chat.chat_id for chat in chats if chat.kind in ("group", "supergroup")]
        if not groups:
            return t("Link a group to the cohort first: send /bind with the cohort's code there.")
        chat_id = groups[0]
    # In the group the question becomes the board (edited through the outbox); elsewhere, and
    # for "not now", its buttons are done with.
    if isinstance(message, Message) and (not in_group or button.action == "Z"):
        await telegram_io.edit_buttons(bot, message.chat.id, message.message_id, None)
    if button.action == "Z":
        if in_group:
            await workshop.outbox(services).send(chat_id, t("All right, no SWOT for now."))
        return None
    flow = services.flows.get(SWOT_FLOW)
    try:
        board = await services.repo.open_board(
            CohortId(button.board),
            flow.id,
            flow.version,
            UserId(query.from_user.id),
            button.action == "Y",
            services.clock(),
            ChatId(chat_id),
        )
    except BoardExistsError:
        return t("A SWOT is already under way in this cohort: send /swot to see its board.")
    if not in_group or not isinstance(message, Message):
        await post_board(services, board, chat_id)
        reply = Reply(t("The SWOT board is posted in the group. Its buttons run the workshop."))
        await workshop.send_private(services, bot, query.from_user.id, reply)
        return None
    # The question becomes the board: one message fewer in the group.
    await services.repo.set_board_message(board.round_id, ChatId(chat_id), message.message_id)
    board = await services.repo.get_board(board.round_id) or board
    await workshop.refresh_board(services, board)
    return None


def start_question(t: Translator, cohort_id: int) -> Reply:
    """Anonymous or with names: asked before anyone writes, in the group or in private."""
    question = "\n\n".join(
        [
            "<b>" + t("Start a SWOT of our collective offer?") + "</b>",
            texts.explanation(t),
            t("Should the group see the items with their authors' names?"),
        ]
    )
    rows = (
        (Button(t("🕶 Anonymous (recommended)"), board_button("Y", cohort_id).encode()),),
        (Button(t("👤 With names"), board_button("N", cohort_id).encode()),),
        (Button(t("Not now"), board_button("Z", cohort_id).encode()),),
    )
    return Reply(question, rows)


async def on_button(
    services: Services, bot: Bot, query: CallbackQuery, button: BoardButton, update_id: int
) -> str | None:
    """The facilitator's buttons (Y N Z R r g a s t m V v C c); returns the toast."""
    user = query.from_user
    t = await t_for(services, user)
    in_group = isinstance(query.message, Message) and query.message.chat.type in (
        "group",
        "supergroup",
    )
    group = query.message.chat.id if in_group and query.message is not None else None
    if button.action in "YNZ":
        decision = await authorize(services, bot, t, user.id, button.board, Action.RUN_SWOT, group)
        return (
            await _start(services, bot, query, button, t) if decision.allowed else decision.reason
        )
    board = await services.repo.get_board(RoundId(button.board))
    if board is None:
        return t("This SWOT no longer exists.")
    decision = await authorize(services, bot, t, user.id, board.cohort_id, Action.RUN_SWOT, group)
    if not decision.allowed:
        return decision.reason
    if in_group:
        return await _continue_in_private(services, bot, user, board, button, t)
    if isinstance(query.message, Message):
        await telegram_io.edit_buttons(bot, user.id, query.message.message_id, None)
    return await _decided(services, bot, user, board, button, update_id, t)


async def _continue_in_private(
    services: Services, bot: Bot, user: User, board: Board, button: BoardButton, t: Translator
) -> str | None:
    """A tap on the board: the confirmation or the choices come in private."""
    round_id = int(board.round_id)

    def tap(label: str, action: str, argument: str = "") -> Button:
        return Button(label, board_button(action, round_id, argument).encode())

    not_now = tap(t("Not now"), "0")
    match button.action:
        case "R":
            reply = Reply(
                t("Reveal the items to the group now? Nobody can add or change items after that."),
                ((tap(t("👁 Yes, reveal"), "r"), not_now),),
            )
        case "g":
            reply = Reply(t("Looking for look-alikes…"))
            if not await workshop.send_private(services, bot, user.id, reply):
                return t("Please open a private chat with me first (tap my name, then Start).")
            await _decided(services, bot, user, board, button, None, t)
            return t("I have written to you in private.")
        case "V":
            reply = Reply(
                t(
                    "How many dots does each person get? Nobody sees the totals until you close the vote."
                ),
                screens.vote_budget_buttons(t, board),
            )
        case "C":
            reply = Reply(
                t(
                    "Close the vote now? The results go to the group, and nobody can vote after that."
                ),
                ((tap(t("🏁 Yes, close the vote"), "c"), not_now),),
            )
        case _:
            return t("This button is no longer valid.")
    if not await workshop.send_private(services, bot, user.id, reply):
        return t("Please open a private chat with me first (tap my name, then Start).")
    return t("I have written to you in private.")


def _event_of(button: BoardButton) -> BoardEvent | None:
    head = ItemId(button.number or 0)
    match button.action:
        case "r":
            return Revealed()
        case "g":
            return GroupingStarted()
        case "a":
            return ProposalApproved(head)
        case "s":
            return ProposalRejected(head)
        case "t":
            return ItemDetached(head)
        case "v":
            return VotingOpened(*button.budget)
        case "c":
            return VotingClosed()
    return None


async def _decided(
    services: Services,
    bot: Bot,
    user: User,
    board: Board,
    button: BoardButton,
    update_id: int | None,
    t: Translator,
) -> str | None:
    if button.action == "Z":
        return None
    if button.action == "m":
        await services.repo.set_dialog(
            UserId(user.id),
            RENAME,
            {"round": int(board.round_id), "head": button.number},
            services.clock(),
            None if update_id is None else UpdateId(update_id),
        )
        text = t(
            "Send the name of the merged item (at most {max} characters).", max=MAX_LABEL_LENGTH
        )
        cancel = Button(t("Cancel"), board_button("0", int(board.round_id)).encode())
        await workshop.send_private(services, bot, user.id, Reply(text, ((cancel,),)))
        return None
    event = _event_of(button)
    if event is None:
        return t("This button is no longer valid.")
    applied = await workshop.apply(services, bot, int(board.round_id), event, update_id, user.id)
    if applied is None:
        return t("This SWOT no longer exists.")
    if applied.refusal is not None:
        return texts.refusal_text(t, applied.refusal)
    return _done_toast(t, button.action)


def _done_toast(t: Translator, action: str) -> str | None:
    toasts = {
        "r": t("Revealed in the group."),
        "v": t("The vote is open."),
        "c": t("The vote is closed: the results are in the group."),
    }
    return toasts.get(action)


async def handle_rename(
    services: Services, bot: Bot, user: User, text: str, update_id: int, since: Any = None
) -> bool:
    """The name typed for a merged item; False when no rename was asked (or a questionnaire
    was touched since: it keeps the text)."""
    dialog = await services.repo.get_dialog(UserId(user.id))
    if dialog is None or dialog.kind != RENAME:
        return False
    if since is not None and since > dialog.updated_at:
        return False
    t = await t_for(services, user)
    round_id, head = int(dialog.payload.get("round", 0)), ItemId(int(dialog.payload.get("head", 0)))
    board = await services.repo.get_board(RoundId(round_id))
    await services.repo.clear_dialog(UserId(user.id), services.clock())
    if board is None:
        return True
    label = " ".join(text.split())
    pending = any(proposal[0] == head for proposal in board.state.proposals)
    event: BoardEvent = ProposalApproved(head, label) if pending else GroupRenamed(head, label)
    applied = await workshop.apply(services, bot, round_id, event, update_id, user.id)
    if applied is not None and applied.refusal is not None:
        reply = Reply(texts.refusal_text(t, applied.refusal))
        await workshop.send_private(services, bot, user.id, reply)
    elif applied is not None and not pending:
        await workshop.send_private(services, bot, user.id, Reply(t("Renamed.")))
    return True
