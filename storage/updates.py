"""SQL about Telegram updates already processed: the guard against counting one twice.

Rule: an update id is claimed in the same transaction as the change it causes, so after a crash
either both are on disk or neither is, and Telegram's re-delivery is then applied or ignored
accordingly.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime

from storage.models import UpdateId, to_text


def claim_update(conn: sqlite3.Connection, update_id: UpdateId, at: datetime) -> bool:
    """Record `update_id`; False if it was recorded before (the caller must then do nothing)."""
    cursor = conn.execute(
        "INSERT OR IGNORE INTO processed_updates (update_id, processed_at) VALUES (?, ?)",
        (update_id, to_text(at)),
    )
    return cursor.rowcount == 1


def prune_updates(conn: sqlite3.Connection, before: datetime) -> int:
    """Forget update ids processed before `before`; return how many.

    Telegram re-delivers for at most a day, and after a week without updates it picks the next
    update_id at random: an ancient id kept here could then swallow a genuine new update.
    """
    cursor = conn.execute(
        "DELETE FROM processed_updates WHERE processed_at < ?", (to_text(before),)
    )
    return cursor.rowcount
