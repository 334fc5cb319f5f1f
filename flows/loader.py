"""Flow files in, checked `Flow` models out, or every defect with its line and column.

Rule: this is the one door through which YAML becomes a `Flow`. It reads files (the only I/O
of `flows`) but never prints, except in `validate_paths`, which writes to the stream it is
given. A flow file is checked in three passes: YAML (one error stops it: nothing after it can be
trusted), the models (every error), then the graph checks (every error; on a file the models
refused, they judge the steps and texts that validate on their own). Models are validated in strict mode: YAML already typed each value, and a
quoted "3" or a `yes` where true is meant is a mistake to show, not to coerce.
"""

from __future__ import annotations

import hashlib
import os
import pathlib
from collections import Counter
from collections.abc import Sequence
from importlib import resources
from typing import Any, TextIO

from pydantic import ValidationError

from flows.checks import Draft, check_draft, check_flow
from flows.diagnostics import schema_findings
from flows.errors import Finding, FlowDefinitionError, FlowError, Problem, format_path
from flows.positions import Positions, parse
from flows.schema import Flow

LIBRARY = "library"  # the folder of `flows` that ships the workshops


def load_flow_text(text: str, source: str) -> Flow:
    """The flow written in `text`; `source` names it in problems (a path, usually).

    Raises:
        FlowDefinitionError: with every problem found, sorted by position.
    """
    flow, _ = _load(text, source)
    return flow


def load_flow_file(path: str | os.PathLike[str]) -> Flow:
    """The flow in the file at `path` (UTF-8).

    Raises:
        FlowDefinitionError: the file cannot be read, or is not a valid flow.
    """
    source = os.fspath(path)
    return load_flow_text(_read(source), source)


def load_library() -> dict[str, Flow]:
    """Every flow shipped in `flows/library/*.yaml`, by flow id.

    Raises:
        FlowDefinitionError: with the problems of every invalid file, or two files share an id.
    """
    flows: dict[str, Flow] = {}
    problems: list[Problem] = []
    folder = resources.files("flows") / LIBRARY
    for entry in sorted(folder.iterdir(), key=lambda item: item.name):
        if not entry.name.endswith(".yaml"):
            continue
        source = f"flows/{LIBRARY}/{entry.name}"
        try:
            flow, positions = _load(entry.read_text(encoding="utf-8"), source)
        except FlowDefinitionError as error:
            problems.extend(error.problems)
            continue
        if flow.id in flows:
            message = f"flow id '{flow.id}' is already used by another file of the library"
            problems.append(_place(Finding(("id",), message), positions, source))
        flows[flow.id] = flow
    if problems:
        raise FlowDefinitionError(problems)
    return flows


def source_hash(text: str) -> str:
    """sha256 of a flow file's text: which exact file a session ran."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def validate_paths(paths: Sequence[str], out: TextIO) -> int:
    """Check flow files: print every problem and return 1, or one summary per file and 0."""
    problems: list[Problem] = []
    summaries: list[str] = []
    for path in paths:
        try:
            flow = load_flow_file(path)
        except FlowDefinitionError as error:
            problems.extend(error.problems)
        except Exception as error:  # a bug here must not become a traceback
            message = f"internal error while checking this file ({type(error).__name__}: {error})"
            problems.append(Problem(path, 1, 1, "(file)", message))
        else:
            summaries.append(f"{path}: ok, {summary(flow)}")
    for line in [str(problem) for problem in problems] if problems else summaries:
        print(line, file=out)
    return 1 if problems else 0


def summary(flow: Flow) -> str:
    """`swot v1, 4 steps (4 collect), languages fr, en, nl`."""
    kinds = Counter(step.kind for step in flow.steps)
    count = len(flow.steps)
    detail = ", ".join(f"{n} {kind}" for kind, n in kinds.items())
    noun = "step" if count == 1 else "steps"
    languages = ", ".join(flow.languages)
    return f"{flow.id} v{flow.version}, {count} {noun} ({detail}), languages {languages}"


# ---- the three passes -----------------------------------------------------------------------


def _load(text: str, source: str) -> tuple[Flow, Positions]:
    data, positions = parse(text, source)
    _require_mapping(data, positions, source)
    try:
        flow = Flow.model_validate(data, strict=True)
    except ValidationError as error:
        # The checks still judge every part that validated on its own: all defects, one run.
        findings = schema_findings(error, data) + check_draft(Draft.of_data(data))
        raise _definition_error(findings, positions, source) from None
    findings = check_flow(flow)
    if findings:
        raise _definition_error(findings, positions, source)
    return flow, positions


def _require_mapping(data: Any, positions: Positions, source: str) -> None:
    if isinstance(data, dict):
        return
    if data is None:
        message = "the file is empty: a flow is a mapping with id, version, title and steps"
        raise FlowDefinitionError([Problem(source, 1, 1, "(top level)", message)])
    got = "a list" if isinstance(data, list) else "a single value"
    message = f"the top level must be a mapping (id, version, title, steps…), got {got}"
    line, col = positions.locate(())
    raise FlowDefinitionError([Problem(source, line, col, "(top level)", message)])


def _definition_error(
    findings: Sequence[Finding], positions: Positions, source: str
) -> FlowDefinitionError:
    placed = dict.fromkeys(_place(finding, positions, source) for finding in findings)
    return FlowDefinitionError(sorted(placed, key=lambda problem: (problem.line, problem.col)))


def _place(finding: Finding, positions: Positions, source: str) -> Problem:
    line, col = positions.locate(finding.path, at_key=finding.at_key)
    return Problem(source, line, col, format_path(finding.path), finding.message)


def _read(source: str) -> str:
    try:
        raw = pathlib.Path(source).read_bytes()
    except OSError as error:
        reason = error.strerror or type(error).__name__
        problem = Problem(source, 1, 1, "(file)", f"cannot read: {reason}")
        raise FlowDefinitionError([problem]) from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        before = raw[: error.start].decode("utf-8")  # the part that did decode
        line = before.count("\n") + 1
        col = len(before) - (before.rfind("\n") + 1) + 1
        message = f"not UTF-8 text (byte 0x{raw[error.start]:02x}); save the file as UTF-8"
        raise FlowDefinitionError([Problem(source, line, col, "(file)", message)]) from None


__all__ = [
    "FlowDefinitionError",
    "FlowError",
    "load_flow_file",
    "load_flow_text",
    "load_library",
    "source_hash",
    "summary",
    "validate_paths",
]
