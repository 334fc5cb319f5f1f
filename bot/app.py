"""The PTB Application: handlers, the error handler, command menus and housekeeping jobs.

Rule: this module wires; it decides nothing. Handlers live in `private`, `cohorts`, `rounds`.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from telegram import Bot, Update
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CallbackContext,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from bot import cohorts, onboarding, private, rounds  # noqa: F401  (menu actions register on import)
from bot.i18n import translator
from bot.menus import register_commands
from bot.services import SERVICES_KEY, Services, services_of
from bot.survey import close_round, end_sessions
from storage.models import UserId

log = logging.getLogger(__name__)
Context = CallbackContext[Any, Any, Any, Any]
PRIVATE = filters.ChatType.PRIVATE
GROUPS = filters.ChatType.GROUPS


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


def _add_handlers(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    add = app.add_handler
    # Button taps first: they are most of the traffic, and every handler above one checks the
    # update before it is passed on.
    add(CallbackQueryHandler(private.on_button))
    add(CommandHandler("start", private.on_start, filters=PRIVATE))
    add(CommandHandler("start", cohorts.on_group_start, filters=GROUPS))
    add(CommandHandler("help", private.on_help))
    add(CommandHandler("cancel", private.on_cancel, filters=PRIVATE))
    add(CommandHandler("lang", cohorts.on_lang))
    add(CommandHandler("mydata", cohorts.on_my_data, filters=PRIVATE))
    add(CommandHandler("forget", cohorts.on_forget, filters=PRIVATE))
    add(CommandHandler("newcohort", cohorts.on_new_cohort))
    add(CommandHandler("invite", cohorts.on_invite, filters=PRIVATE))
    add(CommandHandler("bind", cohorts.on_bind))
    add(CommandHandler("open", rounds.on_open))
    add(CommandHandler("status", rounds.on_status))
    add(CommandHandler("close", rounds.on_close))
    add(MessageHandler(PRIVATE & filters.TEXT & ~filters.COMMAND, private.on_private_text))
    add(MessageHandler(PRIVATE & filters.COMMAND, private.on_unknown_command))


async def prepare(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Once initialized: learn the bot's username, set the menus, start housekeeping."""
    services: Services = app.bot_data[SERVICES_KEY]
    services.bot_username = app.bot.username
    await register_commands(app)
    if app.job_queue is not None:
        app.job_queue.run_repeating(
            _housekeeping, interval=timedelta(minutes=5), first=timedelta(seconds=1)
        )


async def _housekeeping(context: Context) -> None:
    await housekeep(services_of(context), context.bot)


async def housekeep(services: Services, bot: Bot) -> None:
    """Close rounds past their deadline, end the sessions a stopped closing left open, and
    forget update ids old enough never to come back."""
    now = services.clock()
    for due in await services.repo.open_rounds_due(now):
        await close_round(services, bot, due.id)
        log.info("round %s closed at its deadline", due.id)
    for round_id in await services.repo.closed_rounds_with_active_sessions():
        await end_sessions(services, bot, round_id)
        log.info("the sessions still open in closed round %s are ended", round_id)
    await services.repo.prune_processed_updates(now - timedelta(days=2))


async def on_error(update: object, context: Context) -> None:
    """Log with the traceback; tell the person, in their language, never with the traceback."""
    log.error("error while handling an update", exc_info=context.error)
    if not isinstance(update, Update) or update.effective_user is None:
        return
    user = update.effective_user
    try:
        services = services_of(context)
        person = await services.repo.get_person(UserId(user.id))
        t = translator(private.language_for(services, person, user))
        text = t(
            "Sorry, something went wrong on my side. Your answers so far are safe; please try again in a moment."
        )
        if update.callback_query is not None:
            await update.callback_query.answer(text, show_alert=True)
        elif update.effective_chat is not None:
            await context.bot.send_message(update.effective_chat.id, text)
    except Exception:  # the error handler must never raise: PTB would only log it again
        log.exception("could not tell the person about the error")
