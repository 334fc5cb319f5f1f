"""The SWOT results as one picture: the data the matrix shows, and `render_matrix`.

Rule: data in, PNG bytes out. Every text arrives translated; the picture adds only numbers and
signs (vote counts, "×3" for three merged items). The quadrants are drawn as a SWOT is:
strengths top left, weaknesses top right (internal), opportunities bottom left, threats bottom
right (external); helpful on the left, harmful on the right. This module does not import
matplotlib, so the bot's process can build the data without loading it; the drawing lives in
`reports/matrix_drawing.py`.
"""

from __future__ import annotations

from dataclasses import dataclass

WIDTH, HEIGHT = 1600, 1200  # Telegram shows 1280 px on the longest side, 2560 px when opened
MAX_ITEMS = 5  # a quadrant's items beyond these are not drawn


@dataclass(frozen=True, slots=True)
class MatrixItem:
    """One item with its votes; `merged` near-duplicates were grouped into it."""

    text: str
    votes: int
    merged: int = 1


@dataclass(frozen=True, slots=True)
class MatrixQuadrant:
    """A quadrant's heading, its top items in the order to show, and the text for none."""

    heading: str
    items: tuple[MatrixItem, ...]
    empty: str


@dataclass(frozen=True, slots=True)
class MatrixCaptions:
    """The axes' captions: the columns (helpful, harmful) and the rows (internal, external)."""

    helpful: str
    harmful: str
    internal: str
    external: str


@dataclass(frozen=True, slots=True)
class MatrixPicture:
    """The whole picture; quadrants in the order strengths, weaknesses, opportunities, threats.

    `votes_label` heads each quadrant's column of vote counts; `footer` (a date, the number of
    voters) goes under the matrix, on at most two lines.
    """

    title: str
    quadrants: tuple[MatrixQuadrant, MatrixQuadrant, MatrixQuadrant, MatrixQuadrant]
    footer: str
    votes_label: str
    captions: MatrixCaptions | None = None


def render_matrix(picture: MatrixPicture) -> bytes:
    """The matrix as a PNG of `WIDTH`×`HEIGHT` pixels, the first `MAX_ITEMS` items a quadrant.

    Takes a few hundred milliseconds of CPU: call it through `reports.worker.RenderWorker` from
    the event loop.
    """
    # Imported here: whoever imports this module for the data types does not load matplotlib.
    from reports.matrix_drawing import draw_matrix

    return draw_matrix(picture)
