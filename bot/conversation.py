"""What every handler shares: the tap of a menu button, the person behind an update, their
language, and the session they are in.

Rule: this is a leaf of `bot/`: it imports no handler module, so every handler module may
import it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from telegram import Bot, CallbackQuery, User
from telegram.ext import CallbackContext

from bot import telegram_io
from bot.callbacks import Choices
from bot.i18n import Translator, language_of, translator
from bot.services import Services
from flows.schema import Language
from storage.models import Person, Session, UserId

Context = CallbackContext[Any, Any, Any, Any]


@dataclass(frozen=True, slots=True)
class Tap:
    """A menu button pressed: everything a menu action needs, narrowed once."""

    services: Services
    bot: Bot
    query: CallbackQuery
    user: User
    argument: str
    update_id: int
    choices: Choices  # the argument, parsed

    @property
    def chat_id(self) -> int:
        message = self.query.message
        return message.chat.id if message is not None else self.user.id

    @property
    def in_group(self) -> bool:
        message = self.query.message
        return message is not None and message.chat.type in ("group", "supergroup")

    async def drop_buttons(self) -> None:
        """The tapped message is done with: its buttons go."""
        message = self.query.message
        if message is not None:
            await telegram_io.edit_buttons(self.bot, message.chat.id, message.message_id, None)


MenuAction = Callable[[Tap], Awaitable[str | None]]  # returns the toast, if any
MenuActions = Mapping[str, MenuAction]


async def person_of(services: Services, user: User) -> Person:
    """The stored person behind a Telegram user, created on first contact."""
    language = language_of(user.language_code, services.settings.default_language)
    return await services.repo.upsert_person(
        UserId(user.id), user.full_name, language, services.clock()
    )


def language_for(services: Services, person: Person | None, user: User | None) -> Language:
    if person is not None and person.language:
        return language_of(person.language, services.settings.default_language)
    return language_of(user.language_code if user else None, services.settings.default_language)


async def t_for(services: Services, user: User) -> Translator:
    person = await services.repo.get_person(UserId(user.id))
    return translator(language_for(services, person, user))


async def current_session(services: Services, user_id: int) -> Session | None:
    sessions = await services.repo.active_sessions_of(UserId(user_id))
    return max(sessions, key=lambda s: s.updated_at) if sessions else None


async def stale(tap: Tap) -> str:
    """The toast for a button that no longer means anything (or never did)."""
    t = await t_for(tap.services, tap.user)
    return t("This button is no longer valid.")
