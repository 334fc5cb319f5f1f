"""What a participant answers next: the round a link or a button names, or the rounds open for
them, started or resumed where they left off.

Rule: a participant only ever answers a round of a cohort they belong to, while it is open.
"""

from __future__ import annotations

from telegram import Bot, User

from bot import telegram_io
from bot.callbacks import MenuButton
from bot.conversation import Tap, language_for, t_for
from bot.i18n import Translator
from bot.policy import Action, authorize
from bot.render import Button, Reply
from bot.services import Services
from bot.survey import begin, is_closed
from flows.state import SessionState
from storage.models import Round, RoundId, UserId


def _menu(label: str, action: str, argument: str = "") -> Button:
    return Button(label, MenuButton(action, argument).encode())


async def _say(bot: Bot, chat_id: int, text: str, *rows: tuple[Button, ...]) -> None:
    await telegram_io.send(bot, chat_id, Reply(text, tuple(rows)))


async def start_round(
    services: Services, bot: Bot, user: User, round_id: int, update_id: int | None
) -> None:
    """Open (or resume) the participant's session in `round_id`."""
    t = await t_for(services, user)
    found = await services.repo.get_round(RoundId(round_id))
    if found is None:
        await _say(bot, user.id, t("This questionnaire does not exist (any more)."))
        return
    decision = await authorize(services, bot, t, user.id, found.cohort_id, Action.ANSWER)
    if not decision.allowed:
        await _say(
            bot,
            user.id,
            t(
                "This questionnaire is for the members of a cohort. Ask your facilitator for the invitation link."
            ),
        )
        return
    session = await services.repo.session_of(found.id, UserId(user.id))
    if session is None:
        if not _is_open(services, found):
            await _say(
                bot, user.id, t("This questionnaire is closed. Thank you for your interest!")
            )
            return
        person = await services.repo.get_person(UserId(user.id))
        state = SessionState.new(
            found.flow_id, found.flow_version, language_for(services, person, user)
        )
        session = await services.repo.start_session(
            found.id, UserId(user.id), state, found.flow_version, services.clock()
        )
    await begin(services, bot, session, update_id)


def _is_open(services: Services, found: Round) -> bool:
    return not is_closed(found, services.clock())


async def offer_open_rounds(
    services: Services, bot: Bot, user: User, update_id: int | None, *, quiet: bool = False
) -> None:
    """After /start with nothing in progress: the rounds waiting for this person, or a welcome."""
    t = await t_for(services, user)
    waiting = await _waiting_rounds(services, user.id)
    if len(waiting) == 1:
        await start_round(services, bot, user, waiting[0].id, update_id)
        return
    if waiting:
        rows = [(_menu(round_title(services, t, r), "round", str(r.id)),) for r in waiting]
        await _say(bot, user.id, t("Several questionnaires are open for you. Which one?"), *rows)
        return
    memberships = await services.repo.memberships_of(UserId(user.id))
    if quiet:
        return
    if memberships:
        await _say(
            bot,
            user.id,
            t(
                "Hello! No questionnaire is open for you right now. I will write to you when one opens."
            ),
        )
    else:
        await _say(
            bot,
            user.id,
            t(
                "Hello! I run bilan workshops: questionnaires and SWOT for a group. To join your group, open the invitation link your facilitator gave you. To run a workshop yourself, send /newcohort followed by the name of your cohort. /help tells you more."
            ),
        )


async def _waiting_rounds(services: Services, user_id: int) -> list[Round]:
    waiting = []
    for membership in await services.repo.memberships_of(UserId(user_id)):
        for found in await services.repo.open_rounds_of_cohort(membership.cohort_id):
            session = await services.repo.session_of(found.id, UserId(user_id))
            if _is_open(services, found) and (session is None or session.is_active):
                waiting.append(found)
    return sorted({r.id: r for r in waiting}.values(), key=lambda r: r.id)


def round_title(services: Services, t: Translator, found: Round) -> str:
    """The round's flow title in `t`'s language."""
    try:
        flow = services.flows.get(found.flow_id)
    except LookupError:
        return found.flow_id
    return flow.title.resolve(t.language, flow.default_language)


async def pick_round(tap: Tap) -> str | None:
    """A round picked from the list of those open (`round` buttons)."""
    if tap.choices.number is not None:
        await start_round(tap.services, tap.bot, tap.user, tap.choices.number, tap.update_id)
    return None
