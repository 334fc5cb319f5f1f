"""One quadrant's items as a picture, for a reveal too long for a message.

Rule: data in, PNG bytes out; the title and the items arrive translated (or as typed). Items are
numbered in the order given and wrapped; the picture grows with them up to 2560 px, the largest
side Telegram keeps, then takes a second column, then ends with a "+N" line for the rest.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from reports.canvas import Canvas, Font

COLUMN = 1280  # a column's width; one column shows whole at Telegram's usual 1280 px
MAX_SIDE = 2560  # Telegram scales a photo down to this on its longest side
MIN_HEIGHT = 320  # keeps a short list's picture far from Telegram's 1:20 side ratio
MAX_COLUMNS = 2
MAX_ITEM_LINES = 6
MARGIN, ITEM_GAP = 48, 14
TITLE = Font(36, bold=True)
ITEM = Font(24)
NUMBER = Font(24, bold=True, colour="#555555")
MORE = Font(24, italic=True, colour="#555555")


@dataclass(frozen=True, slots=True)
class _Entry:
    number: str
    lines: tuple[str, ...]


def render_item_list(title: str, items: Sequence[str], *, more: str = "+{count}") -> bytes:
    """The items, numbered, as a PNG at most `MAX_SIDE` pixels on each side.

    `more` is the line that ends a list too long to show whole, `{count}` standing for the
    number of items left out (for example "+{count} more", translated).
    """
    measure = Canvas(COLUMN, MIN_HEIGHT)  # a page to measure on: the size is known only after
    text_width = COLUMN - 2 * MARGIN - _number_width(measure, len(items))
    # The title wraps at one column's width whatever the number of columns: its height is
    # needed before the columns are known.
    title_lines = measure.fit(title, TITLE, COLUMN - 2 * MARGIN, 2)
    top = MARGIN + len(title_lines) * TITLE.line + ITEM_GAP
    entries = (
        _Entry(f"{n}.", tuple(measure.fit(item, ITEM, text_width, MAX_ITEM_LINES)) or ("",))
        for n, item in enumerate(items, start=1)
    )
    columns = _columns(entries, MAX_SIDE - MARGIN - top)
    left_out = len(items) - sum(len(column) for column in columns)
    used = max((_height(column) for column in columns), default=0.0)
    height = top + used + (MORE.line if left_out else 0) + MARGIN
    canvas = Canvas(COLUMN * len(columns), max(MIN_HEIGHT, min(MAX_SIDE, round(height))))
    for n, line in enumerate(title_lines):
        canvas.text(MARGIN, MARGIN + n * TITLE.line, line, TITLE)
    number_width = _number_width(canvas, len(items))
    for n, column in enumerate(columns):
        _draw_column(canvas, column, MARGIN + n * COLUMN, top, number_width)
    if left_out:
        said = canvas.fit_line(more.replace("{count}", str(left_out)), MORE, text_width)
        x = MARGIN + (len(columns) - 1) * COLUMN + number_width
        canvas.text(x, top + _height(columns[-1]), said, MORE)
    return canvas.png()


def _number_width(canvas: Canvas, count: int) -> float:
    """The room for the widest number, "12." say, and a space after it."""
    return canvas.measure(f"{max(count, 1)}.", NUMBER) + 14


def _height(entries: Sequence[_Entry]) -> float:
    return sum(len(entry.lines) * ITEM.line + ITEM_GAP for entry in entries)


def _columns(entries: Iterable[_Entry], room: float) -> list[list[_Entry]]:
    """The entries in at most `MAX_COLUMNS` columns of `room` pixels, in order; if some are left
    out, the last column keeps a line's room for saying so. Stops taking entries (fitting each
    costs measurements) once the columns are full."""
    columns: list[list[_Entry]] = [[]]
    for entry in entries:
        if _height([*columns[-1], entry]) > room and columns[-1]:
            if len(columns) == MAX_COLUMNS:
                while columns[-1] and _height(columns[-1]) + MORE.line > room:
                    columns[-1].pop()
                break
            columns.append([])
        columns[-1].append(entry)
    return columns


def _draw_column(
    canvas: Canvas, entries: Sequence[_Entry], x: float, top: float, number_width: float
) -> None:
    for entry in entries:
        canvas.text(x + number_width - 14, top, entry.number, NUMBER, align="right")
        for n, line in enumerate(entry.lines):
            canvas.text(x + number_width, top + n * ITEM.line, line, ITEM)
        top += len(entry.lines) * ITEM.line + ITEM_GAP
