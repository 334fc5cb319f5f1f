"""Faults on demand: the next N Bot API calls fail the way a network or Telegram fails.

Rule: a fault is consumed by the calls it matches, in the order faults were added. By default
it matches every method except `getUpdates`, so that a fault aimed at the bot's replies does
not stall its polling loop; name `getUpdates` to hit polling on purpose. With `applied`, the
call takes effect before its answer is lost (the duplicate-message hazard).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, cast, get_args

from sandbox.errors import ControlError

FaultKind = Literal["error", "hang", "flood", "drop"]


@dataclass(slots=True)
class Fault:
    """One armed fault.

    `error` answers `status` (5xx); `flood` answers 429 with `retry_after`; `hang` holds the
    call for `hang_seconds` then closes the connection (set the bot's read timeout below it
    to see a time-out); `drop` closes the connection without an answer.
    """

    kind: FaultKind
    remaining: int = 1
    methods: frozenset[str] | None = None
    status: int = 502
    hang_seconds: float = 1.0
    retry_after: int = 1
    applied: bool = False

    def matches(self, method: str) -> bool:
        if self.methods is None:
            return method != "getupdates"
        return method in self.methods

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> Fault:
        """Build a fault from a control request.

        Raises:
            ControlError: unknown kind, or a value out of range.
        """
        kind = body.get("kind")
        if kind not in get_args(FaultKind):
            raise ControlError(f"unknown fault kind {kind!r} (known: {get_args(FaultKind)})")
        methods = body.get("methods")
        fault = cls(
            kind=cast(FaultKind, kind),
            remaining=int(body.get("count", 1)),
            methods=frozenset(m.lower() for m in methods) if methods else None,
            status=int(body.get("status", 502)),
            hang_seconds=float(body.get("hang_seconds", 1.0)),
            retry_after=int(body.get("retry_after", 1)),
            applied=bool(body.get("applied", False)),
        )
        if fault.remaining < 1 or not 500 <= fault.status <= 599 or fault.hang_seconds < 0:
            raise ControlError("count must be ≥ 1, status 5xx and hang_seconds ≥ 0")
        return fault


class FaultPlan:
    """The armed faults, consumed call by call."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []

    def add(self, fault: Fault) -> None:
        self._faults.append(fault)

    def clear(self) -> None:
        self._faults.clear()

    def take(self, method: str) -> Fault | None:
        """The fault this call must suffer, if any, counted as used."""
        for fault in self._faults:
            if fault.matches(method.lower()):
                fault.remaining -= 1
                if fault.remaining == 0:
                    self._faults.remove(fault)
                return fault
        return None
