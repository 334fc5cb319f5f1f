"""The drawing of the SWOT matrix (`reports.swot_matrix.render_matrix` calls it).

Rule: layout only, in pixels on a `Canvas`; the data and its meaning are in `swot_matrix`. Every
text is fitted to its box by the canvas, so a long item is cut, never spilled into a neighbour.
"""

from __future__ import annotations

from dataclasses import dataclass

from reports.canvas import Canvas, Font, tint
from reports.swot_matrix import (
    HEIGHT,
    MAX_ITEMS,
    WIDTH,
    MatrixCaptions,
    MatrixPicture,
    MatrixQuadrant,
)

# Okabe–Ito, one per quadrant, told apart with any colour vision: bluish green, vermillion,
# blue, orange.
COLOURS = ("#009E73", "#D55E00", "#0072B2", "#E69F00")
FILL = 0.14  # of the colour in a quadrant's background: light, so black text reads on it
MAX_ITEM_LINES = 4
MARGIN, GAP, PAD, BAND = 36, 18, 22, 8
BAR, NUMBER = 110, 52  # the widest vote bar, and the room for its count
TITLE = Font(40, bold=True)
FOOTER = Font(18, colour="#555555")
CAPTION = Font(22, bold=True, colour="#444444")
HEADING = Font(30, bold=True)
LABEL = Font(17, colour="#444444")
EMPTY = Font(20, italic=True, colour="#555555")
ITEM = Font(21)
COUNT = Font(21, bold=True)
ITEM_GAP = 12


@dataclass(frozen=True, slots=True)
class _Box:
    x: float
    y: float
    width: float
    height: float


def draw_matrix(picture: MatrixPicture) -> bytes:
    """The matrix as PNG bytes of `WIDTH`×`HEIGHT` pixels."""
    canvas = Canvas(WIDTH, HEIGHT)
    inner = WIDTH - 2 * MARGIN
    canvas.text(MARGIN, MARGIN, canvas.fit_line(picture.title, TITLE, inner), TITLE)
    footer = canvas.fit(picture.footer, FOOTER, inner, 2)
    bottom = HEIGHT - MARGIN - len(footer) * FOOTER.line
    for n, line in enumerate(footer):
        canvas.text(MARGIN, bottom + n * FOOTER.line, line, FOOTER)
    top = MARGIN + TITLE.line + 12
    grid = _Box(MARGIN, top, inner, bottom - 12 - top)
    if picture.captions is not None:
        grid = _draw_captions(canvas, picture.captions, grid)
    shown = [item for quadrant in picture.quadrants for item in quadrant.items[:MAX_ITEMS]]
    most = max([1, *(item.votes for item in shown)])
    width, height = (grid.width - GAP) / 2, (grid.height - GAP) / 2
    for n, (quadrant, colour) in enumerate(zip(picture.quadrants, COLOURS, strict=True)):
        column, row = n % 2, n // 2
        box = _Box(grid.x + column * (width + GAP), grid.y + row * (height + GAP), width, height)
        _draw_quadrant(canvas, quadrant, box, colour, picture.votes_label, most)
    return canvas.png()


def _draw_captions(canvas: Canvas, captions: MatrixCaptions, grid: _Box) -> _Box:
    """Draws the column captions above the grid and the row captions left of it, turned a
    quarter; returns the room left for the quadrants."""
    left, above = CAPTION.line + 8, CAPTION.line + 6
    inner = _Box(grid.x + left, grid.y + above, grid.width - left, grid.height - above)
    width, height = (inner.width - GAP) / 2, (inner.height - GAP) / 2
    for n, caption in enumerate((captions.helpful, captions.harmful)):
        centre = inner.x + n * (width + GAP) + width / 2
        canvas.text(
            centre, grid.y, canvas.fit_line(caption, CAPTION, width), CAPTION, align="center"
        )
    for n, caption in enumerate((captions.internal, captions.external)):
        centre = inner.y + n * (height + GAP) + height / 2
        line = canvas.fit_line(caption, CAPTION, height)
        canvas.text(grid.x + CAPTION.line / 2, centre, line, CAPTION, align="center", rotation=90)
    return inner


def _draw_quadrant(
    canvas: Canvas, quadrant: MatrixQuadrant, box: _Box, colour: str, votes_label: str, most: int
) -> None:
    """Draws a quadrant: its background, heading, and items, each with its votes as a bar
    (scaled to the most votes in the whole matrix) and a count."""
    canvas.rectangle(box.x, box.y, box.width, box.height, tint(colour, FILL), edge=colour)
    canvas.rectangle(box.x, box.y, box.width, BAND, colour)
    left, top, inner = box.x + PAD, box.y + BAND + PAD, box.width - 2 * PAD
    right = box.x + box.width - PAD
    label = canvas.fit_line(votes_label, LABEL, BAR + NUMBER) if quadrant.items else ""
    room = inner - (canvas.measure(label, LABEL) + 16 if label else 0)
    canvas.text(left, top, canvas.fit_line(quadrant.heading, HEADING, room), HEADING)
    canvas.text(right, top + HEADING.size - LABEL.size, label, LABEL, align="right")
    top += HEADING.line + 10
    items = quadrant.items[:MAX_ITEMS]
    if not items:
        for n, line in enumerate(canvas.fit(quadrant.empty, EMPTY, inner, 2)):
            canvas.text(left, top + n * EMPTY.line, line, EMPTY)
        return
    slot = (box.y + box.height - PAD - top) / len(items)
    max_lines = max(1, min(MAX_ITEM_LINES, int((slot - ITEM_GAP) / ITEM.line)))
    bar_x, bar_height = right - NUMBER - BAR, ITEM.size * 0.8
    for item in items:
        tail = f"(×{item.merged})" if item.merged > 1 else ""
        lines = canvas.fit(item.text, ITEM, inner - BAR - NUMBER - 16, max_lines, tail) or [""]
        for n, line in enumerate(lines):
            canvas.text(left, top + n * ITEM.line, line, ITEM)
        bar_y = top + (ITEM.line - bar_height) / 2
        canvas.rectangle(bar_x, bar_y, BAR, bar_height, "white")
        canvas.rectangle(bar_x, bar_y, BAR * max(item.votes, 0) / most, bar_height, colour)
        canvas.text(right, top, str(item.votes), COUNT, align="right")
        top += len(lines) * ITEM.line + ITEM_GAP
