"""Housekeeping, every minute: close the rounds past their deadline, end the sessions a
stopped closing left open, forget update ids old enough never to come back.

Rule: the database says what is due (a round's deadline is a column); the job queue only
wakes this up, so a restart loses nothing.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from telegram import Bot

from bot.services import Services
from bot.survey import close_round, end_sessions

log = logging.getLogger(__name__)
# A deadline closes its round within this much of its time.
INTERVAL = timedelta(minutes=1)
# Telegram re-delivers an update for at most a day: ids older than this never come back.
UPDATE_IDS_KEPT = timedelta(days=2)


async def housekeep(services: Services, bot: Bot) -> None:
    now = services.clock()
    for due in await services.repo.open_rounds_due(now):
        await close_round(services, bot, due.id)
        log.info("round %s closed at its deadline", due.id)
    for round_id in await services.repo.closed_rounds_with_active_sessions():
        await end_sessions(services, bot, round_id)
        log.info("the sessions still open in closed round %s are ended", round_id)
    await services.repo.prune_processed_updates(now - UPDATE_IDS_KEPT)
