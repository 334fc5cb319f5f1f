"""Random row ids for answers and responses, drawn from the OS many at a time.

Rule: ids that must not tell the order rows were written in come from here. They are the OS's
cryptographic randomness, as `secrets` gives, but one `os.urandom` call fills 512 of them. Each
call releases the GIL, and on the writer's thread every release costs a wait for the event
loop to hand it back (a forced switch, at the end of the loop's time slice): drawn one at a
time, that was one wait per answer.
"""

from __future__ import annotations

import os
import struct

BATCH = 512
_UNPACK = struct.Struct(f"<{BATCH}Q").unpack
_pool: list[int] = []


def random_id() -> int:
    """A uniformly random id in [1, 2**62], as `secrets.randbits(62) + 1` draws it."""
    try:
        return _pool.pop()  # atomic under the GIL: safe from any thread
    except IndexError:
        fresh: list[int] = [(bits >> 2) + 1 for bits in _UNPACK(os.urandom(8 * BATCH))]
        _pool.extend(fresh[1:])  # another thread may empty the pool meanwhile: keep one
        return fresh[0]
