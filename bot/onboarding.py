"""Joining a cohort through its invitation link: language, name, organisation, privacy.

Rule: each answer is stored as it comes (a dialog row, with the update_id), so a restart or a
pause resumes the onboarding where it was. Joining twice is harmless: a member is told so and
sent on to what is open for them. Someone who already belongs to a cohort has answered all of
this once: another cohort's link only asks them to confirm. A co-facilitator link (see
`deeplinks`) runs the same dialog with another role.
"""

from __future__ import annotations

from datetime import datetime
from html import escape
from typing import Any

from telegram import Bot, User

from bot import telegram_io
from bot.answering import offer_open_rounds
from bot.callbacks import MenuButton
from bot.conversation import Tap, stale, t_for
from bot.deeplinks import JoinLink
from bot.i18n import LANGUAGE_NAMES, Translator, translator
from bot.render import Button, Reply
from bot.services import Services
from flows.schema import LANGUAGES
from storage.models import ApplyResult, CohortId, UpdateId, UserId

NAME_MAX = 64
ORGANISATION_MAX = 120
JOIN = "join"


async def handle_invitation(
    services: Services, bot: Bot, user: User, invitation: JoinLink, update_id: int
) -> bool:
    """Handle `/start <invitation>`; False when the person is a member already (go on as a
    plain /start)."""
    code, role = invitation.invite_code, invitation.role
    t = await t_for(services, user)
    cohort = await services.repo.get_cohort_by_code(code)
    if cohort is None:
        await telegram_io.send(
            bot,
            user.id,
            Reply(
                t(
                    "This invitation link is not valid (any more). Ask your facilitator for a new one."
                )
            ),
        )
        return True
    memberships = await services.repo.memberships_of(UserId(user.id))
    roles = {m.role for m in memberships if m.cohort_id == cohort.id}
    if role in roles or (role == "participant" and "facilitator" in roles):
        await telegram_io.send(
            bot,
            user.id,
            Reply(
                t(
                    "You are already a member of “{cohort}”. Welcome back!",
                    cohort=escape(cohort.name),
                )
            ),
        )
        return False  # go on as a plain /start: resume or offer what is open
    person = await services.repo.get_person(UserId(user.id))
    if memberships and person is not None:
        known: dict[str, Any] = {
            "cohort": cohort.id,
            "role": role,
            "step": "privacy",  # `consented` joins with the profile they already gave
            "language": t.language,
            "name": person.display_name,
            "organisation": person.organisation or "",
        }
        await services.repo.set_dialog(
            UserId(user.id), JOIN, known, services.clock(), UpdateId(update_id)
        )
        await _ask_to_join(services, bot, user.id, cohort.name, known)
        return True
    payload_data: dict[str, Any] = {"cohort": cohort.id, "role": role, "step": "language"}
    await services.repo.set_dialog(
        UserId(user.id), JOIN, payload_data, services.clock(), UpdateId(update_id)
    )
    await _ask_language(bot, user.id, cohort.name)
    return True


async def _ask_to_join(
    services: Services, bot: Bot, chat_id: int, cohort_name: str, payload: dict[str, Any]
) -> None:
    t = translator(payload["language"])
    text = t(
        "Join “{cohort}”? The group will see you as {name}.",
        cohort=escape(cohort_name),
        name=escape(payload["name"]),
    )
    rows = (
        (Button(t("Join ✅"), MenuButton("jok").encode()),),
        (Button(t("No thanks"), MenuButton("jno").encode()),),
    )
    await _prompt(services, bot, chat_id, payload, Reply(text, rows))


async def _prompt(
    services: Services, bot: Bot, user_id: int, payload: dict[str, Any], reply: Reply
) -> None:
    """Send the next onboarding question (after `payload` was stored); the previous one loses
    its buttons."""
    previous = payload.get("prompt")
    if isinstance(previous, int):
        await telegram_io.edit_buttons(bot, user_id, previous, None)
    message = await telegram_io.send(bot, user_id, reply)
    if message is not None:
        remembered = {**payload, "prompt": message.message_id}
        await services.repo.set_dialog(UserId(user_id), JOIN, remembered, services.clock())


def _welcome(t: Translator, cohort_name: str) -> str:
    return t("Welcome to “{cohort}”! Which language do you prefer?", cohort=escape(cohort_name))


async def _ask_language(bot: Bot, chat_id: int, cohort_name: str) -> None:
    text = "\n".join(_welcome(translator(lang), cohort_name) for lang in LANGUAGES)
    row = tuple(
        Button(LANGUAGE_NAMES[lang], MenuButton("jlang", lang).encode()) for lang in LANGUAGES
    )
    await telegram_io.send(bot, chat_id, Reply(text, (row,)))


async def language_chosen(tap: Tap) -> str | None:
    """`jlang`: the language picked first thing."""
    dialog = await tap.services.repo.get_dialog(UserId(tap.user.id))
    language = tap.choices.language
    if dialog is None or dialog.kind != JOIN or language is None:
        return await stale(tap)
    payload = await _advance(tap.services, tap.user, tap.update_id, language=language, step="name")
    if payload is None:
        return None
    await tap.drop_buttons()
    await _ask_name(tap.services, tap.bot, tap.user, payload)
    return None


async def _ask_name(services: Services, bot: Bot, user: User, payload: dict[str, Any]) -> None:
    t = translator(payload["language"])
    button = Button(t("Use “{name}”", name=user.full_name[:40]), MenuButton("jname").encode())
    await _prompt(
        services,
        bot,
        user.id,
        payload,
        Reply(
            t("What name should your group see? Type it, or use your Telegram name."), ((button,),)
        ),
    )


async def telegram_name(tap: Tap) -> str | None:
    """`jname`: the Telegram name, taken as it is."""
    if not await _at_step(tap, "name"):
        return await stale(tap)
    await _name_given(tap.services, tap.bot, tap.user, tap.user.full_name[:NAME_MAX], tap.update_id)
    return None


async def _advance(
    services: Services, user: User, update_id: int, **changes: Any
) -> dict[str, Any] | None:
    """Store one onboarding answer; the new payload, or None (no dialog, or a re-delivery)."""
    dialog = await services.repo.get_dialog(UserId(user.id))
    if dialog is None or dialog.kind != JOIN:
        return None
    payload = {**dialog.payload, **changes}
    stored = await services.repo.set_dialog(
        UserId(user.id), JOIN, payload, services.clock(), UpdateId(update_id)
    )
    return None if stored is ApplyResult.DUPLICATE else payload


async def _name_given(services: Services, bot: Bot, user: User, name: str, update_id: int) -> None:
    payload = await _advance(services, user, update_id, name=name, step="organisation")
    if payload is None:
        return
    t = translator(payload["language"])
    skip = Button(t("Skip »"), MenuButton("jorg").encode())
    await _prompt(
        services,
        bot,
        user.id,
        payload,
        Reply(
            t(
                "Which organisation or project do you represent? (for example your enterprise, your school or your collective)"
            ),
            ((skip,),),
        ),
    )


async def no_organisation(tap: Tap) -> str | None:
    """`jorg`: no organisation given."""
    if not await _at_step(tap, "organisation"):
        return await stale(tap)
    await _organisation_given(tap.services, tap.bot, tap.user, "", tap.update_id)
    return None


async def _organisation_given(
    services: Services, bot: Bot, user: User, organisation: str, update_id: int
) -> None:
    payload = await _advance(services, user, update_id, organisation=organisation, step="privacy")
    if payload is None:
        return
    await _ask_consent(services, bot, user.id, payload)


async def _ask_consent(services: Services, bot: Bot, chat_id: int, payload: dict[str, Any]) -> None:
    t = translator(payload["language"])
    notice = "\n\n".join(
        [
            "<b>" + t("Your data") + "</b>",
            t("What is stored: your name, your organisation, your language, and your answers."),
            # What the bot shows today: /status names who answered, never what (names only in
            # private; a group gets counts). Say no more until a feature makes it true.
            t(
                "Who sees what: the facilitators of your cohort see who has answered (your name), not your answers. Today nobody but you sees your answers in the bot. In the questionnaires that are not anonymous, your answers are kept with your name, even if you stop before the end."
            ),
            # What storage guarantees: an anonymous answer waits in the session until sent, then
            # joins the round's pool with no link to anyone; an unsent one is discarded.
            t(
                "In an anonymous questionnaire, your answers are kept only once you send it, and then without any link to you: once you send it, nobody can tell which of the answers sent are yours, not even with the database. If you leave it, or it closes, before you send it, the answers you gave are discarded."
            ),
            t(
                "The group sees only that a questionnaire is open and, when a facilitator asks there with /status, how many have answered, never names."
            ),
            t(
                "Your rights: /mydata sends you a copy of everything stored about you. /forget deletes it: it is overwritten in the bot's database, not just hidden. Anonymous answers you sent stay, since nothing links them to you any more."
            ),
        ]
    )
    rows = (
        (Button(t("I agree ✅"), MenuButton("jok").encode()),),
        (Button(t("No thanks"), MenuButton("jno").encode()),),
    )
    await _prompt(services, bot, chat_id, payload, Reply(notice, rows))


async def consented(tap: Tap) -> str | None:
    """`jok`: the privacy notice accepted, so the person joins."""
    services, user = tap.services, tap.user
    dialog = await services.repo.get_dialog(UserId(user.id))
    if dialog is None or dialog.kind != JOIN or dialog.payload.get("step") != "privacy":
        return await stale(tap)
    p = dialog.payload
    await tap.drop_buttons()
    result = await services.repo.join_cohort(
        CohortId(int(p["cohort"])),
        UserId(user.id),
        p["role"],
        p["name"],
        p.get("organisation") or None,
        p["language"],
        services.clock(),
        UpdateId(tap.update_id),
    )
    if result is ApplyResult.DUPLICATE:
        return None
    cohort = await services.repo.get_cohort(CohortId(int(p["cohort"])))
    t = translator(p["language"])
    name = escape(cohort.name if cohort else "")
    if p["role"] == "facilitator":
        await telegram_io.send(
            tap.bot,
            user.id,
            Reply(t("You now co-facilitate “{cohort}”. /help lists what you can do.", cohort=name)),
        )
        return None
    await telegram_io.send(
        tap.bot,
        user.id,
        Reply(
            t(
                "Welcome to “{cohort}”, {name}! I will write to you when a questionnaire opens.",
                cohort=name,
                name=escape(p["name"]),
            )
        ),
    )
    # The join consumed this update's id: what follows is a consequence, not the update itself.
    await offer_open_rounds(services, tap.bot, user, None, quiet=True)
    return None


async def declined(tap: Tap) -> str | None:
    """`jno`: the privacy notice declined: nothing is kept."""
    await tap.drop_buttons()
    await tap.services.repo.clear_dialog(
        UserId(tap.user.id), tap.services.clock(), UpdateId(tap.update_id)
    )
    t = await t_for(tap.services, tap.user)
    await telegram_io.send(
        tap.bot,
        tap.user.id,
        Reply(
            t(
                "All right: you have not joined, and nothing more is stored. You can open the invitation link again at any time."
            )
        ),
    )
    return None


async def handle_text(
    services: Services,
    bot: Bot,
    user: User,
    text: str,
    update_id: int,
    session_since: datetime | None = None,
) -> bool:
    """Typed text during onboarding (a name, an organisation); False when no dialog is open.

    A questionnaire touched after the onboarding began keeps the text: an invitation opened and
    left aside must not swallow the answers of a questionnaire in progress.
    """
    dialog = await services.repo.get_dialog(UserId(user.id))
    if dialog is None or dialog.kind != JOIN:
        return False
    if session_since is not None and session_since > dialog.updated_at:
        return False
    t = translator(dialog.payload.get("language", services.settings.default_language))
    step, value = dialog.payload.get("step"), " ".join(text.split())
    limit = NAME_MAX if step == "name" else ORGANISATION_MAX
    if step in ("name", "organisation") and not value:
        await telegram_io.send(bot, user.id, Reply(t("Please type your answer.")))
    elif step in ("name", "organisation") and len(value) > limit:
        await telegram_io.send(
            bot, user.id, Reply(t("That is too long: at most {max} characters, please.", max=limit))
        )
    elif step == "name":
        await _name_given(services, bot, user, value, update_id)
    elif step == "organisation":
        await _organisation_given(services, bot, user, value, update_id)
    else:
        await telegram_io.send(bot, user.id, Reply(t("Please answer with the buttons above.")))
    return True


async def _at_step(tap: Tap, step: str) -> bool:
    """Is the person's onboarding at `step`? (A button of another invitation may still show.)"""
    dialog = await tap.services.repo.get_dialog(UserId(tap.user.id))
    return dialog is not None and dialog.kind == JOIN and dialog.payload.get("step") == step
