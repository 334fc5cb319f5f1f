"""Group SWOT guard: 60 members post 300 items in 2 minutes, then vote, within Telegram's limits.

The real bot (`opened_services`, `build_application` with the sandbox's `application_builder`,
`prepare`; the rate limiter at its default, on, as in production; SQLite in a temporary
directory) against the sandbox with Telegram's flood limits, in real time (the sandbox's clock is
never advanced: its flood windows are the real ones). The sandbox runs in a child process, as
Telegram is another machine; the people are played from the bot's process (they mostly wait).

/swot in the group, anonymous; each member follows the board's "Add my items" link and posts 5
items at random moments over 2 minutes, tapping a quadrant first when it changes and waiting
for each answer, as a person does (at most a message a second in a private chat). The
facilitator reveals and opens the vote (5 dots, at most 3 on one item); each member spends
their dots with ➕, turning to another quadrant now and then; the facilitator closes the vote.
One `label: value unit (goal …)` line per figure: the group's busiest minute of sends and
edits; 429s reaching the error handler as `RetryAfter` (and, for information, those the
sandbox answered, and the windows they were met in); the acknowledgement's latency in private
(the sandbox's history: item received → "✓ … noted." received); the last item to the board
edit first showing the final counts; the votes read back from the repository after the close.

The matrix is measured in this run, inside the bot's process, on the bot's own render of this
run's results: the bot's worker times `render_matrix` with `bench.matrix.Ticker` around it, and
a second `Ticker` runs around the whole close of the vote. That is the honest figure, where
`bench.matrix.measure` on the bot's worker would draw a sample picture at a moment of its own.

Exits non-zero if a goal is missed or the bot logged a warning.
Run: `.venv/bin/python bench/swot.py [--members 60] [--seconds 120] [--seed 18]` (about 3 min).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import logging
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# bench/ holds a `sandbox.py` and a `storage.py`: with the repository first, they are the packages.
sys.path[0] = str(ROOT)

from pydantic import SecretStr  # noqa: E402
from telegram.error import RetryAfter  # noqa: E402

from bench.matrix import MAX_RENDER_MS, MAX_STALL_MS, Ticker  # noqa: E402
from bench.updates import Problems  # noqa: E402
from bot.app import build_application, prepare  # noqa: E402
from bot.group.outbox import OutboxStats  # noqa: E402
from bot.group.texts import ICONS, counts_line  # noqa: E402
from bot.i18n import translator  # noqa: E402
from bot.runtime import opened_services  # noqa: E402
from bot.services import Services  # noqa: E402
from bot.settings import Settings  # noqa: E402
from flows.board import QUADRANTS, board_counts  # noqa: E402
from reports.swot_matrix import MatrixPicture, render_matrix  # noqa: E402
from reports.worker import RenderWorker  # noqa: E402
from sandbox.client import SandboxClient  # noqa: E402
from sandbox.context import SandboxConfig  # noqa: E402
from sandbox.errors import SandboxTimeoutError  # noqa: E402
from sandbox.harness import application_builder, running_application  # noqa: E402
from sandbox.rules import FloodLimits, Window  # noqa: E402
from sandbox.server import SandboxServer  # noqa: E402
from sandbox.views import ChatMessage, MessageEvent, busiest  # noqa: E402
from storage.models import ChatId, CohortId, RoundId, UserId  # noqa: E402

MEMBERS, ITEMS_EACH, SECONDS = 60, 5, 120.0
BUDGET, MOST = 5, 3  # the first budget button: 5 dots each, at most 3 on one item
MAX_PER_MINUTE = 20  # Telegram's group limit, edits included
MAX_ACK_P99_MS = 1_000.0
MAX_BOARD_LAG_S = 5.0
GAP = 3.0  # seconds at least between a member's items (a quadrant tap may come between)
TAP_AHEAD = 1.5  # a quadrant is tapped this long before the item is sent
READING = 1.5  # the facilitator reads a message this long before tapping its button
WAIT = 30.0  # the longest anyone waits for an answer before counting as stuck
FACILITATOR, FIRST_MEMBER, GROUP = 101, 201, -1001
en = translator("en")
BUTTONS = {q[0]: f"{ICONS[q]} {en(q.title())}" for q in QUADRANTS}  # s w o t
ADD_ITEMS = en("✍️ Add my items")
PHRASES = (
    "finition reconnue par les clients des marchés",
    "peu de visibilité en ligne, pas de site",
    "un tiers-lieu qui cherche des artisans",
    "la hausse du prix des matières premières",
)


# ---- the bot, instrumented only where it reports ----------------------------------------------


@dataclass(frozen=True, slots=True)
class Render:
    seconds: float
    stall_ms: float
    picture: MatrixPicture
    after_lists: int  # item-list pictures drawn before it (0: this one started the worker)


class TimedWorker(RenderWorker):
    """The bot's render worker, which times each matrix and watches the loop meanwhile."""

    def __init__(self) -> None:
        super().__init__()
        self.renders: list[Render] = []
        self.lists = 0

    async def render_matrix(self, picture: MatrixPicture) -> bytes:
        async with Ticker() as ticker:
            began = time.perf_counter()
            png = await super().render_matrix(picture)
            took = time.perf_counter() - began
        self.renders.append(Render(took, ticker.longest_ms, picture, self.lists))
        return png

    async def render_item_list(
        self, title: str, items: Sequence[str], *, more: str = "+{count}"
    ) -> bytes:
        self.lists += 1
        return await super().render_item_list(title, items, more=more)


@dataclass
class Bot:
    services: Services
    worker: TimedWorker
    errors: list[BaseException] = field(default_factory=list)  # seen by the error handler


def sandbox_at(url: str) -> SandboxServer:
    """The child's sandbox as `application_builder` wants it (it reads only the token and the
    URLs): a server object never started here, naming the child's port."""
    server = SandboxServer(SandboxConfig())
    server.port = int(url.rsplit(":", 1)[1])
    return server


@contextlib.asynccontextmanager
async def running_bot(settings: Settings, url: str) -> AsyncIterator[Bot]:
    async with opened_services(settings) as services:
        worker = TimedWorker()
        unused, services.pictures = services.pictures, worker
        if unused is not None:
            await unused.close()  # never started: its process starts with the first picture
        app = build_application(services, application_builder(sandbox_at(url)))
        bot = Bot(services, worker)

        async def seen(update: object, context: Any) -> None:
            bot.errors.append(context.error)

        app.add_error_handler(seen)  # beside the bot's own, which logs and tells the person
        async with running_application(app, poll_timeout=10.0):
            await prepare(app)
            yield bot


@contextlib.contextmanager
def sandbox_process(log: Path) -> Iterator[str]:
    """`python -m sandbox` with Telegram's flood limits, on a free port; yields its URL."""
    command = [sys.executable, "-m", "sandbox", "--port", "0", "--flood", "telegram"]
    with log.open("w") as errors:
        child = subprocess.Popen(
            command, cwd=ROOT, stdout=subprocess.PIPE, stderr=errors, text=True
        )
        try:
            assert child.stdout is not None
            url = child.stdout.readline().strip()
            if not url:
                raise SystemExit(f"the sandbox did not start: {log.read_text()}")
            yield url
        finally:
            child.terminate()
            child.wait(10)


# ---- the people --------------------------------------------------------------------------------

Plan = tuple[tuple[float, str, str], ...]  # (seconds after the board is up, quadrant letter, text)


def plans(rng: random.Random, members: Sequence[int], seconds: float) -> dict[int, Plan]:
    chosen: dict[int, Plan] = {}
    for member in members:
        while True:  # moments at random, far enough apart for a tap and a message each
            moments = sorted(rng.uniform(5.0, seconds) for _ in range(ITEMS_EACH))
            if all(b - a >= GAP for a, b in itertools.pairwise(moments)):
                break
        letters = rng.choices("swot", weights=(3, 3, 2, 2), k=ITEMS_EACH)
        # The member's number first: the ballot's ➕ shows an item's first 22 characters.
        texts = [f"{member}.{n} {rng.choice(PHRASES)}" for n in range(1, ITEMS_EACH + 1)]
        chosen[member] = tuple(zip(moments, letters, texts, strict=True))
    return chosen


async def sleep_until(moment: float) -> None:
    await asyncio.sleep(max(0.0, moment - time.monotonic()))


def has_quadrants(message: ChatMessage) -> bool:
    return BUTTONS["s"] in message.button_texts


def is_ack(message: ChatMessage) -> bool:
    return is_ack_text(message.content)


async def collect(
    client: SandboxClient, member: int, board: ChatMessage, plan: Plan, t0: float
) -> bool:
    """The member writes their items as planned; False if an answer never came."""
    try:
        await sleep_until(t0 + plan[0][0] - TAP_AHEAD - 2.0)
        await client.follow_link(member, board, ADD_ITEMS)
        screen = await client.wait_for_message(member, has_quadrants, timeout=WAIT)
        quadrant = ""
        for moment, letter, text in plan:
            if letter != quadrant:
                await sleep_until(t0 + moment - TAP_AHEAD)
                await client.press_button(member, screen, text=BUTTONS[letter])
                await client.wait_for_message(member, timeout=WAIT)
                quadrant = letter
            await sleep_until(t0 + moment)
            await client.send_text(member, text)
            screen = await client.wait_for_message(member, is_ack, timeout=WAIT)
    except SandboxTimeoutError:
        return False
    return True


async def vote(client: SandboxClient, member: int, rng: random.Random, opened: float) -> bool:
    """The member opens their ballot and spends their dots, a tap at a time; False if stuck."""

    async def tap(ballot: ChatMessage, text: str) -> ChatMessage:
        await client.press_button(member, ballot, text=text)
        edited = await client.wait_for_edit(member, ballot.message_id, timeout=WAIT)
        await asyncio.sleep(rng.uniform(1.0, 2.5))  # reading the ballot again
        return edited

    dots: Counter[str] = Counter()
    try:
        ballot = await client.wait_for_message(member, contains=en("Your ballot"), timeout=WAIT)
        await sleep_until(opened + rng.uniform(1.0, 20.0))
        empty = 0  # tabs turned in a row without a ➕ to tap
        while sum(dots.values()) < BUDGET and empty <= len(QUADRANTS):
            plus = [b for b in ballot.button_texts if b.startswith("➕ ") and dots[b] < MOST]
            empty = 0 if plus else empty + 1
            if not plus or rng.random() < 0.4:  # another quadrant (the current one shows ▸)
                tabs = [b for b in ballot.button_texts if b in ICONS.values()]
                ballot = await tap(ballot, rng.choice(tabs))
                continue
            pick = rng.choice(plus)
            ballot = await tap(ballot, pick)
            dots[pick] += 1
    except SandboxTimeoutError:
        return False
    return sum(dots.values()) == BUDGET


async def press(client: SandboxClient, user: int, chat: int, label: str) -> None:
    """Tap `label` on the bot's message in `chat` that has it, once it is there."""

    def has(message: ChatMessage) -> bool:
        return label in message.button_texts

    found = await client.wait_for_message(chat, has, since_last_action=False, timeout=WAIT)
    await asyncio.sleep(READING)
    await client.press_button(user, found, text=label, chat_id=chat)


# ---- the workshop ------------------------------------------------------------------------------


@dataclass
class Marks:
    """What the figures need besides the sandbox's history. Times are `time.monotonic()`, as the
    sandbox's `at` is: the same clock in every process of this machine."""

    round_id: int = 0
    board_id: int = 0
    final_counts: str = ""
    items_stored: int = 0
    reveal: float = 0.0
    stuck: int = 0
    close_stall_ms: float = 0.0
    votes_stored: int = 0
    voters_stored: int = 0


async def enrol(client: SandboxClient, services: Services, members: Sequence[int]) -> CohortId:
    repo, now = services.repo, services.clock()
    await client.create_user("Fatou", user_id=FACILITATOR, language_code="en", started=True)
    await repo.upsert_person(UserId(FACILITATOR), "Fatou", "en", now)
    cohort = await repo.create_cohort("Textile", "codeswot", UserId(FACILITATOR), now)
    for member in members:
        await client.create_user(f"Member{member}", user_id=member, language_code="en")
        await repo.upsert_person(UserId(member), f"Member{member}", "en", now)
        await repo.add_member(cohort.id, UserId(member), "participant", now)
    await client.create_group("Textile", members=members, admins=(FACILITATOR,), chat_id=GROUP)
    await repo.bind_chat(ChatId(GROUP), cohort.id, "Textile", "group", now)
    return cohort.id


async def all_of(tasks: Sequence[Any]) -> int:
    """Runs the people's coroutines together; how many got stuck."""
    async with asyncio.TaskGroup() as group:
        started = [group.create_task(task) for task in tasks]
    return sum(not task.result() for task in started)


async def collection(
    client: SandboxClient, bot: Bot, chosen: Mapping[int, Plan], marks: Marks
) -> None:
    repo = bot.services.repo
    cohort = await enrol(client, bot.services, list(chosen))
    await client.send_command(FACILITATOR, "swot", chat_id=GROUP)
    await press(client, FACILITATOR, GROUP, en("🕶 Anonymous (recommended)"))

    def is_board(message: ChatMessage) -> bool:
        return ADD_ITEMS in message.button_texts

    board = await client.wait_for_message(GROUP, is_board, since_last_action=False, timeout=WAIT)
    t0 = time.monotonic()
    marks.stuck += await all_of([collect(client, m, board, p, t0) for m, p in chosen.items()])
    await asyncio.sleep(MAX_BOARD_LAG_S + 3.0)  # the final board, with room to be late and seen
    stored = await repo.active_board_of_cohort(cohort)
    assert stored is not None, "the board is stored"
    assert stored.message_id is not None, "the board is posted"
    people = len({m.user_id for m in await repo.members_of(cohort)})
    marks.round_id, marks.board_id = stored.round_id, stored.message_id
    marks.final_counts = counts_line(en, board_counts(stored.state), people)
    marks.items_stored = len(stored.state.items)


async def reveal_posted(client: SandboxClient) -> bool | None:
    """True once the group holds the board and the four quadrants (as texts or pictures)."""
    posted = [m for m in await client.messages(GROUP) if m.from_bot]
    return True if len(posted) >= 1 + len(QUADRANTS) else None


async def voting(
    client: SandboxClient, bot: Bot, members: Sequence[int], rng: random.Random, marks: Marks
) -> None:
    marks.reveal = time.monotonic()
    await press(client, FACILITATOR, GROUP, en("👁 Reveal (facilitators)"))
    await press(client, FACILITATOR, FACILITATOR, en("👁 Yes, reveal"))
    await client.wait_until(lambda: reveal_posted(client), timeout=90.0)  # within the budget
    await press(client, FACILITATOR, GROUP, en("🗳 Open the vote (facilitators)"))
    label = en("🗳 {budget} dots each, at most {most} per item", budget=BUDGET, most=MOST)
    await press(client, FACILITATOR, FACILITATOR, label)
    opened, seeds = time.monotonic(), [rng.random() for _ in members]
    voters = [
        vote(client, m, random.Random(s), opened) for m, s in zip(members, seeds, strict=True)
    ]
    marks.stuck += await all_of(voters)
    await client.wait_idle(quiet=1.0, timeout=60.0)
    await press(client, FACILITATOR, GROUP, en("🏁 Close the vote (facilitators)"))

    def photo(message: ChatMessage) -> bool:
        return message.photo is not None

    async with Ticker() as closing:
        await press(client, FACILITATOR, FACILITATOR, en("🏁 Yes, close the vote"))
        await client.wait_for_message(GROUP, photo, since_last_action=False, timeout=WAIT)
        await client.wait_idle(quiet=0.5, timeout=WAIT)
    marks.close_stall_ms = closing.longest_ms
    assert bot.services.outbox is not None
    await bot.services.outbox.drain()
    board = await bot.services.repo.get_board(RoundId(marks.round_id))
    assert board is not None
    marks.votes_stored = sum(board.state.totals.values())
    marks.voters_stored = board.state.voter_count


@dataclass
class Run:
    plans: dict[int, Plan]
    bot: Bot
    marks: Marks
    history: list[MessageEvent]
    refusals: dict[str, int]  # the sandbox's 429 answers per method, in every chat
    group_refusals: dict[str, int]
    on_loop_ms: float
    seconds: float


async def on_loop_stall(worker: TimedWorker) -> float:
    """The loop's longest stall drawing this run's matrix on its own thread (what the worker
    spares it), after a first drawing that loads matplotlib and its fonts."""
    if not worker.renders:
        return 0.0
    picture = worker.renders[0].picture
    render_matrix(picture)
    async with Ticker() as on_loop:
        render_matrix(picture)  # on the loop's thread, on purpose
    return on_loop.longest_ms


async def workshop(settings: Settings, url: str, members: int, seconds: float, seed: int) -> Run:
    began, rng, marks = time.monotonic(), random.Random(seed), Marks()
    people = [FIRST_MEMBER + n for n in range(members)]
    chosen = plans(rng, people, seconds)
    async with SandboxClient(url, timeout=WAIT) as client, running_bot(settings, url) as bot:
        await collection(client, bot, chosen, marks)
        await voting(client, bot, people, rng, marks)
        history = await client.history()
        refusals = await client.flood_refusals(), await client.flood_refusals(GROUP)
        on_loop_ms = await on_loop_stall(bot.worker)
    return Run(chosen, bot, marks, history, *refusals, on_loop_ms, time.monotonic() - began)


# ---- the figures -------------------------------------------------------------------------------


def ack_latencies(history: Sequence[MessageEvent], chosen: Mapping[int, Plan]) -> list[float]:
    """Each item's time to its acknowledgement, as the sandbox saw both."""
    latencies: list[float] = []
    for member, plan in chosen.items():
        texts = {text for _, _, text in plan}
        chat = [e for e in history if e.chat_id == member and e.kind == "sent"]
        for n, event in enumerate(chat):
            if event.from_bot or event.text not in texts:
                continue
            ack = next((e for e in chat[n + 1 :] if e.from_bot and is_ack_text(e.text)), None)
            if ack is not None:
                latencies.append(ack.at - event.at)
    return latencies


def is_ack_text(text: str) -> bool:
    return text.startswith("✓ ")


def board_lag(run: Run) -> float | None:
    """Seconds from the last item to the first board edit showing the final counts."""
    items = {text for plan in run.plans.values() for _, _, text in plan}
    last = max(e.at for e in run.history if not e.from_bot and e.text in items)
    board = [e for e in run.history if e.chat_id == GROUP and e.message_id == run.marks.board_id]
    final = (e.at for e in board if e.kind == "edited" and run.marks.final_counts in e.text)
    shown = next(final, None)
    return None if shown is None else shown - last


def percentile(values: Sequence[float], q: int) -> float:
    return statistics.quantiles(values, n=100)[q - 1] if len(values) > 1 else sum(values)


class Report:
    """Prints the figures, one a line, and keeps the names of the goals missed."""

    def __init__(self) -> None:
        self.missed: list[str] = []

    def goal(self, name: str, failed: bool, line: str) -> None:
        print(line)
        if failed:
            self.missed.append(name)


def window_text(window: Window | None) -> str:
    return "off" if window is None else f"{window.count} per {window.seconds:g} s"


def flood_figures(run: Run, out: Report) -> None:
    """The group's busiest minutes, and the 429s: met by a handler, or waited out."""
    limits = FloodLimits.telegram()
    sent = [e for e in run.history if e.from_bot and e.kind != "deleted"]
    group = [e for e in sent if e.chat_id == GROUP]
    for phase, events in (
        ("collection", [e for e in group if e.at < run.marks.reveal]),
        ("reveal and vote", [e for e in group if e.at >= run.marks.reveal]),
        ("whole workshop", group),
    ):
        most = busiest(events, 60.0)
        line = f"group messages per minute, {phase}: {most} messages (goal ≤ {MAX_PER_MINUTE}"
        line += f", counting edits; the sandbox's window: {window_text(limits.per_group)})"
        out.goal(f"group messages per minute, {phase}", most > MAX_PER_MINUTE, line)
    retry, errors = sum(isinstance(e, RetryAfter) for e in run.bot.errors), len(run.bot.errors)
    line = (
        f"429 answers reaching a handler as errors: {retry} (goal 0; errors of any kind: {errors})"
    )
    out.goal("429 errors", retry > 0, line)
    private = dict(Counter(run.refusals) - Counter(run.group_refusals)) or 0
    stats = run.bot.services.outbox.stats if run.bot.services.outbox else OutboxStats()
    print(
        f"429 answers from the sandbox: {sum(run.refusals.values())} (for information, waited "
        f"out; in the group {dict(run.group_refusals) or 0}, the outbox met "
        f"{stats.retried_after}; in private chats {private})"
    )
    chats = {e.chat_id for e in sent if e.chat_id != GROUP}
    one_chat = max(busiest([e for e in sent if e.chat_id == c], 3.0) for c in chats)
    print(
        f"bot's busiest second: {busiest(sent, 1.0)} messages (for information; the sandbox's "
        f"window: {window_text(limits.per_bot)}); a private chat's busiest 3 s: {one_chat} "
        f"(window: {window_text(limits.per_chat)})"
    )
    print(
        f"group outbox: {stats.sends} sends, {stats.edits} edits, {stats.coalesced} coalesced, "
        f"{stats.failures} failures (for information)"
    )


def collection_figures(run: Run, out: Report) -> None:
    marks, expected = run.marks, sum(len(plan) for plan in run.plans.values())
    line = f"items stored: {marks.items_stored} of {expected} items (goal: all)"
    out.goal("items stored", marks.items_stored != expected, line)
    latencies = ack_latencies(run.history, run.plans)
    line = f"private acknowledgements: {len(latencies)} of {expected} items (goal: all)"
    out.goal("acknowledgements", len(latencies) != expected, line)
    latencies = latencies or [float("inf")]
    p50, p99 = (percentile(latencies, q) * 1000 for q in (50, 99))
    print(f"acknowledgement latency p50: {p50:,.0f} ms")
    line = f"acknowledgement latency p99: {p99:,.0f} ms (goal ≤ {MAX_ACK_P99_MS:,.0f} ms; "
    out.goal("ack p99", p99 > MAX_ACK_P99_MS, line + f"slowest {max(latencies) * 1000:,.0f} ms)")
    lag = board_lag(run)
    line = f"last item to the final board: {'never' if lag is None else f'{lag:.1f}'} s "
    line += f"(goal ≤ {MAX_BOARD_LAG_S:.0f} s; the final counts: {marks.final_counts})"
    out.goal("last item to the final board", lag is None or lag > MAX_BOARD_LAG_S, line)


def vote_figures(run: Run, out: Report) -> None:
    marks, votes, renders = run.marks, len(run.plans) * BUDGET, run.bot.worker.renders
    line = f"votes stored: {marks.votes_stored} of {votes} votes, {marks.voters_stored} voters "
    failed = marks.votes_stored != votes or marks.voters_stored != len(run.plans)
    out.goal("votes stored", failed, line + "(goal: all, read back after the close)")
    if len(renders) != 1:
        out.goal("matrix renders", True, f"matrix renders: {len(renders)} (goal 1)")
        return
    render, render_ms = renders[0], renders[0].seconds * 1000
    line = f"matrix render time: {render_ms:,.0f} ms (goal ≤ {MAX_RENDER_MS:,.0f} ms; this run's "
    line += "results through the bot's worker, from the call to the bytes"
    cold = "; it started the worker)" if render.after_lists == 0 else ")"
    out.goal("matrix render time", render_ms > MAX_RENDER_MS, line + cold)
    within = f"(goal ≤ {MAX_STALL_MS:.0f} ms; in the bot's process, "
    line = f"longest event-loop stall while the matrix renders: {render.stall_ms:.1f} ms "
    out.goal("stall", render.stall_ms > MAX_STALL_MS, line + within + "around its render)")
    # For information: the close also commits the totals, posts the text and edits the board,
    # none of which is the drawing the goal is about.
    print(
        f"longest event-loop stall over the whole close of the vote: {marks.close_stall_ms:.1f} ms "
        "(for information: from the tap to the results in the group, drawing included)"
    )
    print(
        f"longest event-loop stall drawing this matrix on the loop's thread: "
        f"{run.on_loop_ms:,.0f} ms (for information: what the worker spares the loop)"
    )


def report(run: Run) -> list[str]:
    """Prints the figures; returns the goals missed."""
    out = Report()
    flood_figures(run, out)
    collection_figures(run, out)
    vote_figures(run, out)
    stuck = run.marks.stuck
    out.goal("stuck", stuck > 0, f"members stuck waiting for an answer: {stuck} (goal 0)")
    return out.missed


def main(argv: Sequence[str]) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--members", type=int, default=MEMBERS)
    parser.add_argument("--seconds", type=float, default=SECONDS, help="of the collection")
    parser.add_argument("--seed", type=int, default=18)
    args = parser.parse_args(argv)
    problems = Problems()
    logging.getLogger().addHandler(problems)
    with tempfile.TemporaryDirectory(prefix="bench-swot-") as tmp:
        settings = Settings(
            _env_file=None,  # pydantic-settings' init-only option: ignore any .env here
            bot_token=SecretStr(SandboxConfig().token),
            database_path=Path(tmp) / "bilan.db",
            sqlite_synchronous="FULL",  # durable, whatever the environment says
        )  # rate_limiter left at its default (on), as in production
        with sandbox_process(Path(tmp) / "sandbox.log") as url:
            run = asyncio.run(workshop(settings, url, args.members, args.seconds, args.seed))
    items = sum(len(plan) for plan in run.plans.values())
    print(
        f"workshop: {len(run.plans)} members, {items} items over {args.seconds:.0f} s, then "
        f"{len(run.plans) * BUDGET} votes; {run.seconds:.0f} s in all (for information)"
    )
    missed = report(run)
    print(f"warnings logged by the bot: {len(problems.records)} (goal 0)")
    if problems.records:
        first = problems.records[0]
        missed.append(f"{len(problems.records)} warnings logged, first: {first.getMessage()}")
    if missed:
        sys.exit("guard failed: " + "; ".join(missed))


if __name__ == "__main__":
    main(sys.argv[1:])
