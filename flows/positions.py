"""YAML text to plain data, remembering where each key and value was written.

Rule: YAML 1.2 only, so `no`, `yes`, `on`, `off` stay text: a facilitator writing
`equals: no` means the answer "no", not False. What comes out is plain dict, list, str, int,
float, bool and None, whatever ruamel.yaml built, so pydantic sees no YAML types. A document
this module cannot read is one problem with its position, never an exception of ruamel's.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from datetime import date
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq, CommentedSet, TaggedScalar
from ruamel.yaml.constructor import DuplicateKeyError
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.reader import ReaderError
from ruamel.yaml.scalarbool import ScalarBoolean

from flows.errors import FlowDefinitionError, FlowError, Path, Problem, format_path

Pos = tuple[int, int]  # 1-based line and column

# A flow is a few hundred nodes; aliases can expand a small file into millions ("billion
# laughs"), and deep nesting exhausts the stack. Both are refused with a position.
MAX_NODES = 50_000
MAX_DEPTH = 50
_WHERE = "(yaml)"  # a problem found before there is any structure to name a place in
_DUPLICATE = re.compile(r'duplicate key "(.*?)"')
_DIRECTIVE = re.compile(r"^%YAML[ \t]+(\S+)", re.MULTILINE)


@dataclass(frozen=True, slots=True)
class Spot:
    key: Pos | None  # where the key is written; None for a sequence item or the document
    value: Pos  # where the value starts
    is_scalar: bool


class Positions:
    """Where each path of the document was written."""

    def __init__(self, spots: dict[Path, Spot]) -> None:
        self._spots = spots

    def locate(self, path: Path, *, at_key: bool = False) -> Pos:
        """The written scalar at `path`, else the key that opens it, else its nearest ancestor.

        A block mapping's value starts on the next line, so for mappings and lists the key is
        the better place to point at.
        """
        for end in range(len(path), -1, -1):
            spot = self._spots.get(path[:end])
            if spot is None:
                continue
            if spot.key is not None and (at_key or not spot.is_scalar):
                return spot.key
            return spot.value
        return (1, 1)


class _TooLargeError(FlowError):
    """Raised inside the conversion only; `parse` turns it into a placed problem."""

    def __init__(self, path: Path, message: str) -> None:
        super().__init__(message)
        self.path = path
        self.message = message


def parse(text: str, source: str) -> tuple[Any, Positions]:
    """Plain data and positions for a YAML 1.2 document.

    Raises:
        FlowDefinitionError: the text is not one well-formed YAML 1.2 document.
    """
    _refuse_old_directive(text, source)
    yaml = YAML(typ="rt")
    yaml.version = (1, 2)
    try:
        # ruamel warns about things (a reused anchor) that are not errors in YAML 1.2.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            document = yaml.load(text)
    except MarkedYAMLError as error:
        raise FlowDefinitionError([_syntax_problem(error, source)]) from None
    except ReaderError as error:
        line, col = _offset_position(text, error.position)
        message = f"character {error.character!r} is not allowed in YAML ({error.reason})"
        raise FlowDefinitionError([Problem(source, line, col, _WHERE, message)]) from None
    except RecursionError:
        message = "nested too deeply to read"
        raise FlowDefinitionError([Problem(source, 1, 1, _WHERE, message)]) from None
    except YAMLError as error:
        message = f"not readable as YAML: {_first_line(str(error))}"
        raise FlowDefinitionError([Problem(source, 1, 1, _WHERE, message)]) from None
    return _convert_document(document, source)


def _convert_document(document: Any, source: str) -> tuple[Any, Positions]:
    spots: dict[Path, Spot] = {}
    start = _start(document) if isinstance(document, CommentedMap | CommentedSeq) else (1, 1)
    spots[()] = Spot(None, start, not isinstance(document, CommentedMap | CommentedSeq))
    converter = _Converter(spots)
    try:
        data = converter.convert(document, (), 0)
    except _TooLargeError as error:
        line, col = Positions(spots).locate(error.path)
        problem = Problem(source, line, col, format_path(error.path), error.message)
        raise FlowDefinitionError([problem]) from None
    return data, Positions(spots)


class _Converter:
    def __init__(self, spots: dict[Path, Spot]) -> None:
        self.spots = spots
        self.count = 0
        self.open: set[int] = set()  # containers being converted: an alias loop shows up here

    def convert(self, node: Any, path: Path, depth: int) -> Any:
        self.count += 1
        if self.count > MAX_NODES:
            raise _TooLargeError(path, f"the document expands to more than {MAX_NODES} values")
        if depth > MAX_DEPTH:
            raise _TooLargeError(path, f"nested more than {MAX_DEPTH} levels deep")
        if not isinstance(node, CommentedMap | CommentedSeq):
            return _scalar(node)
        if id(node) in self.open:
            raise _TooLargeError(path, "an alias refers to a value that contains it")
        self.open.add(id(node))
        try:
            if isinstance(node, CommentedMap):
                return self._mapping(node, path, depth)
            return self._sequence(node, path, depth)
        finally:
            self.open.discard(id(node))

    def _mapping(self, node: CommentedMap, path: Path, depth: int) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key, value in node.items():
            name = key if isinstance(key, str) else str(_scalar(key))
            here = (*path, name)
            # A key merged in with `<<` has no position of its own: use the mapping's.
            key_pos = _lc(node, "key", key) or _start(node)
            value_pos = _lc(node, "value", key) or key_pos
            self.spots[here] = Spot(key_pos, value_pos, _is_scalar(value))
            result[name] = self.convert(value, here, depth + 1)
        return result

    def _sequence(self, node: CommentedSeq, path: Path, depth: int) -> list[Any]:
        result: list[Any] = []
        for index, value in enumerate(node):
            here = (*path, index)
            position = _lc(node, "item", index) or _start(node)
            self.spots[here] = Spot(None, position, _is_scalar(value))
            result.append(self.convert(value, here, depth + 1))
        return result


def _lc(node: CommentedMap | CommentedSeq, kind: str, key: Any) -> Pos | None:
    """1-based position of a key, value or item, if ruamel recorded one."""
    try:
        line, col = getattr(node.lc, kind)(key)
    except (KeyError, IndexError, TypeError):
        return None
    return (int(line) + 1, int(col) + 1)


def _start(node: CommentedMap | CommentedSeq) -> Pos:
    return (int(node.lc.line) + 1, int(node.lc.col) + 1)


def _is_scalar(value: Any) -> bool:
    # An empty value (`text:`) has no position of its own worth showing: point at its key.
    return value is not None and not isinstance(value, CommentedMap | CommentedSeq)


def _scalar(node: Any) -> Any:
    """A plain Python value for a ruamel scalar (ruamel's int, float and str subclasses)."""
    if node is None or type(node) in (bool, int, float, str):
        return node
    if isinstance(node, bool | ScalarBoolean):
        return bool(node)
    if isinstance(node, int):
        return int(node)
    if isinstance(node, float):
        return float(node)
    if isinstance(node, str):
        return str(node)
    if isinstance(node, TaggedScalar):
        return str(node.value)
    if isinstance(node, date):  # a date step's `equals: 2026-06-30` compares with ISO text
        return node.isoformat()
    if isinstance(node, CommentedSet):
        return [_scalar(item) for item in node]
    if isinstance(node, bytes):
        return node.decode("utf-8", errors="replace")
    return str(node)


def _refuse_old_directive(text: str, source: str) -> None:
    match = _DIRECTIVE.search(text)
    if match is None or match.group(1) == "1.2":
        return
    line = text.count("\n", 0, match.start()) + 1
    message = (
        f"flow files are YAML 1.2; remove the '%YAML {match.group(1)}' line "
        "(YAML 1.1 would read no/yes/on/off as false/true)"
    )
    raise FlowDefinitionError([Problem(source, line, 1, _WHERE, message)])


def _syntax_problem(error: MarkedYAMLError, source: str) -> Problem:
    mark = error.problem_mark or error.context_mark
    line, col = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
    problem = error.problem or error.context or "not valid YAML"
    if isinstance(error, DuplicateKeyError):
        found = _DUPLICATE.search(problem)
        key = found.group(1) if found else "?"
        problem = f"duplicate key '{key}': a key may appear only once in a mapping"
    elif "'\\t'" in problem:
        problem = "tab character: YAML indents with spaces only"
    elif error.context and error.problem:
        problem = f"{problem} ({error.context})"
    return Problem(source, line, col, _WHERE, _first_line(problem))


def _offset_position(text: str, offset: int) -> Pos:
    before = text[:offset]
    return (before.count("\n") + 1, offset - (before.rfind("\n") + 1) + 1)


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else text
