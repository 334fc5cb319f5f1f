"""Texts over Telegram's limit are cut into HTML that Telegram still accepts."""

from __future__ import annotations

from html import escape

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.telegram_io import TEXT_LIMIT, fit
from sandbox.markup import formatted


def visible(html: str) -> str:
    """What Telegram shows, as the sandbox parses it (it refuses malformed HTML as Telegram)."""
    text, _ = formatted(html, "HTML", None)
    return text


def test_a_text_within_the_limit_is_unchanged() -> None:
    text = "<b>Question 1/3</b>\n\nÇa va ?"
    assert fit(text) == text


def test_a_long_summary_is_cut_between_tags_and_closed() -> None:
    line = "<b>Qu&apos;avez-vous appris ?</b>\n<i>→ {}</i>\n"
    summary = "".join(line.format(escape(f"réponse n°{n} & suite")) for n in range(400))
    cut = fit(summary)
    shown = visible(cut)  # raises if the HTML does not parse
    assert len(shown) <= TEXT_LIMIT
    assert shown.endswith("…")
    assert len(shown) > TEXT_LIMIT - 40  # cut near the limit, not far before it


def test_a_text_long_only_by_its_tags_is_unchanged() -> None:
    text = "<b>x</b>" * 600  # 4,800 characters, 600 of them shown
    assert fit(text) == text


pieces = st.lists(
    st.tuples(st.sampled_from(["", "b", "i", "code"]), st.text(min_size=1, max_size=30)),
    min_size=1,
    max_size=30,
)


@settings(deadline=None)  # a slow CI machine must not fail it on time
@given(pieces, st.integers(min_value=2, max_value=80))
def test_any_cut_parses_and_fits(parts: list[tuple[str, str]], limit: int) -> None:
    html = "".join(f"<{t}>{escape(s)}</{t}>" if t else escape(s) for t, s in parts)
    cut = fit(html, limit)
    shown = visible(cut)
    assert len(shown) <= limit
    if cut != html:
        assert shown.endswith("…")
