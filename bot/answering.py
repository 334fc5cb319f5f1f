"""What a participant answers next: the round a link or a button names, or the rounds open for
them, started or resumed where they left off.

Rule: a participant only ever answers a round of a cohort they belong to, while it is open.
"""

from __future__ import annotations

from html import escape

from telegram import Bot, User

from bot import telegram_io
from bot.callbacks import MenuButton
from bot.conversation import Tap, language_for, stale, t_for
from bot.deeplinks import join_payload
from bot.group import ballot, collect
from bot.i18n import Translator
from bot.policy import Action, authorize, is_group_member
from bot.render import Button, Reply
from bot.services import Services
from bot.survey import begin, is_closed
from flows.state import SessionState
from storage.models import CohortId, Round, RoundId, UserId


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
    board = await services.repo.get_board(found.id)
    if board is not None:  # a SWOT board's round is answered on the board, not in a session
        if board.state.phase == "voting":
            await ballot.open_ballot(services, bot, user, board.round_id)
        else:
            await collect.open_collection(services, bot, user, board.round_id, update_id)
        return
    decision = await authorize(services, bot, t, user.id, found.cohort_id, Action.ANSWER)
    if not decision.allowed:
        await _refuse_stranger(services, bot, user, t, found)
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


async def _refuse_stranger(
    services: Services, bot: Bot, user: User, t: Translator, found: Round
) -> None:
    """Not a member: someone from the cohort's group is offered to join at once; anyone else
    (a forwarded or guessed link) must ask, since the join link is the cohort's only key."""
    cohort = await services.repo.get_cohort(found.cohort_id)
    if cohort is not None and await _is_in_cohort_group(services, bot, cohort.id, user.id):
        link = f"https://t.me/{services.bot_username}?start={join_payload(cohort.invite_code)}"
        name = escape(cohort.name)
        await _say(
            bot,
            user.id,
            t(
                "This questionnaire is for the members of “{cohort}”. Join the cohort first: it takes a minute, and then the questionnaire starts.",
                cohort=name,
            ),
            (Button(t("Join “{cohort}” ▶️", cohort=name), url=link),),
        )
        return
    await _say(
        bot,
        user.id,
        t(
            "This questionnaire is for the members of a cohort. Ask your facilitator for the invitation link."
        ),
    )


async def _is_in_cohort_group(services: Services, bot: Bot, cohort_id: int, user_id: int) -> bool:
    for chat in await services.repo.chats_of_cohort(CohortId(cohort_id)):
        if await is_group_member(bot, chat.chat_id, user_id):
            return True
    return False


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
                "Hello! I run review workshops: questionnaires and SWOT analyses for a group. To join your group, open the invitation link your facilitator gave you. To run a workshop yourself, send /newcohort followed by the name of your cohort. /help tells you more."
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
    return flow_title(services, t, found.flow_id)


def flow_title(services: Services, t: Translator, flow_id: str, version: int | None = None) -> str:
    """A flow's title in `t`'s language (its id, for a flow this bot no longer has)."""
    try:
        flow = services.flows.get(flow_id, version)
    except LookupError:
        return flow_id
    return flow.title.resolve(t.language, flow.default_language)


async def pick_round(tap: Tap) -> str | None:
    """A round picked from the list of those open (`round` buttons), in the private chat only:
    a session is driven under its person's own lock, which is their private chat's."""
    if tap.choices.number is None or tap.in_group:
        return await stale(tap)
    await start_round(tap.services, tap.bot, tap.user, tap.choices.number, tap.update_id)
    return None
