"""Handlers of a participant's private chat: /start, /help, /cancel, typed answers, buttons.

Rule: a handler only narrows the Update (Telegram's Optionals end here), takes the chat's lock and
hands over to `survey`, `onboarding`, `answering` or a menu action (the table is wired in `app`).
No handler talks SQL or runs the engine.
"""

from __future__ import annotations

from datetime import datetime

from telegram import Bot, CallbackQuery, Update, User

from bot import answering, onboarding, telegram_io
from bot.callbacks import BoardButton, MenuButton, SurveyButton, decode, event_of
from bot.conversation import (
    Context,
    MenuActions,
    Tap,
    current_session,
    person_of,
    stale,
    t_for,
)
from bot.deeplinks import BoardLink, JoinLink, RoundLink, read_payload
from bot.group import actions, ballot, buttons, collect, facilitate
from bot.i18n import Translator, language_of, translator
from bot.policy import is_facilitator_anywhere
from bot.render import Button, Reply, edit_picker, review_reply
from bot.services import Services, services_of
from bot.survey import begin, drive, summary_of_review
from flows.events import Cancelled, TextReceived
from storage.models import Session, SessionId

# ---- commands -------------------------------------------------------------------------------


async def on_start(update: Update, context: Context) -> None:
    """`/start [payload]` in private: join a cohort, start a round, or resume where one was.

    A payload this bot did not make counts as none: a plain /start.
    """
    services, user, chat = services_of(context), update.effective_user, update.effective_chat
    if user is None or chat is None:
        return
    secret = services.settings.bot_token.get_secret_value() if services.settings.bot_token else ""
    link = read_payload(context.args[0], secret) if context.args else None
    async with services.locks.hold(chat.id):
        person = await person_of(services, user)
        await services.repo.set_reachable(person.user_id, True, services.clock())
        invited = isinstance(link, JoinLink)
        if isinstance(link, JoinLink) and await onboarding.handle_invitation(
            services, context.bot, user, link, update.update_id
        ):
            return
        if isinstance(link, BoardLink):
            if link.purpose == "vote":
                await ballot.open_ballot(services, context.bot, user, link.round_id)
            else:
                await collect.open_collection(
                    services, context.bot, user, link.round_id, update.update_id
                )
            return
        if isinstance(link, RoundLink):
            await answering.start_round(
                services, context.bot, user, link.round_id, update.update_id
            )
            return
        session = await current_session(services, user.id)
        if session is not None:
            await begin(services, context.bot, session, update.update_id)
            return
        # A member who reopened their invitation was greeted already: no second hello.
        await answering.offer_open_rounds(
            services, context.bot, user, update.update_id, quiet=invited
        )


async def on_help(update: Update, context: Context) -> None:
    services, user, chat = services_of(context), update.effective_user, update.effective_chat
    if user is None or chat is None:
        return
    t = await t_for(services, user)
    lines = [
        "<b>"
        + t("bilan-bot helps your group review its work: questionnaires, SWOT, actions.")
        + "</b>",
        t("/start — answer the questionnaire that is open for you, or resume it"),
        t("/actions — the open actions of your cohort; mark yours done"),
        t("/lang — choose your language"),
        t("/cancel — leave the questionnaire in progress"),
        t("/mydata — get a copy of everything stored about you"),
        t("/forget — delete your data (I ask first)"),
        t("/help — this list"),
        t(
            "While answering: tap the buttons, or type when a question asks for text. « Back goes to the previous question; you can change any answer before you submit."
        ),
    ]
    if await is_facilitator_anywhere(services, user.id):
        lines += [
            "",
            "<b>" + t("For facilitators") + "</b>",
            t("/newcohort name — create a cohort and get its invitation link"),
            t("/invite — the invitation links of your cohorts, again"),
            t("/open — open a questionnaire for a cohort"),
            t("/status — who has answered"),
            t("/close — close a questionnaire"),
            t("/swot — in your group: run a SWOT (items in private, a live board, a blind vote)"),
            t("/bind code — in your group: link the group to your cohort"),
        ]
    else:
        lines.append(t("To create a cohort of your own, send /newcohort followed by its name."))
    await telegram_io.send(context.bot, chat.id, Reply("\n".join(lines)))


async def on_cancel(update: Update, context: Context) -> None:
    services, user = services_of(context), update.effective_user
    if user is None:
        return
    t = await t_for(services, user)
    session = await current_session(services, user.id)
    if session is None:
        await telegram_io.send(
            context.bot, user.id, Reply(t("There is no questionnaire in progress."))
        )
        return
    buttons = (
        (Button(t("Yes, leave it"), MenuButton("cancel", str(session.id)).encode()),),
        (Button(t("No, continue"), MenuButton("resume", str(session.id)).encode()),),
    )
    found = await services.repo.get_round(session.round_id)
    if found is not None and found.anonymous:
        # Its answers live in the session until sent: a lone partial response would say whose.
        question = t(
            "Leave the questionnaire? It is anonymous: the answers you gave so far have not been sent, so they will be discarded. You will not be able to finish it."
        )
    else:
        question = t(
            "Leave the questionnaire? The answers you gave so far are kept, with your name, but you will not be able to finish it."
        )
    await telegram_io.send(context.bot, user.id, Reply(question, buttons))


async def on_unknown_command(update: Update, context: Context) -> None:
    services, user = services_of(context), update.effective_user
    if user is None:
        return
    t = await t_for(services, user)
    await telegram_io.send(
        context.bot,
        user.id,
        Reply(t("I do not know this command. Send /help to see what I can do.")),
    )


# ---- typed text -----------------------------------------------------------------------------


async def on_private_text(update: Update, context: Context) -> None:
    services, user, message = services_of(context), update.effective_user, update.effective_message
    if user is None or message is None or message.text is None:
        return
    async with services.locks.hold(user.id):
        session = await current_session(services, user.id)
        since = session.updated_at if session is not None else None
        if await onboarding.handle_text(
            services, context.bot, user, message.text, update.update_id, since
        ):
            return
        if await _workshop_text(services, context.bot, user, message.text, update.update_id, since):
            return
        if session is None:
            t = await t_for(services, user)
            await telegram_io.send(
                context.bot,
                user.id,
                Reply(
                    t(
                        "No questionnaire is waiting for you right now. Send /help to see what I can do."
                    )
                ),
            )
            return
        await drive(
            services,
            context.bot,
            session,
            TextReceived(message.text, services.clock()),
            update.update_id,
        )


async def _workshop_text(
    services: Services, bot: Bot, user: User, text: str, update_id: int, since: datetime | None
) -> bool:
    """A text for the SWOT workshop: an item, a merged item's name, an action's title."""
    if await collect.handle_text(services, bot, user, text, update_id, since):
        return True
    if await facilitate.handle_rename(services, bot, user, text, update_id, since):
        return True
    return await actions.handle_text(services, bot, user, text, update_id, since)


async def on_edited_message(update: Update, context: Context) -> None:
    """An edit changes no answer (the answer was taken as sent): say how to change one."""
    services, user = services_of(context), update.effective_user
    if user is None:
        return
    t = await t_for(services, user)
    text = t(
        "Editing a message does not change your answer. To change it, tap « Back, or change it in the review before you submit."
    )
    await telegram_io.send(context.bot, user.id, Reply(text))


# ---- buttons --------------------------------------------------------------------------------


async def on_button(update: Update, context: Context, actions: MenuActions) -> None:
    """Any button: a survey's, or a menu's from the `actions` table; anything else is stale."""
    services, query = services_of(context), update.callback_query
    if query is None or query.data is None:
        return
    button = decode(query.data, services.flows.ids())
    toast: str | None
    if isinstance(button, BoardButton):
        async with services.locks.hold(query.from_user.id):
            toast = await buttons.on_board_button(
                services, context.bot, query, button, update.update_id
            )
    elif isinstance(button, SurveyButton):
        async with services.locks.hold(query.from_user.id):
            toast = await _survey_button(services, context.bot, query, button, update.update_id)
    elif isinstance(button, MenuButton) and button.action in actions:
        tap = Tap(
            services,
            context.bot,
            query,
            query.from_user,
            button.argument,
            update.update_id,
            button.choices,
        )
        async with services.locks.hold(tap.chat_id):
            toast = await actions[button.action](tap)
    else:
        t = await t_for(services, query.from_user)
        toast = t("This button is no longer valid.")
    await query.answer(toast)


async def _survey_button(
    services: Services, bot: Bot, query: CallbackQuery, button: SurveyButton, update_id: int
) -> str | None:
    session = await services.repo.get_session(SessionId(button.session_id))
    if session is None or session.user_id != query.from_user.id:
        t = await t_for(services, query.from_user)
        return t("This button is no longer valid.")
    if button.action == "e" and button.argument in ("", "-"):
        # The session knows its language: no need to look the person up.
        language = session.state.language
        t = translator(language_of(language, services.settings.default_language))
        return await _toggle_edit_picker(services, bot, session, button, t)
    # A current button was tapped on the question's own message: that is the message to settle.
    tapped = query.message
    current = tapped is not None and button.revision == session.state.revision
    shown = await drive(
        services,
        bot,
        session,
        event_of(button, services.clock()),
        update_id,
        via_button=True,
        on_screen=tapped.message_id if tapped is not None and current else None,
    )
    return shown.toast


async def _toggle_edit_picker(
    services: Services, bot: Bot, session: Session, button: SurveyButton, t: Translator
) -> str | None:
    """'Change an answer' swaps the review's buttons for one per question, and back."""
    review = summary_of_review(services, session)
    if review is None or review.revision != button.revision or session.prompt_message_id is None:
        return t("This question is no longer current.")
    if button.argument == "-":
        reply = review_reply(
            t,
            services.flows.get(session.state.flow_id, session.flow_version),
            session.id,
            review,
        )
    else:
        reply = Reply("", edit_picker(t, session.id, review))
    await telegram_io.edit_buttons(bot, session.user_id, session.prompt_message_id, reply)
    return None


async def confirm_cancel(tap: Tap) -> str | None:
    """`cancel`: leaving the questionnaire confirmed."""
    if tap.choices.number is None or tap.in_group:
        return await stale(tap)
    session = await tap.services.repo.get_session(SessionId(tap.choices.number))
    await tap.drop_buttons()
    if session is None or session.user_id != tap.user.id or not session.is_active:
        return None
    await drive(tap.services, tap.bot, session, Cancelled(tap.services.clock()), tap.update_id)
    return None


async def keep_going(tap: Tap) -> str | None:
    """`resume`: leaving the questionnaire declined."""
    if tap.choices.number is None or tap.in_group:
        return await stale(tap)
    await tap.drop_buttons()
    session = await tap.services.repo.get_session(SessionId(tap.choices.number))
    if session is not None and session.user_id == tap.user.id and session.is_active:
        await begin(tap.services, tap.bot, session, tap.update_id)
    return None
