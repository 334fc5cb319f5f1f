"""Deadlines: when a round closes, in the cohort's local time, and how that reads to people.

Rule: a deadline is stored as an aware UTC instant; it is chosen, and shown, in the cohort's
time zone. "In 3 days" means until the end of that local day, 23:59: a facilitator and the
participants can predict it, whatever the hour the round was opened at.
"""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_time, get_timezone_location

from bot.i18n import Translator
from bot.services import Services
from storage.models import Cohort

CLOSING_TIME = time(23, 59)


def cohort_timezone(services: Services, cohort: Cohort | None) -> ZoneInfo:
    """The cohort's time zone (set when it was created, from `TIMEZONE`); the setting's for a
    cohort not found, or one whose zone this machine does not know."""
    try:
        return ZoneInfo(cohort.timezone if cohort is not None else services.settings.timezone)
    except (ValueError, KeyError):  # ZoneInfoNotFoundError is a KeyError
        return ZoneInfo(services.settings.timezone)


def deadline_in(days: int, now: datetime, zone: ZoneInfo) -> datetime:
    """The end (23:59) of the local day `days` days after `now`'s local day."""
    day = now.astimezone(zone).date() + timedelta(days=days)
    return datetime.combine(day, CLOSING_TIME, tzinfo=zone)


def deadline_text(t: Translator, at: datetime, zone: ZoneInfo) -> str:
    """`at` as weekday, date and time in `t`'s language: "mardi 14 janvier à 23:59"."""
    local = at.astimezone(zone)
    locale = Locale.parse(t.language)
    # CLDR has weekday-day-month only with a short weekday; a full one reads better in a
    # sentence, so the short field is widened, as ICU does for the skeleton "MMMMEEEEd".
    pattern = re.sub(r"E+", "EEEE", str(locale.datetime_skeletons["MMMMEd"]))
    return t(
        "{date} at {time}",
        date=format_date(local, pattern, locale=locale),
        time=format_time(local, "short", locale=locale),
    )


def zone_name(t: Translator, zone: ZoneInfo) -> str:
    """The zone as people name it, in `t`'s language: "heure : Belgique", "Belgium Time"."""
    return get_timezone_location(zone, locale=t.language)
