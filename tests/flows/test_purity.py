"""`flows/` is the pure core: no I/O libraries, no clock, no randomness (walks the AST)."""

from __future__ import annotations

import ast
from pathlib import Path

FORBIDDEN_MODULES = {
    "telegram",
    "aiosqlite",
    "sqlite3",
    "asyncio",
    "apscheduler",
    "matplotlib",
    "random",
    "bot",
    "storage",
    "sandbox",
    "httpx",
    "socket",
    "subprocess",
    "time",
}
FORBIDDEN_CALLS = {("datetime", "now"), ("datetime", "utcnow"), ("date", "today"), ("time", "time")}
ENGINE_MODULES = {
    "engine",
    "conditions",
    "inputs",
    "path",
    "views",
    "state",
    "events",
    "effects",
    "schema",
}
ROOT = Path(__file__).resolve().parents[2] / "flows"


def breaches(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        modules: list[str] = []
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules = [node.module]
        found += [
            f"{path.name}:{node.lineno} imports {m}"
            for m in modules
            if m.split(".")[0] in FORBIDDEN_MODULES
        ]
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            owner = node.func.value
            name = owner.attr if isinstance(owner, ast.Attribute) else getattr(owner, "id", "")
            if (name, node.func.attr) in FORBIDDEN_CALLS:
                found.append(f"{path.name}:{node.lineno} calls {name}.{node.func.attr}")
    return found


def test_flows_package_imports_nothing_impure() -> None:
    files = sorted(ROOT.rglob("*.py"))
    assert {f.stem for f in files} >= ENGINE_MODULES
    assert [b for f in files for b in breaches(f)] == []


def test_the_check_itself_catches_a_breach(tmp_path: Path) -> None:
    sample = tmp_path / "bad.py"
    sample.write_text(
        "import asyncio\nfrom telegram import Bot\nimport datetime\nx = datetime.datetime.now()\n"
    )
    assert breaches(sample) == [
        "bad.py:1 imports asyncio",
        "bad.py:2 imports telegram",
        "bad.py:4 calls datetime.now",
    ]
