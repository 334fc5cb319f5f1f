"""Words of the SWOT workshop: the board, the acknowledgements, the reveal, the ballot, results.

Rule: pure functions of the board's state or effects and a translator, like `bot/render.py`: no
Telegram types, no I/O. User text is HTML-escaped here, since replies are sent as HTML. Every
screen names the four quadrants with `quadrant_name`, so they read the same everywhere.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape

from bot.i18n import Translator
from flows.board import (
    QUADRANTS,
    BoardCounts,
    BoardState,
    Item,
    Quadrant,
    RankedItem,
    Refusal,
    RevealedItem,
    display_text,
)

ICONS: dict[Quadrant, str] = {
    "strengths": "💪",
    "weaknesses": "🧱",
    "opportunities": "🌱",
    "threats": "⛈",
}


def quadrant_name(t: Translator, quadrant: Quadrant) -> str:
    names = {
        "strengths": t("Strengths"),
        "weaknesses": t("Weaknesses"),
        "opportunities": t("Opportunities"),
        "threats": t("Threats"),
    }
    return names[quadrant]


def quadrant_one(t: Translator, quadrant: Quadrant) -> str:
    """One item of the quadrant, as in "Strength 3 noted"."""
    names = {
        "strengths": t("Strength"),
        "weaknesses": t("Weakness"),
        "opportunities": t("Opportunity"),
        "threats": t("Threat"),
    }
    return names[quadrant]


def _short_name(t: Translator, quadrant: Quadrant) -> str:
    names = {
        "strengths": t("S (strengths)"),
        "weaknesses": t("W (weaknesses)"),
        "opportunities": t("O (opportunities)"),
        "threats": t("T (threats)"),
    }
    return names[quadrant]


def explanation(t: Translator) -> str:
    return t(
        "Strengths and weaknesses: what is in our hands (product, production, organisation). Opportunities and threats: what comes from outside (market, customers, the ecosystem). One idea per message."
    )


def anonymity_line(t: Translator, anonymous: bool) -> str:
    if anonymous:
        return t(
            "🕶 Anonymous: the group sees the items without names, and once they are revealed nothing stored links them to you."
        )
    return t("👤 With names: the group sees who wrote each item.")


def counts_line(t: Translator, counts: BoardCounts, members: int) -> str:
    """ "S 12 · W 9 · O 4 · T 7 — 23/41 members"."""
    parts = " · ".join(f"{_short_name(t, q)} {counts.per_quadrant.get(q, 0)}" for q in QUADRANTS)
    people = t.plural(
        "{contributors}/{count} member",
        "{contributors}/{count} members",
        members,
        contributors=counts.contributors,
    )
    return f"{parts} — {people}"


def board_text(
    t: Translator, title: str, state: BoardState, counts: BoardCounts, members: int
) -> str:
    """The group's board: what phase the workshop is in and its counts, never an item."""
    lines = [f"<b>📋 {escape(title)}</b>"]
    match state.phase:
        case "collecting":
            lines += [
                explanation(t),
                anonymity_line(t, state.anonymous),
                t("Tap “Add my items” to write yours in private."),
            ]
        case "closed" | "revealed" | "grouping":
            lines.append(t("Collection closed: the items are below."))
        case "voting":
            lines.append(
                t(
                    "The vote is open: {budget} dots each, at most {most} on one item. Nobody sees the totals until the vote closes.",
                    budget=state.budget,
                    most=state.per_item,
                )
            )
        case "results":
            lines.append(t("The vote is closed: the results are below."))
    lines.append("")
    lines.append(counts_line(t, counts, members))
    if state.phase in ("voting", "results"):
        lines.append(
            t.plural("{count} person has voted", "{count} people have voted", counts.voters)
        )
    return "\n".join(lines)


def ack_text(t: Translator, quadrant: Quadrant, number: int) -> str:
    return t("✓ {item} {number} noted.", item=quadrant_one(t, quadrant), number=number)


def refusal_text(t: Translator, reason: Refusal) -> str:
    texts: Mapping[Refusal, str] = {
        "wrong_phase": t("That is not possible at this stage of the SWOT."),
        "unknown_item": t("This item is no longer there."),
        "not_yours": t("You can only change your own items."),
        "empty": t("Please type some text."),
        "too_long": t("That is too long: at most 200 characters, please."),
        "too_many": t("You have reached the most items one person can add."),
        "duplicate_id": t("That did not work: please try again."),
        "budget_spent": t("You have no dots left: take one off an item first."),
        "item_full": t("That is the most dots one person can put on one item."),
        "no_vote": t("You have no dot on this item."),
        "bad_budget": t("That budget is not possible."),
        "unknown_proposal": t("This proposal is no longer current."),
    }
    return texts[reason]


def own_items_text(t: Translator, items: Sequence[Item]) -> str:
    if not items:
        return t("You have not written any item yet.")
    lines = ["<b>" + t("Your items") + "</b>"]
    for quadrant in QUADRANTS:
        mine = [item for item in items if item.quadrant == quadrant]
        if mine:
            lines.append(f"\n{ICONS[quadrant]} <b>{quadrant_name(t, quadrant)}</b>")
            # Shortened: 40 items of 200 characters would not fit in one message.
            lines += [f"{n}. {escape(short(item.text, 90))}" for n, item in enumerate(mine, 1)]
    return "\n".join(lines)


def revealed_text(
    t: Translator,
    quadrant: Quadrant,
    items: Sequence[RevealedItem],
    names: Mapping[int, str],
) -> str:
    """One quadrant's items for the group (names only on a board with names)."""
    heading = f"{ICONS[quadrant]} <b>{quadrant_name(t, quadrant)}</b> ({len(items)})"
    if not items:
        return heading + "\n" + t("No item.")
    lines = [heading]
    for number, item in enumerate(items, 1):
        line = f"{number}. {escape(item.text)}"
        if item.author is not None:
            line += f" — <i>{escape(names.get(item.author, '—'))}</i>"
        lines.append(line)
    return "\n".join(lines)


def revealed_plain(items: Sequence[RevealedItem], names: Mapping[int, str]) -> list[str]:
    """The same items as plain lines, for a picture."""
    return [
        item.text + (f" — {names.get(item.author, '—')}" if item.author is not None else "")
        for item in items
    ]


def results_text(
    t: Translator, title: str, top: Sequence[tuple[Quadrant, Sequence[RankedItem]]], voters: int
) -> str:
    """The matrix as text, for those who cannot see pictures."""
    lines = [
        f"<b>🏁 {escape(title)}</b>",
        t.plural("{count} person voted.", "{count} people voted.", voters),
    ]
    for quadrant, ranked in top:
        lines.append(f"\n{ICONS[quadrant]} <b>{quadrant_name(t, quadrant)}</b>")
        if not ranked:
            lines.append(t("No vote."))
        for item in ranked:
            votes = t.plural("{count} vote", "{count} votes", item.votes)
            merged = f" (×{item.merged})" if item.merged > 1 else ""
            lines.append(f"• {escape(short(item.text, 150))}{merged} — {votes}")
    return "\n".join(lines)


def proposal_text(t: Translator, items: Sequence[Item]) -> str:
    lines = ["<b>" + t("These items look alike. Merge them into one?") + "</b>"]
    lines += [f"• {escape(display_text(item))}" for item in items]
    lines.append(
        t(
            "Merged, they count as one item in the vote. The group sees one text for them: the first one listed, or the name you give."
        )
    )
    return "\n".join(lines)


def ballot_text(
    t: Translator,
    quadrant: Quadrant,
    items: Sequence[Item],
    mine: Mapping[int, int],
    left: int,
    budget: int,
    most: int,
    first: int = 1,
) -> str:
    """One page of the ballot, its items numbered from `first` as their buttons are."""
    lines = [
        "<b>" + t("Your ballot") + "</b>",
        t(
            "{left} of {budget} dots left · at most {most} on one item · only you see your dots.",
            left=left,
            budget=budget,
            most=most,
        ),
        f"\n{ICONS[quadrant]} <b>{quadrant_name(t, quadrant)}</b>",
    ]
    if not items:
        lines.append(t("No item."))
    for number, item in enumerate(items, first):
        dots = "●" * mine.get(item.id, 0)
        lines.append(f"{number}. {escape(display_text(item))} {dots}".rstrip())
    return "\n".join(lines)


def short(text: str, limit: int = 28) -> str:
    """A button's label: Telegram shows about 30 characters across on a phone."""
    return text if len(text) <= limit else text[: limit - 1] + "…"
