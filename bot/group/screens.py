"""The SWOT workshop's private screens: collection, grouping, ballot, actions, as `Reply` values.

Rule: pure functions of a board and a translator (as `bot/render.py`): the handlers send what
these return. Buttons carry the board's round id and what they act on, so every screen works
again after a restart and a tap on an old one is checked against the board as it is now.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from html import escape

from babel.dates import format_date

from bot.callbacks import BUDGET_CHOICES, DUE_CHOICES, QUADRANT_LETTERS, board_button
from bot.group import texts
from bot.i18n import Translator
from bot.render import Button, Reply
from flows import board as machine
from flows.board import QUADRANTS, Action, GroupingDone, PostResults, ProposeGroup, Quadrant
from reports.swot_matrix import MatrixCaptions, MatrixItem, MatrixPicture, MatrixQuadrant
from storage.models import Board

BALLOT_PAGE = 8  # items per ballot page: two buttons each, and the quadrant tabs


def _tap(label: str, action: str, board: Board | int, argument: str = "") -> Button:
    round_id = board if isinstance(board, int) else int(board.round_id)
    return Button(label, board_button(action, round_id, argument).encode())


# ---- collection ------------------------------------------------------------------------------


def quadrant_buttons(
    t: Translator, board: Board, action: str = "q"
) -> tuple[tuple[Button, ...], ...]:
    buttons = [
        _tap(f"{texts.ICONS[q]} {texts.quadrant_name(t, q)}", action, board, QUADRANT_LETTERS[i])
        for i, q in enumerate(QUADRANTS)
    ]
    return ((buttons[0], buttons[1]), (buttons[2], buttons[3]))


def collection_reply(t: Translator, board: Board, title: str) -> Reply:
    """Opening the collection in private: the rule, whether it is anonymous, the quadrants."""
    text = "\n\n".join(
        [
            f"<b>{escape(title)}</b>",
            texts.explanation(t),
            texts.anonymity_line(t, board.state.anonymous),
            t("Choose a quadrant, then send one idea per message."),
        ]
    )
    return Reply(text, (*quadrant_buttons(t, board), _collect_tools(t, board)))


def _collect_tools(t: Translator, board: Board) -> tuple[Button, ...]:
    return (_tap(t("📝 My items"), "l", board), _tap(t("✅ I'm done"), "d", board))


def writing_in_reply(t: Translator, board: Board, quadrant: Quadrant) -> Reply:
    text = t(
        "{icon} {quadrant}: send your ideas, one per message.",
        icon=texts.ICONS[quadrant],
        quadrant=texts.quadrant_name(t, quadrant),
    )
    return Reply(text)


def ack_reply(t: Translator, board: Board, quadrant: Quadrant, number: int) -> Reply:
    text = texts.ack_text(t, quadrant, number) + " " + t("Send another, or switch:")
    return Reply(text, (*quadrant_buttons(t, board), _collect_tools(t, board)))


def pending_reply(t: Translator, board: Board, text: str) -> Reply:
    question = t("Which quadrant for “{text}”?", text=escape(texts.short(text, 80)))
    return Reply(question, quadrant_buttons(t, board, "n"))


def own_items_reply(t: Translator, board: Board, items: Sequence[machine.Item]) -> Reply:
    rows: list[tuple[Button, ...]] = []
    for quadrant in QUADRANTS:
        mine = [item for item in items if item.quadrant == quadrant]
        for number, item in enumerate(mine, 1):
            label = f"{texts.quadrant_one(t, quadrant)} {number}"
            rows.append(
                (
                    _tap(f"✏️ {label}", "e", board, str(item.id)),
                    _tap(f"🗑 {label}", "x", board, str(item.id)),
                )
            )
    rows.append(_collect_tools(t, board))
    return Reply(texts.own_items_text(t, items), tuple(rows))


# ---- grouping --------------------------------------------------------------------------------


def grouping_reply(t: Translator, board: Board, effect: ProposeGroup | GroupingDone) -> Reply:
    if isinstance(effect, GroupingDone):
        return Reply(
            t("No more look-alikes to review. Open the vote when you are ready."),
            vote_budget_buttons(t, board),
        )
    head = str(effect.head)
    rows: list[tuple[Button, ...]] = [
        (_tap(t("✓ Merge"), "a", board, head), _tap(t("✂️ Keep separate"), "s", board, head)),
        (_tap(t("✏️ Merge and rename"), "m", board, head),),
    ]
    if len(effect.items) > 2:
        rows += [
            (
                _tap(
                    t("Take out: {item}", item=texts.short(machine.display_text(i))),
                    "t",
                    board,
                    str(i.id),
                ),
            )
            for i in effect.items
        ]
    return Reply(texts.proposal_text(t, effect.items), tuple(rows))


def vote_budget_buttons(t: Translator, board: Board) -> tuple[tuple[Button, ...], ...]:
    return tuple(
        (
            _tap(
                t("🗳 {budget} dots each, at most {most} per item", budget=budget, most=most),
                "v",
                board,
                f"{budget}.{most}",
            ),
        )
        for budget, most in BUDGET_CHOICES
    )


# ---- ballot ----------------------------------------------------------------------------------


def ballot_reply(t: Translator, board: Board, member: int, quadrant_index: int, page: int) -> Reply:
    state = board.state
    quadrant = QUADRANTS[quadrant_index]
    items = [i for i in machine.votable_items(state) if i.quadrant == quadrant]
    pages = max(1, -(-len(items) // BALLOT_PAGE))
    page = min(page, pages - 1)
    shown = items[page * BALLOT_PAGE : (page + 1) * BALLOT_PAGE]
    mine = {int(k): v for k, v in machine.ballot_of(state, machine.MemberId(member)).items()}
    left = machine.dots_left(state, machine.MemberId(member))
    first = page * BALLOT_PAGE + 1
    text = texts.ballot_text(t, quadrant, shown, mine, left, state.budget, state.per_item, first)
    if state.phase != "voting":
        return Reply(text + "\n\n" + t("The vote is closed."))
    rows: list[tuple[Button, ...]] = []
    for number, item in enumerate(shown, page * BALLOT_PAGE + 1):
        where = f"{item.id}:{quadrant_index}:{page}"
        rows.append(
            (
                _tap(f"➖ {number}", "-", board, where),
                _tap(
                    f"➕ {number}. {texts.short(machine.display_text(item), 22)}", "+", board, where
                ),
            )
        )
    if pages > 1:  # ◂ 2/5 ▸: Telegram takes at most 8 buttons in a row
        where = f"{quadrant_index}:"
        rows.append(
            (
                _tap("◂", "b", board, where + str(max(page - 1, 0))),
                _tap(f"{page + 1}/{pages}", "b", board, where + str(page)),
                _tap("▸", "b", board, where + str(min(page + 1, pages - 1))),
            )
        )
    rows.append(
        tuple(
            _tap(("▸" if i == quadrant_index else "") + texts.ICONS[q], "b", board, f"{i}:0")
            for i, q in enumerate(QUADRANTS)
        )
    )
    return Reply(text, tuple(rows))


# ---- results and actions ---------------------------------------------------------------------


def matrix_picture(t: Translator, title: str, effect: PostResults) -> MatrixPicture:
    quadrants = tuple(
        MatrixQuadrant(
            heading=f"{texts.quadrant_name(t, quadrant)}",
            items=tuple(MatrixItem(item.text, item.votes, item.merged) for item in ranked),
            empty=t("No vote."),
        )
        for quadrant, ranked in effect.top
    )
    footer = t.plural("{count} person voted.", "{count} people voted.", effect.voters)
    return MatrixPicture(
        title=title,
        quadrants=quadrants,  # type: ignore[arg-type]  # PostResults carries all four, in order
        footer=footer,
        votes_label=t("votes"),
        captions=MatrixCaptions(
            helpful=t("Helpful"),
            harmful=t("Harmful"),
            internal=t("Inside: in our hands"),
            external=t("Outside: around us"),
        ),
    )


def actions_offer_reply(t: Translator, board: Board, effect: PostResults) -> Reply:
    rows: list[tuple[Button, ...]] = []
    for _quadrant, ranked in effect.top:
        rows += [
            (_tap(f"📌 {texts.short(item.text, 40)}", "A", board, str(item.item_id)),)
            for item in ranked[:3]
        ]
    rows.append((_tap(t("📌 Another action"), "A", board),))
    text = t(
        "The results are in the group. Turn the top items into actions: tap one, or add another."
    )
    return Reply(text, tuple(rows))


def due_text(t: Translator, due: date | None) -> str:
    if due is None:
        return t("no due date")
    return format_date(due, format="full", locale=t.language)


def due_buttons(t: Translator, board: Board, today: date) -> tuple[tuple[Button, ...], ...]:
    rows = []
    for days in DUE_CHOICES:
        if days == 0:
            label = t("No due date")
        else:
            label = format_date(today + timedelta(days=days), format="EEE d MMM", locale=t.language)
        rows.append((_tap(label, "w", board, str(days)),))
    return tuple(rows)


def action_line(t: Translator, title: str, owner: str, due: date | None, today: date) -> str:
    late = " ⏰ " + t("overdue") if due is not None and due < today else ""
    return f"• {escape(texts.short(title, 100))} — {escape(owner)} — {due_text(t, due)}{late}"


def owner_reply(t: Translator, cohort_name: str, round_id: int, action: Action) -> Reply:
    text = t(
        "📌 You own an action of {cohort}: “{title}”, due: {due}. Tap the button when it is done; /actions lists them all.",
        cohort=escape(cohort_name),
        title=escape(action.title),
        due=due_text(t, action.due),
    )
    return Reply(
        text, ((Button(t("✓ Done"), board_button("k", round_id, str(action.id)).encode()),),)
    )
