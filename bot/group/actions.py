"""Actions out of the SWOT: a facilitator turns top items into actions (title, owner, due date),
owners are told in private and mark theirs done, and `/actions` lists them for the cohort.

Rule: creating an action is a board event (`ActionCreated`, through `workshop.apply`), so it is
committed with its update id like every other; the wizard's answers so far are the facilitator's
dialog, stored. Marking one done is the owner's, and only theirs.
"""

from __future__ import annotations

from datetime import date, timedelta
from html import escape
from typing import Any

from telegram import Bot, CallbackQuery, Message, Update, User

from bot import telegram_io
from bot.callbacks import BoardButton, board_button
from bot.conversation import Context, t_for
from bot.deadlines import cohort_timezone
from bot.group import screens, texts, workshop
from bot.i18n import Translator
from bot.render import Button, Reply
from bot.services import Services, services_of
from flows.board import (
    MAX_ACTION_TITLE_LENGTH,
    ActionCreated,
    ActionId,
    ItemId,
    MemberId,
    Refusal,
)
from storage.models import ActionRow, Board, ChatId, CohortId, RoundId, UpdateId, UserId

DIALOG = "swot_action"


async def _today(services: Services, cohort_id: int) -> date:
    cohort = await services.repo.get_cohort(CohortId(cohort_id))
    zone = cohort_timezone(services, cohort)
    return services.clock().astimezone(zone).date()


async def start(
    services: Services, bot: Bot, user: User, board: Board, button: BoardButton, update_id: int
) -> str | None:
    """`A`: a new action, from an item (its text is offered as the title) or from nothing."""
    t = await t_for(services, user)
    if board.state.phase != "results":
        return t("Actions come once the vote is closed.")
    item = board.state.items.get(ItemId(button.number or 0))
    payload: dict[str, Any] = {"round": int(board.round_id), "step": "title"}
    rows: tuple[tuple[Button, ...], ...] = (_cancel(t, board),)
    if item is not None:
        payload["item"] = int(item.id)
        keep = Button(t("✓ Keep this title"), board_button("T", int(board.round_id)).encode())
        rows = ((keep,), *rows)
    await services.repo.set_dialog(
        UserId(user.id), DIALOG, payload, services.clock(), UpdateId(update_id)
    )
    text = t("New action. Type its title (at most {max} characters).", max=MAX_ACTION_TITLE_LENGTH)
    if item is not None:
        text += "\n\n" + t(
            "Or keep: “{title}”", title=escape(texts.short(item.label or item.text, 120))
        )
    sent = await workshop.send_private(services, bot, user.id, Reply(text, rows))
    return (
        None if sent else t("Please open a private chat with me first (tap my name, then Start).")
    )


def _cancel(t: Translator, board: Board) -> tuple[Button, ...]:
    return (Button(t("Cancel"), board_button("0", int(board.round_id)).encode()),)


async def _dialog(services: Services, user: User, round_id: int) -> dict[str, Any] | None:
    dialog = await services.repo.get_dialog(UserId(user.id))
    if dialog is None or dialog.kind != DIALOG or dialog.payload.get("round") != round_id:
        return None
    return dict(dialog.payload)


async def handle_text(
    services: Services, bot: Bot, user: User, text: str, update_id: int, since: Any = None
) -> bool:
    """The title typed for an action; False when no action is being written (or a
    questionnaire was touched since: it keeps the text)."""
    dialog = await services.repo.get_dialog(UserId(user.id))
    if dialog is None or dialog.kind != DIALOG:
        return False
    if since is not None and since > dialog.updated_at:
        return False
    t = await t_for(services, user)
    title = " ".join(text.split())
    if dialog.payload.get("step") != "title":
        await workshop.send_private(
            services, bot, user.id, Reply(t("Please answer with the buttons above."))
        )
        return True
    if not title or len(title) > MAX_ACTION_TITLE_LENGTH:
        reason: Refusal = "empty" if not title else "too_long"
        await workshop.send_private(services, bot, user.id, Reply(texts.refusal_text(t, reason)))
        return True
    board = await services.repo.get_board(RoundId(int(dialog.payload.get("round", 0))))
    if board is None:
        return True
    await _ask_owner(services, bot, user, board, {**dialog.payload, "title": title}, update_id, t)
    return True


async def _ask_owner(
    services: Services,
    bot: Bot,
    user: User,
    board: Board,
    payload: dict[str, Any],
    update_id: int,
    t: Translator,
) -> None:
    payload["step"] = "owner"
    await services.repo.set_dialog(
        UserId(user.id), DIALOG, payload, services.clock(), UpdateId(update_id)
    )
    names = await services.repo.member_names(board.cohort_id)
    people = sorted(names.items(), key=lambda pair: pair[1].casefold())
    buttons = [
        Button(texts.short(name, 30), board_button("o", int(board.round_id), str(user_id)).encode())
        for user_id, name in people
    ]
    rows = (
        *(tuple(buttons[i : i + 2]) for i in range(0, len(buttons), 2)),
        _cancel(t, board),
    )
    text = t("Who owns “{title}”?", title=escape(payload["title"]))
    await workshop.send_private(services, bot, user.id, Reply(text, rows))


async def on_button(
    services: Services, bot: Bot, query: CallbackQuery, button: BoardButton, update_id: int
) -> str | None:
    """The wizard's buttons after the start (T o w); the caller has authorized the facilitator."""
    user = query.from_user
    t = await t_for(services, user)
    board = await services.repo.get_board(RoundId(button.board))
    payload = await _dialog(services, user, button.board)
    if board is None or payload is None:
        return t("This button is no longer valid.")
    if isinstance(query.message, Message):
        await telegram_io.edit_buttons(bot, user.id, query.message.message_id, None)
    match button.action, payload.get("step"):
        case "T", "title":
            item = board.state.items.get(ItemId(int(payload.get("item", 0))))
            if item is None:
                return t("This item is no longer there.")
            payload["title"] = item.label or item.text
            await _ask_owner(services, bot, user, board, payload, update_id, t)
        case "o", "owner":
            names = await services.repo.member_names(board.cohort_id)
            if UserId(button.number or 0) not in names:
                return t("This person is no longer a member of the cohort.")
            payload.update(owner=button.number, step="due")
            await services.repo.set_dialog(
                UserId(user.id), DIALOG, payload, services.clock(), UpdateId(update_id)
            )
            today = await _today(services, board.cohort_id)
            text = t("When is it due?")
            await workshop.send_private(
                services,
                bot,
                user.id,
                Reply(text, (*screens.due_buttons(t, board, today), _cancel(t, board))),
            )
        case "w", "due":
            return await _create(services, bot, user, board, payload, button.days, update_id, t)
        case _:
            return t("This button is no longer valid.")
    return None


async def _create(
    services: Services,
    bot: Bot,
    user: User,
    board: Board,
    payload: dict[str, Any],
    days: int,
    update_id: int,
    t: Translator,
) -> str | None:
    today = await _today(services, board.cohort_id)
    due = today + timedelta(days=days) if days else None
    item = payload.get("item")
    event = ActionCreated(
        ActionId(workshop.new_id()),
        str(payload["title"]),
        MemberId(int(payload["owner"])),
        due,
        None if item is None else ItemId(int(item)),
    )
    await services.repo.clear_dialog(UserId(user.id), services.clock())
    applied = await workshop.apply(services, bot, int(board.round_id), event, update_id, user.id)
    if applied is None:
        return t("This SWOT no longer exists.")
    if applied.refusal is not None:
        return texts.refusal_text(t, applied.refusal)
    names = await services.repo.member_names(board.cohort_id)
    line = screens.action_line(t, event.title, names.get(UserId(event.owner), "—"), due, today)
    text = t("Action created; its owner has been told.") + "\n" + line
    rows = ((Button(t("📌 Another action"), board_button("A", int(board.round_id)).encode()),),)
    await workshop.send_private(services, bot, user.id, Reply(text, rows))
    return None


# ---- /actions and done -----------------------------------------------------------------------


async def on_actions(update: Update, context: Context) -> None:
    """`/actions`: the open actions of the cohort (of the group, or of each of one's cohorts)."""
    services, user, chat = services_of(context), update.effective_user, update.effective_chat
    if user is None or chat is None:
        return
    t = await t_for(services, user)
    in_group = chat.type in ("group", "supergroup")
    if in_group:
        cohort = await services.repo.cohort_of_chat(ChatId(chat.id))
        cohorts = [] if cohort is None else [cohort.id]
    else:
        cohorts = sorted({m.cohort_id for m in await services.repo.memberships_of(UserId(user.id))})
    lines: list[str] = []
    rows: list[tuple[Button, ...]] = []
    for cohort_id in cohorts:
        found = await services.repo.get_cohort(CohortId(cohort_id))
        today = await _today(services, cohort_id)
        actions = [
            a
            for a in await services.repo.actions_of_cohort(CohortId(cohort_id))
            if a.status == "open"
        ]
        if not actions or found is None:
            continue
        lines.append(f"\n<b>{escape(found.name)}</b>")
        for action in actions:
            lines.append(
                screens.action_line(
                    t, action.title, action.owner_name or "—", action.due_date, today
                )
            )
            if not in_group and action.owner_user_id == user.id:
                rows.append((_done_button(t, action),))
    if not lines:
        text = t("No open action. Actions are created at the end of a SWOT.")
    else:
        text = "<b>" + t("Open actions") + "</b>" + "\n".join(lines)
        if not in_group and rows:
            text += "\n\n" + t("Tap one of yours when it is done.")
    reply = Reply(text, tuple(rows))
    if in_group:
        await workshop.outbox(services).send(chat.id, reply.text)
    else:
        await telegram_io.send(context.bot, chat.id, reply)


def _done_button(t: Translator, action: ActionRow) -> Button:
    board = action.round_id or action.cohort_id
    label = "✓ " + t("Done: {title}", title=texts.short(action.title, 30))
    return Button(label, board_button("k", int(board), str(action.id)).encode())


async def mark_done(
    services: Services, user: User, button: BoardButton, update_id: int
) -> str | None:
    """`k`: the owner marks their action done."""
    t = await t_for(services, user)
    action = await services.repo.get_action(ActionId(button.number or 0))
    if action is None:
        return t("This action no longer exists.")
    if action.owner_user_id != user.id:
        return t("Only the action's owner can mark it done.")
    if action.status == "done":
        return t("Already done.")
    await services.repo.set_action_status(UpdateId(update_id), action.id, "done", services.clock())
    return t("Marked done. Thank you!")
