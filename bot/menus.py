"""Command menus: per scope (private chats, groups, a facilitator's chat) and per language."""

from __future__ import annotations

import logging
from typing import Any

from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeChat,
)
from telegram.error import TelegramError
from telegram.ext import Application

from bot.i18n import translator
from bot.policy import facilitated_cohorts
from bot.services import SERVICES_KEY, Services
from flows.schema import LANGUAGES, Language

log = logging.getLogger(__name__)

PARTICIPANT_COMMANDS = ("start", "help", "actions", "lang", "cancel", "mydata", "forget")
GROUP_COMMANDS = ("help", "bind", "swot", "actions", "open", "status", "close")
FACILITATOR_COMMANDS = (
    "start",
    "help",
    "newcohort",
    "invite",
    "open",
    "status",
    "close",
    "actions",
    "lang",
    "cancel",
    "mydata",
    "forget",
)


def command_menu(language: Language, names: tuple[str, ...]) -> list[BotCommand]:
    t = translator(language)
    described = {
        "start": t("answer or resume a questionnaire"),
        "help": t("what this bot can do"),
        "lang": t("choose your language"),
        "cancel": t("leave the questionnaire in progress"),
        "mydata": t("get a copy of your data"),
        "forget": t("delete your data"),
        "newcohort": t("create a cohort"),
        "invite": t("invitation links of your cohorts"),
        "bind": t("link this group to a cohort"),
        "open": t("open a questionnaire"),
        "status": t("who has answered"),
        "close": t("close a questionnaire"),
        "swot": t("run a SWOT with the group"),
        "actions": t("the cohort's open actions"),
    }
    return [BotCommand(name, described[name]) for name in names]


async def register_commands(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Menus per scope and per language; the default (no language) is the bot's default one."""
    services: Services = app.bot_data[SERVICES_KEY]
    try:
        for language in (None, *LANGUAGES):
            menu_language: Language = language or services.settings.default_language
            await app.bot.set_my_commands(
                command_menu(menu_language, PARTICIPANT_COMMANDS),
                scope=BotCommandScopeAllPrivateChats(),
                language_code=language,
            )
            await app.bot.set_my_commands(
                command_menu(menu_language, GROUP_COMMANDS),
                scope=BotCommandScopeAllGroupChats(),
                language_code=language,
            )
    except TelegramError:
        log.warning("could not register the command menus", exc_info=True)


async def show_facilitator_menu(
    services: Services, app_bot: Bot, user_id: int, language: Language
) -> None:
    """A facilitator's private chat gets the facilitator commands in its menu."""
    if await facilitated_cohorts(services, user_id):
        try:
            await app_bot.set_my_commands(
                command_menu(language, FACILITATOR_COMMANDS), scope=BotCommandScopeChat(user_id)
            )
        except TelegramError:
            log.warning("could not set the facilitator menu for %s", user_id, exc_info=True)
