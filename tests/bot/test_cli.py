"""`bilan-bot` at a terminal: clear one-line reasons, never a traceback."""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from sandbox.server import SandboxServer


def run(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "console", *args],
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2]), **env},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def assert_one_line(result: subprocess.CompletedProcess[str]) -> str:
    assert "Traceback" not in result.stdout + result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("bilan-bot:")]
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_run_without_a_token_points_at_the_example_and_the_demo(tmp_path: Path) -> None:
    result = run("run", env={"BOT_TOKEN": ""}, cwd=tmp_path)
    assert result.returncode == 2
    assert ".env.example" in result.stderr
    assert "make demo" in result.stderr
    assert "Traceback" not in result.stderr


async def test_a_token_telegram_rejects_is_one_line(tmp_path: Path, sandbox: SandboxServer) -> None:
    env = {
        "BOT_TOKEN": "999:not-the-sandbox-token",
        "TELEGRAM_BASE_URL": sandbox.bot_api_url,
        "DATABASE_PATH": str(tmp_path / "bilan.db"),
    }
    result = await _in_thread(run, "run", env=env, cwd=tmp_path)
    assert result.returncode == 1
    assert (
        assert_one_line(result) == "bilan-bot: Telegram rejected the token: check BOT_TOKEN in .env"
    )


def test_no_network_is_one_line(tmp_path: Path) -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    env = {
        "BOT_TOKEN": "1:x",
        "TELEGRAM_BASE_URL": f"http://127.0.0.1:{port}/bot",
        "DATABASE_PATH": str(tmp_path / "bilan.db"),
    }
    result = run("run", env=env, cwd=tmp_path)
    assert result.returncode == 1
    assert assert_one_line(result).startswith("bilan-bot: cannot reach Telegram")


def test_a_database_that_cannot_be_opened_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "blocker").write_text("a file where a folder should be")
    env = {"BOT_TOKEN": "1:x", "DATABASE_PATH": str(tmp_path / "blocker" / "bilan.db")}
    result = run("run", env=env, cwd=tmp_path)
    assert result.returncode == 1
    assert assert_one_line(result).startswith("bilan-bot: database:")


def test_migrate_then_backup_while_the_database_is_in_use(tmp_path: Path) -> None:
    env = {"DATABASE_PATH": str(tmp_path / "data" / "bilan.db")}
    migrated = run("migrate", env=env, cwd=tmp_path)
    assert migrated.returncode == 0, migrated.stderr
    holder = sqlite3.connect(tmp_path / "data" / "bilan.db")  # another reader holds the file open
    try:
        backup = run("backup", str(tmp_path / "copy.db"), env=env, cwd=tmp_path)
    finally:
        holder.close()
    assert backup.returncode == 0, backup.stderr
    copy = sqlite3.connect(tmp_path / "copy.db")
    try:
        flows = copy.execute("SELECT flow_id FROM flows ORDER BY flow_id").fetchall()
    finally:
        copy.close()
    assert flows == [("satisfaction",), ("swot",)]


async def _in_thread(
    function: object, *args: object, **kwargs: object
) -> subprocess.CompletedProcess[str]:
    # The sandbox runs in this test's event loop: the child must not block it.
    import asyncio

    assert callable(function)
    result: subprocess.CompletedProcess[str] = await asyncio.to_thread(function, *args, **kwargs)
    return result


@pytest.fixture(autouse=True)
def _no_env_file(tmp_path: Path) -> None:
    """The commands run in tmp_path, where no .env exists: only the test's settings count."""


FLOW = """
id: checkin
version: 1
title: {fr: Point d'étape}
steps:
  - id: mood
    kind: scale
    text: {fr: "Comment ça va ?"}
"""


def test_a_flow_changed_without_a_new_version_is_one_line(tmp_path: Path) -> None:
    flows = tmp_path / "flows"
    flows.mkdir()
    (flows / "checkin.yaml").write_text(FLOW, encoding="utf-8")
    env = {"DATABASE_PATH": str(tmp_path / "bilan.db"), "FLOWS_DIR": str(flows)}
    assert run("migrate", env=env, cwd=tmp_path).returncode == 0
    changed = FLOW.replace("Comment ça va ?", "Comment allez-vous ?")
    (flows / "checkin.yaml").write_text(changed, encoding="utf-8")
    result = run("migrate", env=env, cwd=tmp_path)
    assert result.returncode == 1
    line = assert_one_line(result)
    assert line.startswith("bilan-bot: flows: flow 'checkin' version 1 is already registered")
    assert "bump its version" in line
