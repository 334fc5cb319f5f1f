"""Cohorts and groups: create a cohort, invite people, bind a Telegram group; personal settings.

Rule: every facilitator action is authorized by `policy` and written to the audit log; refusals
are polite and in the sender's language.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping
from html import escape
from typing import Any

from telegram import Bot, InputFile, Update, User
from telegram.constants import ParseMode
from telegram.error import TelegramError

from bot import telegram_io
from bot.answering import flow_title
from bot.callbacks import MenuButton
from bot.conversation import Context, Tap, current_session, person_of, stale, t_for
from bot.deeplinks import facilitator_payload, join_payload
from bot.i18n import LANGUAGE_NAMES, Translator, translator
from bot.menus import show_facilitator_menu
from bot.policy import Action, authorize, facilitated_cohorts
from bot.render import Button, Reply
from bot.services import Services, services_of
from bot.survey import drive
from flows.events import Started
from flows.schema import LANGUAGES
from storage.models import ChatId, Cohort, UserId

NAME_MAX = 80


def invite_links(services: Services, cohort: Cohort) -> tuple[str, str, str]:
    """(participants' link, add-to-group link, co-facilitators' link)."""
    base = f"https://t.me/{services.bot_username}"
    secret = services.settings.bot_token.get_secret_value() if services.settings.bot_token else ""
    return (
        f"{base}?start={join_payload(cohort.invite_code)}",
        f"{base}?startgroup={cohort.invite_code}",
        f"{base}?start={facilitator_payload(secret, cohort.invite_code)}",
    )


async def _send_invitation(services: Services, bot: Bot, user: User, cohort: Cohort) -> None:
    t = await t_for(services, user)
    join, group, cofacilitate = invite_links(services, cohort)
    text = "\n\n".join(
        [
            t(
                "Cohort “{name}” — code <code>{code}</code>",
                name=escape(cohort.name),
                code=cohort.invite_code,
            ),
            t("Send this link to your participants: {link}", link=join),
            t(
                "To add a co-facilitator, send them this link (keep it private): {link}",
                link=cofacilitate,
            ),
            t(
                "Then add me to your group with the button below; or, in an existing group, send /bind {code}",
                code=cohort.invite_code,
            ),
        ]
    )
    await telegram_io.send(
        bot, user.id, Reply(text, ((Button(t("Add me to a group ➕"), url=group),),))
    )


async def on_new_cohort(update: Update, context: Context) -> None:
    services, user, chat = services_of(context), update.effective_user, update.effective_chat
    if user is None or chat is None:
        return
    t = await t_for(services, user)
    if chat.type != "private":
        await telegram_io.send(
            context.bot, chat.id, Reply(t("Please create a cohort in a private chat with me."))
        )
        return
    name = " ".join(context.args or []).strip()
    if not name or len(name) > NAME_MAX:
        await telegram_io.send(
            context.bot,
            chat.id,
            Reply(
                t(
                    "Send /newcohort followed by the cohort's name, for example: /newcohort Textile collective 2026"
                )
            ),
        )
        return
    async with services.locks.hold(chat.id):
        if not await services.repo.mark_update_processed(update.update_id, services.clock()):  # type: ignore[arg-type]
            return
        await person_of(services, user)
        cohort = await services.repo.create_cohort(
            name,
            secrets.token_hex(4),
            UserId(user.id),
            services.clock(),
            timezone=services.settings.timezone,
        )
    await _send_invitation(services, context.bot, user, cohort)
    await show_facilitator_menu(services, context.bot, user.id, t.language)


async def on_invite(update: Update, context: Context) -> None:
    """`/invite`: the links of the cohorts one facilitates, again."""
    services, user = services_of(context), update.effective_user
    if user is None:
        return
    mine = await facilitated_cohorts(services, user.id)
    if not mine:
        t = await t_for(services, user)
        await telegram_io.send(
            context.bot,
            user.id,
            Reply(
                t(
                    "You do not facilitate any cohort yet. Create one with /newcohort followed by its name."
                )
            ),
        )
    for cohort_id in mine:
        cohort = await services.repo.get_cohort(cohort_id)
        if cohort is not None:
            await _send_invitation(services, context.bot, user, cohort)


async def on_bind(update: Update, context: Context) -> None:
    """`/bind <code>` in a group (or the `/start <code>` of an add-to-group link)."""
    services, user, chat = services_of(context), update.effective_user, update.effective_chat
    if user is None or chat is None:
        return
    t = await t_for(services, user)
    if chat.type not in ("group", "supergroup"):
        await telegram_io.send(
            context.bot,
            chat.id,
            Reply(t("Send /bind in the group you want to link to your cohort.")),
        )
        return
    code = (context.args or [""])[0]
    cohort = await services.repo.get_cohort_by_code(code) if code else None
    if cohort is None:
        await telegram_io.send(
            context.bot,
            chat.id,
            Reply(
                t(
                    "Send /bind followed by your cohort's code (you got it from /newcohort or /invite)."
                )
            ),
        )
        return
    decision = await authorize(
        services, context.bot, t, user.id, cohort.id, Action.BIND_GROUP, chat.id
    )
    if not decision.allowed:
        await telegram_io.send(context.bot, chat.id, Reply(decision.reason))
        return
    now = services.clock()
    await services.repo.bind_chat(
        ChatId(chat.id),
        cohort.id,
        chat.title,
        chat.type,  # type: ignore[arg-type]  # a group's type, checked above
        now,
        bound_by=UserId(user.id),
    )
    join, _, _ = invite_links(services, cohort)
    text = t(
        "This group is now linked to “{cohort}”. Members: join the cohort in a private chat with me: {link}",
        cohort=escape(cohort.name),
        link=join,
    )
    await telegram_io.send(context.bot, chat.id, Reply(text))


async def on_group_start(update: Update, context: Context) -> None:
    services, user, chat = services_of(context), update.effective_user, update.effective_chat
    if user is None or chat is None:
        return
    if context.args:
        await on_bind(update, context)
        return
    t = await t_for(services, user)
    link = f"https://t.me/{services.bot_username}"
    await telegram_io.send(
        context.bot,
        chat.id,
        Reply(t("Hello! Questionnaires are answered in a private chat with me: {link}", link=link)),
    )


# ---- personal settings ----------------------------------------------------------------------


async def on_lang(update: Update, context: Context) -> None:
    services, user, chat = services_of(context), update.effective_user, update.effective_chat
    if user is None or chat is None:
        return
    t = await t_for(services, user)
    if chat.type != "private":  # one's language is personal: the group need not see the choice
        link = f"https://t.me/{services.bot_username}"
        text = t("Choose your language in a private chat with me: send /lang there.")
        button = Button(t("Private chat with me 💬"), url=link)
        await telegram_io.send(context.bot, chat.id, Reply(text, ((button,),)))
        return
    row = tuple(
        Button(LANGUAGE_NAMES[lang], MenuButton("lang", lang).encode()) for lang in LANGUAGES
    )
    await telegram_io.send(context.bot, chat.id, Reply(t("Which language do you prefer?"), (row,)))


async def language_chosen(tap: Tap) -> str | None:
    """`lang`: the language picked after /lang."""
    language = tap.choices.language
    if language is None:
        return await stale(tap)
    services = tap.services
    await person_of(services, tap.user)
    await services.repo.set_person_language(UserId(tap.user.id), language, services.clock())
    message = tap.query.message
    t = translator(language)
    if message is not None:
        await telegram_io.edit(
            tap.bot,
            message.chat.id,
            message.message_id,
            Reply(t("Done: I will speak {language} with you.", language=LANGUAGE_NAMES[language])),
        )
    session = await current_session(services, tap.user.id)
    if session is not None and message is not None and message.chat.type == "private":
        await drive(
            services, tap.bot, session, Started(services.clock(), language=language), tap.update_id
        )
    return None


# Telegram's limits: a document's caption, and a message (the summary's own when too long).
CAPTION_LIMIT = 1024
MESSAGE_LIMIT = 4096


async def on_my_data(update: Update, context: Context) -> None:
    """`/mydata`: a summary in the person's language, and the JSON file of everything stored."""
    services, user = services_of(context), update.effective_user
    if user is None:
        return
    data = await services.repo.person_data(UserId(user.id))
    t = await t_for(services, user)
    for session in data["sessions"]:
        if "note" in session:  # the file explains itself, in the person's language too
            session["note"] = _anonymous_note(t, session["status"])
    body = json.dumps(data, ensure_ascii=False, indent=2, default=str).encode()
    summary = data_summary(services, t, data)
    document = InputFile(body, filename="bilan-bot-my-data.json")
    try:
        if len(summary) <= CAPTION_LIMIT:  # markup included: Telegram counts less than this
            await context.bot.send_document(
                user.id, document, caption=summary, parse_mode=ParseMode.HTML
            )
            return
        await telegram_io.send(context.bot, user.id, Reply(summary))
        await context.bot.send_document(
            user.id, document, caption=t("Everything stored about you.")
        )
    except TelegramError:
        await telegram_io.send(
            context.bot,
            user.id,
            Reply(t("Sorry, I could not send the file. Please try again later.")),
        )


def data_summary(services: Services, t: Translator, data: Mapping[str, Any]) -> str:
    """What `/mydata`'s file holds, in plain words: profile, cohorts, questionnaires, /forget."""
    profile = data["profile"]
    if profile is None:
        return t("Nothing is stored about you.")
    language, organisation = profile["language"], profile["organisation"] or ""
    lines = [
        "<b>" + t("Your data") + "</b>",
        t("Name: {name}", name=escape(profile["display_name"])),
        t("Organisation: {organisation}", organisation=escape(organisation) or t("(none)")),
        t("Language: {language}", language=LANGUAGE_NAMES.get(language, language or "")),
    ]
    cohorts = dict.fromkeys(m["cohort_name"] for m in data["memberships"])
    if cohorts:
        lines.append(t("Cohorts: {names}", names=", ".join(escape(name) for name in cohorts)))
    else:
        lines.append(t("You belong to no cohort."))
    footer = t(
        "The file holds all of it, with its times and ids. /forget deletes your data (I ask first)."
    )
    rounds = [_round_line(services, t, session) for session in data["sessions"]]
    if rounds:
        lines.append(t("Questionnaires:"))
    room = MESSAGE_LIMIT - len("\n".join(lines)) - len(footer) - 200  # 200: the "more" line
    for shown, line in enumerate(rounds):
        if len(line) + 1 > room:
            more = len(rounds) - shown
            lines.append(
                t.plural(
                    "… and {count} more questionnaire, in the file.",
                    "… and {count} more questionnaires, in the file.",
                    more,
                )
            )
            break
        lines.append(line)
        room -= len(line) + 1
    return "\n".join([*lines, "", footer])


def _round_line(services: Services, t: Translator, session: Mapping[str, Any]) -> str:
    status = session["status"]
    said = {
        "submitted": t("answered"),
        "active": t("in progress"),
        "cancelled": t("left"),
        "timed_out": t("closed before you finished"),
    }[status]
    if session["anonymous"] and status == "submitted":
        said += " — " + t(
            "anonymous: your answers are not linked to you once sent, so they are not in this file"
        )
    elif session["anonymous"] and status == "active":
        said += " — " + t("anonymous: your answers so far are in the file until you send them")
    elif session["anonymous"]:
        said += " — " + t("anonymous: the answers you had not sent were discarded")
    title = flow_title(services, t, session["flow_id"], session["flow_version"])
    return t("• {title}: {status}", title=escape(title), status=said)


def _anonymous_note(t: Translator, status: str) -> str:
    if status == "submitted":
        return t(
            "Anonymous questionnaire: once sent, your answers are no longer linked to you, so they cannot be in this file. Nobody, not even the bot, can find which of the answers sent are yours."
        )
    return t(
        "Anonymous questionnaire not sent: the answers you had given were discarded. Nothing links you to any answer."
    )


async def on_forget(update: Update, context: Context) -> None:
    services, user = services_of(context), update.effective_user
    if user is None:
        return
    t = await t_for(services, user)
    rows = (
        (Button(t("Yes, delete my data"), MenuButton("forget", "!").encode()),),
        (Button(t("No, keep it"), MenuButton("drop").encode()),),
    )
    text = t(
        "Delete everything stored about you: your profile, your memberships and your answers? They are overwritten in the bot's database, and this cannot be undone. (Anonymous answers you sent cannot be traced back to you, so they stay.)"
    )
    await telegram_io.send(context.bot, user.id, Reply(text, rows))


async def forget(tap: Tap) -> str | None:
    """`forget`: deleting one's data confirmed."""
    if not tap.choices.confirmed:
        return await stale(tap)
    t = await t_for(tap.services, tap.user)
    await tap.services.repo.forget_person(UserId(tap.user.id), tap.services.clock())
    message = tap.query.message
    if message is not None:
        await telegram_io.edit(
            tap.bot,
            message.chat.id,
            message.message_id,
            Reply(t("Done: your data is deleted. Goodbye!")),
        )
    return None
