"""Rounds: a facilitator opens a flow for a cohort, follows who answered, and closes it.

Rule: every facilitator step is a button whose callback data carries the choices made so far
(cohort, flow, deadline), so the wizard needs no server-side state and survives a restart.
Each tap is authorized again: a button forwarded to someone else does nothing for them.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from html import escape
from zoneinfo import ZoneInfo

from telegram import Bot, Update, User

from bot import telegram_io
from bot.answering import flow_title, round_title
from bot.callbacks import DEADLINE_CHOICES, MenuButton
from bot.conversation import Context, Tap, language_for, stale, t_for
from bot.deadlines import cohort_timezone, deadline_in, deadline_text, zone_name
from bot.deeplinks import round_payload
from bot.group.facilitate import SWOT_FLOW, start_question
from bot.i18n import Translator, translator
from bot.policy import Action, authorize, facilitated_cohorts
from bot.render import Button, Reply
from bot.services import Services, services_of
from bot.survey import close_round
from storage.models import CohortId, Round, RoundId, UserId

log = logging.getLogger(__name__)


def _menu(label: str, action: str, argument: str = "") -> Button:
    return Button(label, MenuButton(action, argument).encode())


async def _say(bot: Bot, chat_id: int, text: str, *rows: tuple[Button, ...]) -> None:
    await telegram_io.send(bot, chat_id, Reply(text, tuple(rows)))


# ---- facilitators: which cohort -------------------------------------------------------------


async def _cohort_for(
    services: Services, bot: Bot, user: User, chat_id: int, is_group: bool, action: str
) -> CohortId | None:
    """The cohort a facilitator command is about: the group's, their only one, or a question."""
    t = await t_for(services, user)
    if is_group:
        cohort = await services.repo.cohort_of_chat(chat_id)  # type: ignore[arg-type]
        if cohort is None:
            await _say(
                bot,
                chat_id,
                t(
                    "This group is not linked to a cohort yet: a facilitator sends /bind followed by the cohort's code."
                ),
            )
            return None
        return cohort.id
    mine = await facilitated_cohorts(services, user.id)
    if not mine:
        await _say(bot, chat_id, await _not_facilitator(services, t, user.id, action))
        return None
    if len(mine) == 1:
        return mine[0]
    rows = []
    for cohort_id in mine:
        cohort = await services.repo.get_cohort(cohort_id)
        if cohort is not None:
            rows.append((_menu(cohort.name, action, f"c{cohort_id}"),))
    await _say(bot, chat_id, t("Which cohort?"), *rows)
    return None


async def _not_facilitator(services: Services, t: Translator, user_id: int, action: str) -> str:
    """Why a facilitator command does nothing for this person: a participant is told who can do
    it (they would not create a cohort to close a questionnaire); a newcomer, how to start one."""
    if not await services.repo.memberships_of(UserId(user_id)):
        return t(
            "You do not facilitate any cohort yet. Create one with /newcohort followed by its name."
        )
    if action == "open":
        return t(
            "Only the facilitators of your cohort open questionnaires. I will write to you when one opens."
        )
    if action == "status":
        return t("Only the facilitators of your cohort see who has answered.")
    return t("Only the facilitators of your cohort close questionnaires.")


async def _command(
    update: Update, context: Context, action: str
) -> tuple[Services, User, int, CohortId] | None:
    services, user, chat = services_of(context), update.effective_user, update.effective_chat
    if user is None or chat is None:
        return None
    is_group = chat.type in ("group", "supergroup")
    cohort_id = await _cohort_for(services, context.bot, user, chat.id, is_group, action)
    if cohort_id is None:
        return None
    t = await t_for(services, user)
    required = {
        "open": Action.OPEN_ROUND,
        "status": Action.VIEW_STATUS,
        "close": Action.CLOSE_ROUND,
    }[action]
    decision = await authorize(
        services, context.bot, t, user.id, cohort_id, required, chat.id if is_group else None
    )
    if not decision.allowed:
        await _say(context.bot, chat.id, decision.reason)
        return None
    return services, user, chat.id, cohort_id


async def _tap_allowed(tap: Tap, cohort_id: int, action: Action) -> str | None:
    """None when allowed; else the refusal, as a toast."""
    t = await t_for(tap.services, tap.user)
    chat = tap.query.message.chat if tap.query.message is not None else None
    group = chat.id if chat is not None and chat.type in ("group", "supergroup") else None
    decision = await authorize(tap.services, tap.bot, t, tap.user.id, cohort_id, action, group)
    return None if decision.allowed else decision.reason


# ---- /open ----------------------------------------------------------------------------------


async def on_open(update: Update, context: Context) -> None:
    found = await _command(update, context, "open")
    if found is not None:
        services, user, chat_id, cohort_id = found
        await _offer_flows(services, context.bot, await t_for(services, user), chat_id, cohort_id)


async def _offer_flows(
    services: Services, bot: Bot, t: Translator, chat_id: int, cohort_id: int
) -> None:
    rows = [
        (
            _menu(
                flow.title.resolve(t.language, flow.default_language),
                "open",
                f"c{cohort_id}:f{flow.id}",
            ),
        )
        for flow in services.flows
    ]
    await _say(bot, chat_id, t("What do you want to open?"), *rows)


async def open_step(tap: Tap) -> str | None:
    """One step of the /open wizard: flow, then deadline, then confirmation."""
    choice = tap.choices
    if choice.cohort is None:
        return await stale(tap)
    cohort_id = choice.cohort
    refusal = await _tap_allowed(tap, cohort_id, Action.OPEN_ROUND)
    if refusal:
        return refusal
    t = await t_for(tap.services, tap.user)
    base = f"c{cohort_id}"
    if choice.flow is None:
        await _offer_flows(tap.services, tap.bot, t, tap.chat_id, cohort_id)
    elif choice.flow == SWOT_FLOW and choice.days is None and await _has_group(tap, cohort_id):
        # The SWOT is a group workshop: the live board, unless each fills it alone.
        board = start_question(t, cohort_id)
        alone = _menu(
            t("📝 Each in private, as a questionnaire"), "open", f"{base}:f{choice.flow}:d0"
        )
        await _edit_menu(tap, board.text, [*board.buttons[:2], (alone,), board.buttons[2]])
    elif choice.days is None:
        labels = {0: t("No deadline"), 3: t("In 3 days"), 7: t("In a week"), 14: t("In two weeks")}
        rows = [
            (_menu(labels[d], "open", f"{base}:f{choice.flow}:d{d}"),) for d in DEADLINE_CHOICES
        ]
        await _edit_menu(tap, t("When should it close?"), rows)
    elif not choice.confirmed:
        title = flow_title(tap.services, t, choice.flow)
        confirm = _menu(t("Open it ✅"), "open", f"{base}:f{choice.flow}:d{choice.days}:!")
        question = t(
            "Open “{title}” for the cohort now? Every participant gets a private message.",
            title=escape(title),
        )
        closing = await _closing_line(tap.services, t, cohort_id, choice.days)
        await _edit_menu(
            tap, question + "\n" + closing, [(confirm,), (_menu(t("Cancel"), "drop"),)]
        )
    else:
        await _edit_menu(tap, t("Opening…"), [])
        await open_round(tap, cohort_id, choice.flow, choice.days)
    return None


async def _has_group(tap: Tap, cohort_id: int) -> bool:
    """Can the cohort run a SWOT as a live board (asked from a private chat, to a linked group)?"""
    if tap.in_group:
        return False
    chats = await tap.services.repo.chats_of_cohort(CohortId(cohort_id))
    return any(chat.kind in ("group", "supergroup") for chat in chats)


async def _closing_line(services: Services, t: Translator, cohort_id: int, days: int) -> str:
    """When the round about to open will close, as the confirmation says it."""
    if not days:
        return t("No deadline: it stays open until you close it with /close.")
    zone = cohort_timezone(services, await services.repo.get_cohort(CohortId(cohort_id)))
    deadline = deadline_in(days, services.clock(), zone)
    return t(
        "It closes on {when}, at the end of that day ({zone}).",
        when=deadline_text(t, deadline, zone),
        zone=zone_name(t, zone),
    )


async def _edit_menu(tap: Tap, text: str, rows: Sequence[tuple[Button, ...]]) -> None:
    message, reply = tap.query.message, Reply(text, tuple(rows))
    # A second tap on a button already answered (a double tap, a slow client) finds its result
    # on screen: editing it again would only be refused as "not modified".
    if message is None or telegram_io.shows(message, reply):
        return
    await telegram_io.edit(tap.bot, message.chat.id, message.message_id, reply)


async def drop(tap: Tap) -> str | None:
    """Cancel of a wizard or a confirmation: nothing changes."""
    t = await t_for(tap.services, tap.user)
    await _edit_menu(tap, t("Cancelled: nothing was changed."), [])
    return None


async def open_round(tap: Tap, cohort_id: int, flow_id: str, days: int) -> None:
    services, bot, now = tap.services, tap.bot, tap.services.clock()
    flow = services.flows.get(flow_id)
    already = await services.repo.open_rounds_of_cohort(CohortId(cohort_id))
    if any(r.flow_id == flow.id for r in already):  # a double tap, or a second facilitator
        t = await t_for(services, tap.user)
        title = escape(flow_title(services, t, flow.id))
        await _edit_menu(
            tap, t("“{title}” is already open in this cohort. /close closes it.", title=title), []
        )
        return
    zone = cohort_timezone(services, await services.repo.get_cohort(CohortId(cohort_id)))
    deadline = deadline_in(days, now, zone) if days else None
    opened = await services.repo.open_round(
        CohortId(cohort_id),
        flow.id,
        flow.version,
        flow.anonymous,
        UserId(tap.user.id),
        now,
        deadline=deadline,
    )
    unreachable = await _invite_participants(services, bot, opened, zone)
    await _announce_in_groups(services, bot, opened, await t_for(services, tap.user))
    t = await t_for(services, tap.user)
    lines = [t("“{title}” is open.", title=escape(flow_title(services, t, flow.id)))]
    if deadline is not None:
        lines.append(t("It closes on {when}.", when=deadline_text(t, deadline, zone)))
    if unreachable:
        names = ", ".join(escape(name) for name in unreachable)
        lines.append(
            t(
                "I could not write to: {names}. They must open the invitation link (or unblock the bot) first.",
                names=names,
            )
        )
    await _edit_menu(tap, "\n".join(lines), [])  # the wizard's message becomes the result


async def _invite_participants(
    services: Services, bot: Bot, opened: Round, zone: ZoneInfo
) -> list[str]:
    """A private message with a Start button to every participant; the names of those unreachable."""
    unreachable = []
    for member in await services.repo.members_of(opened.cohort_id, "participant"):
        person = await services.repo.get_person(member.user_id)
        t = translator(language_for(services, person, None))
        text = t(
            "📋 “{title}” is open for you.",
            title=escape(round_title(services, t, opened)),
        )
        if opened.deadline is not None:
            text += "\n" + t(
                "Please answer before {date}.", date=deadline_text(t, opened.deadline, zone)
            )
        name = person.display_name if person else str(member.user_id)
        if person is not None and not person.reachable:
            unreachable.append(name)
            continue
        try:
            await telegram_io.send(
                bot, member.user_id, Reply(text, ((_menu(t("Start ▶️"), "round", str(opened.id)),),))
            )
        except telegram_io.UnreachableError:
            await services.repo.set_reachable(member.user_id, False, services.clock())
            unreachable.append(name)
    return unreachable


async def _announce_in_groups(services: Services, bot: Bot, opened: Round, t: Translator) -> None:
    link = f"https://t.me/{services.bot_username}?start={round_payload(opened.id)}"
    for chat in await services.repo.chats_of_cohort(opened.cohort_id):
        text = t(
            "📋 “{title}” is open. Answer in a private chat with me:",
            title=escape(round_title(services, t, opened)),
        )
        try:
            await telegram_io.send(
                bot, chat.chat_id, Reply(text, ((Button(t("Answer ▶️"), url=link),),))
            )
        except telegram_io.UnreachableError:
            log.warning("cannot post in group %s any more", chat.chat_id)


# ---- /status and /close ---------------------------------------------------------------------


async def on_status(update: Update, context: Context) -> None:
    found = await _command(update, context, "status")
    if found is not None:
        services, user, chat_id, cohort_id = found
        in_group = update.effective_chat is not None and update.effective_chat.type != "private"
        t = await t_for(services, user)
        await _send_status(services, context.bot, t, chat_id, cohort_id, with_names=not in_group)


async def status_for(tap: Tap) -> str | None:
    """/status for a cohort picked from the facilitator's list."""
    if tap.choices.cohort is None:
        return await stale(tap)
    cohort_id = tap.choices.cohort
    refusal = await _tap_allowed(tap, cohort_id, Action.VIEW_STATUS)
    if refusal:
        return refusal
    t = await t_for(tap.services, tap.user)
    # Names only in private, as /status itself: a group sees the counts, not who is late.
    await _send_status(
        tap.services, tap.bot, t, tap.chat_id, cohort_id, with_names=not tap.in_group
    )
    return None


async def _send_status(
    services: Services,
    bot: Bot,
    t: Translator,
    chat_id: int,
    cohort_id: int,
    *,
    with_names: bool = True,
) -> None:
    """Who has answered; names only in private (a group sees the counts, not who is late)."""
    rounds = await services.repo.open_rounds_of_cohort(CohortId(cohort_id))
    if not rounds:
        await _say(bot, chat_id, t("No questionnaire is open in this cohort. Open one with /open."))
        return
    names = await services.repo.member_names(CohortId(cohort_id)) if with_names else None
    zone = cohort_timezone(services, await services.repo.get_cohort(CohortId(cohort_id)))
    blocks = []
    for found in rounds:
        status = await services.repo.round_status(found.id)
        # Finished means sent, as /close counts: whoever left half-way has not answered.
        left = status.stopped  # cancelled, or timed out at a deadline
        lines = [
            "<b>" + escape(round_title(services, t, found)) + "</b>",
            t("✅ Finished: {count}", count=len(status.submitted)) + _list(names, status.submitted),
            t("⏳ In progress: {count}", count=len(status.active)) + _list(names, status.active),
            t("💤 Not started: {count}", count=len(status.not_started))
            + _list(names, status.not_started),
        ]
        if left:
            lines.append(t("🚪 Left: {count}", count=len(left)) + _list(names, left))
        if found.deadline is not None:
            lines.append(t("⏰ Closes on {when}", when=deadline_text(t, found.deadline, zone)))
        blocks.append("\n".join(lines))
    await _say(bot, chat_id, "\n\n".join(blocks))


def _list(names: Mapping[UserId, str] | None, users: tuple[UserId, ...]) -> str:
    if not users or names is None:
        return ""
    return " — " + ", ".join(escape(names.get(u, str(u))) for u in users)


async def on_close(update: Update, context: Context) -> None:
    found = await _command(update, context, "close")
    if found is None:
        return
    services, user, chat_id, cohort_id = found
    t = await t_for(services, user)
    rounds = await services.repo.open_rounds_of_cohort(cohort_id)
    if not rounds:
        await _say(context.bot, chat_id, t("No questionnaire is open in this cohort."))
        return
    rows = [(_menu(round_title(services, t, r), "close", f"r{r.id}"),) for r in rounds]
    await _say(context.bot, chat_id, t("What do you want to close?"), *rows)


async def close_step(tap: Tap) -> str | None:
    """The /close wizard: the round picked, then its confirmation."""
    choice = tap.choices
    found = (
        None if choice.round is None else await tap.services.repo.get_round(RoundId(choice.round))
    )
    if found is None or await tap.services.repo.get_board(found.id) is not None:
        return await stale(tap)  # a SWOT board's round closes with its vote
    refusal = await _tap_allowed(tap, found.cohort_id, Action.CLOSE_ROUND)
    if refusal:
        return refusal
    t = await t_for(tap.services, tap.user)
    title = escape(round_title(tap.services, t, found))
    if not choice.confirmed:
        confirm = _menu(t("Close it 🔒"), "close", f"r{found.id}:!")
        await _edit_menu(
            tap,
            t("Close “{title}”? Nobody will be able to answer it any more.", title=title),
            [(confirm,), (_menu(t("Cancel"), "drop"),)],
        )
        return None
    if found.status == "open":
        await close_round(
            tap.services, tap.bot, found.id, closed_by=UserId(tap.user.id), in_background=True
        )
    status = await tap.services.repo.round_status(found.id)
    await _edit_menu(
        tap,
        t.plural(
            "“{title}” is closed: {count} person answered.",
            "“{title}” is closed: {count} people answered.",
            len(status.submitted),
            title=title,
        ),
        [],
    )
    return None
