"""Links that open the bot: `t.me/<bot>?start=<payload>`, made and read back in one place.

Rule: a payload comes from whoever typed or forged the link, so `read_payload` checks it
whole (ASCII digits, ids that fit SQLite, invitation codes of the shape this bot makes) and
returns None for anything else. A co-facilitator link is signed with the bot's token, so it
cannot be guessed from the participants' code.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass

from bot.callbacks import parse_id

_CODE = re.compile(r"[A-Za-z0-9]{1,32}")
_SIGNATURE_LENGTH = 10
_SIGNATURE = re.compile(f"[0-9a-f]{{{_SIGNATURE_LENGTH}}}")  # compare_digest takes ASCII only


@dataclass(frozen=True, slots=True)
class RoundLink:
    round_id: int


@dataclass(frozen=True, slots=True)
class JoinLink:
    invite_code: str
    role: str  # "participant" or "facilitator"


@dataclass(frozen=True, slots=True)
class BoardLink:
    """Open a SWOT board in private: to write items ("write") or to vote ("vote")."""

    round_id: int
    purpose: str


DeepLink = RoundLink | JoinLink | BoardLink
_BOARD_PURPOSES = {"w": "write", "v": "vote"}


def board_payload(round_id: int, purpose: str) -> str:
    letter = next(key for key, value in _BOARD_PURPOSES.items() if value == purpose)
    return f"{letter}{round_id}"


def round_payload(round_id: int) -> str:
    return f"r{round_id}"


def join_payload(invite_code: str) -> str:
    return f"j{invite_code}"


def facilitator_payload(secret: str, invite_code: str) -> str:
    """The co-facilitator payload: the cohort's code and a signature only this bot can make."""
    return f"f{invite_code}_{_signature(secret, invite_code)}"


def _signature(secret: str, invite_code: str) -> str:
    digest = hmac.new(secret.encode(), invite_code.encode(), hashlib.sha256).hexdigest()
    return digest[:_SIGNATURE_LENGTH]


def read_payload(payload: str, secret: str) -> DeepLink | None:
    """What a `/start` payload asks for; None for no payload, or one this bot did not make."""
    kind, rest = payload[:1], payload[1:]
    if kind == "r":
        round_id = parse_id(rest)
        return None if round_id is None else RoundLink(round_id)
    if kind in _BOARD_PURPOSES:
        round_id = parse_id(rest)
        return None if round_id is None else BoardLink(round_id, _BOARD_PURPOSES[kind])
    if kind == "j" and _CODE.fullmatch(rest):
        return JoinLink(rest, "participant")
    if kind == "f" and "_" in rest:
        code, signature = rest.rsplit("_", 1)
        if (
            _CODE.fullmatch(code)
            and _SIGNATURE.fullmatch(signature)
            and hmac.compare_digest(_signature(secret, code), signature)
        ):
            return JoinLink(code, "facilitator")
    return None
