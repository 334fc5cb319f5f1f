"""What the picture tests share: sample data, and a PNG's decoding with Telegram's photo limits."""

from __future__ import annotations

import io

from PIL import Image

from reports.swot_matrix import MatrixCaptions, MatrixItem, MatrixPicture, MatrixQuadrant

TELEGRAM_MAX_BYTES = 10 * 1024 * 1024  # a photo sent by a bot
TELEGRAM_MAX_SIDES = 10_000  # width + height
TELEGRAM_MAX_RATIO = 20
LONG_WORD = "Anticonstitutionnellement" * 8  # 200 characters without a space
LONG_TEXT = "Une idée qui ne tient pas sur une ligne, ni sur deux, ni même sur quatre. " * 40
CAPTIONS = MatrixCaptions("Helpful", "Harmful", "Internal", "External")


def quadrant(heading: str, *texts: str, votes: int = 3) -> MatrixQuadrant:
    items = tuple(MatrixItem(text, votes + n) for n, text in enumerate(texts))
    return MatrixQuadrant(heading, items, "No items")


def picture(
    strengths: MatrixQuadrant | None = None, captions: MatrixCaptions | None = CAPTIONS
) -> MatrixPicture:
    return MatrixPicture(
        "SWOT of our collective offer",
        (
            strengths or quadrant("Strengths", "Good finish", "Local suppliers"),
            quadrant("Weaknesses", "Prices"),
            quadrant("Opportunities", "Tenders", "Fairs", "Schools"),
            quadrant("Threats", "Competition"),
        ),
        "12 voters · 5 votes each",
        "votes",
        captions,
    )


def decoded(png: bytes) -> Image.Image:
    """The picture, checked to be a whole PNG that Telegram takes as a photo."""
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG"
    image.load()  # decodes every row: a cut file fails here
    width, height = image.size
    assert len(png) < TELEGRAM_MAX_BYTES
    assert width + height <= TELEGRAM_MAX_SIDES
    assert max(width, height) / min(width, height) <= TELEGRAM_MAX_RATIO
    return image.convert("RGB")


def colours(image: Image.Image) -> int:
    """How many distinct colours the picture has."""
    return len(image.getcolors(maxcolors=1 << 24) or [])
