"""The story the file attacks read: an anonymous round of a cohort, then a person forgotten.

Rule: the story goes through the public repository API only, as the bot drives it (the real
engine steps a flow loaded from YAML; `_commit` of `bot/survey.py` is copied in `Driver.event`),
and copies the files aside at the moments an attacker could take them. The ground truth (whose
free text is which, who finished when) is kept here and never written to the database.
"""

from __future__ import annotations

import random
import secrets
import shutil
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from flows.effects import Finish, RecordAnswer, RetractAnswer
from flows.engine import step
from flows.events import (
    Cancelled,
    EditRequested,
    Event,
    OptionPicked,
    Started,
    Submitted,
    TextReceived,
    TimedOut,
)
from flows.loader import load_flow_text, source_hash
from flows.schema import Flow, StepId
from flows.state import SessionState
from storage import (
    AnswerWrite,
    CohortId,
    Round,
    SessionId,
    SessionStatus,
    SqliteRepository,
    UpdateId,
    UserId,
    backup_database,
    open_repository,
)

ANONYMOUS_FLOW = """
id: bilan_atelier
version: 1
title: {fr: Bilan de l'atelier}
languages: [fr]
anonymous: true
review: true
steps:
  - id: format
    kind: choice
    text: {fr: Quel format vous a le plus aidé ?}
    options:
      - {id: atelier, label: {fr: Atelier collectif}}
      - {id: coaching, label: {fr: Coaching individuel}}
      - {id: visite, label: {fr: Visite de terrain}}
  - id: remark
    kind: text
    text: {fr: Une remarque pour l'équipe ?}
  - id: score
    kind: scale
    min: 1
    max: 5
    text: {fr: Votre note pour le programme ?}
"""

NAMED_FLOW = """
id: suivi_projet
version: 1
title: {fr: Suivi de projet}
languages: [fr]
review: true
steps:
  - id: project
    kind: text
    text: {fr: Où en est votre projet ?}
  - id: need
    kind: text
    text: {fr: De quoi avez-vous besoin ?}
"""

DAY0 = datetime(2025, 3, 3, 14, 0, tzinfo=UTC)  # the workshop, a Monday afternoon
FACILITATOR = UserId(1_234_567_890)
# The person who asks to be forgotten: a Telegram id above 2**32, which a record stores in 6 bytes.
FORGOTTEN = UserId(7_318_492_271)
FORGOTTEN_NAME = "Zéphyrine Quaglieri-Oyelaran"
FORGOTTEN_ORG = "Coopérative Les Mille Pattes du Brabant"
FIRST_NAMES = (
    "Amélie", "Benoît", "Chloé", "Dries", "Eline", "Fatima", "Gaspard", "Hanne", "Ilias", "Joke",
    "Kenza", "Lotte", "Mehdi", "Nora", "Olivier", "Pieter", "Quentin", "Rania", "Sofie",
    "Thibault", "Ursula", "Victor", "Wout", "Yasmina",
)  # fmt: skip
LAST_NAMES = (
    "Janssens", "Diallo", "Peeters", "Moreau", "Claes", "El Idrissi", "Wouters", "Lambert", "Maes",
    "Dubois", "Jacobs", "Mertens", "Willems", "Lejeune", "Goossens", "Benali", "Vermeulen",
    "Renard", "De Smet", "Hermans", "Laurent", "Van Damme", "Simon", "Aerts",
)  # fmt: skip

Maker = Callable[[SessionState, datetime], Event]


@dataclass(frozen=True, slots=True)
class Participant:
    user: UserId
    name: str
    organisation: str
    ending: str  # submitted, edited (submitted after an edit from the review), cancelled, cut
    started: datetime
    text: str | None  # the free text, unique to the participant; None: never typed one
    text_at: datetime | None
    done_at: datetime | None  # None for the one the closing cuts off


@dataclass
class Files:
    """Copies of the database files taken at one moment: `main`, and `wal` if there was one."""

    folder: Path
    main: Path
    wal: Path | None

    def wal_bytes(self) -> bytes:
        return self.wal.read_bytes() if self.wal is not None and self.wal.exists() else b""


@dataclass
class Story:
    participants: tuple[Participant, ...]
    anonymous: Round
    during: Files  # after the round closed and its backup, the repository still open
    anonymous_backup: Path
    before_forget: Files  # the named round answered, the repository open
    after_forget: Files  # the repository still open
    forget_backup: Path  # by `repo.backup`, right after the forget
    closed: Files  # after closing the repository
    closed_backup: Path  # by `backup_database`, after the close
    forgotten_texts: tuple[str, ...]

    @property
    def scored(self) -> tuple[Participant, ...]:
        """Those who sent their answers: the promise is about their answers."""
        return tuple(p for p in self.participants if p.ending in ("submitted", "edited"))


@dataclass
class Driver:
    """Steps sessions with the real engine and commits them as `bot/survey.py` does."""

    repo: SqliteRepository
    flows: Mapping[str, Flow]
    update: int = 731_000_000
    clock: datetime = DAY0

    async def start(self, round_: Round, user: UserId, at: datetime) -> SessionId:
        flow = self.flows[round_.flow_id]
        state = SessionState.new(flow.id, flow.version, "fr")
        session = await self.repo.start_session(round_.id, user, state, flow.version, at)
        await self.event(session.id, Started(at=at))
        return session.id

    async def event(self, session_id: SessionId, event: Event | Maker) -> None:
        session = await self.repo.get_session(session_id)
        assert session is not None
        if not isinstance(event, Event):
            event = event(session.state, self.clock)
        outcome = step(self.flows[session.state.flow_id], session.state, event)
        status: SessionStatus = session.status
        recorded, retracted = [], []
        for effect in outcome.effects:
            if isinstance(effect, RecordAnswer):
                recorded.append(AnswerWrite(effect.step, effect.value, effect.detail))
            elif isinstance(effect, RetractAnswer):
                retracted.append(effect.step)
            elif isinstance(effect, Finish):
                status = effect.outcome
        state = outcome.state  # the real final state: the storage decides what to keep of it
        self.update += 1  # Telegram numbers the updates it sends the bot one after the other
        await self.repo.apply_step(
            UpdateId(self.update), session.id, state, recorded, retracted, event.at, status=status
        )


def _pick(option: str) -> Maker:
    return lambda state, at: OptionPicked(option, state.revision, at)


def _type(text: str) -> Maker:
    return lambda _, at: TextReceived(text, at)


def _submit(state: SessionState, at: datetime) -> Event:
    return Submitted(state.revision, at)


def _edit(step_id: str) -> Maker:
    return lambda state, at: EditRequested(StepId(step_id), state.revision, at)


def _cancel(_: SessionState, at: datetime) -> Event:
    return Cancelled(at)


# The days (after the workshop's) on which the others start, and how their sessions end. Most
# answer alone on their day; on days 3 and 7 a second one starts while the first is answering.
LATER = (
    (1, "submitted"), (2, "submitted"), (3, "submitted"), (3, "cancelled"), (4, "submitted"),
    (5, "submitted"), (6, "submitted"), (7, "submitted"), (7, "submitted"), (8, "submitted"),
    (9, "submitted"), (10, "submitted"), (11, "submitted"), (12, "submitted"),
    (13, "submitted"), (14, "cut"),
)  # fmt: skip
RESTART = DAY0.replace(hour=7) + timedelta(days=4)  # a deploy, before anyone answers that day
CLOSE = DAY0.replace(hour=18) + timedelta(days=14)  # the deadline


def _schedule(rng: random.Random) -> list[tuple[datetime, str]]:
    """(start, ending) of the 24 participants: eight at the workshop, two minutes apart, one
    of whom edits an answer from the review; then the others, on the days of `LATER`."""
    starts = [
        (DAY0 + timedelta(minutes=2 * k + rng.uniform(0, 1)), "edited" if k == 3 else "submitted")
        for k in range(8)
    ]
    for n, (day, ending) in enumerate(LATER):
        if n and LATER[n - 1][0] == day:
            start = starts[-1][0] + timedelta(minutes=3)
        elif ending == "cut":
            start = CLOSE - timedelta(minutes=8)
        else:
            start = DAY0.replace(hour=8) + timedelta(days=day, hours=rng.uniform(0, 10))
        starts.append((start, ending))
    return starts


def _plan(rng: random.Random, ending: str, text: str) -> list[tuple[float, Maker]]:
    """Minutes after the start, and the event then."""
    choice = rng.choice(("atelier", "coaching", "visite"))
    score = str(rng.randint(1, 5))
    pace = rng.choice((0.3, 1.0, 3.0))  # some answer at once, some think it over
    gaps = [pace * rng.uniform(0.5, 4.0) for _ in range(6)]
    if ending == "cancelled":
        return [(gaps[0], _pick(choice)), (gaps[0] + gaps[1], _cancel)]
    if ending == "cut":  # one answer, before the deadline
        return [(min(gaps[0], 6.0), _pick(choice))]
    makers: list[Maker] = [_pick(choice), _type(text), _pick(score)]
    if ending == "edited":  # from the review: another format, then back to the review
        makers += [_edit("format"), _pick("visite" if choice != "visite" else "atelier")]
    makers.append(_submit)
    times = [sum(gaps[: k + 1]) for k in range(len(makers))]
    return list(zip(times, makers, strict=True))


def _people(rng: random.Random) -> list[tuple[UserId, str, str]]:
    """Telegram ids (ten digits, as most are now), distinct names and organisations."""
    ids = rng.sample(range(5_000_000_000, 7_000_000_000), len(FIRST_NAMES))
    return [
        (UserId(user), f"{first} {last}", f"ASBL {last} & co")
        for user, first, last in zip(ids, FIRST_NAMES, LAST_NAMES, strict=True)
    ]


def _snapshot(path: Path, folder: Path) -> Files:
    folder.mkdir()
    for suffix in ("", "-wal", "-shm"):
        source = path.with_name(path.name + suffix)
        if source.exists():
            shutil.copyfile(source, folder / source.name)
    wal = folder / f"{path.name}-wal"
    return Files(folder, folder / path.name, wal if wal.exists() else None)


async def _setup(repo: SqliteRepository, people: list[tuple[UserId, str, str]]) -> Round:
    at = DAY0 - timedelta(days=7)
    await repo.upsert_person(FACILITATOR, "Fatou Ndiaye", "fr", at)
    cohort = await repo.create_cohort("Coopératives 2025", "COOP25", FACILITATOR, at)
    for text in (ANONYMOUS_FLOW, NAMED_FLOW):
        flow = load_flow_text(text, "story.yaml")
        await repo.register_flow(
            flow.id,
            flow.version,
            source_hash(text),
            flow.title.resolve("fr", "fr"),
            at,
            definition_json=flow.model_dump_json(),
        )
    for n, (user, name, organisation) in enumerate(people):
        joined = at + timedelta(hours=1, minutes=n)
        await repo.upsert_person(user, name.split()[0], "fr", joined)
        await repo.join_cohort(
            cohort.id, user, "participant", name, organisation, "fr", joined, UpdateId(700_000 + n)
        )
    return await repo.open_round(
        cohort.id, "bilan_atelier", 1, True, FACILITATOR, DAY0 - timedelta(minutes=10), CLOSE
    )


async def build(folder: Path) -> Story:
    """Play the whole story in `folder`; deterministic but for the free texts' random parts."""
    rng = random.Random(20250303)
    path = folder / "bilan.db"
    loaded = (load_flow_text(text, "story.yaml") for text in (ANONYMOUS_FLOW, NAMED_FLOW))
    flows = {str(flow.id): flow for flow in loaded}
    people = _people(rng)
    people.append((FORGOTTEN, FORGOTTEN_NAME, FORGOTTEN_ORG))
    driver = Driver(await open_repository(path), flows)
    round_ = await _setup(driver.repo, people)
    participants: list[Participant] = []
    events: list[tuple[datetime, int, Maker | None]] = []
    for k, (start, ending) in enumerate(_schedule(rng)):
        # Unique, and all of one length: the text itself must not say whose it is.
        text = f"remarque {secrets.token_hex(4)} : plus de temps pour les échanges"
        plan = _plan(rng, ending, text)
        typed = ending in ("submitted", "edited")
        user, name, organisation = people[k]
        participants.append(
            Participant(
                user,
                name,
                organisation,
                ending,
                start,
                text if typed else None,
                start + timedelta(minutes=plan[1][0]) if typed else None,
                None if ending == "cut" else start + timedelta(minutes=plan[-1][0]),
            )
        )
        events.append((start, k, None))
        events.extend((start + timedelta(minutes=m), k, maker) for m, maker in plan)
    sessions: dict[int, SessionId] = {}
    for at, k, maker in sorted(events, key=lambda e: (e[0], e[1])):
        if driver.clock < RESTART <= at:
            await driver.repo.close()
            driver.repo = await open_repository(path)
        driver.clock = at
        if maker is None:
            sessions[k] = await driver.start(round_, participants[k].user, at)
        else:
            await driver.event(sessions[k], maker)
    driver.clock = CLOSE
    closed = await driver.repo.close_round(round_.id, CLOSE)
    for session in await driver.repo.active_sessions_of_round(round_.id):
        await driver.event(session.id, TimedOut(CLOSE))
    anonymous_backup = folder / "anonymous-backup.db"
    await driver.repo.backup(anonymous_backup)
    during = _snapshot(path, folder / "during")
    forgotten_texts = await _named_round(driver, round_.cohort_id, participants[:2])
    before_forget = _snapshot(path, folder / "before-forget")
    await driver.repo.forget_person(FORGOTTEN, driver.clock + timedelta(minutes=1))
    forget_backup = folder / "forget-backup.db"
    await driver.repo.backup(forget_backup)
    after_forget = _snapshot(path, folder / "after-forget")
    await driver.repo.close()
    closed_files = _snapshot(path, folder / "closed")
    closed_backup = folder / "closed-backup.db"
    await backup_database(path, closed_backup)
    return Story(
        tuple(participants),
        closed,
        during,
        anonymous_backup,
        before_forget,
        after_forget,
        forget_backup,
        closed_files,
        closed_backup,
        forgotten_texts,
    )


async def _named_round(
    driver: Driver, cohort_id: CohortId, others: Sequence[Participant]
) -> tuple[str, ...]:
    """A named round a week later, in which the person to forget writes about her project, edits
    an answer from the review, and submits, as two others do; then she asks to be forgotten."""
    repo, at = driver.repo, CLOSE + timedelta(days=7)
    named = await repo.open_round(cohort_id, "suivi_projet", 1, False, FACILITATOR, at)
    token = secrets.token_hex(4)
    texts = (
        f"Atelier vélo {token} : nous ouvrons rue de la Clinique en mai",
        f"Un local plus grand {token}, près de la gare du Midi",
        f"Un prêt de 15 000 euros {token} pour les outils",
    )
    steps: list[Event | Maker] = [
        _type(texts[0]),
        _type(texts[1]),
        _edit("need"),
        _type(texts[2]),
        _submit,
    ]
    for n, person in enumerate(others):
        driver.clock = at + timedelta(minutes=30 * n)
        session = await driver.start(named, person.user, driver.clock)
        for answer in (_type(f"projet {n} en cours"), _type("un comptable"), _submit):
            driver.clock += timedelta(minutes=2)
            await driver.event(session, answer)
    driver.clock = at + timedelta(hours=2)
    session = await driver.start(named, FORGOTTEN, driver.clock)
    for maker in steps:
        driver.clock += timedelta(minutes=2)
        await driver.event(session, maker)
    driver.clock += timedelta(hours=3)
    await repo.set_dialog(FORGOTTEN, "forget", {"step": "confirm"}, driver.clock)
    return texts
