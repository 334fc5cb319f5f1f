"""The process settings the bot's services change while open, and give back on close."""

from __future__ import annotations

import gc
import math
import sys
from pathlib import Path

from pydantic import SecretStr

from bot.runtime import GIL_SLICE_SECONDS, YOUNG_COLLECTION_THRESHOLD, opened_services
from bot.settings import Settings


async def test_gil_slice_and_garbage_collection_are_set_while_open_and_restored(
    tmp_path: Path,
) -> None:
    settings = Settings(
        _env_file=None,  # pydantic-settings' init-only option: ignore any .env here
        bot_token=SecretStr("123:TEST"),
        database_path=tmp_path / "bilan.db",
    )
    slice_before, thresholds_before = sys.getswitchinterval(), gc.get_threshold()
    gc.unfreeze()

    async with opened_services(settings):
        assert math.isclose(sys.getswitchinterval(), GIL_SLICE_SECONDS)  # kept in µs
        assert gc.get_threshold() == (YOUNG_COLLECTION_THRESHOLD, *thresholds_before[1:])
        assert gc.get_freeze_count() > 0  # what was loaded at start is out of every scan

    assert sys.getswitchinterval() == slice_before
    assert gc.get_threshold() == thresholds_before
    assert gc.get_freeze_count() == 0
