"""The control API through `SandboxClient`: users, groups, actions, reading, waiting, reset."""

from __future__ import annotations

import asyncio
import socket

import httpx
import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup

from sandbox.client import SandboxClient
from sandbox.errors import ControlError, NetworkBlockedError, SandboxTimeoutError
from sandbox.pytest_plugin import is_loopback
from tests.sandbox.test_smoke import tiny_png


async def test_users_and_groups(sandbox_client: SandboxClient) -> None:
    ana = await sandbox_client.create_user("Ana", language_code="nl", username="ana_b")
    ben = await sandbox_client.create_user("Ben", user_id=7)
    assert (ana.language_code, ana.username, ana.started, ben.id) == ("nl", "ana_b", False, 7)
    group = await sandbox_client.create_group("Cohorte", members=[ben.id], admins=[ana.id])
    assert group.id < 0
    assert group.members == (ana.id, ben.id)
    assert group.admins == (ana.id,)
    with pytest.raises(ControlError, match="taken"):
        await sandbox_client.create_user("Bis", user_id=7)
    with pytest.raises(ControlError, match="no user 99"):
        await sandbox_client.create_group("X", members=[99])


async def test_commands_and_mentions_carry_entities(
    sandbox_bot: Bot, sandbox_client: SandboxClient
) -> None:
    ana = await sandbox_client.create_user("Ana")
    await sandbox_client.send_command(ana.id, "start", "swot")
    await sandbox_client.send_text(ana.id, "🙂 /aide et @bilan_sandbox_bot")
    first, second = [u.message for u in await sandbox_bot.get_updates()]
    assert first is not None
    assert second is not None
    assert first.text == "/start swot"
    assert first.parse_entities() == {first.entities[0]: "/start"}
    # offsets count UTF-16 units: the emoji takes two
    assert [(e.type, e.offset) for e in second.entities] == [("bot_command", 3), ("mention", 12)]
    assert sorted(second.parse_entities().values()) == ["/aide", "@bilan_sandbox_bot"]


async def test_user_document_and_photo_reach_the_bot(
    sandbox_bot: Bot, sandbox_client: SandboxClient
) -> None:
    ana = await sandbox_client.create_user("Ana")
    await sandbox_client.send_document(
        ana.id, b"col\n1\n", filename="notes.csv", mime_type="text/csv", caption="mes notes"
    )
    await sandbox_client.send_photo(ana.id, tiny_png())
    doc, photo = [u.message for u in await sandbox_bot.get_updates()]
    assert doc is not None
    assert doc.document is not None
    assert doc.caption == "mes notes"
    assert (doc.document.file_name, doc.document.mime_type) == ("notes.csv", "text/csv")
    data = await (await doc.document.get_file()).download_as_bytearray()
    assert bytes(data) == b"col\n1\n"
    assert photo is not None
    assert photo.photo[-1].height == 2
    with pytest.raises(ControlError, match="PNG, JPEG or GIF"):
        await sandbox_client.send_photo(ana.id, b"nope")


async def test_press_button_by_text_or_data_and_errors(
    sandbox_bot: Bot, sandbox_client: SandboxClient
) -> None:
    ana = await sandbox_client.create_user("Ana", started=True)
    keyboard = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton("Oui", callback_data="y"),
                InlineKeyboardButton("Non", callback_data="n"),
            ],
            [InlineKeyboardButton("Site", url="https://example.org")],
        ]
    )
    sent = await sandbox_bot.send_message(ana.id, "?", reply_markup=keyboard)
    [message] = await sandbox_client.messages(ana.id)
    assert message.button("Site").url == "https://example.org"
    await sandbox_client.press_button(ana.id, message, text="Non")
    await sandbox_client.press_button(ana.id, sent.message_id, data="y")
    assert [u.callback_query.data for u in await sandbox_bot.get_updates() if u.callback_query] == [
        "n",
        "y",
    ]
    with pytest.raises(ControlError, match="buttons:"):
        await sandbox_client.press_button(ana.id, message, text="Peut-être")
    with pytest.raises(ControlError, match="no callback data"):
        await sandbox_client.press_button(ana.id, message, text="Site")


async def test_group_membership_and_polls(sandbox_bot: Bot, sandbox_client: SandboxClient) -> None:
    ana, ben = [await sandbox_client.create_user(n) for n in ("Ana", "Ben")]
    group = await sandbox_client.create_group("G", admins=[ana.id])
    joined = await sandbox_client.join_group(ben.id, group.id)
    assert joined.service == "new_chat_members"
    poll = await sandbox_bot.send_poll(
        group.id, "Date ?", ["lundi", "mardi"], allows_multiple_answers=True
    )
    [seen] = [m for m in await sandbox_client.messages(group.id) if m.poll]
    await sandbox_client.answer_poll(ben.id, seen, [0, 1])
    await sandbox_client.answer_poll(ana.id, seen, [1])
    [after] = [m for m in await sandbox_client.messages(group.id) if m.poll]
    assert after.poll is not None
    assert after.poll.counts == (1, 2)
    left = await sandbox_client.leave_group(ben.id, group.id)
    assert left.service == "left_chat_member"
    with pytest.raises(ControlError, match="not a member"):
        await sandbox_client.send_text(ben.id, "encore là ?", chat_id=group.id)
    await sandbox_bot.stop_poll(group.id, poll.message_id)
    with pytest.raises(ControlError, match="closed"):
        await sandbox_client.answer_poll(ana.id, seen, [0])


async def test_wait_for_message_wakes_on_the_send(
    sandbox_bot: Bot, sandbox_client: SandboxClient
) -> None:
    ana = await sandbox_client.create_user("Ana", started=True)
    waiter = asyncio.create_task(sandbox_client.wait_for_message(ana.id, contains="deux"))
    await sandbox_bot.send_message(ana.id, "un")
    await sandbox_bot.send_message(ana.id, "deux")
    assert (await waiter).text == "deux"


async def test_wait_for_message_times_out_with_what_the_chat_holds(
    sandbox_bot: Bot, sandbox_client: SandboxClient
) -> None:
    ana = await sandbox_client.create_user("Ana", started=True)
    await sandbox_bot.send_message(ana.id, "autre chose")
    with pytest.raises(SandboxTimeoutError, match="autre chose"):
        await sandbox_client.wait_for_message(ana.id, contains="jamais", timeout=0.1)


async def test_wait_for_message_only_counts_replies_after_the_last_action(
    sandbox_bot: Bot, sandbox_client: SandboxClient
) -> None:
    ana = await sandbox_client.create_user("Ana", started=True)
    await sandbox_bot.send_message(ana.id, "ancien")
    await sandbox_client.send_text(ana.id, "salut")
    with pytest.raises(SandboxTimeoutError):
        await sandbox_client.wait_for_message(ana.id, contains="ancien", timeout=0.05)
    old = await sandbox_client.wait_for_message(ana.id, contains="ancien", since_last_action=False)
    assert old.message_id == 1


async def test_reset_forgets_everything_but_update_ids(
    sandbox_bot: Bot, sandbox_client: SandboxClient
) -> None:
    ana = await sandbox_client.create_user("Ana")
    await sandbox_client.send_text(ana.id, "avant")
    [before] = await sandbox_bot.get_updates()
    await sandbox_client.reset()
    assert await sandbox_client.pending_updates() == 0
    assert await sandbox_client.calls() == []
    ana = await sandbox_client.create_user("Ana")
    await sandbox_client.send_text(ana.id, "après")
    [after] = await sandbox_bot.get_updates(offset=before.update_id + 1)
    assert after.update_id > before.update_id


async def test_control_errors_are_explicit(sandbox_client: SandboxClient) -> None:
    with pytest.raises(ControlError, match="no control action"):
        await sandbox_client._call("teleport")
    with pytest.raises(ControlError, match="missing field"):
        await sandbox_client._call("send_text", {"text": "sans auteur"})


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("127.0.0.1", True),
        ("127.8.9.1", True),
        ("::1", True),
        ("localhost", True),
        (None, True),
        ("10.0.0.1", False),
        ("api.telegram.org", False),
        ("8.8.8.8", False),
    ],
)
def test_loopback_hosts(host: str | None, expected: bool) -> None:
    assert is_loopback(host) is expected


def test_offline_guard_refuses_the_internet(sandbox_offline: list[str]) -> None:
    with pytest.raises(NetworkBlockedError):
        socket.getaddrinfo("api.telegram.org", 443)
    with socket.socket() as sock, pytest.raises(NetworkBlockedError):
        sock.connect(("192.0.2.1", 443))
    assert sandbox_offline == ["api.telegram.org", "192.0.2.1"]
    sandbox_offline.clear()  # recorded attempts fail the test at teardown; this one meant them


async def test_offline_guard_catches_httpx(sandbox_offline: list[str]) -> None:
    async with httpx.AsyncClient() as client:
        with pytest.raises(httpx.ConnectError):
            await client.get("https://api.telegram.org/")
    assert sandbox_offline == ["api.telegram.org"]
    sandbox_offline.clear()
