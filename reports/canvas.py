"""A page to draw on in pixels, with text measured by the renderer that draws it.

Rule: the only module that imports matplotlib, and only through its object API (`Figure`, the
Agg canvas): `pyplot` keeps global state that threads and processes would share. The drawing
modules import this one inside their render functions, so the bot's process, which builds the
pictures' data and sends the bytes, never loads matplotlib: the worker process does.

Every text is laid out here: cleaned of what the font cannot draw, wrapped at measured widths,
cut with an ellipsis, so that no text leaves its box whatever a participant typed. User text is
never mathtext (`parse_math=False`) nor TeX, so `$x$` shows as typed.
"""

from __future__ import annotations

import functools
import io
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties, findfont
from matplotlib.ft2font import FT2Font
from matplotlib.patches import Rectangle

DPI = 100
# The font matplotlib ships: the same pictures on every machine, whatever fonts it has.
FAMILY = "DejaVu Sans"
# What a font without the glyph shows anyway ("tofu"), drawn on purpose: matplotlib would
# otherwise warn once per missing glyph, and an emoji-only item would vanish if dropped.
MISSING = "□"
ELLIPSIS = "…"
BASELINE = 1901 / 2048  # DejaVu Sans's ascent: a line's top to its baseline, in sizes
# Invisible parts of emoji sequences: variation selectors and skin-tone modifiers, so that one
# emoji becomes one box, not two.
INVISIBLE = frozenset(range(0xFE00, 0xFE10)) | frozenset(range(0x1F3FB, 0x1F400))


@dataclass(frozen=True, slots=True)
class Font:
    """A text style: size in pixels (layout is in pixels), weight, colour."""

    size: float
    bold: bool = False
    italic: bool = False
    colour: str = "#1a1a1a"

    @property
    def line(self) -> float:
        """The distance from one line's top to the next's."""
        return self.size * 1.3

    def properties(self) -> FontProperties:
        return FontProperties(
            family=FAMILY,
            size=self.size * 72 / DPI,
            weight="bold" if self.bold else "normal",
            style="italic" if self.italic else "normal",
        )


@functools.cache
def _drawable() -> frozenset[int]:
    """The code points every style of the family can draw."""
    styles = (Font(10, bold, italic) for bold in (False, True) for italic in (False, True))
    charmaps = [FT2Font(findfont(font.properties())).get_charmap() for font in styles]
    return frozenset.intersection(*(frozenset(charmap) for charmap in charmaps))


def clean(text: str) -> str:
    """`text` on one line, in composed form, every character one the font draws."""
    drawable = _drawable()
    kept: list[str] = []
    for char in unicodedata.normalize("NFC", text):
        point = ord(char)
        if char.isspace():
            kept.append(" ")
        elif point in INVISIBLE or unicodedata.category(char) in ("Cc", "Cf", "Cs"):
            continue
        elif point in drawable:
            kept.append(char)
        elif unicodedata.category(char) != "Mn":  # a mark the font lacks: the letter suffices
            kept.append(MISSING)
    return " ".join("".join(kept).split())


class Canvas:
    """A white page of `width`×`height` pixels, origin at the top left, y growing downwards."""

    def __init__(self, width: int, height: int) -> None:
        self.width = width
        self.height = height
        self._figure = Figure(figsize=(width / DPI, height / DPI), dpi=DPI, facecolor="white")
        self._agg = FigureCanvasAgg(self._figure)
        self._axes = self._figure.add_axes((0, 0, 1, 1))
        self._axes.set_axis_off()
        self._axes.set_xlim(0, width)
        self._axes.set_ylim(height, 0)
        self._renderer = self._agg.get_renderer()  # type: ignore[no-untyped-call]  # untyped in matplotlib

    def measure(self, text: str, font: Font) -> float:
        """The width in pixels `text` takes when drawn in `font`."""
        width, _, _ = self._renderer.get_text_width_height_descent(
            text, font.properties(), ismath=False
        )
        return float(width)

    def fit(self, text: str, font: Font, width: float, max_lines: int, tail: str = "") -> list[str]:
        """`text` (cleaned) wrapped into at most `max_lines` lines of at most `width` pixels.

        `tail` (a count, say) ends the last line even when the text is cut, after an ellipsis.
        A word wider than a line is split.
        """
        full = " ".join(part for part in (clean(text), tail) if part)
        lines: list[str] = []
        for line in self._lines(full.split(" "), font, width):
            if len(lines) == max_lines:
                lines[-1] = self._cut(lines[-1], font, width, tail)
                break
            lines.append(line)
        return lines

    def fit_line(self, text: str, font: Font, width: float) -> str:
        """`text` (cleaned) on one line of at most `width` pixels, cut if need be."""
        lines = self.fit(text, font, width, 1)
        return lines[0] if lines else ""

    def _lines(self, words: list[str], font: Font, width: float) -> Iterator[str]:
        words = [word for word in words if word]
        while words:
            count = self._most_words(words, font, width)
            if count:
                yield " ".join(words[:count])
                words = words[count:]
            else:  # a word wider than the line: as much of it as fits, the rest on the next
                cut = self._longest_prefix(words[0], font, width, "")
                yield words[0][:cut]
                words[0] = words[0][cut:]

    def _most_words(self, words: list[str], font: Font, width: float) -> int:
        """How many of the first `words` fit on a line: doubling, then halving, so that a line
        costs a few measurements, not one per word."""
        fits, over = 0, 1
        while over <= len(words) and self.measure(" ".join(words[:over]), font) <= width:
            fits, over = over, over * 2
        over = min(over, len(words) + 1)
        while over - fits > 1:
            middle = (fits + over) // 2
            if self.measure(" ".join(words[:middle]), font) <= width:
                fits = middle
            else:
                over = middle
        return fits

    def _cut(self, line: str, font: Font, width: float, tail: str) -> str:
        suffix = f"{ELLIPSIS} {tail}" if tail else ELLIPSIS
        return line[: self._longest_prefix(line, font, width, suffix)].rstrip() + suffix

    def _longest_prefix(self, text: str, font: Font, width: float, suffix: str) -> int:
        """The most characters of `text` that fit in `width` followed by `suffix` (at least one
        when there is no suffix, so that splitting a word always advances)."""
        low, high = (0 if suffix else 1), len(text)
        while low < high:
            middle = (low + high + 1) // 2
            if self.measure(text[:middle].rstrip() + suffix, font) <= width:
                low = middle
            else:
                high = middle - 1
        return low

    def text(
        self,
        x: float,
        y: float,
        text: str,
        font: Font,
        *,
        align: str = "left",
        rotation: float = 0,
    ) -> None:
        """Draws one line, already fitted, its top at `y` (its centre when rotated)."""
        # On the baseline, so that lines and numbers side by side line up whatever their
        # letters' height ("É" against "1.").
        self._axes.text(
            x,
            y if rotation else y + font.size * BASELINE,
            text,
            fontproperties=font.properties(),
            color=font.colour,
            ha=align,
            va="center" if rotation else "baseline",
            rotation=rotation,
            rotation_mode="anchor",
            parse_math=False,
            usetex=False,
        )

    def rectangle(
        self, x: float, y: float, width: float, height: float, fill: str, edge: str | None = None
    ) -> None:
        self._axes.add_patch(
            Rectangle(
                (x, y),
                width,
                height,
                facecolor=fill,
                edgecolor=edge or fill,
                linewidth=2 if edge else 0,
            )
        )

    def png(self) -> bytes:
        """The page as PNG bytes, without matplotlib's version in them."""
        buffer = io.BytesIO()
        self._agg.print_png(buffer, metadata={"Software": None})  # type: ignore[no-untyped-call]  # untyped in matplotlib
        return buffer.getvalue()


def tint(colour: str, amount: float) -> str:
    """`colour` mixed with white: `amount` of the colour, the rest white."""
    red, green, blue = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    mixed = (round(255 - (255 - c) * amount) for c in (red, green, blue))
    return "#" + "".join(f"{c:02x}" for c in mixed)
