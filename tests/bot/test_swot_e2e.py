"""The group SWOT end to end, through the sandbox with Telegram's flood limits on: collection in
private, the live board, the reveal, a merge, the blind vote with its budget, a restart mid-vote,
the matrix picture, actions and /actions; and, on an anonymous board, no name in the group."""

from __future__ import annotations

import asyncio
import io
import itertools

import pytest
from PIL import Image

from bot.i18n import translator
from flows.board import MemberId
from sandbox.views import ChatMessage
from storage.models import ChatId, CohortId, RoundId, UserId
from tests.bot.conftest import BotWorld

FATOU = 101
MEMBERS = tuple(range(201, 213))  # twelve
GROUP = -1001
en = translator("en")
QUADRANT_BUTTONS = {
    "s": "💪 " + en("Strengths"),
    "w": "🧱 " + en("Weaknesses"),
    "o": "🌱 " + en("Opportunities"),
    "t": "⛈ " + en("Threats"),
}


def name_of(user_id: int) -> str:
    return f"Member{user_id}"


async def _cohort(world: BotWorld) -> CohortId:
    client, repo, now = world.client, world.repo.repo, world.now()
    await client.create_user("Fatou", user_id=FATOU, language_code="en", started=True)
    await repo.upsert_person(UserId(FATOU), "Fatou", "en", now)
    cohort = await repo.create_cohort("Textile", "codeswot", UserId(FATOU), now)
    for user_id in MEMBERS:
        await client.create_user(name_of(user_id), user_id=user_id, language_code="en")
        await repo.upsert_person(UserId(user_id), name_of(user_id), "en", now)
        await repo.add_member(cohort.id, UserId(user_id), "participant", now)
    await client.create_group("Textile", members=MEMBERS, admins=(FATOU,), chat_id=GROUP)
    await repo.bind_chat(ChatId(GROUP), cohort.id, "Textile", "group", now)
    return cohort.id


async def _start_board(world: BotWorld, anonymous: bool) -> ChatMessage:
    await world.client.send_command(FATOU, "swot", chat_id=GROUP)
    choice = en("🕶 Anonymous (recommended)") if anonymous else en("👤 With names")
    await world.tap(FATOU, choice, chat_id=GROUP)
    board = await world.last(GROUP)
    assert en("✍️ Add my items") in board.button_texts
    return board


async def _write(
    world: BotWorld, member: int, board: ChatMessage, items: list[tuple[str, str]]
) -> None:
    await world.client.follow_link(member, board, en("✍️ Add my items"))
    await world.idle()
    for letter, text in items:
        await world.tap(member, QUADRANT_BUTTONS[letter])
        await world.say(member, text)


async def _toast(
    world: BotWorld, user_id: int, text: str, chat_id: int | None = None
) -> str | None:
    query = await world.tap(user_id, text, chat_id)
    return (await world.client.callback_answer(query)).text


async def _plus(world: BotWorld, voter: int, needle: str) -> str:
    """The ➕ button of the item containing `needle`, turning the ballot's pages to find it."""
    for turn in range(3):
        if turn:
            await world.tap(voter, "▸")
        buttons = (await world.last(voter)).button_texts
        found = next((t for t in buttons if t.startswith("➕ ") and needle in t), None)
        if found is not None:
            return found
    raise AssertionError(f"no ➕ for {needle!r} on {voter}'s ballot")


@pytest.mark.e2e
@pytest.mark.slow
async def test_a_whole_swot_in_the_group(world: BotWorld) -> None:
    client = world.client
    cohort_id = await _cohort(world)
    board = await _start_board(world, anonymous=True)
    for index, member in enumerate(MEMBERS):
        items = [("s", f"Strong point {member}"), ("w", f"Weak point {member}")]
        if index == 0:
            items.append(("s", "Bonne finition"))
        if index == 1:
            items.append(("s", "bonne finition"))
        await _write(world, member, board, items)
        acks = [t for t in await world.texts(member) if t.startswith("✓ ")]
        weakness = en("✓ {item} {number} noted.", item=en("Weakness"), number=1)
        assert len(acks) == len(items)
        assert any(ack.startswith(weakness) for ack in acks)
    await asyncio.sleep(5.5)  # the final count shows within 5 s of the last item
    await world.idle()

    edits = await client.edits_of(GROUP, board.message_id)
    assert edits, "the board counted the items"
    gaps = [later.at - earlier.at for earlier, later in itertools.pairwise(edits)]
    assert all(gap >= 2.9 for gap in gaps), gaps
    assert all(a.text != b.text for a, b in itertools.pairwise(edits))
    assert "S 14 · W 12 · O 0 · T 0 — 12/13 members" in edits[-1].text, edits[-1].text
    assert sum((await client.flood_refusals(GROUP)).values()) == 0

    # The reveal: a facilitator's tap in the group, confirmed in private.
    assert await _toast(world, MEMBERS[0], en("👁 Reveal (facilitators)"), GROUP) == en(
        "Sorry, only the facilitators of this cohort can do that."
    )
    await world.tap(FATOU, en("👁 Reveal (facilitators)"), GROUP)
    await world.tap(FATOU, en("👁 Yes, reveal"))
    revealed = [m.content for m in await client.messages(GROUP) if m.from_bot]
    assert any("Strong point 201" in text for text in revealed)

    # Grouping: the two "finition" items are proposed and merged.
    await world.tap(FATOU, en("🔗 Group look-alikes (facilitators)"), GROUP)
    proposal = await world.last(FATOU)
    assert "Bonne finition" in proposal.content
    assert "bonne finition" in proposal.content
    await world.tap(FATOU, en("✓ Merge"))
    found = await world.repo.repo.active_board_of_cohort(cohort_id)
    assert found is not None
    merged = [item for item in found.state.items.values() if item.merged_into is not None]
    assert len(merged) == 1

    # The vote: 5 dots, at most 3 on one item; the 4th on one item and the 6th are refused.
    await world.tap(FATOU, en("🗳 {budget} dots each, at most {most} per item", budget=5, most=3))
    voter = MEMBERS[2]
    ballot = await world.last(voter)
    assert en("Your ballot") in ballot.content
    first = await _plus(world, voter, "onne finition")
    for _ in range(3):
        await world.tap(voter, first)
    assert await _toast(world, voter, first) == en(
        "That is the most dots one person can put on one item."
    )
    second = await _plus(world, voter, "Strong point")
    await world.tap(voter, second)
    await world.tap(voter, second)
    assert await _toast(world, voter, second) == en(
        "You have no dots left: take one off an item first."
    )
    other = MEMBERS[3]
    await world.tap(other, await _plus(world, other, "onne finition"))

    # A restart mid-vote keeps every vote.
    before = await world.repo.repo.get_board(found.round_id)
    assert before is not None
    await world.stop()
    await world.start()
    after = await world.repo.repo.get_board(found.round_id)
    assert after is not None
    assert after.state.ballots == before.state.ballots
    assert sum(after.state.ballots[MemberId(voter)].values()) == 5

    # Closing the vote: the matrix picture, downloaded and decoded, and the same as text.
    await world.tap(FATOU, en("🏁 Close the vote (facilitators)"), GROUP)
    await world.tap(FATOU, en("🏁 Yes, close the vote"))
    # Drawn in the worker process: the sandbox sees nothing of it until the photo is sent.
    await client.wait_for_message(GROUP, lambda m: m.photo is not None, since_last_action=False)
    await world.idle()
    pictures = [m for m in await client.messages(GROUP) if m.from_bot and m.photo is not None]
    assert len(pictures) == 1
    image = Image.open(io.BytesIO(await client.download(pictures[0].photo)))  # type: ignore[arg-type]
    assert image.format == "PNG"
    assert image.width >= 800
    assert image.height >= 600
    results = (await world.last(GROUP)).content
    # The group keeps the text of one of the two (on an anonymous board, no order tells which).
    assert "onne finition (×2) — " + en.plural("{count} vote", "{count} votes", 4) in results
    assert en.plural("{count} person voted.", "{count} people voted.", 2) in results

    # Two actions, listed by /actions.
    await world.tap(
        FATOU, next(t for t in (await world.last(FATOU)).button_texts if t.startswith("📌 "))
    )
    await world.tap(FATOU, en("✓ Keep this title"))
    await world.tap(FATOU, name_of(MEMBERS[0]))
    await world.tap(FATOU, en("No due date"))
    await world.tap(FATOU, en("📌 Another action"))
    await world.say(FATOU, "Call the Shifting Economy desk")
    await world.tap(FATOU, name_of(MEMBERS[1]))
    await world.tap(FATOU, (await world.last(FATOU)).button_texts[0])
    told = await world.last(MEMBERS[1])
    assert "Call the Shifting Economy desk" in told.content
    await client.send_command(MEMBERS[4], "actions", chat_id=GROUP)
    listing = (await world.last(GROUP)).content
    assert "Call the Shifting Economy desk" in listing
    assert name_of(MEMBERS[1]) in listing
    stored = await world.repo.repo.actions_of_cohort(cohort_id)
    assert len(stored) == 2
    # Only its owner marks an action done.
    assert await _toast(world, MEMBERS[1], en("✓ Done")) == en("Marked done. Thank you!")
    statuses = {a.title: a.status for a in await world.repo.repo.actions_of_cohort(cohort_id)}
    assert statuses["Call the Shifting Economy desk"] == "done"
    assert list(statuses.values()).count("open") == 1

    # Anonymous: no author's name in any group message, then or now.
    history = await client.history(GROUP, from_bot=True)
    for event in history:
        if "/actions" in event.text or event.text == listing:
            continue
        assert not any(name_of(m) in event.text for m in MEMBERS), event.text
    stored_items = await world.repo.repo.get_board(RoundId(found.round_id))
    assert stored_items is not None
    assert all(item.author is None for item in stored_items.state.items.values())


@pytest.mark.e2e
async def test_a_board_with_names_from_open_with_items_edited_and_deleted(world: BotWorld) -> None:
    client = world.client
    cohort_id = await _cohort(world)
    ana, bram = MEMBERS[0], MEMBERS[1]
    await client.send_command(ana, "swot", chat_id=GROUP)
    assert (await world.last(GROUP)).content == en(
        "Sorry, only the facilitators of this cohort can do that."
    )
    await client.send_command(FATOU, "open")
    await world.tap(FATOU, "SWOT of our collective offer")
    await world.tap(FATOU, en("👤 With names"))
    assert (await world.last(FATOU)).content == en(
        "The SWOT board is posted in the group. Its buttons run the workshop."
    )
    board = await world.last(GROUP)
    assert en("👤 With names: the group sees who wrote each item.") in board.content

    await client.follow_link(ana, board, en("✍️ Add my items"))
    await world.say(ana, "Fidèles clientes")  # no quadrant chosen yet: the bot asks which
    assert (
        en("Which quadrant for “{text}”?", text="Fidèles clientes")
        in (await world.last(ana)).content
    )
    await world.tap(ana, QUADRANT_BUTTONS["s"])
    await world.say(ana, "Une typo ici")
    await world.tap(ana, en("📝 My items"))
    await world.tap(ana, "✏️ " + en("Strength") + " 2")
    await world.say(ana, "Un atelier partagé")
    await world.tap(ana, "🗑 " + en("Strength") + " 1")
    await world.tap(ana, en("Yes, delete it"))
    assert "Fidèles clientes" not in (await world.last(ana)).content
    await _write(world, bram, board, [("t", "La fast fashion")])

    found = await world.repo.repo.active_board_of_cohort(cohort_id)
    assert found is not None
    assert sorted(i.text for i in found.state.items.values()) == [
        "La fast fashion",
        "Un atelier partagé",
    ]

    await world.tap(FATOU, en("👁 Reveal (facilitators)"), GROUP)
    await world.tap(FATOU, en("👁 Yes, reveal"))
    revealed = " ".join(m.content for m in await client.messages(GROUP) if m.from_bot)
    assert f"Un atelier partagé — {name_of(ana)}" in revealed
    assert f"La fast fashion — {name_of(bram)}" in revealed
    await client.send_command(bram, "start", f"w{found.round_id}")
    assert (await world.last(bram)).content == en("The collection of this SWOT is closed.")


@pytest.mark.e2e
async def test_a_quadrant_too_long_for_a_message_is_revealed_as_a_picture(world: BotWorld) -> None:
    client = world.client
    await _cohort(world)
    board = await _start_board(world, anonymous=True)
    for member in MEMBERS[:6]:
        texts = [f"{member}-{n} " + "longue idée " * 14 for n in range(4)]  # ~175 characters
        await _write(world, member, board, [("o", text.strip()) for text in texts])
    await world.tap(FATOU, en("👁 Reveal (facilitators)"), GROUP)
    await world.tap(FATOU, en("👁 Yes, reveal"))
    await client.wait_for_message(GROUP, lambda m: m.photo is not None, since_last_action=False)
    await world.idle()
    shown = [m for m in await client.messages(GROUP) if m.from_bot]
    [picture] = [m for m in shown if m.photo is not None]
    assert picture.caption == "🌱 " + en("Opportunities") + " (24)"
    image = Image.open(io.BytesIO(await client.download(picture.photo)))  # type: ignore[arg-type]
    assert image.format == "PNG"
    assert image.height > image.width / 2  # a list, not a banner
    assert all(len(m.content) <= 4096 for m in shown)
    assert sum(1 for m in shown if m.content.startswith(("💪", "🧱", "⛈"))) == 3


@pytest.mark.e2e
async def test_a_board_is_not_a_questionnaire_and_not_now_changes_nothing(world: BotWorld) -> None:
    client = world.client
    cohort_id = await _cohort(world)
    board = await _start_board(world, anonymous=True)
    found = await world.repo.repo.active_board_of_cohort(cohort_id)
    assert found is not None
    member = MEMBERS[0]
    await client.send_command(member, "start")  # no link: the board's round is no questionnaire
    assert await world.repo.repo.session_of(found.round_id, UserId(member)) is None
    await client.send_command(member, "start", f"r{found.round_id}")  # a questionnaire's link
    assert await world.repo.repo.session_of(found.round_id, UserId(member)) is None
    assert (
        en("Choose a quadrant, then send one idea per message.")
        in (await world.last(member)).content
    ), "the link opens the board's collection instead"

    await world.tap(FATOU, en("👁 Reveal (facilitators)"), GROUP)
    query = await world.tap(FATOU, en("Not now"))
    assert (await client.callback_answer(query)).text == en("Cancelled: nothing was changed.")
    assert (await world.last(FATOU)).buttons == ()
    still = await world.repo.repo.get_board(found.round_id)
    assert still is not None
    assert still.state.phase == "collecting"
    assert en("✍️ Add my items") in (await world.last(GROUP)).button_texts
    assert board.message_id == (await world.last(GROUP)).message_id
