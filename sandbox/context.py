"""The sandbox's configuration, its live context, and the registry of Bot API methods.

Rule: a method is a plain function of (`Context`, `Params`) that returns the JSON `result` or
raises `ApiError`; it never touches HTTP. `reset` replaces the world but keeps the update
counter and the change notifier, so a bot still polling across a reset neither re-confirms
old ids nor misses the wake-up.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from sandbox.errors import SandboxError, bad_request
from sandbox.faults import FaultPlan
from sandbox.objects import message_obj
from sandbox.params import Params
from sandbox.rules import FloodGate, FloodLimits, check_can_write
from sandbox.state import Changes, ChatRecord, Clock, MessageRecord, UserRecord, World
from sandbox.updates import UpdateQueue


@dataclass(frozen=True, slots=True)
class SandboxConfig:
    """How a sandbox starts, and what `reset` returns to."""

    token: str = "123456789:SANDBOX-not-a-real-token"
    bot_username: str = "bilan_sandbox_bot"
    bot_name: str = "Bilan (sandbox)"
    privacy_mode: bool = True
    flood: FloodLimits = field(default_factory=FloodLimits)

    @property
    def bot_id(self) -> int:
        head = self.token.partition(":")[0]
        if not head.isdigit():
            raise SandboxError(f"a bot token starts with the bot's numeric id, not {head!r}")
        return int(head)


class Context:
    """Everything a Bot API method or a control action may read or change."""

    def __init__(self, config: SandboxConfig) -> None:
        self.config = config
        self.changes = Changes()
        self.clock = Clock()
        self.updates = UpdateQueue(self.changes)
        self.faults = FaultPlan()
        self.in_flight = 0
        self.reset()

    def reset(self) -> None:
        """Forget users, chats, messages, files, calls, faults and settings."""
        config = self.config
        bot = UserRecord(
            id=config.bot_id,
            first_name=config.bot_name,
            username=config.bot_username,
            is_bot=True,
        )
        self.clock.offset = 0.0
        self.world = World(bot, self.changes, self.clock)
        self.updates.reset()
        self.faults.clear()
        self.flood = FloodGate(config.flood)
        self.privacy = config.privacy_mode
        self.changes.bump()

    def chat_param(self, params: Params, name: str = "chat_id") -> ChatRecord:
        """The chat a method names; 400 "chat not found" as Telegram says."""
        raw = params.text(name)
        if raw is None:
            raise bad_request(f"{name} is empty")
        try:
            chat_id = int(raw)
        except ValueError:
            raise bad_request("chat not found") from None
        return self.world.chat(chat_id)

    def writable_chat(self, params: Params) -> ChatRecord:
        chat = self.chat_param(params)
        check_can_write(self.world, chat)
        return chat

    def admit(self, chat: ChatRecord, *, count: int = 1) -> None:
        """Count `count` messages sent or edited in `chat` against the flood limits.

        Raises:
            ApiError: 429 with `retry_after` when a window is full.
        """
        self.flood.admit(chat, self.clock.monotonic(), count=count)

    def message_json(self, record: MessageRecord) -> dict[str, Any]:
        return message_obj(self.world, record).to_dict()


MethodResult = Any
Method = Callable[[Context, Params], MethodResult | Awaitable[MethodResult]]
METHODS: dict[str, Method] = {}
METHOD_NAMES: dict[str, str] = {}


def bot_method(name: str) -> Callable[[Method], Method]:
    """Register a Bot API method; names are case-insensitive, as Telegram's are."""

    def register(func: Method) -> Method:
        METHODS[name.lower()] = func
        METHOD_NAMES[name.lower()] = name
        return func

    return register
