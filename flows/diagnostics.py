"""pydantic's validation errors, reworded for the people who write flow files.

Rule: one finding per defect, at the path a facilitator wrote. pydantic's `loc` also names the
members of tagged unions (`steps.1.choice.when.compare`), which appear nowhere in the file: they
are dropped here, and so are the per-member repeats of a scalar union (`equals.str`,
`equals.int`, `equals.float` become one finding).
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping
from typing import Any, get_args

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from flows.errors import Finding, Path
from flows.schema import ID_PATTERN, LANGUAGES, Flow

_SCALAR_TAGS = {"str": "text", "int": "a number", "float": "a number", "bool": "true or false"}
_CONDITION_TAGS = frozenset({"compare", "answered", "allof", "anyof", "not"})
_NOUNS = {"steps": "step", "options": "option", "languages": "language"}


def schema_findings(error: ValidationError, data: Any) -> list[Finding]:
    """One finding per defect that pydantic found in `data`."""
    findings: list[Finding] = []
    unions: dict[Path, list[ErrorDetails]] = {}
    for detail in error.errors(include_url=False):
        path, in_union = strip_tags(detail["loc"], data)
        if in_union:
            unions.setdefault(path, []).append(detail)
        else:
            findings.append(_finding(path, detail, data))
    for path, details in unions.items():
        expected = dict.fromkeys(_SCALAR_TAGS[_union_member(d)] for d in details)
        message = f"expected {' or '.join(expected)}, got {describe(details[0]['input'])}"
        findings.append(Finding(path, message))
    return findings


def strip_tags(loc: tuple[int | str, ...], data: Any) -> tuple[Path, bool]:
    """The path written in the file for a pydantic `loc`, and whether it named a union member.

    A tag comes first when pydantic enters a tagged value: right under `steps[i]` (the kind) and
    under a condition (`compare`, `allof`…). Walking the data tells a tag from a key of the same
    name (a `text` step has a `text` key).
    """
    path: Path = ()
    node = data
    fresh = False
    in_union = False
    for segment in loc:
        if fresh and _is_tag(path, node, segment):
            in_union = in_union or segment in _SCALAR_TAGS
            fresh = False
            continue
        node = _child(node, segment)
        path = (*path, segment)
        fresh = True
    return path, in_union


def _is_tag(path: Path, node: Any, segment: int | str) -> bool:
    if not isinstance(segment, str):
        return False
    if segment in _SCALAR_TAGS:
        return not (isinstance(node, dict) and segment in node)
    if not isinstance(node, dict):
        return False
    if len(path) == 2 and path[0] == "steps" and isinstance(path[1], int):
        return segment == node.get("kind")
    return is_condition_path(path) and segment in _CONDITION_TAGS


def is_condition_path(path: Path) -> bool:
    if not path:
        return False
    if path[-1] in ("when", "not"):
        return True
    return len(path) >= 2 and path[-2] in ("all", "any") and isinstance(path[-1], int)


def _child(node: Any, segment: int | str) -> Any:
    if isinstance(node, dict) and segment in node:
        return node[segment]
    if isinstance(node, list) and isinstance(segment, int) and 0 <= segment < len(node):
        return node[segment]
    return None


def _union_member(detail: ErrorDetails) -> str:
    return next(str(s) for s in reversed(detail["loc"]) if s in _SCALAR_TAGS)


def describe(value: Any) -> str:
    """A value as the file shows it: `'text'`, `5`, `true`, `a mapping`, `nothing`."""
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    text = str(value)
    return repr(text if len(text) <= 40 else text[:39] + "…")


# ---- messages -------------------------------------------------------------------------------


def _finding(path: Path, detail: ErrorDetails, data: Any) -> Finding:
    kind = detail["type"]
    if kind == "extra_forbidden":
        return Finding(path, _unknown_key(path, data), at_key=True)
    if kind in ("missing", "union_tag_not_found"):
        missing = path if kind == "missing" else (*path, "kind")
        message = f"missing required key '{missing[-1]}'"
        if kind == "union_tag_not_found":
            message += f" (one of: {', '.join(step_kinds())})"
        return Finding(missing, message)
    if kind == "union_tag_invalid":
        tag = str((detail.get("ctx") or {}).get("tag", ""))
        return Finding((*path, "kind"), f"unknown kind '{tag}'{_suggest(tag, step_kinds())}")
    reword = _REWORDED.get(kind)
    message = reword(detail, path) if reword else _plain(detail["msg"])
    return Finding(path, message)


def _unknown_key(path: Path, data: Any) -> str:
    key = str(path[-1])
    model = model_at(path[:-1], data)
    if model is None:
        return f"unknown key '{key}'"
    return f"unknown key '{key}'{_suggest(key, keys_of(model))}"


def _suggest(word: str, known: list[str]) -> str:
    close = difflib.get_close_matches(word, known, n=1, cutoff=0.6)
    hint = f"did you mean '{close[0]}'? " if close else ""
    return f" ({hint}known: {', '.join(known)})"


def _plain(message: str) -> str:
    for prefix in ("Value error, ", "Assertion failed, "):
        message = message.removeprefix(prefix)
    return message


def _type(expected: str) -> Callable[[ErrorDetails, Path], str]:
    def reword(detail: ErrorDetails, path: Path) -> str:
        got = detail["input"]
        hint = ""
        if expected == "true or false" and str(got).lower() in ("yes", "no", "on", "off"):
            hint = " (in YAML 1.2, yes/no/on/off are text)"
        return f"expected {expected}, got {describe(got)}{hint}"

    return reword


def _model_type(detail: ErrorDetails, path: Path) -> str:
    got = describe(detail["input"])
    if (detail.get("ctx") or {}).get("class_name") == "Text":
        return f"expected a text in each language ({{fr: …, en: …, nl: …}}), got {got}"
    return f"expected a mapping, got {got}"


def _literal(detail: ErrorDetails, path: Path) -> str:
    got = detail["input"]
    if len(path) >= 2 and path[-2] == "languages":
        return f"unknown language {describe(got)} (known: {', '.join(LANGUAGES)})"
    expected = str((detail.get("ctx") or {}).get("expected", "")).replace("'", "")
    return f"expected {expected}, got {describe(got)}"


def _pattern(detail: ErrorDetails, path: Path) -> str:
    got = describe(detail["input"])
    if (detail.get("ctx") or {}).get("pattern") == ID_PATTERN:
        return (
            f"{got} is not a valid id: lowercase letters, digits and _, "
            "starting with a letter, 32 characters at most"
        )
    return _plain(detail["msg"])


def _length(detail: ErrorDetails, path: Path) -> str:
    ctx = detail.get("ctx") or {}
    noun = _NOUNS.get(str(path[-1]), "item") if path else "item"
    got = detail["input"]
    count = len(got) if isinstance(got, list | str | dict) else 0
    if detail["type"] == "too_short":
        limit, bound = ctx.get("min_length", 1), "at least"
    else:
        limit, bound = ctx.get("max_length", 0), "at most"
    plural = "" if limit == 1 else "s"
    return f"needs {bound} {limit} {noun}{plural}, got {count}"


def _bound(word: str, key: str) -> Callable[[ErrorDetails, Path], str]:
    def reword(detail: ErrorDetails, path: Path) -> str:
        limit = (detail.get("ctx") or {}).get(key)
        return f"must be {word} {limit}, got {describe(detail['input'])}"

    return reword


def _condition(detail: ErrorDetails, path: Path) -> str:
    return f"{_plain(detail['msg'])}; got {describe(detail['input'])}"


_REWORDED: Mapping[str, Callable[[ErrorDetails, Path], str]] = {
    "string_type": _type("text"),
    "int_type": _type("a whole number"),
    "int_parsing": _type("a whole number"),
    "int_from_float": _type("a whole number"),
    "float_type": _type("a number"),
    "float_parsing": _type("a number"),
    "bool_type": _type("true or false"),
    "bool_parsing": _type("true or false"),
    "list_type": _type("a list"),
    "dict_type": _type("a mapping"),
    "model_type": _model_type,
    "model_attributes_type": _type("a mapping"),
    "literal_error": _literal,
    "string_pattern_mismatch": _pattern,
    "too_short": _length,
    "too_long": _length,
    "greater_than_equal": _bound("at least", "ge"),
    "greater_than": _bound("more than", "gt"),
    "less_than_equal": _bound("at most", "le"),
    "less_than": _bound("less than", "lt"),
    "invalid_condition": _condition,
}


# ---- which model a path is --------------------------------------------------------------------


def model_at(path: Path, data: Any) -> type[BaseModel] | None:
    """The model that validates the mapping at `path`, to list the keys it knows."""
    candidates: tuple[type[BaseModel], ...] = (Flow,)
    node = data
    for segment in path:
        if isinstance(segment, str):
            model = _pick(candidates, node)
            field = _field_by_key(model, segment) if model else None
            if field is None:
                return None
            candidates = _models_in(field.annotation)
        node = _child(node, segment)
    return _pick(candidates, node)


def keys_of(model: type[BaseModel]) -> list[str]:
    return [field.alias or name for name, field in model.model_fields.items()]


def step_kinds() -> list[str]:
    return [str(get_args(m.model_fields["kind"].annotation)[0]) for m in _step_models()]


def _step_models() -> tuple[type[BaseModel], ...]:
    return _models_in(Flow.model_fields["steps"].annotation)


def _field_by_key(model: type[BaseModel], key: str) -> Any:
    for name, field in model.model_fields.items():
        if (field.alias or name) == key:
            return field
    return None


def _models_in(annotation: Any) -> tuple[type[BaseModel], ...]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return (annotation,)
    return tuple(model for arg in get_args(annotation) for model in _models_in(arg))


def _pick(candidates: tuple[type[BaseModel], ...], node: Any) -> type[BaseModel] | None:
    """The member of a union that `node` is meant to be: by its `kind`, else by its keys."""
    if len(candidates) <= 1 or not isinstance(node, dict):
        return candidates[0] if candidates else None
    for model in candidates:
        kind = model.model_fields.get("kind")
        if kind is not None and node.get("kind") in get_args(kind.annotation):
            return model
    return max(candidates, key=lambda model: len(set(keys_of(model)) & set(node)))
