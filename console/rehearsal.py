"""`bilan-bot try FILE`: walk through a flow in a terminal, as a participant would in Telegram.

Rule: the rehearsal runs the real engine and the bot's own renderer; only the medium differs
(buttons become keys, HTML is stripped), so what a facilitator rehearses is what people get.
Two exceptions, both said here: a key never looks like a typed answer (options are letters, a
scale's key is its own value, the rest are /commands), and the end never claims that answers
were saved, since a rehearsal stores nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from html import unescape
from itertools import count
from string import ascii_lowercase
from typing import TextIO

from bot.callbacks import SurveyAction, SurveyButton, decode, event_of
from bot.i18n import Translator, translator
from bot.render import Reply, answer_text, ask_reply, edit_picker, review_reply, say_text
from flows.effects import AnswerView, Ask, Effect, Finish, Review, Say, Stale
from flows.engine import step
from flows.errors import FlowDefinitionError
from flows.events import Event, Started, TextReceived
from flows.loader import load_flow_file
from flows.schema import Flow, Language, StepKind
from flows.state import SessionState
from flows.views import summary

# Callback data only carries positive session ids (`parse_id`): with 0, no button decoded.
REHEARSAL_SESSION = 1
QUIT = "/quit"
COMMANDS: Mapping[SurveyAction, str] = {
    "c": "/confirm",
    "s": "/skip",
    "k": "/keep",
    "b": "/back",
    "d": "/done",
    "u": "/submit",
}


@dataclass
class Screen:
    """What is on the terminal now: the keys of the last question or summary shown."""

    keys: dict[str, SurveyButton]


def rehearse(path: str, language: str | None, given: TextIO, out: TextIO) -> int:
    try:
        flow = load_flow_file(path)
    except FlowDefinitionError as error:
        for problem in error.problems:
            print(problem, file=out)
        return 1
    lang: Language = language or flow.default_language  # type: ignore[assignment]  # argparse choices
    state = SessionState.new(flow.id, flow.version, lang)
    print(f"— {flow.title.resolve(lang, flow.default_language)} —", file=out)
    t = translator(lang)
    print(
        t(
            "Rehearsal: nothing is stored. To press a button, type its key in brackets: a letter for an option, the number itself on a scale, or a command such as /back or /skip. Anything else is sent as your answer. /quit stops."
        ),
        file=out,
    )
    screen = Screen({})
    event: Event | None = Started(at=_now())
    while event is not None:
        outcome = step(flow, state, event)
        state = outcome.state
        _show(flow, state, outcome.effects, screen, out)
        if state.is_finished:
            return 0
        event = _next_event(flow, state, screen, given, out)
    print("\n" + t("Rehearsal stopped: nothing was stored."), file=out)
    return 0


def _show(
    flow: Flow, state: SessionState, effects: tuple[Effect, ...], screen: Screen, out: TextIO
) -> None:
    lang = state.language
    t = translator(lang)
    for effect in effects:
        match effect:
            case Ask():
                reply = ask_reply(t, flow, REHEARSAL_SESSION, effect)
                screen.keys = _print(reply, effect.kind, out)
            case Review():
                screen.keys = _print(review_reply(t, flow, REHEARSAL_SESSION, effect), None, out)
            case Finish():
                _print_end(t, flow, effect.answers, out)
            case Say(key="use_buttons"):
                keys = _listed(screen.keys)
                print(
                    "\n" + t("Please answer with one of the keys in brackets: {keys}.", keys=keys),
                    file=out,
                )
            case Say():
                _print(Reply(say_text(t, effect)), None, out)
            case Stale():
                _print(Reply(t("This question is no longer current.")), None, out)


def _print_end(t: Translator, flow: Flow, answers: Sequence[AnswerView], out: TextIO) -> None:
    """The end of a rehearsal: what was answered, and that none of it was stored."""
    if answers and not flow.review:  # with a review, the answers were just shown
        lines = [t("The answers of this rehearsal:")]
        for number, view in enumerate(answers, start=1):
            lines.append(f"{number}. {view.question}\n    → {answer_text(t, flow, view)}")
        _print(Reply("\n\n".join(lines)), None, out)
    print(
        "\n" + t("End of the rehearsal: this was only a rehearsal, nothing was stored."), file=out
    )


def _print(reply: Reply, kind: StepKind | None, out: TextIO) -> dict[str, SurveyButton]:
    """Print `reply` with a key before each button; the keys, and the buttons they press."""
    if reply.text:
        print("\n" + _plain(reply.text), file=out)
    keys: dict[str, SurveyButton] = {}
    letters, numbers = _letters(), count(1)
    for row in reply.buttons:
        labels = []
        for button in row:
            decoded = decode(button.data or "")
            if not isinstance(decoded, SurveyButton):
                continue
            key = _key(decoded, kind, letters, numbers)
            keys[key] = decoded
            text = _plain(button.text)
            labels.append(f"[{key}]" if text == key else f"[{key}] {text}")
        if labels:
            bare = all(" " not in label for label in labels)  # a scale's values: one row
            print("  " + (" " if bare else "   ").join(labels), file=out)
    return keys


def _key(
    button: SurveyButton, kind: StepKind | None, letters: Iterator[str], numbers: Iterator[int]
) -> str:
    """What to type for `button`: never something a participant would type as an answer."""
    match button.action:
        case "p" if kind in ("scale", "nps"):
            return button.argument  # the value itself: 9 on an NPS is 9
        case "p" | "t":
            return next(letters)
        case "e" if button.argument == "":
            return "/edit"
        case "e" if button.argument == "-":
            return "/back"
        case "e":
            return str(next(numbers))  # the question's number in the summary
    return COMMANDS[button.action]


def _letters() -> Iterator[str]:
    """a, b, …, z, aa, ab, …: a flow allows 40 options."""
    yield from ascii_lowercase
    for first in ascii_lowercase:
        for second in ascii_lowercase:
            yield first + second


def _next_event(
    flow: Flow, state: SessionState, screen: Screen, given: TextIO, out: TextIO
) -> Event | None:
    t = translator(state.language)
    while True:
        print("> ", end="", file=out, flush=True)
        line = given.readline()
        text = line.strip()
        if not line or text.casefold() == QUIT:
            return None
        # Waiting for the words of an 'other' option: a letter is those words, not a toggle.
        keys = {k: b for k, b in screen.keys.items() if state.phase != "detail" or k[0] == "/"}
        chosen = keys.get(text.casefold())
        if chosen is None and text.startswith("/"):
            unknown = (
                t("{command} is not a key here. Keys: {keys}.", command=text, keys=_listed(keys))
                if keys
                else t("{command} is not a key here: type your answer.", command=text)
            )
            print("\n" + unknown, file=out)
            continue
        if chosen is None:
            return TextReceived(line.rstrip("\n"), _now())
        if chosen.action == "e" and chosen.argument in ("", "-"):
            _toggle_picker(flow, state, chosen.argument == "", screen, out)
            continue
        return event_of(chosen, _now())


def _toggle_picker(
    flow: Flow, state: SessionState, opened: bool, screen: Screen, out: TextIO
) -> None:
    """Open or close the list of questions to change: the shell's business, not an event."""
    t = translator(state.language)
    review = Review(summary(flow, state), state.revision)
    if opened:
        print(file=out)
        screen.keys = _print(Reply("", edit_picker(t, REHEARSAL_SESSION, review)), None, out)
    else:
        screen.keys = _print(review_reply(t, flow, REHEARSAL_SESSION, review), None, out)


def _listed(keys: Mapping[str, SurveyButton]) -> str:
    return ", ".join(keys)


def _plain(html: str) -> str:
    return unescape(re.sub(r"<[^>]+>", "", html))


def _now() -> datetime:
    return datetime.now(UTC)
