"""A quadrant's items as a picture: numbered, growing with the items, within Telegram's sizes."""

from __future__ import annotations

from reports.item_list import COLUMN, MAX_SIDE, MIN_HEIGHT, render_item_list
from tests.reports.pictures import LONG_TEXT, LONG_WORD, colours, decoded

TITLE = "Strengths (12)"


def items(count: int) -> list[str]:
    return [f"Item {n}: a point made by a participant, on a line or two" for n in range(count)]


def test_a_short_list_is_one_column_of_at_least_the_least_height() -> None:
    image = decoded(render_item_list(TITLE, items(2)))
    assert image.size == (COLUMN, MIN_HEIGHT)
    assert colours(image) > 2  # text on white, smoothed: not a blank page
    assert decoded(render_item_list(TITLE, [])).size == (COLUMN, MIN_HEIGHT)


def test_the_picture_grows_with_the_items() -> None:
    heights = [decoded(render_item_list(TITLE, items(n))).size[1] for n in (4, 8, 16)]
    assert heights[0] > MIN_HEIGHT
    assert heights == sorted(set(heights))
    assert decoded(render_item_list(TITLE, [LONG_TEXT] * 4)).size[1] > heights[0]


def test_a_long_list_takes_two_columns_then_says_how_many_are_left_out() -> None:
    many = [f"Item {n}" for n in range(400)]  # short: a full page draws fast
    image = decoded(render_item_list(TITLE, many, more="+{count} more"))
    assert image.size == (2 * COLUMN, MAX_SIDE)
    # The closing line is drawn: another wording of it changes the picture.
    assert render_item_list(TITLE, many, more="+{count} autres") != render_item_list(
        TITLE, many, more="+{count} more"
    )
    # Nothing is left out of a short list, so nothing says so.
    assert render_item_list(TITLE, items(3), more="+{count} autres") == render_item_list(
        TITLE, items(3), more="+{count} more"
    )


def test_odd_texts_draw_without_error_or_warning() -> None:
    odd = [LONG_WORD, LONG_TEXT * 3, "$x$ and $\\unknown{$", "👍🏽 中文", "", "\n\t"]
    decoded(render_item_list(LONG_TEXT, odd))


def test_different_items_give_different_pictures() -> None:
    base = render_item_list(TITLE, items(3))
    assert render_item_list(TITLE, items(3)) == base
    assert render_item_list(TITLE, [*items(2), "Something else"]) != base
    assert render_item_list("Weaknesses (3)", items(3)) != base
