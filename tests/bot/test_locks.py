"""Per-chat locks: one chat's updates in order, other chats free, re-entry for the holder."""

from __future__ import annotations

import asyncio

from bot.locks import ChatLocks


async def test_one_chat_waits_other_chats_do_not_and_the_holder_may_reenter() -> None:
    locks = ChatLocks()
    order: list[str] = []

    async def first() -> None:
        async with locks.hold(1):
            order.append("first in")
            async with locks.hold(1):  # re-entry by the holder does not deadlock
                await asyncio.sleep(0.01)
            order.append("first out")

    async def second() -> None:
        await asyncio.sleep(0)
        async with locks.hold(1):
            order.append("second")

    async def other_chat() -> None:
        await asyncio.sleep(0)
        async with locks.hold(2):
            order.append("other chat")

    await asyncio.wait_for(asyncio.gather(first(), second(), other_chat()), timeout=2)
    assert order.index("other chat") < order.index("first out")
    assert order.index("second") > order.index("first out")
    assert len(locks) == 0, "idle chats keep no lock"


async def test_a_waiter_cancelled_in_line_leaves_the_lock_to_the_others() -> None:
    locks = ChatLocks()
    release = asyncio.Event()
    got: list[str] = []

    async def holder() -> None:
        async with locks.hold(1):
            await release.wait()

    async def waiter(name: str) -> None:
        async with locks.hold(1):
            got.append(name)

    first = asyncio.create_task(holder())
    await asyncio.sleep(0)
    cancelled = asyncio.create_task(waiter("cancelled"))
    patient = asyncio.create_task(waiter("patient"))
    await asyncio.sleep(0)
    cancelled.cancel()
    release.set()
    await asyncio.wait_for(asyncio.gather(first, patient), timeout=2)
    assert cancelled.cancelled()
    assert got == ["patient"]
    assert len(locks) == 0
