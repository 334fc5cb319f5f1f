"""Engine guard: `step` and the loader stay far from what a user could notice.

Telegram lets a bot send about 30 messages a second, so the engine is not where speed is won;
these figures only catch a change that makes it slow by orders of magnitude. Prints, in one run
on one core, one `label: value unit (goal …)` line each:
  1. steps/s and µs per step through `flows.engine.step` (median of 5 rounds), driving whole
     sessions of a generated flow of 20 questions (every kind, with branches): answers,
     re-prompts for bad input, a skip, Back then Keep, an edit from the review that changes a
     branch, submit.
  2. load + validate time of each shipped flow (`load_flow_text` on the file's text: YAML,
     models, graph checks), median of several runs, and of the whole library (`load_library`).

Run: `.venv/bin/python bench/engine.py [sessions, default 2000] [--profile]`. With `--profile`,
the sessions run under cProfile instead, and the functions that take the most time are listed.
"""

from __future__ import annotations

import cProfile
import functools
import io
import pstats
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from importlib import resources
from typing import Any

from ruamel.yaml import YAML

from flows.engine import step
from flows.events import (
    CollectDone,
    EditRequested,
    Event,
    Kept,
    OptionPicked,
    OptionsConfirmed,
    OptionToggled,
    Skipped,
    Started,
    Submitted,
    TextReceived,
    WentBack,
)
from flows.loader import load_flow_text, load_library
from flows.schema import LANGUAGES, Flow, StepId
from flows.state import SessionState

# A step per message Telegram would let the bot send takes 3% of a core at this rate.
MIN_STEPS_PER_S = 1_000
MAX_LOAD_MS = 500.0  # per shipped flow: the bot loads the library once, at start
SESSIONS = 2_000
BUDGET = 12.0  # seconds for the sessions at most: stop early on a slow machine, and say so
LOAD_RUNS = 15
ROUNDS = 5
AT = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
MAX_STEPS = 500  # per session: a plan that stops advancing is a bug in this script

Send = Callable[[int], Event]  # the revision on screen → the event
Plan = list[list[Send]]  # for one step: the events to send at each visit (the last one repeats)
REVIEW = "(review)"


# ---- the generated flow ---------------------------------------------------------------------


def _text(label: str) -> dict[str, str]:
    return {"fr": f"{label} ?", "en": f"{label}?", "nl": f"{label}?"}


def _options(*ids: str, other: str | None = None) -> list[dict[str, Any]]:
    options: list[dict[str, Any]] = [{"id": i, "label": _text(i.title())} for i in ids]
    if other is not None:
        options.append({"id": other, "label": _text("Other"), "other": True})
    return options


def _q(step_id: str, kind: str, **fields: Any) -> dict[str, Any]:
    return {"id": step_id, "kind": kind, "text": _text(f"Question {step_id}"), **fields}


def bench_steps() -> list[dict[str, Any]]:
    """A note and 20 questions: every kind, optional ones, and conditions of each form."""
    return [
        _q("intro", "note"),
        _q("q01", "choice", options=_options("alpha", "beta", "gamma", other="other")),
        _q("q02", "multi", options=_options("a", "b", "c", "d", "e"), min=1, max=3),
        _q("q03", "scale", min=1, max=5, min_label=_text("low"), max_label=_text("high")),
        _q("q04", "scale", min=1, max=5, required=False),
        _q("q05", "nps"),
        _q("q06", "number", min=0, max=100, unit=_text("h")),
        _q("q07", "number", integer=False),
        _q("q08", "text", max_length=500),
        _q("q09", "date"),
        _q("q10", "yes_no"),
        _q("q11", "choice", options=_options("x", "y"), when={"answer": "q10", "equals": "yes"}),
        _q("q12", "text", required=False, when={"answer": "q10", "equals": "no"}),
        _q("q13", "scale", when={"answer": "q05", "ge": 7}),
        _q("q14", "multi", options=_options("m", "n", other="other"), min=0),
        _q("q15", "collect", min_items=1, max_items=5, max_length=100),
        _q("q16", "yes_no"),
        _q(
            "q17",
            "number",
            when={"all": [{"answer": "q16", "equals": "yes"}, {"answer": "q06", "gt": 10}]},
        ),
        _q("q18", "choice", options=_options("p", "q", "r"), when={"not": {"answered": "q12"}}),
        _q("q19", "text", required=False),
        _q("q20", "collect", min_items=0, required=False),
    ]


def bench_flow_text() -> str:
    """The flow as a facilitator would write it, so it passes the loader's checks too."""
    document = {
        "id": "bench",
        "version": 1,
        "title": _text("Bench"),
        "languages": list(LANGUAGES),
        "steps": bench_steps(),
    }
    yaml = YAML(typ="safe", pure=True)
    yaml.default_flow_style = False
    yaml.allow_unicode = True
    out = io.StringIO()
    yaml.dump(document, out)
    return out.getvalue()


# ---- the participant ------------------------------------------------------------------------


def _pick(option: str) -> Send:
    return lambda revision: OptionPicked(option, revision, AT)


def _toggle(option: str) -> Send:
    return lambda revision: OptionToggled(option, revision, AT)


def _typed(text: str) -> Send:
    return lambda _revision: TextReceived(text, AT)


def _tap(event: Callable[[int, datetime], Event]) -> Send:
    return lambda revision: event(revision, AT)


def plans(variant: int) -> dict[str, Plan]:
    """What one participant sends at each visit of each step; `variant` varies the answers."""
    yes, no = ("yes", "no") if variant % 2 == 0 else ("no", "yes")
    return {
        "q01": [[_pick("other"), _typed("a detail")] if variant % 3 == 0 else [_pick("beta")]],
        "q02": [[_toggle("a"), _toggle("c"), _toggle("a"), _toggle("e"), _tap(OptionsConfirmed)]],
        "q03": [[_typed("9"), _pick("4")], [_tap(Kept)]],  # typed out of range; kept after Back
        "q04": [[_tap(WentBack)], [_tap(Skipped)]],
        "q05": [[_pick(str((variant * 7) % 11))]],
        "q06": [[_typed("beaucoup"), _typed("250"), _typed("12 h")]],
        "q07": [[_typed("1 234,5")]],
        "q08": [[_typed("   "), _typed("Une réponse libre, assez courte.")]],
        "q09": [[_typed("31/02/2026"), _typed("23/11/2026")]],
        "q10": [[_pick(yes)], [_pick(no)]],  # the second visit comes from the review
        "q11": [[_typed("2")]],
        "q12": [[_typed("Parce que.")]],
        "q13": [[_pick("5")]],
        "q14": [[_toggle("m"), _toggle("other"), _tap(OptionsConfirmed), _typed("autre")]],
        "q15": [[_tap(CollectDone), _typed("one"), _typed("two"), _tap(CollectDone)]],
        "q16": [[_typed("oui")]],
        "q17": [[_typed("3")]],
        "q18": [[_pick("r")]],
        "q19": [[_tap(Skipped)]],
        "q20": [[_tap(CollectDone)]],
        REVIEW: [[_edit("q10")], [_tap(Submitted)]],
    }


def _edit(step_id: str) -> Send:
    return lambda revision: EditRequested(StepId(step_id), revision, AT)


def run_session(flow: Flow, plan: dict[str, Plan], language: Any) -> int:
    """Drive one session from start to submit; the number of `step` calls."""
    state = step(flow, SessionState.new(flow.id, flow.version, language), Started(AT)).state
    steps = 1
    visits: dict[str, int] = {}
    while state.phase != "finished":
        where = REVIEW if state.phase == "review" else str(state.cursor)
        visit = visits.get(where, 0)
        visits[where] = visit + 1
        sends = plan[where]
        for send in sends[min(visit, len(sends) - 1)]:
            state = step(flow, state, send(state.revision)).state
            steps += 1
        if steps > MAX_STEPS:
            raise RuntimeError(f"session stuck at {where} ({state.phase})")
    assert state.outcome == "submitted", state.outcome
    return steps


def run_sessions(flow: Flow, count: int, budget: float) -> tuple[int, int, float]:
    """(sessions run, steps, seconds), stopping early once `budget` seconds are spent."""
    variants = [plans(variant) for variant in range(6)]
    steps, done = 0, 0
    began = time.perf_counter()
    while done < count:
        steps += run_session(flow, variants[done % 6], LANGUAGES[done % 3])
        done += 1
        if time.perf_counter() - began > budget:
            break
    return done, steps, time.perf_counter() - began


# ---- loading --------------------------------------------------------------------------------


def median_ms(action: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        action()
        times.append(time.perf_counter() - began)
    return statistics.median(times) * 1000


def shipped_flows() -> list[tuple[str, str]]:
    folder = resources.files("flows") / "library"
    entries = sorted(folder.iterdir(), key=lambda entry: entry.name)
    return [
        (f"flows/library/{entry.name}", entry.read_text(encoding="utf-8"))
        for entry in entries
        if entry.name.endswith(".yaml")
    ]


# ---- report ---------------------------------------------------------------------------------


def report_steps(flow: Flow, sessions: int) -> None:
    run_sessions(flow, 50, BUDGET)  # warm-up: imports, first allocations
    # Several rounds rather than one long run: the median is what the engine does.
    rounds = [
        run_sessions(flow, max(1, sessions // ROUNDS), BUDGET / ROUNDS) for _ in range(ROUNDS)
    ]
    rate = statistics.median(r[1] / r[2] for r in rounds)
    print(f"engine speed: {rate:,.0f} steps/s (goal ≥ {MIN_STEPS_PER_S:,} steps/s)")
    print(f"engine step: {1e6 / rate:.1f} µs (goal ≤ {1e6 / MIN_STEPS_PER_S:,.0f} µs)")


def report_loading() -> None:
    for source, text in shipped_flows():
        load_flow_text(text, source)  # warm-up, and a broken file fails here
        ms = median_ms(functools.partial(load_flow_text, text, source), LOAD_RUNS)
        print(f"load + validate {source}: {ms:.1f} ms (goal ≤ {MAX_LOAD_MS:.0f} ms)")
    ms = median_ms(load_library, LOAD_RUNS)
    count = len(shipped_flows())
    print(f"load library, files read: {ms:.1f} ms (goal ≤ {MAX_LOAD_MS * count:.0f} ms)")


def profile(flow: Flow, sessions: int) -> None:
    profiler = cProfile.Profile()
    profiler.enable()
    done, steps, _ = run_sessions(flow, sessions, BUDGET)
    profiler.disable()
    print(f"profile of {done:,} sessions, {steps:,} steps (cProfile slows everything down):")
    stats = pstats.Stats(profiler, stream=sys.stdout)
    stats.strip_dirs().sort_stats("tottime").print_stats(20)
    stats.sort_stats("cumulative").print_stats(25)


def main(argv: Sequence[str]) -> None:
    counts = [int(arg) for arg in argv if arg.isdigit()]
    sessions = counts[0] if counts else SESSIONS
    flow = load_flow_text(bench_flow_text(), "bench.yaml")
    if "--profile" in argv:
        profile(flow, sessions)
        return
    report_steps(flow, sessions)
    report_loading()


if __name__ == "__main__":
    main(sys.argv[1:])
