"""The transport: JSON, query string, form and multipart bodies; chunked; paths and tokens."""

from __future__ import annotations

import asyncio
import json
import sys

import httpx
import pytest

from sandbox.client import SandboxClient
from sandbox.server import SandboxServer


@pytest.fixture
async def http(sandbox: SandboxServer) -> httpx.AsyncClient:
    async with httpx.AsyncClient(base_url=f"{sandbox.bot_api_url}{sandbox.token}") as client:
        yield client  # type: ignore[misc]


@pytest.fixture
async def ana(sandbox_client: SandboxClient) -> int:
    return (await sandbox_client.create_user("Ana", user_id=42, started=True)).id


async def test_json_body(http: httpx.AsyncClient, ana: int) -> None:
    body = {
        "chat_id": ana,
        "text": "json",
        "reply_markup": {"inline_keyboard": [[{"text": "a", "callback_data": "a"}]]},
    }
    answer = (await http.post("/sendMessage", json=body)).json()
    assert answer["ok"]
    assert answer["result"]["text"] == "json"
    assert answer["result"]["date"] < 10**10  # seconds, not milliseconds


async def test_query_string_get(http: httpx.AsyncClient, ana: int) -> None:
    answer = (await http.get("/sendMessage", params={"chat_id": ana, "text": "get"})).json()
    assert answer["result"]["text"] == "get"


async def test_form_and_multipart(
    http: httpx.AsyncClient, ana: int, sandbox_client: SandboxClient
) -> None:
    await http.post("/sendMessage", data={"chat_id": str(ana), "text": '{"not": "json"}'})
    files = {"document": ('fi"le.txt', b"\x00\x01binary", "application/x-thing")}
    answer = (
        await http.post("/sendDocument", data={"chat_id": str(ana), "caption": "é"}, files=files)
    ).json()
    assert answer["result"]["document"]["file_name"] == 'fi"le.txt'
    texts = [m.content for m in await sandbox_client.messages(ana)]
    assert texts == ['{"not": "json"}', "é"]
    message = (await sandbox_client.messages(ana))[1]
    assert message.document is not None
    assert await sandbox_client.download(message.document) == b"\x00\x01binary"


async def test_chunked_body(sandbox: SandboxServer, ana: int) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", sandbox.port)
    body = json.dumps({"chat_id": ana, "text": "morceaux"}).encode()
    chunks = b"".join(
        b"%x\r\n%s\r\n" % (len(body[i : i + 7]), body[i : i + 7]) for i in range(0, len(body), 7)
    )
    writer.write(
        f"POST /bot{sandbox.token}/sendMessage HTTP/1.1\r\nHost: x\r\n"
        "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n"
        "Connection: close\r\n\r\n".encode()
        + chunks
        + b"0\r\n\r\n"
    )
    await writer.drain()
    response = await reader.read()
    writer.close()
    await writer.wait_closed()
    assert response.startswith(b"HTTP/1.1 200 OK")
    assert b"morceaux" in response


async def test_wrong_token_paths_and_files(sandbox: SandboxServer, http: httpx.AsyncClient) -> None:
    async with httpx.AsyncClient(base_url=sandbox.base_url) as raw:
        assert (await raw.post("/bot1:bad/getMe")).status_code == 401
        assert (await raw.get(f"/file/bot{sandbox.token}/photos/none.png")).status_code == 404
        assert (await raw.get("/file/bot1:bad/photos/none.png")).status_code == 401
        assert (await raw.get("/elsewhere")).status_code == 404
    answer = await http.post(
        "/sendMessage", content=b"{broken", headers={"content-type": "application/json"}
    )
    assert answer.status_code == 400
    assert answer.json()["ok"] is False


async def test_standalone_prints_its_url_and_stops_on_sigterm() -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "sandbox",
        "--port",
        "0",
        "--flood",
        "off",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None
    line = (await asyncio.wait_for(process.stdout.readline(), 10)).decode().strip()
    assert line.startswith("http://127.0.0.1:")
    async with SandboxClient(line) as client:
        assert (await client.create_user("Ana")).first_name == "Ana"
    process.terminate()
    _, err = await asyncio.wait_for(process.communicate(), 10)
    assert process.returncode == 0, err.decode()
