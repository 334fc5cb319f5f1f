"""The one exception family of `flows`, and the vocabulary of problems found in a flow file.

Rule: every exception raised on purpose by `flows` derives from `FlowError`. A problem names a
place in the flow by its path of keys and indexes (`("steps", 2, "when")`); only the loader turns
that path into a line and column, because only the loader has seen the YAML.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

PathItem = str | int
Path = tuple[PathItem, ...]


class FlowError(Exception):
    """Base of every error raised by `flows`."""


class FlowDefinitionError(FlowError):
    """A flow file is not a valid flow; `problems` lists every defect found, in file order."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems: list[Problem] = list(problems)
        super().__init__("\n".join(str(problem) for problem in self.problems))


@dataclass(frozen=True, slots=True)
class Finding:
    """A defect at a path of the flow, before it is given a position in a file."""

    path: Path
    message: str
    at_key: bool = False  # point at the key itself (an unknown key), not at its value


@dataclass(frozen=True, slots=True, order=True)
class Problem:
    """A defect with its position: `source:line:col: where: message` (1-based line and col)."""

    source: str
    line: int
    col: int
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.source}:{self.line}:{self.col}: {self.where}: {self.message}"


def format_path(path: Path) -> str:
    """`("steps", 2, "when")` as `steps[2].when`; the empty path is the whole file."""
    text = ""
    for item in path:
        if isinstance(item, int):
            text += f"[{item}]"
        else:
            text += f".{item}" if text else item
    return text or "(top level)"
