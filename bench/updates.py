"""Update benchmark: the real bot through `Application.process_update`, against PTB's own floor.

Prints, in one run on one process, with no network and no sandbox (a recording request answers
every Bot API call locally with plausible JSON, and counts the calls):
  1. the PTB floor: answers/s of a minimal Application whose handler makes the same Bot API calls
     per answer as the bot (answerCallbackQuery, editMessageText, sendMessage) and nothing else:
     no engine, no storage;
  2. the bot: answers/s of the real Application (`opened_services`, `build_application`,
     `prepare`) on a temporary database beside the repository (same disk, synchronous=FULL),
     p50/p99 latency of one `process_update`, and the ratio bot/floor, whose goal is 0.8;
  3. Bot API calls, repository calls and durable writes per answer, where the CPU goes (event
     loop, SQLite threads, waiting), peak RSS, and the time from start to polling-ready (open
     services + build + initialize + prepare).

70 participants answer a generated flow of 20 questions (scales, choices, yes/no) concurrently by
button taps, each one's taps in order, as the bot's per-chat lock keeps them. Floor and bot take
turns, after a warm-up round of each that is not timed; medians of the repeats are reported, and
the ratio is the median of each repeat's bot/floor, so that a machine busy elsewhere for a while
weighs on both sides. At the end, every answer must be stored exactly once, as tapped.

Run: `.venv/bin/python bench/updates.py [--participants 70] [--repeats 3] [--profile]
[--bytecodes] [--yielding] [--back-to-back]`. With `--profile`, one more round of each runs under cProfile, and
the event-loop time per answer is shown by area (PTB, bot, engine, storage…), floor beside bot,
with the bot's costliest functions. With `--bytecodes`, one more round of each counts the
bytecodes Python runs, by area and function: the same on any machine, at any load.
The recording request answers without giving the event loop a turn, so each update is handled
from start to end; with `--yielding`, every call gives the loop one turn, as a network round trip
does, on both sides. After each answer, a participant gives the loop one turn, as the updates of
concurrent chats arrive interleaved: the floor, where nothing else waits, would otherwise answer
each participant's 20 questions in a row, with that participant's data in the CPU's caches,
while the bot, which waits for its commits, interleaves them. `--back-to-back` measures that way.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import gc
import io
import itertools
import json
import logging
import pstats
import resource
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from html import escape
from pathlib import Path
from types import FrameType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# bench/ holds a `storage.py`: with the repository first on the path, `storage` is the package.
sys.path[0] = str(ROOT)
IMPORTS_BEGAN = time.perf_counter()

from pydantic import SecretStr  # noqa: E402
from ruamel.yaml import YAML  # noqa: E402
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update  # noqa: E402
from telegram.constants import ParseMode  # noqa: E402
from telegram.ext import (  # noqa: E402
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ContextTypes,
)
from telegram.request import BaseRequest, RequestData  # noqa: E402

from bot.app import build_application, prepare  # noqa: E402
from bot.runtime import opened_services  # noqa: E402
from bot.services import Services  # noqa: E402
from bot.settings import Settings  # noqa: E402
from storage import CohortId, RoundId, SqliteRepository, UserId, WriteStats  # noqa: E402

IMPORTS_MS = (time.perf_counter() - IMPORTS_BEGAN) * 1000

PARTICIPANTS = 70
QUESTIONS = 20
REPEATS = 3
GOAL = 0.8
TOKEN = "123:BENCH"
FLOW_ID = "bench_updates"
FIRST_USER = 10_000
FACILITATOR = 9_999
LANGUAGES = ("fr", "en", "nl")
KINDS = ("scale", "choice", "yes_no")
OPTIONS = {
    "scale": ("1", "2", "3", "4", "5"),
    "choice": ("sessions", "coaching", "tools", "network"),
}
BOT_USER = {
    "id": 123,
    "is_bot": True,
    "first_name": "Bilan",
    "username": "bilan_bench_bot",
    "can_join_groups": True,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}
TRUE_METHODS = frozenset(
    {"answerCallbackQuery", "setMyCommands", "deleteMyCommands", "deleteMessage"}
)
Json = dict[str, Any]
AnyApp = Application[Any, Any, Any, Any, Any, Any]


# ---- the recording request ------------------------------------------------------------------


@dataclass
class Screen:
    """A chat's latest message with buttons: what the participant reads and taps."""

    message_id: int
    text: str
    markup: Json

    def picks(self) -> list[str]:
        """The callback data of the buttons that answer the question (not Back or Skip)."""
        rows = self.markup["inline_keyboard"]
        data = [button.get("callback_data", "") for row in rows for button in row]
        return [d for d in data if d.split("|")[3:4] == ["p"]]


class RecordingRequest(BaseRequest):
    """Answers every Bot API call as Telegram would, locally, and counts the calls per method.

    `yielding`: each call gives the event loop one turn before it returns, as a network round
    trip does. Without it, a handler that only calls the Bot API runs from start to end without
    letting another update in.
    """

    def __init__(self, *, yielding: bool = False) -> None:
        self.yielding = yielding
        self.calls: Counter[str] = Counter()
        self.screens: dict[int, Screen | None] = {}
        self._last_message: Counter[int] = Counter()

    @property
    def read_timeout(self) -> float | None:
        return None

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = None,
        write_timeout: Any = None,
        connect_timeout: Any = None,
        pool_timeout: Any = None,
    ) -> tuple[int, bytes]:
        del method, read_timeout, write_timeout, connect_timeout, pool_timeout  # nothing waits
        name = url.rsplit("/", 1)[-1]
        self.calls[name] += 1
        params: Json = {}
        if request_data is not None:
            _ = request_data.json_parameters  # the encoding a real transport does for each call
            params = request_data.parameters
        reply = json.dumps({"ok": True, "result": self._result(name, params)}).encode()
        if self.yielding:
            await asyncio.sleep(0)
        return 200, reply

    def _result(self, name: str, params: Json) -> Any:
        if name == "getMe":
            return BOT_USER
        if name == "sendMessage":
            return self._sent(params)
        if name in ("editMessageText", "editMessageReplyMarkup"):
            return self._edited(params)
        if name == "getChatMember":
            member = {"id": int(params["user_id"]), "is_bot": False, "first_name": "Member"}
            return {"status": "member", "user": member}
        if name in TRUE_METHODS:
            return True
        raise AssertionError(f"the bench does not answer {name}")

    def _sent(self, params: Json) -> Json:
        chat_id = int(params["chat_id"])
        self._last_message[chat_id] += 1
        message = _message(chat_id, self._last_message[chat_id], params.get("text", ""), params)
        markup = params.get("reply_markup")
        if markup and "inline_keyboard" in markup:
            self.screens[chat_id] = Screen(message["message_id"], message["text"], markup)
        return message

    def _edited(self, params: Json) -> Json:
        chat_id, message_id = int(params["chat_id"]), int(params["message_id"])
        screen = self.screens.get(chat_id)
        on_screen = screen is not None and screen.message_id == message_id
        text = params.get("text", screen.text if screen is not None and on_screen else "")
        markup = params.get("reply_markup")
        if on_screen:
            self.screens[chat_id] = Screen(message_id, text, markup) if markup else None
        return _message(chat_id, message_id, text, params, edited=True)


def _message(
    chat_id: int, message_id: int, text: str, params: Json, *, edited: bool = False
) -> Json:
    now = int(time.time())
    message: Json = {
        "message_id": message_id,
        "date": now,
        "chat": {"id": chat_id, "type": "private", "first_name": f"Participant {chat_id}"},
        "from": BOT_USER,
        "text": text,
    }
    if params.get("reply_markup"):
        message["reply_markup"] = params["reply_markup"]
    if edited:
        message["edit_date"] = now
    return message


# ---- participants ---------------------------------------------------------------------------


def user_of(n: int) -> Json:
    return {
        "id": FIRST_USER + n,
        "is_bot": False,
        "first_name": f"Participant {n}",
        "language_code": LANGUAGES[n % len(LANGUAGES)],
    }


def _chat_of(user: Json) -> Json:
    return {"id": user["id"], "type": "private", "first_name": user["first_name"]}


def tap(update_id: int, user: Json, screen: Screen, data: str) -> Json:
    """A button pressed on the message on screen, as Telegram delivers it."""
    message = {
        "message_id": screen.message_id,
        "date": int(time.time()),
        "chat": _chat_of(user),
        "from": BOT_USER,
        "text": screen.text,
        "reply_markup": screen.markup,
    }
    query = {
        "id": str(update_id),
        "from": user,
        "chat_instance": str(user["id"]),
        "data": data,
        "message": message,
    }
    return {"update_id": update_id, "callback_query": query}


def command(update_id: int, user: Json, text: str) -> Json:
    verb = text.split()[0]
    message = {
        "message_id": update_id,
        "date": int(time.time()),
        "chat": _chat_of(user),
        "from": user,
        "text": text,
        "entities": [{"type": "bot_command", "offset": 0, "length": len(verb)}],
    }
    return {"update_id": update_id, "message": message}


@dataclass
class Taps:
    """What the participants tapped: per question, the option chosen, to check what is stored."""

    chosen: Counter[tuple[int, str]] = field(default_factory=Counter)


@dataclass
class Run:
    """One round of answers: wall time, latency of each update, and CPU time spent."""

    seconds: float
    latencies: list[float]
    loop_cpu: float  # the event loop's thread
    other_cpu: float  # every other thread (SQLite's)


async def answer_all(
    app: AnyApp,
    rec: RecordingRequest,
    users: Sequence[Json],
    ids: Iterator[int],
    taps: Taps,
    *,
    back_to_back: bool,
) -> Run:
    """Every participant answers every question, concurrently, each in order, taking turns
    unless `back_to_back`."""
    latencies: list[float] = []

    async def participant(n: int, user: Json) -> None:
        for question in range(QUESTIONS):
            screen = rec.screens.get(user["id"])
            assert screen is not None, f"participant {n}: no question on screen at {question + 1}"
            picks = screen.picks()
            data = picks[(n + question) % len(picks)]
            taps.chosen[question, data.rsplit("|", 1)[-1]] += 1
            update = Update.de_json(tap(next(ids), user, screen, data), app.bot)
            began = time.perf_counter()
            await app.process_update(update)
            latencies.append(time.perf_counter() - began)
            if not back_to_back:
                await asyncio.sleep(0)  # the other chats' updates come in between
        assert rec.screens.get(user["id"]) is None, f"participant {n}: buttons left after the end"

    began, cpu, loop = time.perf_counter(), time.process_time(), time.thread_time()
    async with asyncio.TaskGroup() as group:  # one failing participant stops the others
        for n, user in enumerate(users):
            group.create_task(participant(n, user))
    loop = time.thread_time() - loop
    return Run(time.perf_counter() - began, latencies, loop, time.process_time() - cpu - loop)


# ---- the PTB floor --------------------------------------------------------------------------


def question_text(position: int) -> str:
    return (
        f"Question {position}: how would you rate this part of the support programme, "
        "the sessions, the coaching and the tools you were given?"
    )


def floor_question(position: int) -> tuple[str, InlineKeyboardMarkup]:
    """A question as an idiomatic PTB survey shows it, the size of the bot's."""
    kind = KINDS[(position - 1) % len(KINDS)]
    options = OPTIONS.get(kind, ("yes", "no"))

    def button(label: str, action: str, argument: str = "") -> InlineKeyboardButton:
        return InlineKeyboardButton(label, callback_data=f"s|0|{position}|{action}|{argument}")

    cells = [button(option.title(), "p", option) for option in options]
    rows = [[cell] for cell in cells] if kind == "choice" else [cells]
    if position > 1:
        rows.append([button("« Back", "b")])
    text = f"<b>Question {position}/{QUESTIONS}</b>\n\n{escape(question_text(position))}"
    if kind == "scale":
        text += "\n\n1 = Poor · 5 = Excellent"
    return text, InlineKeyboardMarkup(rows)


async def floor_answer(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Acknowledge the tap, show the answer in place of the question, ask the next one."""
    query = update.callback_query
    assert query is not None
    assert query.data is not None
    assert query.message is not None
    _, _, number, _, choice = query.data.split("|")
    position, chat_id = int(number), query.message.chat.id
    await query.answer()
    await context.bot.edit_message_text(
        f"{escape(question_text(position))}\n<b>→ {escape(choice)}</b>",
        chat_id=chat_id,
        message_id=query.message.message_id,
        parse_mode=ParseMode.HTML,
        disable_web_page_preview=True,
    )
    if position == QUESTIONS:
        text, markup = "Thank you! Your answers are saved.", None
    else:
        text, markup = floor_question(position + 1)
    await context.bot.send_message(
        chat_id, text, parse_mode=ParseMode.HTML, reply_markup=markup, disable_web_page_preview=True
    )


def application_builder(rec: RecordingRequest) -> ApplicationBuilder[Any, Any, Any, Any, Any, Any]:
    return ApplicationBuilder().token(TOKEN).request(rec).get_updates_request(rec).updater(None)


@dataclass
class FloorRig:
    app: AnyApp
    rec: RecordingRequest
    users: list[Json]
    ids: Iterator[int] = field(default_factory=itertools.count)
    back_to_back: bool = False

    async def open_round(self, *, timed: bool) -> Taps:
        """Every participant's first question on screen (not timed)."""
        del timed  # the floor stores nothing to check
        text, markup = floor_question(1)
        for user in self.users:
            await self.app.bot.send_message(
                user["id"], text, parse_mode=ParseMode.HTML, reply_markup=markup
            )
        return Taps()

    def write_stats(self) -> WriteStats:
        return WriteStats(0, 0)


def start_floor(users: list[Json], *, yielding: bool) -> FloorRig:
    rec = RecordingRequest(yielding=yielding)
    app = application_builder(rec).concurrent_updates(True).build()
    app.add_handler(CallbackQueryHandler(floor_answer))
    return FloorRig(app, rec, users)


# ---- the bot --------------------------------------------------------------------------------


def _text(label: str) -> dict[str, str]:
    return {language: label for language in LANGUAGES}


def bench_flow_text() -> str:
    """A flow of 20 button questions, anonymous like the shipped satisfaction survey."""
    steps: list[Json] = []
    for position in range(1, QUESTIONS + 1):
        kind = KINDS[(position - 1) % len(KINDS)]
        step: Json = {
            "id": f"q{position:02d}",
            "kind": kind,
            "text": _text(question_text(position)),
        }
        if kind == "scale":
            step.update(min=1, max=5, min_label=_text("Poor"), max_label=_text("Excellent"))
        elif kind == "choice":
            step["options"] = [{"id": o, "label": _text(o.title())} for o in OPTIONS[kind]]
        steps.append(step)
    document = {
        "id": FLOW_ID,
        "version": 1,
        "title": _text("Bench"),
        "languages": list(LANGUAGES),
        "anonymous": True,
        "review": False,
        "steps": steps,
    }
    yaml, out = YAML(typ="safe", pure=True), io.StringIO()
    yaml.default_flow_style = False
    yaml.dump(document, out)
    return out.getvalue()


@dataclass
class BotRig:
    app: AnyApp
    rec: RecordingRequest
    services: Services
    users: list[Json]
    cohort_id: CohortId
    startup_ms: dict[str, float]
    ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    rounds: list[tuple[RoundId, Taps]] = field(default_factory=list)
    back_to_back: bool = False

    async def open_round(self, *, timed: bool) -> Taps:
        """A new round of the bench flow, and every participant's first question on screen."""
        repo, now = self.services.repo, self.services.clock()
        flow = self.services.flows.get(FLOW_ID)
        opened = await repo.open_round(
            self.cohort_id, flow.id, flow.version, flow.anonymous, UserId(FACILITATOR), now
        )
        starts = [
            Update.de_json(command(next(self.ids), user, f"/start r{opened.id}"), self.app.bot)
            for user in self.users
        ]
        await asyncio.gather(*(self.app.process_update(update) for update in starts))
        taps = Taps()
        if timed:
            self.rounds.append((opened.id, taps))
        return taps

    def write_stats(self) -> WriteStats:
        repo = self.services.repo
        return repo.write_stats if isinstance(repo, SqliteRepository) else WriteStats(0, 0)


async def start_bot(
    stack: contextlib.AsyncExitStack, settings: Settings, users: list[Json], *, yielding: bool
) -> BotRig:
    """Start as `serve` does, up to polling; the cohort and its members go straight in the store."""
    rec, marks = RecordingRequest(yielding=yielding), [time.perf_counter()]
    services = await stack.enter_async_context(opened_services(settings))
    marks.append(time.perf_counter())
    app = build_application(services, application_builder(rec))
    marks.append(time.perf_counter())
    await app.initialize()
    stack.push_async_callback(app.shutdown)
    marks.append(time.perf_counter())
    await prepare(app)
    marks.append(time.perf_counter())
    steps = ("open services", "build", "initialize", "prepare")
    startup = {name: (marks[i + 1] - marks[i]) * 1000 for i, name in enumerate(steps)}
    repo, now = services.repo, services.clock()
    await repo.upsert_person(UserId(FACILITATOR), "Facilitator", "fr", now)
    cohort = await repo.create_cohort("Bench cohort", "bench", UserId(FACILITATOR), now)
    for user in users:
        user_id = UserId(user["id"])
        await repo.upsert_person(user_id, user["first_name"], user["language_code"], now)
        await repo.add_member(cohort.id, user_id, "participant", now)
    return BotRig(app, rec, services, users, cohort.id, startup)


async def check_stored(rig: BotRig) -> str:
    """Every answer of every timed round stored once, as tapped, submitted; exits otherwise."""
    total = 0
    for round_id, taps in rig.rounds:
        rows = await rig.services.repo.answers_of_round(round_id)
        per_answer = Counter((row.response_id, row.step_id) for row in rows)
        stored = Counter((int(row.step_id[1:]) - 1, str(row.value)) for row in rows)
        expected = len(rig.users) * QUESTIONS
        if len(rows) != expected or max(per_answer.values()) != 1 or stored != taps.chosen:
            sys.exit(f"round {round_id}: {len(rows)} answers stored, {expected} expected")
        if not all(row.submitted for row in rows):
            sys.exit(f"round {round_id}: a response was not submitted")
        total += len(rows)
    return f"{total:,} answers of {len(rig.rounds)} rounds, each stored exactly once, as tapped"


class CountingRepository:
    """Forwards to the repository and counts the calls per method (warm-up round only)."""

    def __init__(self, inner: Any, calls: Counter[str]) -> None:
        self._inner, self._calls = inner, calls

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._inner, name)
        if not callable(attribute):
            return attribute

        def counted(*args: Any, **kwargs: Any) -> Any:
            self._calls[name] += 1
            return attribute(*args, **kwargs)

        return counted


async def counted_round(rig: BotRig) -> tuple[Counter[str], int]:
    """An untimed round, with the repository calls of the answers (not of /start) counted, and
    how many of them read SQLite."""
    calls: Counter[str] = Counter()
    taps = await rig.open_round(timed=False)
    repo = rig.services.repo
    reads = repo.reads if isinstance(repo, SqliteRepository) else 0
    rig.services.repo = CountingRepository(repo, calls)
    try:
        await answer_all(rig.app, rig.rec, rig.users, rig.ids, taps, back_to_back=rig.back_to_back)
    finally:
        rig.services.repo = repo
    return calls, (repo.reads if isinstance(repo, SqliteRepository) else 0) - reads


# ---- measuring ------------------------------------------------------------------------------


@dataclass
class Tally:
    """What the timed rounds of one side did: runs, Bot API calls, durable writes."""

    runs: list[Run] = field(default_factory=list)
    answers: int = 0
    calls: Counter[str] = field(default_factory=Counter)
    writes: Counter[str] = field(default_factory=Counter)  # WriteStats' fields, summed
    collections: Counter[int] = field(default_factory=Counter)  # garbage scans per generation

    @property
    def rates(self) -> list[float]:
        return [self.answers / len(self.runs) / run.seconds for run in self.runs]

    @property
    def rate(self) -> float:
        return statistics.median(self.rates)

    def per_answer_us(self, seconds: Sequence[float]) -> float:
        return statistics.median(seconds) / (self.answers / len(self.runs)) * 1e6


async def timed_round(rig: FloorRig | BotRig, tally: Tally) -> None:
    """Open a round (not timed), then time the answers and count what they cost."""
    taps = await rig.open_round(timed=True)
    calls, writes = Counter(rig.rec.calls), asdict(rig.write_stats())
    scans = [generation["collections"] for generation in gc.get_stats()]
    run = await answer_all(
        rig.app, rig.rec, rig.users, rig.ids, taps, back_to_back=rig.back_to_back
    )
    tally.runs.append(run)
    tally.answers += len(rig.users) * QUESTIONS
    tally.calls += rig.rec.calls - calls
    for generation, stats in enumerate(gc.get_stats()):
        tally.collections[generation] += stats["collections"] - scans[generation]
    tally.writes.update({name: n - writes[name] for name, n in asdict(rig.write_stats()).items()})


class ProblemCounter(logging.Handler):
    """Counts warnings and errors: a fast bench that fails its answers would be meaningless."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@dataclass
class Results:
    floor: Tally
    bot: Tally
    repo_calls: Counter[str]
    repo_reads: int
    startup_ms: dict[str, float]
    stored: str


async def measure(args: argparse.Namespace, settings: Settings) -> Results:
    users = [user_of(n) for n in range(args.participants)]
    async with contextlib.AsyncExitStack() as stack:
        bot = await start_bot(stack, settings, users, yielding=args.yielding)
        floor = start_floor(users, yielding=args.yielding)
        bot.back_to_back = floor.back_to_back = args.back_to_back
        await floor.app.initialize()
        stack.push_async_callback(floor.app.shutdown)
        await timed_round(floor, Tally())  # warm-up
        repo_calls, repo_reads = await counted_round(bot)  # warm-up, counting repository calls
        floor_tally, bot_tally = Tally(), Tally()
        for _ in range(args.repeats):
            await timed_round(floor, floor_tally)
            await timed_round(bot, bot_tally)
        if args.profile:
            await profiled_rounds(floor, bot)
        if args.bytecodes:
            await counted_bytecodes(floor, bot)
        stored = await check_stored(bot)
        return Results(floor_tally, bot_tally, repo_calls, repo_reads, bot.startup_ms, stored)


# ---- profile --------------------------------------------------------------------------------

PROFILE_LINES = 16
AREAS = (
    ("/telegram/", "PTB (telegram)"),
    ("/bot/", "bot/"),
    ("/flows/", "flows/ (engine)"),
    ("/storage/", "storage/"),
    ("/aiosqlite/", "aiosqlite"),
    ("/json/", "json"),
    ("/asyncio/", "asyncio (event loop)"),
    ("selectors", "asyncio (event loop)"),
    ("/bench/", "bench (participants, fake network)"),
)


def _area(path: str) -> str:
    return next((area for part, area in AREAS if part in path), "other")


async def profiled_rounds(floor: FloorRig, bot: BotRig) -> None:
    """One more round of each under cProfile: event-loop time per answer by area, floor vs bot."""
    floor_areas, _ = await _profile_answers(floor)
    bot_areas, stats = await _profile_answers(bot)
    answers = len(bot.users) * QUESTIONS
    print("profile: event-loop time per answer in µs, under cProfile (which slows both about 2×;")
    print("  while a SQLite thread holds the GIL, the wait shows in whatever the loop was running)")
    print(f"  {'area':<36}{'floor':>7}{'bot':>7}{'extra':>7}")
    for area in sorted(bot_areas | floor_areas, key=lambda a: floor_areas[a] - bot_areas[a]):
        cells = [floor_areas[area] / answers * 1e6, bot_areas[area] / answers * 1e6]
        print(f"  {area:<36}{cells[0]:7.0f}{cells[1]:7.0f}{cells[1] - cells[0]:+7.0f}")
    print("  the bot's own functions: µs per answer in them and what they call, calls per answer")
    for (path, line, name), row in _own_functions(stats)[:PROFILE_LINES]:
        where = f"{Path(path).relative_to(ROOT)}:{line} {name}"
        print(f"    {row[3] / answers * 1e6:7.0f}  {row[1] / answers:5.2f}  {where}")
    print()


async def _profile_answers(rig: FloorRig | BotRig) -> tuple[Counter[str], pstats.Stats]:
    taps = await rig.open_round(timed=False)
    profiler = cProfile.Profile()
    profiler.enable()
    await answer_all(rig.app, rig.rec, rig.users, rig.ids, taps, back_to_back=rig.back_to_back)
    profiler.disable()
    stats = pstats.Stats(profiler)
    areas: Counter[str] = Counter()
    for (path, _, name), (_, _, own, _, callers) in stats.stats.items():  # type: ignore[attr-defined]  # untyped in typeshed
        if "'poll' of 'select.epoll'" in name:
            areas["loop idle (all waiting for SQLite)"] += own
        elif path == "~" and callers:  # a builtin: its time goes to whoever called it
            for caller, row in callers.items():
                areas[_area(caller[0])] += row[2]
        else:
            areas[_area(path)] += own
    return areas, stats


def _own_functions(stats: pstats.Stats) -> list[tuple[tuple[str, int, str], Any]]:
    mine = [
        (key, row)
        for key, row in stats.stats.items()  # type: ignore[attr-defined]  # untyped in typeshed
        if any(key[0].startswith(str(ROOT / package)) for package in ("bot", "flows", "storage"))
    ]
    return sorted(mine, key=lambda item: -item[1][3])


Site = tuple[str, int, str]  # file, first line, function


async def counted_bytecodes(floor: FloorRig, bot: BotRig) -> None:
    """One more round of each with every bytecode counted, floor vs bot.

    A figure the machine's speed does not move: a change to the bot's path shows in it exactly,
    where the timed ratio needs many alternated runs to tell a few µs from the noise. It counts
    Python's work only, not what C does inside a call (SQLite, JSON, dict copies).
    """
    floor_sites = await _count_bytecodes(floor)
    bot_sites = await _count_bytecodes(bot)
    answers = len(bot.users) * QUESTIONS
    floor_total, bot_total = sum(floor_sites.values()), sum(bot_sites.values())
    print("bytecodes per answer, counted in one more round of each (the machine's speed moves")
    print("  neither; a dataclass's generated __init__ counts for the file that builds it)")
    print(
        f"  floor {floor_total / answers:,.0f}, bot {bot_total / answers:,.0f}: "
        f"floor/bot {floor_total / bot_total:.3f}"
    )
    floor_areas, bot_areas = _bytecode_areas(floor_sites), _bytecode_areas(bot_sites)
    print(f"  {'area':<36}{'floor':>7}{'bot':>7}{'extra':>7}")
    for area in sorted(bot_areas | floor_areas, key=lambda a: floor_areas[a] - bot_areas[a]):
        cells = [floor_areas[area] / answers, bot_areas[area] / answers]
        print(f"  {area:<36}{cells[0]:7.0f}{cells[1]:7.0f}{cells[1] - cells[0]:+7.0f}")
    print("  the bot's own functions: bytecodes per answer")
    mine = [
        (site, count)
        for site, count in bot_sites.items()
        if any(site[0].startswith(str(ROOT / package)) for package in ("bot", "flows", "storage"))
    ]
    for (path, line, name), count in sorted(mine, key=lambda item: -item[1])[:PROFILE_LINES]:
        print(f"    {count / answers:7.0f}  {Path(path).relative_to(ROOT)}:{line} {name}")
    print()


async def _count_bytecodes(rig: FloorRig | BotRig) -> Counter[Site]:
    taps = await rig.open_round(timed=False)
    sites: Counter[Site] = Counter()

    def trace(frame: FrameType, event: str, arg: object) -> Any:
        if event == "call":
            frame.f_trace_opcodes = True
        elif event == "opcode":
            code = frame.f_code
            if code.co_filename == "<string>" and frame.f_back is not None:
                # A generated __init__: the line that builds the object says whose it is.
                caller = frame.f_back
                sites[caller.f_code.co_filename, caller.f_lineno, f"{code.co_name} there"] += 1
            else:
                sites[code.co_filename, code.co_firstlineno, code.co_name] += 1
        return trace

    sys.settrace(trace)
    try:
        await answer_all(rig.app, rig.rec, rig.users, rig.ids, taps, back_to_back=rig.back_to_back)
    finally:
        sys.settrace(None)
    return sites


def _bytecode_areas(sites: Counter[Site]) -> Counter[str]:
    areas: Counter[str] = Counter()
    for (path, _, _), count in sites.items():
        areas[_area(path)] += count
    return areas


# ---- report ---------------------------------------------------------------------------------


def report(results: Results, participants: int, *, yielding: bool, back_to_back: bool) -> None:
    floor, bot = results.floor, results.bot
    cuts = statistics.quantiles([x for run in bot.runs for x in run.latencies], n=100)
    ratio = statistics.median(b / f for b, f in zip(bot.rates, floor.rates, strict=True))
    how = "each one's answers back to back" if back_to_back else "taking turns"
    print(f"{participants} participants × {QUESTIONS} button answers, concurrently, {how}")
    if yielding:
        print("every Bot API call gives the event loop a turn before it returns (--yielding)")
    print(f"PTB floor  {floor.rate:7,.0f} answers/s  ({_runs(floor)})")
    print(f"bot        {bot.rate:7,.0f} answers/s  ({_runs(bot)}), every answer durable")
    print(
        f"           per update p50 {cuts[49] * 1000:.1f} ms, p99 {cuts[98] * 1000:.1f} ms "
        f"({participants} taps in flight take turns on one event loop)"
    )
    print(f"ratio bot/floor {ratio:.2f} (goal ≥ {GOAL})")
    print(f"stored: {results.stored}")
    print(f"Bot API calls per answer: {_per(bot.calls, bot.answers)}")
    print(f"  floor, for comparison:  {_per(floor.calls, floor.answers)}")
    print(f"repository calls per answer: {_per(results.repo_calls, participants * QUESTIONS)}")
    print(
        f"  of which read from SQLite: {results.repo_reads / (participants * QUESTIONS):.2f} "
        "(active sessions are kept in memory, written through)"
    )
    writes, answers = bot.writes, bot.answers
    alone = writes["requests"] - writes["queued"]
    print(
        f"writes per answer: {(writes['gathered'] + alone) / answers:.2f} awaited until durable, "
        f"{writes['noted'] / answers:.2f} queued (the id of the message on screen)"
    )
    print(
        f"  {writes['gathered'] / answers:.2f} of the awaited ones gathered: a commit writes its "
        "steps of known sessions in 3 statements (3 more when some finish), its queued ids in 1"
    )
    batches = max(1, writes["batches"])
    print(
        f"  {writes['batches'] / answers:.3f} group commits per answer (synchronous=FULL), each "
        f"{answers / batches:.1f} answers in {writes['requests'] / batches:.1f} units on average"
    )
    _report_cpu(floor, bot)
    print(
        f"garbage collections per 1,000 answers: floor {_scans(floor)}; bot {_scans(bot)} "
        "(young, middle, full; the floor runs in the bot's process, under the same settings)"
    )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS {peak:.0f} MB")
    parts = ", ".join(f"{name} {ms:.0f}" for name, ms in results.startup_ms.items())
    print(f"start to polling-ready {sum(results.startup_ms.values()):.0f} ms ({parts})")
    print(f"  after {IMPORTS_MS:.0f} ms of imports (telegram, bot, flows, storage)")


def _report_cpu(floor: Tally, bot: Tally) -> None:
    loop = bot.per_answer_us([run.loop_cpu for run in bot.runs])
    waiting = bot.per_answer_us([run.seconds - run.loop_cpu for run in bot.runs])
    print(
        f"µs per answer: floor {floor.per_answer_us([r.seconds for r in floor.runs]):,.0f} "
        f"(event-loop CPU {floor.per_answer_us([r.loop_cpu for r in floor.runs]):,.0f}); "
        f"bot {bot.per_answer_us([r.seconds for r in bot.runs]):,.0f} (event-loop CPU "
        f"{loop:,.0f}, loop not running {waiting:,.0f}, "
        f"SQLite threads' CPU {bot.per_answer_us([r.other_cpu for r in bot.runs]):,.0f})"
    )


def _scans(tally: Tally) -> str:
    return " / ".join(f"{tally.collections[g] / tally.answers * 1000:.1f}" for g in range(3))


def _runs(tally: Tally) -> str:
    return "median of " + ", ".join(f"{rate:,.0f}" for rate in tally.rates)


def _per(calls: Counter[str], answers: int) -> str:
    total = sum(calls.values()) / answers
    each = ", ".join(f"{name} {count / answers:.2f}" for name, count in calls.most_common())
    return f"{total:.2f} ({each})"


def main(argv: Sequence[str]) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--participants", type=int, default=PARTICIPANTS)
    parser.add_argument("--repeats", type=int, default=REPEATS)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument(
        "--bytecodes",
        action="store_true",
        help="count the bytecodes of one more round of each, floor vs bot",
    )
    parser.add_argument(
        "--yielding",
        action="store_true",
        help="every Bot API call gives the event loop a turn, as a network round trip does",
    )
    parser.add_argument(
        "--back-to-back",
        action="store_true",
        help="participants give the event loop no turn between their answers",
    )
    args = parser.parse_args(argv)
    problems = ProblemCounter()
    logging.getLogger().addHandler(problems)
    with tempfile.TemporaryDirectory(prefix="bench-", dir=ROOT) as tmp:
        flows_dir = Path(tmp) / "flows"
        flows_dir.mkdir()
        (flows_dir / f"{FLOW_ID}.yaml").write_text(bench_flow_text(), encoding="utf-8")
        settings = Settings(
            _env_file=None,  # pydantic-settings' init-only option: ignore any .env here
            bot_token=SecretStr(TOKEN),
            database_path=Path(tmp) / "bilan.db",
            sqlite_synchronous="FULL",  # as printed, whatever the environment says
            rate_limiter=False,
            flows_dir=flows_dir,
        )
        results = asyncio.run(measure(args, settings))
    report(results, args.participants, yielding=args.yielding, back_to_back=args.back_to_back)
    if problems.records:
        first = problems.records[0]
        sys.exit(f"{len(problems.records)} warnings or errors were logged, first: {first.msg}")


if __name__ == "__main__":
    main(sys.argv[1:])
