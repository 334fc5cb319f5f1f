"""The process settings the bot's services change while open, and give back on close."""

from __future__ import annotations

import gc
import math
import sys
from pathlib import Path

from pydantic import SecretStr

from bot.runtime import GIL_SLICE_SECONDS, YOUNG_COLLECTION_THRESHOLD, opened_services
from bot.settings import Settings


def _settings(path: Path) -> Settings:
    return Settings(
        _env_file=None,  # pydantic-settings' init-only option: ignore any .env here
        bot_token=SecretStr("123:TEST"),
        database_path=path / "bilan.db",
    )


def _tuned() -> bool:
    return (
        math.isclose(sys.getswitchinterval(), GIL_SLICE_SECONDS)  # kept in µs
        and gc.get_threshold()[0] == YOUNG_COLLECTION_THRESHOLD
        and gc.get_freeze_count() > 0  # what was loaded at start is out of every scan
    )


async def test_gil_slice_and_garbage_collection_are_set_while_open_and_restored(
    tmp_path: Path,
) -> None:
    slice_before, thresholds_before = sys.getswitchinterval(), gc.get_threshold()
    gc.unfreeze()

    async with opened_services(_settings(tmp_path)):
        assert _tuned()
        assert gc.get_threshold()[1:] == thresholds_before[1:]

    assert sys.getswitchinterval() == slice_before
    assert gc.get_threshold() == thresholds_before
    assert gc.get_freeze_count() == 0


async def test_services_open_side_by_side_keep_the_settings_until_the_last_closes(
    tmp_path: Path,
) -> None:
    slice_before, thresholds_before = sys.getswitchinterval(), gc.get_threshold()
    gc.unfreeze()
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = opened_services(_settings(tmp_path / "a"))
    second = opened_services(_settings(tmp_path / "b"))

    await first.__aenter__()
    await second.__aenter__()
    await first.__aexit__(None, None, None)  # the first to open closes first
    assert _tuned()
    await second.__aexit__(None, None, None)

    assert sys.getswitchinterval() == slice_before
    assert gc.get_threshold() == thresholds_before
    assert gc.get_freeze_count() == 0


async def test_objects_frozen_before_the_services_stay_frozen(tmp_path: Path) -> None:
    gc.freeze()
    try:
        async with opened_services(_settings(tmp_path)):
            pass
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
