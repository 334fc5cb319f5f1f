"""The bot's own words in French, English and Dutch, through gettext catalogs.

Rule: every string the bot sends goes through a `Translator` (`t("…", name=value)`), so Babel
extracts it and a test can check that all three catalogs translate it. Flow texts do not come
through here: flows carry their own language maps. Catalogs are compiled by `make`; a missing or
older `.mo` is compiled in memory from its `.po`, so a fresh checkout still speaks every language.
"""

from __future__ import annotations

import functools
import gettext
import io
import logging
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from flows.schema import LANGUAGES, Language

LOCALE_DIR = Path(__file__).parent / "locale"
LANGUAGE_NAMES: dict[Language, str] = {"fr": "Français", "en": "English", "nl": "Nederlands"}
DOMAIN = "bilan"
log = logging.getLogger(__name__)


class Translator:
    """`t("Question {position}/{total}", position=3, total=10)` in one language."""

    def __init__(self, language: Language, catalog: gettext.NullTranslations) -> None:
        self.language = language
        self._catalog = catalog

    def __call__(self, message: str, /, **params: object) -> str:
        text = self._catalog.gettext(message)
        return text.format(**params) if params else text

    def plural(self, singular: str, plural: str, count: int, /, **params: object) -> str:
        text = self._catalog.ngettext(singular, plural, count)
        return text.format(count=count, **params)


def language_of(code: str | None, default: Language) -> Language:
    """Telegram's `language_code` ("nl-BE", "en") mapped to a language the bot speaks."""
    if code:
        base = code.split("-")[0].lower()
        for language in LANGUAGES:
            if language == base:
                return language
    return default


@functools.cache
def translator(language: Language) -> Translator:
    return Translator(language, _catalog(language))


def _catalog(language: Language) -> gettext.NullTranslations:
    folder = LOCALE_DIR / language / "LC_MESSAGES"
    po, mo = folder / f"{DOMAIN}.po", folder / f"{DOMAIN}.mo"
    if mo.exists() and (not po.exists() or mo.stat().st_mtime >= po.stat().st_mtime):
        with mo.open("rb") as compiled:
            return gettext.GNUTranslations(compiled)
    if not po.exists():
        log.warning("no catalog for %s: the bot will speak its source language there", language)
        return gettext.NullTranslations()
    with po.open("rb") as source:
        catalog = read_po(source, locale=language, domain=DOMAIN)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)
