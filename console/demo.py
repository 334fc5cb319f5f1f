"""`bilan-bot demo`: a whole workshop, offline, against the local sandbox; prints what people see.

Rule: the demo drives the real bot through the same Bot API as Telegram would, by playing users
with the sandbox's control API. It never reaches into the bot: what it prints is what the chats
contain. A facilitator creates a cohort, three participants join (one in Dutch), a group is bound,
the satisfaction questionnaire is opened and answered; one participant stops halfway, the bot is
restarted, and she resumes where she was.
"""

from __future__ import annotations

import contextlib
import re
import sys
import tempfile
from collections.abc import Iterator, Sequence
from html import unescape
from pathlib import Path
from typing import TextIO

from pydantic import SecretStr

from bot.app import build_application, prepare
from bot.runtime import opened_services
from bot.settings import Settings
from console.demo_swot import play_swot
from sandbox.client import SandboxClient
from sandbox.context import SandboxConfig
from sandbox.harness import application_builder, running_application
from sandbox.server import SandboxServer
from sandbox.views import ChatMessage

OUTPUT = Path("demo-output")  # the transcript and the pictures, relative to where it runs

FATOU, ANA, BRAM, CHLOE = 101, 201, 202, 203
QUIET = 0.25  # seconds without a Bot API call before the bot counts as done (fsync is invisible)
GROUP = -1001
NAMES = {FATOU: "Fatou (facilitator)", ANA: "Ana", BRAM: "Bram", CHLOE: "Chloé"}
# What each participant answers, as (button action, argument) or typed text.
Move = tuple[str, str] | str
ANA_ANSWERS: list[Move] = [
    ("p", "9"),
    ("p", "4"),
    ("p", "5"),
    ("p", "4"),
    ("p", "5"),
    ("p", "4"),
    "Les ateliers entre pairs et les visites d'ateliers.",
    ("s", ""),
    ("t", "training"),
    ("t", "networking"),
    ("c", ""),
    "12",
    ("p", "yes"),
    ("p", "peer_group"),
    ("u", ""),
]
BRAM_ANSWERS: list[Move] = [
    ("p", "7"),
    ("p", "3"),
    ("s", ""),
    ("p", "4"),
    ("p", "3"),
    ("p", "3"),
    ("s", ""),
    "Meer tijd voor de productie.",
    ("t", "funding"),
    ("c", ""),
    "veel",
    "6",
    ("p", "no"),
    ("s", ""),
    ("u", ""),
]
CHLOE_FIRST_HALF: list[Move] = [("p", "10"), ("p", "5"), ("p", "5"), ("p", "4")]
CHLOE_SECOND_HALF: list[Move] = [
    ("p", "5"),
    ("p", "5"),
    "La dynamique du groupe.",
    "Plus de temps en atelier.",
    ("t", "equipment"),
    ("t", "other"),
    ("c", ""),
    "Une presse à chaud",
    "20",
    ("p", "yes"),
    ("p", "both"),
    ("u", ""),
]


class Stage:
    """The sandbox, the bot (which can be restarted) and a narrator that prints the chats."""

    def __init__(self, server: SandboxServer, client: SandboxClient, settings: Settings) -> None:
        self.server, self.client, self.settings = server, client, settings
        self._bot: contextlib.AsyncExitStack | None = None
        self._printed: dict[int, int] = {}
        self._taps: dict[int, list[tuple[int, str]]] = {}  # chat → (last message id then, line)
        self._section: str | None = None

    async def start_bot(self) -> None:
        stack = contextlib.AsyncExitStack()
        services = await stack.enter_async_context(opened_services(self.settings))
        app = build_application(services, application_builder(self.server))
        await stack.enter_async_context(running_application(app, poll_timeout=5.0))
        await prepare(app)
        self._bot = stack

    async def stop_bot(self) -> None:
        if self._bot is not None:
            await self._bot.aclose()
            self._bot = None

    async def show(self, chat_id: int, title: str | None = None) -> None:
        """Print the chat's messages not printed yet, as they first appeared (before any edit)."""
        await self.client.wait_idle(quiet=QUIET)
        messages = await self.client.messages(chat_id)
        new = [m for m in messages if m.message_id > self._printed.get(chat_id, 0)]
        if title is not None and title != self._section:
            self.end_section()
            print(f"\n┌─ {title}")
            self._section = title
        taps = self._taps.pop(chat_id, [])
        shown_now = {m.message_id for m in new}
        for line in (line for after, line in taps if after not in shown_now):
            print(line)  # a tap on a message printed earlier comes before what it caused
        for message in new:
            print(_render(message))
            for line in (line for after, line in taps if after == message.message_id):
                print(line)
        if messages:
            self._printed[chat_id] = max(m.message_id for m in messages)

    def end_section(self) -> None:
        if self._section is not None:
            print("└" + "─" * 60)
            self._section = None

    async def tap(
        self, user_id: int, action: str, argument: str = "", chat_id: int | None = None
    ) -> None:
        """Press the button with this callback action on the bot's latest message that has it."""
        await self.client.wait_idle(quiet=QUIET)
        chat = chat_id or user_id

        def has_it(message: ChatMessage) -> bool:
            return any(
                _matches(b.callback_data, action, argument) for row in message.buttons for b in row
            )

        found = next((m for m in reversed(await self.client.messages(chat)) if has_it(m)), None)
        if found is None:  # the bot may still be writing to disk: the sandbox cannot see that
            found = await self.client.wait_for_message(chat, has_it, since_last_action=False)
        button = next(
            b for row in found.buttons for b in row if _matches(b.callback_data, action, argument)
        )
        latest = max(m.message_id for m in await self.client.messages(chat))
        self._taps.setdefault(chat, []).append(
            (latest, f"│ {NAMES.get(user_id, user_id)} taps [{button.text}]")
        )
        await self.client.press_button(user_id, found, data=button.callback_data, chat_id=chat)
        await self.client.wait_idle(quiet=QUIET)

    def name(self, user_id: int) -> str:
        return NAMES.get(user_id, str(user_id))

    async def show_board(self, chat_id: int, message_id: int, title: str) -> None:
        """A message as it stands now (the board, after its edits)."""
        await self.client.wait_idle(quiet=QUIET)
        found = [m for m in await self.client.messages(chat_id) if m.message_id == message_id]
        self.end_section()
        print(f"\n┌─ {title}")
        self._section = title
        for message in found:
            print(_render(message))

    async def tap_text(self, user_id: int, starts: str) -> None:
        """Press the button whose label starts with `starts` on the latest message that has it."""
        await self.client.wait_idle(quiet=QUIET)
        messages = await self.client.messages(user_id)
        for message in reversed(messages):
            button = next(
                (b for row in message.buttons for b in row if b.text.startswith(starts)), None
            )
            if button is not None:
                latest = max(m.message_id for m in messages)
                line = f"│ {self.name(user_id)} taps [{button.text}]"
                self._taps.setdefault(user_id, []).append((latest, line))
                await self.client.press_button(user_id, message, data=button.callback_data)
                await self.client.wait_idle(quiet=QUIET)
                return
        raise AssertionError(f"no button starting with {starts!r} for {user_id}")

    async def play(self, user_id: int, moves: Sequence[Move]) -> None:
        for move in moves:
            if isinstance(move, str):
                await self.client.send_text(user_id, move)
                await self.client.wait_idle(quiet=QUIET)
            else:
                await self.tap(user_id, *move)
            await self.show(user_id)  # each message as it first appears, buttons included


def _matches(data: str | None, action: str, argument: str) -> bool:
    if data is None:
        return False
    parts = data.split("|")
    if parts[0] == "b":  # a SWOT board's button: b|action|board|argument
        return parts[1] == action and (not argument or parts[3].startswith(argument))
    if parts[0] == "s":
        return parts[3] == action and parts[4] == argument
    return (
        parts[0] == "m" and parts[1] == action and (not argument or parts[2].startswith(argument))
    )


def _render(message: ChatMessage) -> str:
    who = "🤖 bot" if message.from_bot else NAMES.get(message.sender_id, str(message.sender_id))
    text = unescape(re.sub(r"<[^>]+>", "", message.content))
    if message.photo is not None:
        text = "[picture] " + text
    lines = [f"│ {who}: " + text.replace("\n", "\n│   ")]
    if message.buttons:
        lines.append("│   " + "  ".join(f"[{b.text}]" for row in message.buttons for b in row))
    return "\n".join(lines)


async def play(settings: Settings, database: Path | None, output: Path = OUTPUT) -> None:
    """Run the whole workshop and print the transcripts; pictures and files go to `output`."""
    config = SandboxConfig(bot_username="bilan_demo_bot")
    with tempfile.TemporaryDirectory() as scratch:
        path = database or Path(scratch) / "demo.db"
        async with SandboxServer(config) as server, SandboxClient(server.base_url) as client:
            demo_settings = settings.model_copy(
                update={
                    "bot_token": SecretStr(server.token),
                    "database_path": path,
                    "rate_limiter": False,
                }
            )
            stage = Stage(server, client, demo_settings)
            await stage.start_bot()
            with _transcript(output / "transcript.txt"):
                try:
                    await _workshop(stage)
                    saved = await play_swot(stage, output)
                finally:
                    await stage.stop_bot()
                print(
                    "\nThe demo is over: every message above went through the Bot API, as with Telegram."
                )
    print(f"Transcript: {output / 'transcript.txt'}")
    for path in saved:
        print(f"Picture: {path}")


@contextlib.contextmanager
def _transcript(path: Path) -> Iterator[None]:
    """Everything printed goes to the terminal and to the transcript file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as file:
        tee = _Tee(sys.stdout, file)
        with contextlib.redirect_stdout(tee):
            yield


class _Tee:
    def __init__(self, *streams: TextIO) -> None:
        self._streams = streams

    def write(self, text: str) -> int:
        for stream in self._streams:
            stream.write(text)
        return len(text)

    def flush(self) -> None:
        for stream in self._streams:
            stream.flush()


async def _workshop(stage: Stage) -> None:
    client = stage.client
    print("bilan-bot demo: a cohort reviews its programme (Telegram is simulated locally)")
    await client.create_user("Fatou", user_id=FATOU, language_code="fr")
    for user_id, name, language in (
        (ANA, "Ana", "fr"),
        (BRAM, "Bram", "nl"),
        (CHLOE, "Chloé", "fr"),
    ):
        await client.create_user(name, user_id=user_id, language_code=language)
    await client.send_command(FATOU, "newcohort", "Collectif", "textile", "2026")
    await stage.show(FATOU, "Fatou's private chat: she creates the cohort")
    invitation = (await client.messages(FATOU))[-1].content
    code = re.search(r"start=j([0-9a-f]+)", invitation)
    assert code is not None, "the bot gave an invitation link"
    await client.create_group(
        "Collectif textile", members=(ANA, BRAM, CHLOE), admins=(FATOU,), chat_id=GROUP
    )
    await client.send_command(FATOU, "bind", code.group(1), chat_id=GROUP)
    await stage.show(GROUP, "The cohort's group")
    await _join(stage, ANA, code.group(1), "fr", None, "Atelier Fil Rouge")
    await _join(stage, BRAM, code.group(1), "nl", "Bram Peeters", None)
    await _join(stage, CHLOE, code.group(1), "fr", None, "Tissage Solidaire")
    await client.send_command(FATOU, "open")
    print(
        "\n(Fatou picks the questionnaire, a deadline in a week, and confirms: one message, edited)"
    )
    await stage.tap(FATOU, "open", "c")
    await stage.tap(FATOU, "open", "c1:fsatisfaction:d7")
    await stage.tap(FATOU, "open", "c1:fsatisfaction:d7:!")
    await stage.show(FATOU, "Fatou opens the satisfaction questionnaire")
    await stage.show(GROUP, "The group gets one announcement")
    await _answer(stage, ANA, ANA_ANSWERS, "Ana answers (French)")
    await _answer(stage, BRAM, BRAM_ANSWERS, "Bram answers (Dutch), with a typo on a number")
    await _answer(stage, CHLOE, CHLOE_FIRST_HALF, "Chloé answers four questions, then stops")
    stage.end_section()
    print("\n… the bot is stopped and started again on the same database …")
    await stage.stop_bot()
    await stage.start_bot()
    await client.send_command(CHLOE, "start")
    await _answer(
        stage,
        CHLOE,
        CHLOE_SECOND_HALF,
        "Chloé comes back: she resumes exactly where she was",
        start=False,
    )
    await client.send_command(FATOU, "status")
    await stage.show(FATOU, "Fatou asks who has answered")
    stage.end_section()


async def _join(
    stage: Stage, user_id: int, code: str, language: str, name: str | None, organisation: str | None
) -> None:
    await stage.client.send_command(user_id, "start", f"j{code}")
    await stage.tap(user_id, "jlang", language)
    if name is None:
        await stage.tap(user_id, "jname")
    else:
        await stage.client.send_text(user_id, name)
    if organisation is None:
        await stage.tap(user_id, "jorg")
    else:
        await stage.client.send_text(user_id, organisation)
    await stage.tap(user_id, "jok")
    await stage.show(user_id, f"{NAMES[user_id]} joins the cohort through the invitation link")


async def _answer(
    stage: Stage, user_id: int, moves: Sequence[Move], title: str, *, start: bool = True
) -> None:
    await stage.show(user_id, title)
    if start:  # the Start button of the private invitation the bot sent
        await stage.tap(user_id, "round")
        await stage.show(user_id)
    await stage.play(user_id, moves)
