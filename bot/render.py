"""Words and buttons for the engine's effects: what a participant reads and taps.

Rule: rendering is a pure function of an effect, the flow and a translator. It knows no Telegram
types (the shell turns `Reply` into Telegram's markup), so the terminal rehearsal renders exactly
what the bot would send. Flow texts are escaped: replies are sent as HTML.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from html import escape
from typing import NamedTuple, Protocol

from babel.dates import format_date

from bot.callbacks import SurveyAction, SurveyButton
from bot.i18n import Translator
from flows.effects import AnswerValue, AnswerView, Ask, Finish, FinishOutcome, Review, Say
from flows.schema import Flow, NumberStep

# Telegram shows about 8 buttons across on a phone; scales and NPS rows are split to stay legible.
_ROW_WIDTH = 6
# Telegram refuses a message over 4,096 characters and the shell would cut the review's end (its
# instruction): long answers are shortened there instead, more and more until the whole fits.
_TEXT_LIMIT = 4096
_REVIEW_ANSWER_MAX = (300, 150, 80, 40)


class Button(NamedTuple):
    """A button of a reply."""

    text: str
    data: str | None = None  # callback data
    url: str | None = None


@dataclass(frozen=True, slots=True)
class Reply:
    text: str
    buttons: tuple[tuple[Button, ...], ...] = ()


class ButtonMaker(Protocol):
    def __call__(self, label: str, action: SurveyAction, argument: str = "", /) -> Button: ...


def ask_reply(t: Translator, flow: Flow, session_id: int, ask: Ask) -> Reply:
    """The message that shows a question, or a note."""

    def button(label: str, action: SurveyAction, argument: str = "") -> Button:
        return Button(label, SurveyButton(session_id, ask.revision, action, argument).encode())

    if ask.kind == "collect" and ask.items:
        return _collect_more(t, ask, button)
    lines = []
    if ask.progress is not None:
        lines.append(
            "<b>"
            + t(
                "Question {position}/{total}",
                position=ask.progress.position,
                total=ask.progress.total,
            )
            + "</b>"
        )
    lines.append(escape(ask.text))
    if ask.help:
        lines.append(f"<i>{escape(ask.help)}</i>")
    hint = _hint(t, ask)
    if hint:
        lines.append(hint)
    if ask.current is not None and ask.kind != "collect":
        current = answer_text(
            t, flow, AnswerView(ask.step, ask.kind, ask.text, ask.current, _labels(ask))
        )
        lines.append(t("Your answer so far: {answer}", answer=current))
    rows = [*_answer_buttons(t, ask, button), *_navigation(t, ask, button)]
    return Reply("\n\n".join(lines), tuple(rows))


def _collect_more(t: Translator, ask: Ask, button: ButtonMaker) -> Reply:
    _, most = ask.bounds
    text = t(
        "✓ Noted ({count}/{max}). Send another one, or tap Done.",
        count=len(ask.items),
        max=int(most or 0),
    )
    rows = [(button(t("Done ✓"), "d"),), *_navigation(t, ask, button)]
    return Reply(text, tuple(rows))


def _hint(t: Translator, ask: Ask) -> str | None:
    low, high = ask.bounds
    match ask.kind:
        case "text":
            return t("Type your answer (at most {max} characters).", max=ask.max_length)
        case "number" if low is not None and high is not None:
            return t("Send a number from {min} to {max}.", min=_num(low), max=_num(high))
        case "number":
            return t("Send a number.")
        case "date":
            return t("Send a date, for example 23/11/2026.")
        case "multi":
            return t("Tap every answer that applies, then Confirm.")
        case "collect":
            return t(
                "Send your ideas one message at a time (at most {max}), then tap Done.",
                max=int(high or 0),
            )
        case "scale" | "nps" if ask.min_label and ask.max_label:
            first, last = ask.options[0].id, ask.options[-1].id
            return f"{first} = {escape(ask.min_label)} · {last} = {escape(ask.max_label)}"
    return None


def _answer_buttons(t: Translator, ask: Ask, button: ButtonMaker) -> list[tuple[Button, ...]]:
    match ask.kind:
        case "choice":
            return [(button(o.label or o.id, "p", o.id),) for o in ask.options]
        case "multi":
            rows = [
                (button(("☑ " if o.id in ask.selected else "☐ ") + (o.label or o.id), "t", o.id),)
                for o in ask.options
            ]
            return [*rows, (button(t("Confirm ✓"), "c"),)]
        case "scale" | "nps":
            cells = [button(o.id, "p", o.id) for o in ask.options]
            width = _ROW_WIDTH if len(cells) > _ROW_WIDTH + 1 else len(cells)
            return [tuple(cells[i : i + width]) for i in range(0, len(cells), width)]
        case "yes_no":
            return [(button(t("Yes"), "p", "yes"), button(t("No"), "p", "no"))]
        case "collect":
            return [(button(t("Done ✓"), "d"),)]
    return []


def _navigation(t: Translator, ask: Ask, button: ButtonMaker) -> list[tuple[Button, ...]]:
    row: list[Button] = []
    if ask.can_go_back:
        row.append(button(t("« Back"), "b"))
    if ask.can_keep:
        row.append(button(t("Keep my answer"), "k"))
    if ask.can_skip:
        row.append(button(t("Skip »"), "s"))
    return [tuple(row)] if row else []


def _labels(ask: Ask) -> tuple[str, ...]:
    chosen = ask.current if isinstance(ask.current, list) else [str(ask.current)]
    return tuple(o.label for o in ask.options if o.id in chosen and o.label)


def answer_text(t: Translator, flow: Flow, view: AnswerView) -> str:
    """An answer as a participant would say it, escaped for HTML."""
    value = view.value
    if value is None:
        return t("(skipped)")
    match view.kind:
        case "choice" | "multi" if value == [] and not view.detail:
            return t("(none)")  # a multi confirmed with nothing ticked
        case "choice" | "multi":
            text = ", ".join(view.labels) if view.labels else _plain(value)
            return escape(text + (f" — {view.detail}" if view.detail else ""))
        case "yes_no":
            return t("Yes") if value == "yes" else t("No")
        case "scale":
            return f"{_plain(value)}/{flow.step_by_id(view.step).max}"  # type: ignore[union-attr]  # a scale step has a max
        case "nps":
            return f"{_plain(value)}/10"
        case "number":
            return escape(f"{_plain(value)} {_unit(t, flow, view)}".strip())
        case "date":
            return _date(t, str(value))
        case "collect":
            items = value if isinstance(value, list) else [str(value)]
            return "\n" + "\n".join(f"• {escape(item)}" for item in items)
    return escape(_plain(value))


def _unit(t: Translator, flow: Flow, view: AnswerView) -> str:
    step = flow.step_by_id(view.step)
    if isinstance(step, NumberStep) and step.unit is not None:
        return step.unit.resolve(t.language, flow.default_language)
    return ""


def _date(t: Translator, iso: str) -> str:
    try:
        return format_date(date.fromisoformat(iso), format="long", locale=t.language)
    except ValueError:
        return escape(iso)


def _plain(value: AnswerValue) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, list):
        return ", ".join(value)
    return str(value)


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def answered_reply(t: Translator, flow: Flow, view: AnswerView) -> Reply:
    """What a question's message becomes once answered: the question and the answer, no buttons."""
    return Reply(f"{escape(view.question)}\n<b>→ {answer_text(t, flow, view)}</b>")


def review_reply(t: Translator, flow: Flow, session_id: int, review: Review) -> Reply:
    for most in _REVIEW_ANSWER_MAX:
        text = _review_text(t, flow, review, most)
        if len(text) <= _TEXT_LIMIT:  # markup included: Telegram counts less than this
            break

    def button(label: str, action: SurveyAction, argument: str = "") -> Button:
        return Button(label, SurveyButton(session_id, review.revision, action, argument).encode())

    rows = ((button(t("Submit ✅"), "u"),), (button(t("Change an answer ✏️"), "e"),))
    return Reply(text, rows)


def _review_text(t: Translator, flow: Flow, review: Review, most: int) -> str:
    """The review with each answer cut to about `most` characters (before escaping, so the
    HTML stays whole); the instruction always last."""
    lines = ["<b>" + t("Your answers") + "</b>"]
    for number, view in enumerate(review.answers, start=1):
        shown = answer_text(t, flow, _shortened(view, most))
        question = _short(view.question, max(most, 120))
        lines.append(f"{number}. {escape(question)}\n    → {shown}")
    lines.append(t("Send them, or change an answer first."))
    return "\n\n".join(lines)


def _shortened(view: AnswerView, most: int) -> AnswerView:
    value = view.value
    if isinstance(value, str):
        value = _short(value, most)
    elif isinstance(value, list) and view.kind == "collect":  # up to 10 items each
        value = [_short(item, max(most // 2, 20)) for item in value]
    detail = _short(view.detail, most) if view.detail else view.detail
    return replace(view, value=value, detail=detail)


def edit_picker(t: Translator, session_id: int, review: Review) -> tuple[tuple[Button, ...], ...]:
    """The review's buttons once 'change an answer' is tapped: one per question."""
    rows = [
        (
            Button(
                _short(f"{n}. {view.question}"),
                SurveyButton(session_id, review.revision, "e", view.step).encode(),
            ),
        )
        for n, view in enumerate(review.answers, start=1)
    ]
    back = SurveyButton(session_id, review.revision, "e", "-").encode()
    return (*rows, (Button(t("« Back"), back),))


def _short(label: str, limit: int = 60) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


def finish_text(t: Translator, finish: Finish, anonymous: bool = False) -> str:
    """The last word of a session. An anonymous one ended before it was sent keeps nothing: its
    answers are discarded, since a lone partial response could tell who gave it."""
    match finish.outcome:
        case "submitted":
            return t("Thank you! Your answers are saved. 🙏")
        case "cancelled" if anonymous:
            return _left_anonymous(t)
        case "cancelled":
            return t(
                "You left the questionnaire. The answers you gave are kept. Nothing more will be asked."
            )
        case "timed_out" if anonymous:
            return _closed_anonymous(t)
        case "timed_out":
            return t("This questionnaire is closed. The answers you gave are kept, thank you.")


def already_finished_text(t: Translator, outcome: FinishOutcome, anonymous: bool) -> str:
    """What a session that has ended says when it is touched again."""
    match outcome:
        case "submitted":
            return t("You have already answered this questionnaire. Thank you!")
        case "cancelled" if anonymous:
            return _left_anonymous(t)
        case "cancelled":
            return t("You left this questionnaire. Thank you for the answers you gave.")
        case "timed_out" if anonymous:
            return _closed_anonymous(t)
        case "timed_out":
            return t("This questionnaire is closed. The answers you gave are kept, thank you.")


def _left_anonymous(t: Translator) -> str:
    return t(
        "You left the questionnaire before sending it. It is anonymous, so the answers you gave are discarded. Nothing more will be asked."
    )


def _closed_anonymous(t: Translator) -> str:
    return t(
        "This questionnaire is closed, and you had not sent it. It is anonymous, so the answers you gave are discarded."
    )


def say_text(t: Translator, say: Say) -> str:
    """Why an input was not taken, or what happens next."""
    p = dict(say.params)
    match say.key:
        case "use_buttons":
            return t("Please answer with the buttons above.")
        case "not_a_number":
            return _range_text(t, p, t("Please send a number."))
        case "not_an_integer":
            return _range_text(t, p, t("Please send a whole number."))
        case "out_of_range":
            return _range_text(t, p, t("This number is out of range."))
        case "not_a_date":
            return t("Please send a date, for example 23/11/2026.")
        case "too_long":
            return t("That is too long: at most {max} characters, please.", max=p["max"])
        case "empty_text":
            return t("Please type your answer.")
        case "choose_at_least":
            return t.plural(
                "Choose at least {count} answer.", "Choose at least {count} answers.", int(p["min"])
            )
        case "choose_at_most":
            return t.plural(
                "Choose at most {count} answer.", "Choose at most {count} answers.", int(p["max"])
            )
        case "give_other_detail":
            return t(
                "You chose “{option}”: please type a few words to say what (at most {max} characters).",
                option=escape(str(p["option"])),
                max=p["max"],
            )
        case "items_needed":
            return t.plural(
                "Please send at least {count} item first.",
                "Please send at least {count} items first.",
                int(p["min"]),
            )
        case "items_full":
            return t("That is the maximum number of items.")
        case "cannot_skip":
            return t("This question needs an answer.")
        case "cannot_go_back":
            return t("This is the first question.")
        case "already_finished":
            return t("You have already answered this questionnaire. Thank you!")


def _range_text(t: Translator, params: dict[str, str | int | float], lead: str) -> str:
    if "min" in params and "max" in params:
        return lead + " " + t("Between {min} and {max}.", min=params["min"], max=params["max"])
    if "min" in params:
        return lead + " " + t("At least {min}.", min=params["min"])
    if "max" in params:
        return lead + " " + t("At most {max}.", max=params["max"])
    return lead
