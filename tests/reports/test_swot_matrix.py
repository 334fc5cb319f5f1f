"""The SWOT matrix picture: a PNG Telegram takes, quadrants where a SWOT has them, every text
inside its quadrant, user text drawn as typed."""

from __future__ import annotations

import dataclasses

from PIL import Image, ImageChops

from reports.swot_matrix import (
    HEIGHT,
    MAX_ITEMS,
    WIDTH,
    MatrixItem,
    MatrixPicture,
    render_matrix,
)
from tests.reports.pictures import LONG_TEXT, LONG_WORD, colours, decoded, picture, quadrant


def test_the_matrix_is_a_png_of_its_size_with_colour() -> None:
    image = decoded(render_matrix(picture()))
    assert image.size == (WIDTH, HEIGHT)
    assert colours(image) > 20  # four fills, their borders and bars, text: not a blank page


def test_the_quadrants_sit_as_a_swot_is_drawn() -> None:
    headings = [quadrant(heading) for heading in ("S", "W", "O", "T")]
    empty = MatrixPicture("SWOT", (headings[0], headings[1], headings[2], headings[3]), "", "")
    image = decoded(render_matrix(empty))
    # Low in each quadrant, below its heading: only its background there.
    tl, tr, bl, br = (pixel(image, x, y) for y in (0.4, 0.85) for x in (0.25, 0.75))
    assert max(tl) == tl[1]  # strengths, top left: bluish green
    assert max(tr) == tr[0]  # weaknesses, top right: vermillion
    assert max(bl) == bl[2]  # opportunities, bottom left: blue
    assert max(br) == br[0]  # threats, bottom right: orange,
    assert br[1] > tr[1]  # yellower than vermillion
    assert len({tl, tr, bl, br}) == 4
    assert min(sum(colour) for colour in (tl, tr, bl, br)) > 3 * 200  # light fills


def pixel(image: Image.Image, x: float, y: float) -> tuple[int, int, int]:
    """The colour at a fraction `x` of the width and `y` of the height."""
    red, green, blue = image.getpixel((round(WIDTH * x), round(HEIGHT * y)))  # type: ignore[misc]  # RGB: a triple
    return red, green, blue


def test_long_texts_stay_inside_their_quadrant() -> None:
    short = render_matrix(picture(quadrant("Strengths", "Good finish", "Local suppliers")))
    long = render_matrix(
        picture(quadrant("Strengths " + LONG_TEXT, LONG_TEXT, LONG_WORD, "x" * 3000))
    )
    changed = ImageChops.difference(decoded(short), decoded(long)).getbbox()
    assert changed is not None
    _, top, right, bottom = changed
    assert right <= WIDTH / 2  # the weaknesses, to the right, are untouched
    assert bottom <= HEIGHT * 0.52  # and the opportunities, below
    assert top > 60  # and the title


def test_dollars_and_backslashes_are_drawn_as_typed() -> None:
    # As mathtext, `\unknown` and a lone `^` would raise: drawn as text, they are just shown.
    typed = picture(quadrant("Strengths $x$", r"$\unknown{$", "$^$ costs 5$", r"\frac{1}{2}"))
    image = decoded(render_matrix(typed))
    assert image.size == (WIDTH, HEIGHT)


def test_emoji_and_unknown_scripts_draw_without_a_warning() -> None:
    # A glyph missing from the font would warn, and warnings fail these tests.
    odd = quadrant("Forces 💪", "👍🏽 ✅ 👨‍👩‍👧 中文 Ωß", "\x00\u200b\ufeff", "")
    decoded(render_matrix(picture(odd)))


def test_different_texts_or_votes_give_different_pictures() -> None:
    base = render_matrix(picture())
    assert render_matrix(picture()) == base  # the same data, the same bytes
    assert render_matrix(picture(quadrant("Strengths", "Good finish", "Local supplier"))) != base
    assert (
        render_matrix(picture(quadrant("Strengths", "Good finish", "Local suppliers", votes=4)))
        != base
    )
    assert render_matrix(dataclasses.replace(picture(), footer="11 voters")) != base
    assert render_matrix(picture(captions=None)) != base


def test_merged_items_are_marked() -> None:
    alone = quadrant("Strengths", "Good finish")
    merged = dataclasses.replace(alone, items=(MatrixItem("Good finish", 3, merged=2),))
    assert render_matrix(picture(alone)) != render_matrix(picture(merged))


def test_only_the_first_items_of_a_quadrant_are_drawn() -> None:
    texts = [f"Item {n}" for n in range(MAX_ITEMS)]
    shown = render_matrix(picture(quadrant("Strengths", *texts)))
    assert render_matrix(picture(quadrant("Strengths", *texts, "One too many"))) == shown
    assert render_matrix(picture(quadrant("Strengths", *texts[:-1]))) != shown
