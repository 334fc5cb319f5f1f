"""Answer-path guard: the real bot answers 70 participants at once, every answer durable.

Telegram lets a bot answer about 15 times a second, so speed here is not a goal: the guard only
catches a change that makes answering an order of magnitude slower, or loses or doubles answers.

70 participants answer a generated flow of 20 button questions concurrently, taking turns, each
one's taps in order. Updates go through the real `Application` (`opened_services`,
`build_application`, `prepare`) on a temporary SQLite file beside the repository
(synchronous=FULL); a fake Telegram answers every Bot API call locally and counts them. Beside
it, for information, the floor: PTB alone, whose handler makes the same Bot API calls and does
nothing else. Floor and bot take turns, after a warm-up round of each; the rates and percentiles
are medians over the repeats, so that one round slowed by the machine does not fail the guard.
Prints one `label: value unit (goal …)` line per figure, and exits non-zero if a goal is missed
or a warning is logged.

Run: `.venv/bin/python bench/updates.py [--participants 70] [--repeats 3] [--profile]`. With
`--profile`, one more round of the bot runs under cProfile and its costliest functions are listed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
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
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# bench/ holds a `storage.py`: with the repository first on the path, `storage` is the package.
sys.path[0] = str(ROOT)

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
from storage import RoundId, UserId  # noqa: E402

MIN_ANSWERS_PER_S = 200  # over ten times what Telegram lets a bot send
MAX_P99_MS = 250.0
PARTICIPANTS = 70
QUESTIONS = 20
REPEATS = 3
TOKEN = "123:BENCH"
FLOW_ID = "bench_updates"
FACILITATOR = 9_999
FIRST_USER = 10_000
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
TRUE_METHODS = {"answerCallbackQuery", "setMyCommands", "deleteMyCommands", "deleteMessage"}
Json = dict[str, Any]
AnyApp = Application[Any, Any, Any, Any, Any, Any]
UPDATE_IDS: Iterator[int] = itertools.count(1)


# ---- a fake Telegram ------------------------------------------------------------------------


@dataclass
class Screen:
    """A chat's latest message with buttons: what the participant reads and taps."""

    message_id: int
    text: str
    markup: Json

    def picks(self) -> list[str]:
        """The callback data of the buttons that answer the question (not Back or Skip)."""
        data = [b.get("callback_data", "") for row in self.markup["inline_keyboard"] for b in row]
        return [d for d in data if d.split("|")[3:4] == ["p"]]


class FakeTelegram(BaseRequest):
    """Answers every Bot API call as Telegram would, locally; counts the calls, keeps screens."""

    def __init__(self) -> None:
        self.calls = 0
        self.screens: dict[int, Screen | None] = {}
        self.last_message: Counter[int] = Counter()

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
        self.calls += 1
        name = url.rsplit("/", 1)[-1]
        params: Json = {}
        if request_data is not None:
            _ = request_data.json_parameters  # the encoding a real transport does
            params = request_data.parameters
        return 200, json.dumps({"ok": True, "result": self.result(name, params)}).encode()

    def result(self, name: str, params: Json) -> Any:
        if name == "getMe":
            return BOT_USER
        if name in TRUE_METHODS:
            return True
        if name == "getChatMember":
            member = {"id": int(params["user_id"]), "is_bot": False, "first_name": "Member"}
            return {"status": "member", "user": member}
        chat_id, text = int(params["chat_id"]), params.get("text", "")
        markup = params.get("reply_markup")
        if name == "sendMessage":
            self.last_message[chat_id] += 1
            message_id = self.last_message[chat_id]
            if markup and "inline_keyboard" in markup:
                self.screens[chat_id] = Screen(message_id, text, markup)
        elif name in ("editMessageText", "editMessageReplyMarkup"):
            message_id, screen = int(params["message_id"]), self.screens.get(chat_id)
            if screen is not None and screen.message_id == message_id:  # the message on screen
                text = params.get("text", screen.text)
                self.screens[chat_id] = Screen(message_id, text, markup) if markup else None
        else:
            raise AssertionError(f"the bench does not answer {name}")
        return message(chat_id, message_id, text, markup)


def message(chat_id: int, message_id: int, text: str, markup: Json | None) -> Json:
    chat = {"id": chat_id, "type": "private", "first_name": f"Participant {chat_id}"}
    sent: Json = {"message_id": message_id, "date": int(time.time()), "chat": chat}
    sent |= {"from": BOT_USER, "text": text}
    if markup:
        sent["reply_markup"] = markup
    return sent


# ---- participants ---------------------------------------------------------------------------


def user_of(n: int) -> Json:
    language = LANGUAGES[n % len(LANGUAGES)]
    return {"id": FIRST_USER + n, "is_bot": False, "first_name": f"P{n}", "language_code": language}


def tap(update_id: int, user: Json, screen: Screen, data: str) -> Json:
    """A button pressed on the message on screen, as Telegram delivers it."""
    on_screen = message(user["id"], screen.message_id, screen.text, screen.markup)
    query = {"id": str(update_id), "from": user, "chat_instance": "1", "data": data}
    return {"update_id": update_id, "callback_query": query | {"message": on_screen}}


def command(update_id: int, user: Json, text: str) -> Json:
    sent = message(user["id"], update_id, text, None) | {"from": user}
    sent["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
    return {"update_id": update_id, "message": sent}


@dataclass
class Run:
    """One round of answers."""

    seconds: float
    latencies: list[float]  # of each update, in seconds
    calls: int  # Bot API calls the answers made
    chosen: Counter[tuple[int, str]]  # (question index, option) → participants who tapped it


async def answer_all(app: AnyApp, telegram: FakeTelegram, users: Sequence[Json]) -> Run:
    """Every participant answers every question, concurrently, each in order, taking turns."""
    latencies: list[float] = []
    chosen: Counter[tuple[int, str]] = Counter()

    async def participant(n: int, user: Json) -> None:
        for question in range(QUESTIONS):
            screen = telegram.screens.get(user["id"])
            assert screen is not None, f"participant {n}: no question on screen at {question + 1}"
            picks = screen.picks()
            data = picks[(n + question) % len(picks)]
            chosen[question, data.rsplit("|", 1)[-1]] += 1
            update = Update.de_json(tap(next(UPDATE_IDS), user, screen, data), app.bot)
            began = time.perf_counter()
            await app.process_update(update)
            latencies.append(time.perf_counter() - began)
            await asyncio.sleep(0)  # the other chats' updates come in between
        assert telegram.screens.get(user["id"]) is None, f"participant {n}: buttons left at the end"

    calls, began = telegram.calls, time.perf_counter()
    async with asyncio.TaskGroup() as group:  # one failing participant stops the others
        for n, user in enumerate(users):
            group.create_task(participant(n, user))
    return Run(time.perf_counter() - began, latencies, telegram.calls - calls, chosen)


# ---- the floor: PTB alone, the same Bot API calls -------------------------------------------


def question_text(position: int) -> str:
    return (
        f"Question {position}: how would you rate this part of the support programme, "
        "the sessions, the coaching and the tools you were given?"
    )


def floor_question(position: int) -> tuple[str, InlineKeyboardMarkup]:
    """A question as a plain PTB survey shows it, the size of the bot's."""
    kind = KINDS[(position - 1) % len(KINDS)]

    def button(label: str, action: str, argument: str = "") -> InlineKeyboardButton:
        return InlineKeyboardButton(label, callback_data=f"s|0|{position}|{action}|{argument}")

    cells = [button(option.title(), "p", option) for option in OPTIONS.get(kind, ("yes", "no"))]
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
    )
    text, markup = ("Thank you!", None) if position == QUESTIONS else floor_question(position + 1)
    await context.bot.send_message(chat_id, text, parse_mode=ParseMode.HTML, reply_markup=markup)


# ---- the bot --------------------------------------------------------------------------------


def bench_flow_text() -> str:
    """A flow of 20 button questions, anonymous like the shipped satisfaction survey."""

    def text(label: str) -> dict[str, str]:
        return {language: label for language in LANGUAGES}

    steps: list[Json] = []
    for position in range(1, QUESTIONS + 1):
        kind = KINDS[(position - 1) % len(KINDS)]
        step: Json = {"id": f"q{position:02d}", "kind": kind, "text": text(question_text(position))}
        if kind == "scale":
            step.update(min=1, max=5, min_label=text("Poor"), max_label=text("Excellent"))
        elif kind == "choice":
            step["options"] = [{"id": o, "label": text(o.title())} for o in OPTIONS[kind]]
        steps.append(step)
    flow = {"id": FLOW_ID, "version": 1, "title": text("Bench"), "languages": list(LANGUAGES)}
    flow |= {"anonymous": True, "review": False, "steps": steps}
    out = io.StringIO()
    YAML(typ="safe", pure=True).dump(flow, out)
    return out.getvalue()


async def enrol(services: Services, users: Sequence[Json]) -> Callable[[], Awaitable[RoundId]]:
    """A cohort with every participant in it; returns how to open a round of the bench flow."""
    repo, now, facilitator = services.repo, services.clock(), UserId(FACILITATOR)
    await repo.upsert_person(facilitator, "Facilitator", "fr", now)
    cohort = await repo.create_cohort("Bench cohort", "bench", facilitator, now)
    for user in users:
        await repo.upsert_person(UserId(user["id"]), user["first_name"], user["language_code"], now)
        await repo.add_member(cohort.id, UserId(user["id"]), "participant", now)
    flow = services.flows.get(FLOW_ID)

    async def open_round() -> RoundId:
        args = (cohort.id, flow.id, flow.version, flow.anonymous, facilitator, services.clock())
        return (await repo.open_round(*args)).id

    return open_round


async def stored_once(services: Services, rounds: Sequence[tuple[RoundId, Run]]) -> int:
    """How many of the tapped answers are stored exactly once, as tapped, and submitted."""
    good = 0
    for round_id, run in rounds:
        rows = await services.repo.answers_of_round(round_id)
        copies = Counter((row.response_id, row.step_id) for row in rows)
        once = [r for r in rows if copies[r.response_id, r.step_id] == 1 and r.submitted]
        stored = Counter((int(r.step_id[1:]) - 1, str(r.value)) for r in once)
        good += sum((stored & run.chosen).values())
    return good


# ---- measuring and the report ---------------------------------------------------------------


@dataclass
class Figures:
    floor: list[Run]
    bot: list[Run]
    stored: int
    expected: int


async def measure(settings: Settings, participants: int, repeats: int, profile: bool) -> Figures:
    users = [user_of(n) for n in range(participants)]
    async with contextlib.AsyncExitStack() as stack:

        def builder(telegram: FakeTelegram) -> ApplicationBuilder[Any, Any, Any, Any, Any, Any]:
            builder = ApplicationBuilder().token(TOKEN).request(telegram)
            return builder.get_updates_request(telegram).updater(None)

        floor_telegram, bot_telegram = FakeTelegram(), FakeTelegram()
        floor = builder(floor_telegram).concurrent_updates(True).build()
        floor.add_handler(CallbackQueryHandler(floor_answer))
        await floor.initialize()
        stack.push_async_callback(floor.shutdown)
        services = await stack.enter_async_context(opened_services(settings))
        bot = build_application(services, builder(bot_telegram))
        await bot.initialize()
        stack.push_async_callback(bot.shutdown)
        await prepare(bot)
        open_round = await enrol(services, users)
        rounds: list[tuple[RoundId, Run]] = []

        async def floor_round() -> Run:
            text, markup = floor_question(1)
            for user in users:
                await floor.bot.send_message(
                    user["id"], text, parse_mode=ParseMode.HTML, reply_markup=markup
                )
            return await answer_all(floor, floor_telegram, users)

        async def bot_round() -> Run:
            round_id = await open_round()
            starts = [command(next(UPDATE_IDS), user, f"/start r{round_id}") for user in users]
            await asyncio.gather(*(bot.process_update(Update.de_json(s, bot.bot)) for s in starts))
            run = await answer_all(bot, bot_telegram, users)
            # Anonymous answers are written out when the round closes (untimed, as a /close).
            await services.repo.close_round(round_id, services.clock())
            rounds.append((round_id, run))
            return run

        await floor_round()  # warm-up, not timed
        await bot_round()
        floor_runs: list[Run] = []
        bot_runs: list[Run] = []
        for _ in range(repeats):
            floor_runs.append(await floor_round())
            bot_runs.append(await bot_round())
        if profile:
            with cProfile.Profile() as profiler:
                await bot_round()
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(
                r"/(bot|flows|storage)/", 20
            )
        stored = await stored_once(services, rounds)
        return Figures(floor_runs, bot_runs, stored, len(rounds) * participants * QUESTIONS)


def rate(runs: Sequence[Run]) -> float:
    return statistics.median(len(run.latencies) / run.seconds for run in runs)


def report(figures: Figures) -> list[str]:
    """Prints the figures; returns the goals missed."""
    bot_rate = rate(figures.bot)
    cuts = [statistics.quantiles(run.latencies, n=100) for run in figures.bot]
    p50, p99 = (statistics.median(c[q] for c in cuts) * 1000 for q in (49, 98))
    calls = sum(run.calls for run in figures.bot) / sum(len(run.latencies) for run in figures.bot)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"durable answers/s: {bot_rate:,.0f} answers/s (goal ≥ {MIN_ANSWERS_PER_S})")
    print(f"p50 per update: {p50:.1f} ms")
    print(f"p99 per update: {p99:.1f} ms (goal ≤ {MAX_P99_MS:.0f} ms)")
    print(
        f"floor answers/s: {rate(figures.floor):,.0f} answers/s (for information: PTB with a "
        "handler that makes the same Bot API calls and does nothing else)"
    )
    print(f"Bot API calls per answer: {calls:.2f} (for information)")
    print(
        f"answers stored exactly once: {figures.stored:,} of {figures.expected:,} answers "
        "(goal: all, as tapped, submitted)"
    )
    print(f"peak RSS: {peak_mb:.0f} MB")
    missed = [
        (bot_rate < MIN_ANSWERS_PER_S, "durable answers/s"),
        (p99 > MAX_P99_MS, "p99 per update"),
        (figures.stored != figures.expected, "answers stored exactly once"),
    ]
    return [name for failed, name in missed if failed]


class Problems(logging.Handler):
    """Keeps warnings and errors: a fast bench that fails its answers would be meaningless."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def main(argv: Sequence[str]) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--participants", type=int, default=PARTICIPANTS)
    parser.add_argument("--repeats", type=int, default=REPEATS)
    parser.add_argument("--profile", action="store_true", help="profile one more bot round")
    args = parser.parse_args(argv)
    problems = Problems()
    logging.getLogger().addHandler(problems)
    with tempfile.TemporaryDirectory(prefix="bench-", dir=ROOT) as tmp:
        flows_dir = Path(tmp) / "flows"
        flows_dir.mkdir()
        (flows_dir / f"{FLOW_ID}.yaml").write_text(bench_flow_text(), encoding="utf-8")
        settings = Settings(
            _env_file=None,  # pydantic-settings' init-only option: ignore any .env here
            bot_token=SecretStr(TOKEN),
            database_path=Path(tmp) / "bilan.db",
            sqlite_synchronous="FULL",  # durable, whatever the environment says
            rate_limiter=False,
            flows_dir=flows_dir,
        )
        figures = asyncio.run(measure(settings, args.participants, args.repeats, args.profile))
    missed = report(figures)
    if problems.records:
        missed.append(f"{len(problems.records)} warnings logged, first: {problems.records[0].msg}")
    if missed:
        sys.exit("guard failed: " + "; ".join(missed))


if __name__ == "__main__":
    main(sys.argv[1:])
