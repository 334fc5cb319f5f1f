"""Text on the canvas: cleaned of what the font cannot draw, and fitted to its box."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reports.canvas import ELLIPSIS, MISSING, Canvas, Font, clean

FONT = Font(21)


@pytest.fixture(scope="module")
def canvas() -> Canvas:
    return Canvas(400, 300)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("two\nlines\t and  spaces ", "two lines and spaces"),
        ("e\u0301te\u0301", "été"),  # composed: one glyph each
        ("costs $5, not $x$", "costs $5, not $x$"),
        ("strong 💪", f"strong {MISSING}"),
        ("👍🏽 ✅", f"{MISSING} {MISSING}"),  # a skin tone is part of its emoji: one box
        ("❤️", "❤"),  # the variation selector goes, the heart is in the font
        ("a\u200db\x00c\u200bd", "abcd"),  # joiners, controls and zero widths vanish
        ("", ""),
    ],
)
def test_clean_keeps_what_the_font_draws_on_one_line(text: str, expected: str) -> None:
    assert clean(text) == expected


def test_a_text_that_fits_is_kept_whole(canvas: Canvas) -> None:
    assert canvas.fit("Good finish", FONT, 300, 2) == ["Good finish"]
    assert canvas.fit("Good finish", FONT, 300, 2, "(×3)") == ["Good finish (×3)"]
    assert canvas.fit("", FONT, 300, 2) == []


def test_a_long_text_is_wrapped_then_cut_with_an_ellipsis_before_its_tail(canvas: Canvas) -> None:
    lines = canvas.fit("word " * 200, FONT, 300, 3, "(×2)")
    assert len(lines) == 3
    assert lines[0].startswith("word word")
    assert lines[-1].endswith(f"{ELLIPSIS} (×2)")
    assert all(canvas.measure(line, FONT) <= 300 for line in lines)


def test_a_word_wider_than_the_line_is_split(canvas: Canvas) -> None:
    word = "x" * 200
    lines = canvas.fit(word, FONT, 300, 10)
    assert "".join(lines) == word
    assert len(lines) > 1
    assert all(canvas.measure(line, FONT) <= 300 for line in lines)


@settings(max_examples=60, deadline=None)
@given(
    text=st.text(max_size=400),
    width=st.integers(min_value=120, max_value=700),
    max_lines=st.integers(min_value=1, max_value=4),
    merged=st.integers(min_value=1, max_value=99),
)
def test_fitted_text_never_leaves_its_box(
    text: str, width: int, max_lines: int, merged: int
) -> None:
    canvas = Canvas(800, 100)
    tail = f"(×{merged})" if merged > 1 else ""
    lines = canvas.fit(text, FONT, width, max_lines, tail)
    assert len(lines) <= max_lines
    assert all(canvas.measure(line, FONT) <= width for line in lines)
    if tail:
        assert lines[-1].endswith(tail)
