"""The bot's own words: three complete catalogs, true to their source, in step with the code.

After adding or changing a `t("…")` string in `bot/`, run `make extract`, then translate the new
entries in `bot/locale/{fr,en,nl}/LC_MESSAGES/bilan.po`; these tests name what is missing.
"""

from __future__ import annotations

import functools
import re
import string
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po

from bot.i18n import DOMAIN, LOCALE_DIR, translator
from flows.schema import LANGUAGES, Language

BOT_DIR = LOCALE_DIR.parent
TEMPLATE = LOCALE_DIR / f"{DOMAIN}.pot"
# The same keywords as `make extract` (`-k t -k plural:1,2`, on top of Babel's defaults).
KEYWORDS = {**DEFAULT_KEYWORDS, "t": None, "plural": (1, 2)}
PLURAL_FORMS = {
    "fr": "nplurals=2; plural=(n > 1);",
    "en": "nplurals=2; plural=(n != 1);",
    "nl": "nplurals=2; plural=(n != 1);",
}
PLURAL_RULES = {
    "fr": lambda n: int(n > 1),
    "en": lambda n: int(n != 1),
    "nl": lambda n: int(n != 1),
}
# What Telegram's HTML parse mode sees, and commands a person types as they are.
TAG = re.compile(r"</?[a-z]+>")
COMMAND = re.compile(r"(?<![\w/}<])/[a-z]+\b")

MessageId = str | tuple[str, ...]


def po_path(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


@functools.cache
def load(path: Path, language: str | None = None) -> Catalog:
    with path.open("rb") as source:
        return read_po(source, locale=language, domain=DOMAIN)


def entries(catalog: Catalog) -> list[Message]:
    """The catalog's messages, without its header."""
    return [message for message in catalog if message.id]


def sources(message: Message) -> tuple[str, ...]:
    """msgid, or (msgid, msgid_plural)."""
    return (message.id,) if isinstance(message.id, str) else tuple(message.id)


def translations(message: Message) -> tuple[str, ...]:
    """msgstr, or its plural forms; "" where one is missing."""
    text = message.string
    if isinstance(text, str):
        return (text,)
    return tuple(form or "" for form in text or ("",))


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def shown(message: Message) -> str:
    return " / ".join(repr(text) for text in sources(message))


def code_ids() -> set[MessageId]:
    return {
        message
        for folder in (BOT_DIR, BOT_DIR.parent / "console")
        for _, _, message, _, _ in extract_from_dir(
            folder, method_map=[("**.py", "python")], keywords=KEYWORDS
        )
    }


def ids(catalog: Catalog) -> set[MessageId]:
    """As extraction gives them: msgid, or (msgid, msgid_plural)."""
    return {
        texts[0] if len(texts := sources(message)) == 1 else texts for message in entries(catalog)
    }


languages = pytest.mark.parametrize("language", LANGUAGES)


@languages
def test_the_header_is_there_and_not_fuzzy(language: Language) -> None:
    catalog = load(po_path(language), language)
    assert not catalog.fuzzy, (
        f"{po_path(language)} has no header entry (or a fuzzy one): `pybabel compile` skips such"
        " a catalog. Keep its header; `pybabel update --omit-header` removes it."
    )
    assert catalog.plural_forms == PLURAL_FORMS[language]


@languages
def test_every_entry_is_translated_and_none_is_fuzzy(language: Language) -> None:
    catalog = load(po_path(language), language)
    problems = []
    for message in entries(catalog):
        texts = translations(message)
        if not all(texts) or (message.pluralizable and len(texts) != catalog.num_plurals):
            problems.append(f"untranslated: {shown(message)}")
        if message.fuzzy:
            problems.append(f"fuzzy (check it, then remove the flag): {shown(message)}")
    assert not problems, f"{po_path(language)}: {problems}"


@languages
def test_translations_keep_the_placeholders(language: Language) -> None:
    catalog = load(po_path(language), language)
    wrong = []
    for message in entries(catalog):
        expected = set().union(*(placeholders(text) for text in sources(message)))
        for text in filter(None, translations(message)):
            if placeholders(text) != expected:
                wrong.append(f"{text!r} needs exactly {sorted(expected)}")
    assert not wrong, f"{po_path(language)}: {wrong}"


@languages
def test_translations_keep_html_tags_and_commands(language: Language) -> None:
    catalog = load(po_path(language), language)
    wrong = []
    for message in entries(catalog):
        source = sources(message)[0]
        for text in filter(None, translations(message)):
            if sorted(TAG.findall(text)) != sorted(TAG.findall(source)):
                wrong.append(f"{text!r}: the tags of {source!r}")
            if set(COMMAND.findall(text)) != set(COMMAND.findall(source)):
                wrong.append(f"{text!r}: the commands of {source!r}")
    assert not wrong, f"{po_path(language)}: {wrong}"


@languages
def test_each_catalog_has_exactly_the_template_entries(language: Language) -> None:
    template, catalog = ids(load(TEMPLATE)), ids(load(po_path(language), language))
    assert not template - catalog, (
        f"{po_path(language)} lacks entries of the template: run `make extract`, then translate"
        f" them: {sorted(map(str, template - catalog))}"
    )
    assert not catalog - template, (
        f"{po_path(language)} has entries the template no longer has: run `make extract`:"
        f" {sorted(map(str, catalog - template))}"
    )


def test_the_template_is_up_to_date_with_the_code() -> None:
    in_code, in_template = code_ids(), ids(load(TEMPLATE))
    assert in_code == in_template, (
        f"{TEMPLATE} is out of date: run `make extract`, then translate the new entries."
        f" New in the code: {sorted(map(str, in_code - in_template))};"
        f" gone from the code: {sorted(map(str, in_template - in_code))}"
    )


def test_the_catalogs_are_really_loaded() -> None:
    text = translator("nl")("Question {position}/{total}", position=3, total=10)
    assert text != "Question 3/10"


@languages
def test_plural_forms_follow_the_language(language: Language) -> None:
    catalog = load(po_path(language), language)
    message = next(
        (
            m
            for m in entries(catalog)
            if m.pluralizable and placeholders(sources(m)[0]) <= {"count"}
        ),
        None,
    )
    if message is None:
        pytest.skip("no plural entry with only {count}")
    singular, plural = sources(message)
    t = translator(language)
    for count in (0, 1, 2, 5):
        expected = translations(message)[PLURAL_RULES[language](count)].format(count=count)
        assert t.plural(singular, plural, count) == expected, f"{language}, {count}"
