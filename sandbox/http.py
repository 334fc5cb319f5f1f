"""A small HTTP/1.1 server on asyncio streams: enough for httpx, nothing more.

Rule: this module knows bytes, headers and connections, never the Bot API. Its one trick is
noticing when a client hangs up while its request is still being answered (a long poll, an
injected hang): the handler is then cancelled, so a stopped bot cannot swallow the updates
meant for the next one.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any
from urllib.parse import unquote

_LOGGER = logging.getLogger(__name__)
_MAX_HEAD = 64 * 1024
# Telegram accepts uploads up to 50 MB; leave room for the multipart framing.
MAX_BODY = 64 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Request:
    """One parsed HTTP request."""

    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")


@dataclass(frozen=True, slots=True)
class Response:
    """What to send back; `drop` closes the connection without answering."""

    status: int = 200
    body: bytes = b""
    content_type: str = "application/json"
    drop: bool = False
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, status: int, payload: Any) -> Response:
        data = json.dumps(payload, ensure_ascii=False).encode()
        return cls(status=status, body=data)

    @classmethod
    def dropped(cls) -> Response:
        return cls(status=0, drop=True)


Handler = Callable[[Request], Awaitable[Response]]


class _BadHttp(Exception):
    def __init__(self, status: HTTPStatus) -> None:
        super().__init__(status.phrase)
        self.status = status


class HttpServer:
    """Serves `handler` on 127.0.0.1 with keep-alive, until `close`."""

    def __init__(self, handler: Handler) -> None:
        self._handler = handler
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.Task[None]] = set()

    async def start(self, host: str, port: int) -> int:
        """Listen and return the bound port (a free one when `port` is 0)."""
        self._server = await asyncio.start_server(self._accept, host, port, limit=_MAX_HEAD)
        return int(self._server.sockets[0].getsockname()[1])

    async def close(self) -> None:
        """Stop listening, cancel every open connection and wait until all are gone."""
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        tasks = list(self._connections)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._connections.add(task)
        try:
            await self._serve(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        except asyncio.CancelledError:
            # Only `close` cancels a connection; ending quietly keeps asyncio from logging it.
            pass
        finally:
            self._connections.discard(task)
            writer.close()
            with contextlib.suppress(ConnectionError, asyncio.CancelledError):
                await writer.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            try:
                request = await _read_request(reader, writer)
            except _BadHttp as exc:
                await _write(writer, Response.json(exc.status, {"ok": False}), keep_alive=False)
                return
            if request is None:
                return
            response, keep_alive = await self._answer(request, reader)
            if response is None or response.drop:
                return
            keep_alive = keep_alive and request.headers.get("connection", "").lower() != "close"
            await _write(writer, response, keep_alive=keep_alive)
            if not keep_alive:
                return

    async def _answer(
        self, request: Request, reader: asyncio.StreamReader
    ) -> tuple[Response | None, bool]:
        """Run the handler while watching the socket; give up if the client leaves."""
        work = asyncio.create_task(self._handle(request))
        watch = asyncio.create_task(reader.read(1))
        try:
            await asyncio.wait({work, watch}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (work, watch):
                if not task.done():
                    task.cancel()
            await asyncio.wait({work, watch})
        if work.cancelled():
            return None, False
        # A byte or an EOF from the client mid-request: httpx never pipelines, so close after.
        return work.result(), watch.cancelled()

    async def _handle(self, request: Request) -> Response:
        try:
            return await self._handler(request)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            _LOGGER.exception("sandbox handler failed on %s %s", request.method, request.path)
            return Response.json(500, {"ok": False, "error_code": 500, "description": repr(exc)})


async def _read_request(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> Request | None:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError:
        return None
    except asyncio.LimitOverrunError as exc:
        raise _BadHttp(HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE) from exc
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ")
    if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
        raise _BadHttp(HTTPStatus.BAD_REQUEST)
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if sep:
            headers[name.strip().lower()] = value.strip()
    if headers.get("expect", "").lower() == "100-continue":
        writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
    body = await _read_body(reader, headers)
    target, _, query = parts[1].partition("?")
    return Request(parts[0].upper(), unquote(target), query, headers, body)


async def _read_body(reader: asyncio.StreamReader, headers: dict[str, str]) -> bytes:
    if headers.get("transfer-encoding", "").lower() == "chunked":
        return await _read_chunked(reader)
    try:
        length = int(headers.get("content-length", "0"))
    except ValueError as exc:
        raise _BadHttp(HTTPStatus.BAD_REQUEST) from exc
    if length > MAX_BODY:
        raise _BadHttp(HTTPStatus.REQUEST_ENTITY_TOO_LARGE)
    return await reader.readexactly(length) if length > 0 else b""


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    chunks: list[bytes] = []
    total = 0
    while True:
        size_line = await reader.readuntil(b"\r\n")
        try:
            size = int(size_line.split(b";")[0].strip(), 16)
        except ValueError as exc:
            raise _BadHttp(HTTPStatus.BAD_REQUEST) from exc
        if size == 0:
            await _skip_trailers(reader)
            return b"".join(chunks)
        total += size
        if total > MAX_BODY:
            raise _BadHttp(HTTPStatus.REQUEST_ENTITY_TOO_LARGE)
        chunks.append(await reader.readexactly(size))
        await reader.readexactly(2)


async def _skip_trailers(reader: asyncio.StreamReader) -> None:
    while (await reader.readuntil(b"\r\n")) != b"\r\n":
        pass


def status_phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


async def _write(writer: asyncio.StreamWriter, response: Response, *, keep_alive: bool) -> None:
    phrase = status_phrase(response.status)
    head = [
        f"HTTP/1.1 {response.status} {phrase}",
        f"Content-Type: {response.content_type}",
        f"Content-Length: {len(response.body)}",
        f"Connection: {'keep-alive' if keep_alive else 'close'}",
        *(f"{name}: {value}" for name, value in response.headers.items()),
    ]
    writer.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + response.body)
    await writer.drain()
