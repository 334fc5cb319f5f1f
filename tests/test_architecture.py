"""The shape of the product code, read from its source: what may import what, and what no
module may do to the interpreter or to aiosqlite (walks the AST, so function-level imports
count too)."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PRODUCT = ("bot", "flows", "storage", "console", "reports")
# Calls that tune the whole process, and the private corners of aiosqlite.
FORBIDDEN_CALLS = {("sys", "setswitchinterval"), ("gc", "freeze"), ("gc", "set_threshold")}
FORBIDDEN_NAMES = {"c_make_encoder"}
AIOSQLITE_PRIVATE = {"_connection", "_running", "_tx", "_thread", "_execute"}


def _modules(package: str) -> Iterator[tuple[str, Path]]:
    for path in sorted((ROOT / package).rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        yield name, path


def _imports(path: Path, name: str) -> Iterator[tuple[int, str]]:
    """Every module `path` imports, anywhere in it, as absolute names."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            yield node.lineno, base
            for alias in node.names:  # `from bot import survey` imports bot.survey
                yield node.lineno, f"{base}.{alias.name}"


def _graph(package: str) -> dict[str, set[str]]:
    names = {name for name, _ in _modules(package)}
    graph: dict[str, set[str]] = {}
    for name, path in _modules(package):
        graph[name] = {
            target for _, target in _imports(path, name) if target in names and target != name
        }
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    visiting: list[str] = []
    done: set[str] = set()

    def visit(node: str) -> list[str] | None:
        if node in visiting:
            return [*visiting[visiting.index(node) :], node]
        if node in done:
            return None
        visiting.append(node)
        for target in sorted(graph[node]):
            found = visit(target)
            if found:
                return found
        visiting.pop()
        done.add(node)
        return None

    for start in sorted(graph):
        found = visit(start)
        if found:
            return found
    return None


def test_bot_has_no_import_cycle() -> None:
    cycle = _cycle(_graph("bot"))
    assert cycle is None, " → ".join(cycle or [])


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


def test_bot_does_not_import_the_sandbox() -> None:
    found = [
        f"{path.relative_to(ROOT)}:{line} imports {target}"
        for name, path in _modules("bot")
        for line, target in _imports(path, name)
        if target.split(".")[0] == "sandbox"
    ]
    assert found == []


def _breaches(path: Path) -> Iterator[str]:
    where = path.name
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Attribute):
            owner = getattr(node.value, "id", "")
            if (owner, node.attr) in FORBIDDEN_CALLS:
                yield f"{where}:{node.lineno} uses {owner}.{node.attr}"
            if node.attr in AIOSQLITE_PRIVATE:
                yield f"{where}:{node.lineno} reaches into .{node.attr}"
        names = [a.name for a in node.names] if isinstance(node, ast.ImportFrom) else []
        if isinstance(node, ast.Name):
            names = [node.id]
        for name in names:
            if name in FORBIDDEN_NAMES:
                yield f"{where}:{node.lineno} uses {name}"


def test_product_code_leaves_the_interpreter_and_aiosqlite_alone() -> None:
    found = [b for package in PRODUCT for _, path in _modules(package) for b in _breaches(path)]
    assert found == []


def test_the_breach_finder_finds_each_breach(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import gc, sys\nfrom json.encoder import c_make_encoder\n"
        "sys.setswitchinterval(0.001)\ngc.freeze()\nraw = db._connection\n",
        encoding="utf-8",
    )
    assert len(list(_breaches(sample))) == 4
