"""The sandbox server: Bot API at `/bot<token>/<method>`, files at `/file/bot<token>/<path>`,
control API at `/_control/<action>`, all on 127.0.0.1 only.

Rule: this module routes, authenticates, logs every Bot API call and applies injected faults;
the methods themselves live in `methods.py`, `media.py`, `albums.py` and `chats.py`. A bug
inside the sandbox becomes a 500 *and* an entry in `internal_errors`, which the pytest fixture
turns into a failed test, so a broken emulator is never mistaken for a broken bot.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
import time
import traceback
from types import TracebackType
from typing import Any

from sandbox import albums, chats, media, methods  # noqa: F401  (they register the Bot API methods)
from sandbox.context import METHOD_NAMES, METHODS, Context, SandboxConfig
from sandbox.control import ACTIONS
from sandbox.errors import ApiError, ControlError, SandboxError, too_many_requests
from sandbox.faults import Fault
from sandbox.http import HttpServer, Request, Response, status_phrase
from sandbox.params import Params, parse_params
from sandbox.state import CallRecord

_LOGGER = logging.getLogger(__name__)
HOST = "127.0.0.1"
_NOT_FOUND = {"ok": False, "error_code": 404, "description": "Not Found"}
_UNAUTHORIZED = {"ok": False, "error_code": 401, "description": "Unauthorized"}


class SandboxServer:
    """A running sandbox; use `async with SandboxServer(config) as server:`."""

    def __init__(self, config: SandboxConfig | None = None, *, port: int = 0) -> None:
        self.config = config or SandboxConfig()
        self.ctx = Context(self.config)
        self.internal_errors: list[str] = []
        self._requested_port = port
        self._http = HttpServer(self._route)
        self.port = 0

    @property
    def base_url(self) -> str:
        """Root URL, e.g. http://127.0.0.1:8081 (the control client's base)."""
        return f"http://{HOST}:{self.port}"

    @property
    def bot_api_url(self) -> str:
        """For `ApplicationBuilder().base_url(...)`: PTB appends `<token>/<method>`."""
        return f"{self.base_url}/bot"

    @property
    def file_url(self) -> str:
        """For `ApplicationBuilder().base_file_url(...)`."""
        return f"{self.base_url}/file/bot"

    @property
    def token(self) -> str:
        return self.config.token

    async def start(self) -> SandboxServer:
        self.port = await self._http.start(HOST, self._requested_port)
        return self

    async def close(self) -> None:
        await self._http.close()

    async def __aenter__(self) -> SandboxServer:
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def _route(self, request: Request) -> Response:
        try:
            return await self._dispatch(request)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            self.internal_errors.append(f"{request.method} {request.path}: {exc!r}")
            _LOGGER.error("sandbox bug on %s\n%s", request.path, traceback.format_exc())
            return Response.json(500, {"ok": False, "error_code": 500, "description": repr(exc)})

    async def _dispatch(self, request: Request) -> Response:
        path = request.path
        if path.startswith("/file/bot"):
            return self._download(path.removeprefix("/file/bot"))
        if path.startswith("/bot"):
            token, _, method = path.removeprefix("/bot").partition("/")
            if token != self.config.token:
                return Response.json(401, _UNAUTHORIZED)
            return await self._bot_call(method, request)
        if path.startswith("/_control/files/"):
            return self._file_bytes(self.ctx.world.files.get(path.rpartition("/")[2]))
        if path.startswith("/_control/"):
            return await self._control(path.removeprefix("/_control/"), request)
        return Response.json(404, _NOT_FOUND)

    def _download(self, rest: str) -> Response:
        token, _, file_path = rest.partition("/")
        if token != self.config.token:
            return Response.json(401, _UNAUTHORIZED)
        return self._file_bytes(self.ctx.world.file_by_path(file_path))

    @staticmethod
    def _file_bytes(record: Any) -> Response:
        if record is None:
            return Response.json(404, _NOT_FOUND)
        return Response(body=record.data, content_type=record.mime_type)

    async def _bot_call(self, method: str, request: Request) -> Response:
        try:
            params = parse_params(request.content_type, request.body, request.query)
        except ApiError as exc:
            return Response.json(exc.code, exc.payload())
        ctx = self.ctx
        method = METHOD_NAMES.get(method.lower(), method)
        call = CallRecord(len(ctx.world.calls) + 1, method, params.summary(), time.monotonic())
        ctx.world.calls.append(call)
        tracked = method.lower() != "getupdates"
        ctx.in_flight += tracked
        ctx.changes.bump()
        try:
            response = await self._perform(method, params)
        finally:
            ctx.in_flight -= tracked
            call.duration = time.monotonic() - call.started
            if call.status is None:
                call.status, call.description = 0, "no answer: connection closed"
            ctx.changes.bump()
        if not response.drop:
            call.status = response.status
            call.description = json.loads(response.body).get("description")
        return response

    async def _perform(self, method: str, params: Params) -> Response:
        fault = self.ctx.faults.take(method)
        if fault is not None and not fault.applied:
            return await self._suffer(fault)
        func = METHODS.get(method.lower())
        try:
            if func is None:
                raise ApiError(400, f"Bad Request: method {method} not emulated")
            result = func(self.ctx, params)
            if inspect.isawaitable(result):
                result = await result
            response = Response.json(200, {"ok": True, "result": result})
        except ApiError as exc:
            response = Response.json(exc.code, exc.payload())
        return response if fault is None else await self._suffer(fault)

    @staticmethod
    async def _suffer(fault: Fault) -> Response:
        if fault.kind == "error":
            body = {
                "ok": False,
                "error_code": fault.status,
                "description": status_phrase(fault.status),
            }
            return Response.json(fault.status, body)
        if fault.kind == "flood":
            error = too_many_requests(fault.retry_after)
            return Response.json(error.code, error.payload())
        if fault.kind == "hang":
            await asyncio.sleep(fault.hang_seconds)
        return Response.dropped()

    async def _control(self, name: str, request: Request) -> Response:
        handler = ACTIONS.get(name)
        if handler is None:
            return Response.json(404, {"ok": False, "description": f"no control action {name}"})
        try:
            body = json.loads(request.body or b"{}")
            if not isinstance(body, dict):
                raise ControlError("the body must be a JSON object")
            result = await handler(self.ctx, body)
        except ControlError as exc:
            return Response.json(exc.status, {"ok": False, "description": exc.description})
        except ApiError as exc:
            return Response.json(400, {"ok": False, "description": exc.description})
        except (KeyError, ValueError, TypeError) as exc:
            reason = f"missing field {exc}" if isinstance(exc, KeyError) else str(exc)
            return Response.json(400, {"ok": False, "description": f"{name}: {reason}"})
        return Response.json(200, {"ok": True, "result": result})


__all__ = ["HOST", "SandboxConfig", "SandboxError", "SandboxServer"]
