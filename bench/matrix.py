"""Matrix guard: the event loop keeps running while the SWOT matrix is drawn.

The results picture takes a core for a few hundred milliseconds; drawn on the event loop, every
tap in every chat would wait that long. It is drawn in the worker process (`RenderWorker`), and
this guard measures what the loop still feels: a ticker task sleeps 1 ms in a loop and keeps the
longest gap between two of its wake-ups (the 1 ms included) while the renders run. Prints one
`label: value unit (goal …)` line each:
  1. matrix render time: the median, over the renders, of one render through the worker, from
     the call to the bytes back;
  2. the longest event-loop stall while those renders run (goal ≤ 20 ms);
  3. for information: the same stall when the matrix is drawn on the loop's own thread instead
     (what the worker spares the loop), the stall while the worker starts, the picture's size.
Exits non-zero if a goal is missed.

Run: `.venv/bin/python bench/matrix.py [--renders 10]`. Another bench can import `measure`,
which takes a `RenderWorker` and returns the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script, bench/ is on the path, not the repository
    sys.path.insert(0, str(ROOT))

from reports.swot_matrix import (  # noqa: E402
    HEIGHT,
    WIDTH,
    MatrixCaptions,
    MatrixItem,
    MatrixPicture,
    MatrixQuadrant,
    render_matrix,
)
from reports.worker import RenderWorker  # noqa: E402

MAX_STALL_MS = 20.0  # a tap answered 20 ms late is not seen; a drawing's 400 ms would be
MAX_RENDER_MS = 2_000.0  # the results follow the close of the vote: seconds would be felt
RENDERS = 10
TICK = 0.001
ITEMS = {
    "Forces": (
        "Bonne finition des produits, reconnue par les clients des marchés",
        "Fournisseurs locaux fidèles",
        "Une équipe soudée qui se relaie sans se le dire",
        "Des prix justes, expliqués sur chaque étiquette",
        "Le savoir-faire de deux anciens du métier",
    ),
    "Faiblesses": (
        "Peu de visibilité en ligne : pas de site, une page laissée à l'abandon",
        "Trésorerie tendue chaque hiver",
        "Tout repose sur deux personnes",
    ),
    "Opportunités": (
        "Les marchés publics ouverts aux structures de l'ESS",
        "Un tiers-lieu qui cherche des artisans",
        "Les écoles du quartier demandent des ateliers",
        "Salons régionaux",
    ),
    "Menaces": (
        "La concurrence des grandes enseignes, qui copient nos produits à moitié prix",
        "La hausse du prix des matières premières",
    ),
}


class Ticker:
    """A task that sleeps `TICK` in a loop and keeps the longest gap between two wake-ups."""

    def __init__(self) -> None:
        self.longest = 0.0
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> Ticker:
        self._task = asyncio.create_task(self._tick())
        await asyncio.sleep(TICK * 5)  # ticking before the work starts
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await asyncio.sleep(TICK * 5)  # a tick after the work, to see a stall at its end
        assert self._task is not None
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task

    @property
    def longest_ms(self) -> float:
        return self.longest * 1000

    async def _tick(self) -> None:
        last = time.perf_counter()
        while True:
            await asyncio.sleep(TICK)
            now = time.perf_counter()
            self.longest = max(self.longest, now - last)
            last = now


def sample_picture() -> MatrixPicture:
    """A results matrix as a workshop of 12 makes it: French texts, some long, votes, merges."""
    quadrants = [
        MatrixQuadrant(
            heading,
            tuple(
                MatrixItem(text, votes=9 - n * 2 + len(heading) % 3, merged=1 + n % 3 // 2)
                for n, text in enumerate(texts)
            ),
            "Aucun élément",
        )
        for heading, texts in ITEMS.items()
    ]
    return MatrixPicture(
        "SWOT de notre offre collective — résultats du vote",
        (quadrants[0], quadrants[1], quadrants[2], quadrants[3]),
        "12 votants sur 14 membres · 5 votes chacun · 23 novembre 2026",
        "votes",
        MatrixCaptions("Favorable", "Défavorable", "Interne", "Externe"),
    )


async def measure(worker: RenderWorker, renders: int = RENDERS) -> dict[str, float]:
    """The figures: `render_ms` (median through the worker), `stall_ms` (the longest loop stall
    meanwhile), `in_process_stall_ms` (drawn on the loop's thread), `start_stall_ms` (while the
    worker starts, if it had not), `png_bytes` (the picture's size)."""
    picture = sample_picture()
    async with Ticker() as starting:
        await worker.warm_up()
    times: list[float] = []
    async with Ticker() as drawing:
        for _ in range(renders):
            began = time.perf_counter()
            png = await worker.render_matrix(picture)
            times.append(time.perf_counter() - began)
    render_matrix(picture)  # matplotlib loaded, and its fonts, before the measured one
    async with Ticker() as on_loop:
        render_matrix(picture)  # on the loop's thread, on purpose: what the worker spares it
    return {
        "render_ms": statistics.median(times) * 1000,
        "stall_ms": drawing.longest_ms,
        "in_process_stall_ms": on_loop.longest_ms,
        "start_stall_ms": starting.longest_ms,
        "png_bytes": float(len(png)),
    }


def report(figures: dict[str, float], renders: int) -> list[str]:
    """Prints the figures; returns the goals missed."""
    render, stall = figures["render_ms"], figures["stall_ms"]
    print(
        f"matrix render time: {render:,.0f} ms (goal ≤ {MAX_RENDER_MS:,.0f} ms; median of "
        f"{renders} renders through the worker, from the call to the bytes)"
    )
    print(
        f"longest event-loop stall while the matrix renders: {stall:.1f} ms "
        f"(goal ≤ {MAX_STALL_MS:.0f} ms)"
    )
    print(
        f"longest event-loop stall drawing on the loop's thread: "
        f"{figures['in_process_stall_ms']:,.0f} ms (for information: what the worker spares it)"
    )
    print(
        f"longest event-loop stall while the worker starts: {figures['start_stall_ms']:.1f} ms "
        "(for information)"
    )
    print(
        f"matrix picture: {figures['png_bytes'] / 1000:,.0f} kB, {WIDTH}×{HEIGHT} px "
        "(for information; a bot's photo may have 10 MB)"
    )
    missed = [(render > MAX_RENDER_MS, "matrix render time"), (stall > MAX_STALL_MS, "stall")]
    return [name for failed, name in missed if failed]


async def run(renders: int) -> dict[str, float]:
    async with RenderWorker() as worker:
        return await measure(worker, renders)


def main(argv: Sequence[str]) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--renders", type=int, default=RENDERS)
    args = parser.parse_args(argv)
    missed = report(asyncio.run(run(args.renders)), args.renders)
    if missed:
        sys.exit("guard failed: " + "; ".join(missed))


if __name__ == "__main__":
    main(sys.argv[1:])
