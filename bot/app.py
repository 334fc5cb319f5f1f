"""The PTB Application: handlers, the menu buttons' action table, the error handler, jobs.

Rule: this module wires; it decides nothing. Handlers live in `private`, `cohorts`, `rounds`,
`onboarding` and `answering`; every menu button's action is named in `ACTIONS`, here.
"""

from __future__ import annotations

import logging
from typing import Any

from telegram import Update
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from bot import answering, cohorts, onboarding, private, rounds
from bot.conversation import Context, MenuActions, language_for
from bot.group import actions, facilitate
from bot.group.outbox import GroupOutbox
from bot.i18n import translator
from bot.jobs.housekeeping import INTERVAL, housekeep
from bot.menus import register_commands
from bot.services import SERVICES_KEY, Services, services_of
from storage.models import UserId

log = logging.getLogger(__name__)
# An edited message is not a new one: edits never reach the command or answer handlers.
NEW = filters.UpdateType.MESSAGE
PRIVATE = filters.ChatType.PRIVATE & NEW
GROUPS = filters.ChatType.GROUPS & NEW

# Callback data `m|<action>|<argument>` → what the tap does (`callbacks.ARGUMENTS` says how
# each argument reads).
ACTIONS: MenuActions = {
    "round": answering.pick_round,
    "cancel": private.confirm_cancel,
    "resume": private.keep_going,
    "lang": cohorts.language_chosen,
    "forget": cohorts.forget,
    "jlang": onboarding.language_chosen,
    "jname": onboarding.telegram_name,
    "jorg": onboarding.no_organisation,
    "jok": onboarding.consented,
    "jno": onboarding.declined,
    "open": rounds.open_step,
    "status": rounds.status_for,
    "close": rounds.close_step,
    "drop": rounds.drop,
}


def build_application(
    services: Services, builder: ApplicationBuilder[Any, Any, Any, Any, Any, Any] | None = None
) -> Application[Any, Any, Any, Any, Any, Any]:
    """The bot, ready to initialize; `builder` lets tests and the demo point it at the sandbox."""
    settings = services.settings
    if builder is None:
        token = settings.bot_token.get_secret_value() if settings.bot_token else ""
        builder = (
            ApplicationBuilder()
            .token(token)
            .base_url(settings.telegram_base_url)
            .base_file_url(settings.telegram_base_file_url)
        )
    if settings.rate_limiter:
        builder = builder.rate_limiter(AIORateLimiter(max_retries=3))
    # Updates of different chats run concurrently; one chat's stay in order through ChatLocks.
    application = builder.concurrent_updates(True).build()
    application.bot_data[SERVICES_KEY] = services
    _add_handlers(application)
    application.add_error_handler(on_error)
    return application


async def _on_button(update: Update, context: Context) -> None:
    await private.on_button(update, context, ACTIONS)


def _add_handlers(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    add = app.add_handler
    add(CallbackQueryHandler(_on_button))
    add(CommandHandler("start", private.on_start, filters=PRIVATE))
    add(CommandHandler("start", cohorts.on_group_start, filters=GROUPS))
    add(CommandHandler("help", private.on_help, filters=NEW))
    add(CommandHandler("cancel", private.on_cancel, filters=PRIVATE))
    add(CommandHandler("lang", cohorts.on_lang, filters=NEW))
    add(CommandHandler("mydata", cohorts.on_my_data, filters=PRIVATE))
    add(CommandHandler("forget", cohorts.on_forget, filters=PRIVATE))
    add(CommandHandler("newcohort", cohorts.on_new_cohort, filters=NEW))
    add(CommandHandler("invite", cohorts.on_invite, filters=PRIVATE))
    add(CommandHandler("bind", cohorts.on_bind, filters=NEW))
    add(CommandHandler("open", rounds.on_open, filters=NEW))
    add(CommandHandler("status", rounds.on_status, filters=NEW))
    add(CommandHandler("close", rounds.on_close, filters=NEW))
    add(CommandHandler("swot", facilitate.on_swot, filters=NEW))
    add(CommandHandler("actions", actions.on_actions, filters=NEW))
    add(MessageHandler(PRIVATE & filters.TEXT & ~filters.COMMAND, private.on_private_text))
    add(MessageHandler(PRIVATE & filters.COMMAND, private.on_unknown_command))
    edited = filters.ChatType.PRIVATE & filters.UpdateType.EDITED_MESSAGE
    add(MessageHandler(edited, private.on_edited_message))


async def prepare(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Once initialized: learn the bot's username, set the menus, start housekeeping."""
    services: Services = app.bot_data[SERVICES_KEY]
    services.bot_username = app.bot.username
    if services.outbox is None:
        services.outbox = GroupOutbox(app.bot)
    await register_commands(app)
    if app.job_queue is not None:
        app.job_queue.run_repeating(_housekeeping, interval=INTERVAL, first=1)


async def _housekeeping(context: Context) -> None:
    await housekeep(services_of(context), context.bot)


async def on_error(update: object, context: Context) -> None:
    """Log with the traceback; tell the person, in their language, never with the traceback."""
    log.error("error while handling an update", exc_info=context.error)
    if not isinstance(update, Update) or update.effective_user is None:
        return
    user = update.effective_user
    try:
        services = services_of(context)
        person = await services.repo.get_person(UserId(user.id))
        t = translator(language_for(services, person, user))
        text = t(
            "Sorry, something went wrong on my side. Your answers so far are safe; please try again in a moment."
        )
        if update.callback_query is not None:
            await update.callback_query.answer(text, show_alert=True)
        elif update.effective_chat is not None:
            await context.bot.send_message(update.effective_chat.id, text)
    except Exception:  # the error handler must never raise: PTB would only log it again
        log.exception("could not tell the person about the error")
