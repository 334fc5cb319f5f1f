"""Who may do what: one table of role × action, asked by every handler.

Rule: authorization lives here and nowhere else. A handler asks `authorize(…)` and, on a refusal,
sends the polite reason it gets back; it never checks a role itself. A facilitator of cohort A is
a stranger to cohort B. In a group, facilitator commands also need the sender to be an admin of
the group, as Telegram counts them.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Literal

from telegram import Bot, ChatMemberRestricted
from telegram.constants import ChatMemberStatus
from telegram.error import TelegramError

from bot.i18n import Translator
from bot.services import Services
from storage.models import CohortId, UserId

Standing = Literal["facilitator", "participant", "stranger"]


class Action(enum.StrEnum):
    INVITE = "invite"
    ADD_FACILITATOR = "add_facilitator"
    BIND_GROUP = "bind_group"
    OPEN_ROUND = "open_round"
    CLOSE_ROUND = "close_round"
    VIEW_STATUS = "view_status"
    EXPORT = "export"
    VIEW_ANSWERS = "view_answers"  # someone else's individual answers
    ANSWER = "answer"
    RUN_SWOT = "run_swot"  # start, reveal, group, open and close the vote, create actions


POLICY: dict[Action, frozenset[Standing]] = {
    Action.INVITE: frozenset({"facilitator"}),
    Action.ADD_FACILITATOR: frozenset({"facilitator"}),
    Action.BIND_GROUP: frozenset({"facilitator"}),
    Action.OPEN_ROUND: frozenset({"facilitator"}),
    Action.CLOSE_ROUND: frozenset({"facilitator"}),
    Action.VIEW_STATUS: frozenset({"facilitator"}),
    Action.EXPORT: frozenset({"facilitator"}),
    Action.VIEW_ANSWERS: frozenset({"facilitator"}),
    Action.ANSWER: frozenset({"facilitator", "participant"}),
    Action.RUN_SWOT: frozenset({"facilitator"}),
}
FACILITATOR_ACTIONS = frozenset(
    action for action, who in POLICY.items() if "participant" not in who
)


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    reason: str = ""


async def standing_in(services: Services, user_id: int, cohort_id: int) -> Standing:
    roles = {
        m.role
        for m in await services.repo.memberships_of(UserId(user_id))
        if m.cohort_id == cohort_id
    }
    if "facilitator" in roles:
        return "facilitator"
    return "participant" if "participant" in roles else "stranger"


async def authorize(
    services: Services,
    bot: Bot,
    t: Translator,
    user_id: int,
    cohort_id: int,
    action: Action,
    group_chat_id: int | None = None,
) -> Decision:
    """May `user_id` do `action` in `cohort_id` (from `group_chat_id`, when said in a group)?"""
    standing = await standing_in(services, user_id, cohort_id)
    if standing not in POLICY[action]:
        if standing == "stranger":
            return Decision(False, t("Sorry, you are not a member of this cohort."))
        return Decision(False, t("Sorry, only the facilitators of this cohort can do that."))
    needs_admin = group_chat_id is not None and action in FACILITATOR_ACTIONS
    if (
        needs_admin
        and group_chat_id is not None
        and not await is_group_admin(bot, group_chat_id, user_id)
    ):
        return Decision(False, t("Sorry, only an admin of this group can do that here."))
    return Decision(True)


async def is_group_admin(bot: Bot, chat_id: int, user_id: int) -> bool:
    try:
        member = await bot.get_chat_member(chat_id, user_id)
    except TelegramError:
        return False
    return member.status in (ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER)


async def is_group_member(bot: Bot, chat_id: int, user_id: int) -> bool:
    """Is `user_id` in the group now (a restricted member still counts; one who left does not)?"""
    try:
        member = await bot.get_chat_member(chat_id, user_id)
    except TelegramError:
        return False
    if isinstance(member, ChatMemberRestricted):
        return member.is_member
    return member.status in (
        ChatMemberStatus.MEMBER,
        ChatMemberStatus.ADMINISTRATOR,
        ChatMemberStatus.OWNER,
    )


async def facilitated_cohorts(services: Services, user_id: int) -> list[CohortId]:
    return [
        m.cohort_id
        for m in await services.repo.memberships_of(UserId(user_id))
        if m.role == "facilitator"
    ]


async def is_facilitator_anywhere(services: Services, user_id: int) -> bool:
    return bool(await facilitated_cohorts(services, user_id))
