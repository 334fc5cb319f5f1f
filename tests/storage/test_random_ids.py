"""Random row ids: the OS's randomness, asked for once per batch of ids."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable

import pytest

from storage import random_ids


@pytest.fixture
def empty_pool(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(random_ids, "_pool", [])


def _counting(monkeypatch: pytest.MonkeyPatch, fill: Callable[[int], bytes]) -> list[int]:
    asked: list[int] = []

    def urandom(size: int) -> bytes:
        asked.append(size)
        return fill(size)

    monkeypatch.setattr(random_ids.os, "urandom", urandom)
    return asked


@pytest.mark.usefixtures("empty_pool")
def test_the_os_is_asked_once_per_batch(monkeypatch: pytest.MonkeyPatch) -> None:
    asked = _counting(monkeypatch, os.urandom)
    ids = [random_ids.random_id() for _ in range(2 * random_ids.BATCH + 1)]
    assert asked == [8 * random_ids.BATCH] * 3
    assert len(set(ids)) == len(ids)


@pytest.mark.usefixtures("empty_pool")
@pytest.mark.parametrize(("byte", "expected"), [(0x00, 1), (0xFF, 2**62)])
def test_ids_span_one_to_two_to_the_62(
    monkeypatch: pytest.MonkeyPatch, byte: int, expected: int
) -> None:
    """As `secrets.randbits(62) + 1`: never 0, which SQLite would take as any rowid."""
    _counting(monkeypatch, lambda size: bytes([byte]) * size)
    assert random_ids.random_id() == expected


def test_ids_are_spread_over_the_whole_range() -> None:
    ids = [random_ids.random_id() for _ in range(4 * random_ids.BATCH)]
    assert all(1 <= i <= 2**62 for i in ids)
    assert len(set(ids)) == len(ids)
    # Each quarter of the range gets about a quarter of them (a run of 2,048 fair draws lands
    # outside 384..640 with odds below 1e-9).
    quarters = [sum(1 for i in ids if q * 2**60 < i <= (q + 1) * 2**60) for q in range(4)]
    assert all(384 <= n <= 640 for n in quarters), quarters


def test_threads_drawing_at_once_never_share_an_id() -> None:
    drawn: list[list[int]] = [[] for _ in range(8)]

    def draw(into: list[int]) -> None:
        into.extend(random_ids.random_id() for _ in range(1_000))

    threads = [threading.Thread(target=draw, args=(into,)) for into in drawn]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    every = [i for ids in drawn for i in ids]
    assert len(every) == 8_000
    assert len(set(every)) == len(every)


def test_a_pool_emptied_by_another_thread_while_refilled_still_gives_an_id(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    class DrainedRightAway(list[int]):
        def extend(self, ids: object) -> None:
            super().extend(ids)  # type: ignore[arg-type]
            self.clear()  # another thread took them all in between

    monkeypatch.setattr(random_ids, "_pool", DrainedRightAway())
    assert 1 <= random_ids.random_id() <= 2**62
