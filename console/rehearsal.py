"""`bilan-bot try FILE`: walk through a flow in a terminal, as a participant would in Telegram.

Rule: the rehearsal runs the real engine and the bot's own renderer; only the medium differs
(buttons are numbered, HTML is stripped), so what a facilitator rehearses is what people get.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from html import unescape
from typing import TextIO

from bot.callbacks import SurveyButton, decode, event_of
from bot.i18n import translator
from bot.render import Reply, ask_reply, edit_picker, finish_text, review_reply, say_text
from flows.effects import Ask, Effect, Finish, Review, Say, Stale
from flows.engine import step
from flows.errors import FlowDefinitionError
from flows.events import Event, Started, TextReceived
from flows.loader import load_flow_file
from flows.schema import Flow, Language
from flows.state import SessionState
from flows.views import summary

REHEARSAL_SESSION = 0


def rehearse(path: str, language: str | None, given: TextIO, out: TextIO) -> int:
    try:
        flow = load_flow_file(path)
    except FlowDefinitionError as error:
        for problem in error.problems:
            print(problem, file=out)
        return 1
    lang: Language = language or flow.default_language  # type: ignore[assignment]  # argparse choices
    state = SessionState.new(flow.id, flow.version, lang)
    print(
        f"— {flow.title.resolve(lang, flow.default_language)} — (numbers press buttons, q quits)",
        file=out,
    )
    buttons: list[SurveyButton] = []
    event: Event | None = Started(at=_now())
    while event is not None:
        outcome = step(flow, state, event)
        state = outcome.state
        shown = _show(flow, lang, outcome.effects, out)
        buttons = shown or buttons
        if state.is_finished:
            return 0
        event = _next_event(flow, lang, state, buttons, given, out)
    return 0


def _show(
    flow: Flow, lang: Language, effects: tuple[Effect, ...], out: TextIO
) -> list[SurveyButton]:
    t = translator(lang)
    buttons: list[SurveyButton] = []
    for effect in effects:
        reply: Reply | None = None
        match effect:
            case Ask():
                reply = ask_reply(t, flow, REHEARSAL_SESSION, effect)
            case Review():
                reply = review_reply(t, flow, REHEARSAL_SESSION, effect)
            case Finish():
                reply = Reply(finish_text(t, effect))
            case Say():
                reply = Reply(say_text(t, effect))
            case Stale():
                reply = Reply(t("This question is no longer current."))
        if reply is not None:
            buttons = _print(reply, out) or buttons
    return buttons


def _print(reply: Reply, out: TextIO) -> list[SurveyButton]:
    if reply.text:
        print("\n" + unescape(re.sub(r"<[^>]+>", "", reply.text)), file=out)
    buttons = []
    for row in reply.buttons:
        labels = []
        for button in row:
            decoded = decode(button.data or "")
            if isinstance(decoded, SurveyButton):
                buttons.append(decoded)
                labels.append(f"[{len(buttons)}] {button.text}")
        print("  " + "   ".join(labels), file=out)
    return buttons


def _next_event(
    flow: Flow,
    lang: Language,
    state: SessionState,
    buttons: list[SurveyButton],
    given: TextIO,
    out: TextIO,
) -> Event | None:
    while True:
        print("> ", end="", file=out, flush=True)
        line = given.readline()
        if not line or line.strip() in ("q", ":q"):
            return None
        text = line.strip()
        if text.isdigit() and 1 <= int(text) <= len(buttons):
            chosen = buttons[int(text) - 1]
            if chosen.action == "e" and chosen.argument in ("", "-"):
                # Opening or closing the list of questions is the shell's business, not an event.
                review = Review(summary(flow, state), state.revision)
                t = translator(lang)
                shown = (
                    Reply("", edit_picker(t, REHEARSAL_SESSION, review))
                    if chosen.argument == ""
                    else review_reply(t, flow, REHEARSAL_SESSION, review)
                )
                buttons[:] = _print(shown, out)
                continue
            return event_of(chosen, _now())
        return TextReceived(line.rstrip("\n"), _now())


def _now() -> datetime:
    return datetime.now(UTC)
