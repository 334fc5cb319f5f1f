"""The demo's second part: the group runs a SWOT after the questionnaire.

Rule: as in `console/demo.py`, users are played through the sandbox's control API and only what
the chats contain is printed. Three members write items in private, the group's board counts
them, Fatou reveals them, merges two look-alikes, opens the vote, the members vote blind, she
closes it: the matrix picture is downloaded from the sandbox and saved next to the transcript.
She then turns two top items into actions, and the group lists them with /actions.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from console.demo import Stage

FATOU, ANA, BRAM, CHLOE = 101, 201, 202, 203
GROUP = -1001
ITEMS: dict[int, list[tuple[str, str]]] = {  # quadrant letter, text
    ANA: [
        ("s", "Bonne finition des pièces"),
        ("s", "L'atelier partagé permet de petites séries"),
        ("w", "Les coûts réels dépassent le prévisionnel"),
        ("o", "Appels à projets Shifting Economy"),
    ],
    BRAM: [
        ("s", "bonne finition des pièces"),
        ("w", "Levertermijnen zijn moeilijk te halen"),
        ("t", "Prijzen van fast fashion"),
    ],
    CHLOE: [
        ("s", "Des clients fidèles au marché"),
        ("o", "Cadeaux d'entreprise en textile upcyclé"),
        ("t", "Fin du subside de l'atelier"),
    ],
}
# The ➕ buttons each one taps: (quadrant tab, the item's number on that page).
VOTES: dict[int, list[tuple[int, str]]] = {
    ANA: [(0, "1"), (0, "1"), (1, "1"), (2, "2"), (3, "1")],
    BRAM: [(0, "2"), (1, "1"), (1, "2"), (3, "2")],
    CHLOE: [(0, "1"), (2, "1"), (2, "2"), (3, "1")],
}


async def play_swot(stage: Stage, output: Path) -> list[Path]:
    """The SWOT in the group; returns the files it saved."""
    client = stage.client
    await client.send_command(FATOU, "swot", chat_id=GROUP)
    await stage.show(GROUP, "A SWOT in the group: Fatou sends /swot")
    await stage.tap(FATOU, "Y", chat_id=GROUP)
    await stage.show(GROUP, "The question becomes the live board")
    board = next(m for m in reversed(await client.messages(GROUP)) if m.buttons)
    for member, items in ITEMS.items():
        await client.follow_link(member, board, board.buttons[0][0].text)
        await stage.show(member, f"{stage.name(member)} writes items in private")
        current = None
        for letter, text in items:
            if letter != current:  # the quadrant stays chosen for the next messages
                await stage.tap(member, "q", letter)
                current = letter
            await client.send_text(member, text)
            await stage.show(member)
    await asyncio.sleep(3.5)  # the board is edited at most once every 3 s
    await client.wait_idle(quiet=0.25)
    edits = await client.edits_of(GROUP, board.message_id)
    print(
        f"\n(the board was edited {len(edits)} times while {sum(map(len, ITEMS.values()))} items came in)"
    )
    await stage.show_board(GROUP, board.message_id, "The board in the group, now")
    await stage.tap(FATOU, "R", chat_id=GROUP)
    await stage.show(FATOU, "Fatou reveals the items (she confirms in private)")
    await stage.tap(FATOU, "r")
    await stage.show(GROUP, "The items, revealed in the group, without names")
    await stage.tap(FATOU, "g", chat_id=GROUP)
    await stage.show(FATOU, "Fatou asks for look-alikes and merges them")
    await stage.tap(FATOU, "a")
    await stage.show(FATOU)
    await stage.tap(FATOU, "v", "5.3")
    await stage.show(FATOU, "Fatou opens the vote: 5 dots each, at most 3 on one item")
    for member, taps in VOTES.items():
        await stage.show(
            member, f"{stage.name(member)} votes in private (only they see their dots)"
        )
        tab = 0
        for quadrant, number in taps:
            if quadrant != tab:
                await stage.tap(member, "b", f"{quadrant}:0")
                tab = quadrant
            await stage.tap_text(member, f"➕ {number}.")
        await stage.show(member)
        ballot = [m for m in await client.messages(member) if m.from_bot][-1]
        await stage.show_board(member, ballot.message_id, f"{stage.name(member)}'s ballot, now")
    await stage.tap(FATOU, "C", chat_id=GROUP)
    await stage.tap(FATOU, "c")
    # Drawn in a worker process: the sandbox sees nothing until the photo is sent.
    await client.wait_for_message(
        GROUP, lambda m: m.photo is not None, since_last_action=False, timeout=30
    )
    await client.wait_idle(quiet=0.25)
    await stage.show(GROUP, "Fatou closes the vote: the matrix, and the same as text")
    saved = await _save_pictures(stage, output)
    await stage.show(FATOU, "Fatou turns top items into actions")
    await stage.tap(FATOU, "A", "")  # the first top item
    await stage.tap(FATOU, "T")
    await stage.tap(FATOU, "o", str(ANA))
    await stage.tap(FATOU, "w", "14")
    await stage.show(FATOU)
    await stage.tap(FATOU, "A")
    await client.send_text(FATOU, "Préparer le dossier Shifting Economy")
    await stage.tap(FATOU, "o", str(CHLOE))
    await stage.tap(FATOU, "w", "30")
    await stage.show(FATOU)
    await stage.show(ANA, "Ana is told she owns an action")
    await client.send_command(ANA, "actions", chat_id=GROUP)
    await stage.show(GROUP, "/actions in the group")
    stage.end_section()
    return saved


async def _save_pictures(stage: Stage, output: Path) -> list[Path]:
    saved: list[Path] = []
    for message in await stage.client.messages(GROUP):
        if message.from_bot and message.photo:
            data = await stage.client.download(message.photo)
            path = output / f"swot-{len(saved) + 1}.png"
            path.write_bytes(data)
            saved.append(path)
    return saved
