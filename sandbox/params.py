"""Bot API parameters, whatever way they arrived: query string, JSON, form or multipart.

Rule: PTB sends a form whose non-string values are JSON-encoded, or multipart when a file is
attached; other clients send JSON. Every accessor here accepts both spellings, and a value of
the wrong shape is refused as Telegram refuses it, with a 400.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from sandbox.errors import bad_request

_DISPOSITION_PARAM = re.compile(r';\s*([a-zA-Z*]+)="((?:[^"\\]|\\.)*)"')


@dataclass(frozen=True, slots=True)
class Upload:
    """A file part of a multipart request."""

    filename: str
    content_type: str
    data: bytes


class Params:
    """Typed access to one request's parameters."""

    def __init__(self, values: Mapping[str, Any], uploads: Mapping[str, Upload]) -> None:
        self._values = dict(values)
        self._uploads = dict(uploads)

    def has(self, name: str) -> bool:
        return self._values.get(name) is not None or name in self._uploads

    def text(self, name: str, default: str | None = None) -> str | None:
        value = self._values.get(name)
        if value is None:
            return default
        if isinstance(value, str):
            return value
        if isinstance(value, bool | int | float):
            return json.dumps(value)
        raise bad_request(f'field "{name}" must be of type String')

    def required_text(self, name: str) -> str:
        value = self.text(name)
        if value is None:
            raise bad_request(f"{name} is empty")
        return value

    def integer(self, name: str, default: int | None = None) -> int | None:
        value = self._values.get(name)
        if value is None or value == "":
            return default
        if isinstance(value, bool):
            raise bad_request(f'field "{name}" must be of type Integer')
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str) and re.fullmatch(r"-?\d+", value.strip()):
            return int(value)
        raise bad_request(f'field "{name}" must be of type Integer')

    def required_integer(self, name: str) -> int:
        value = self.integer(name)
        if value is None:
            raise bad_request(f"{name} is empty")
        return value

    def number(self, name: str, default: float) -> float:
        value = self._values.get(name)
        if value is None or value == "":
            return default
        try:
            return float(value)
        except (TypeError, ValueError) as exc:
            raise bad_request(f'field "{name}" must be a Number') from exc

    def flag(self, name: str, default: bool = False) -> bool:
        value = self._values.get(name)
        if value is None:
            return default
        if isinstance(value, bool):
            return value
        if isinstance(value, int):
            return value != 0
        if isinstance(value, str) and value.lower() in {"true", "false", "1", "0", ""}:
            return value.lower() in {"true", "1"}
        raise bad_request(f'field "{name}" must be of type Boolean')

    def json(self, name: str) -> Any:
        """A JSON object or array, decoded when it came as a string; None when absent."""
        value = self._values.get(name)
        if isinstance(value, str):
            try:
                return json.loads(value)
            except ValueError as exc:
                raise bad_request(f"can't parse {name} JSON object") from exc
        return value

    def upload(self, name: str) -> Upload | None:
        return self._uploads.get(name)

    def summary(self) -> dict[str, Any]:
        """The parameters as logged: JSON fields decoded, files reduced to name and size."""
        out: dict[str, Any] = {}
        for name, value in self._values.items():
            decoded = value
            if isinstance(value, str) and value[:1] in "[{":
                try:
                    decoded = json.loads(value)
                except ValueError:
                    decoded = value
            out[name] = decoded
        for name, upload in self._uploads.items():
            out[name] = {"filename": upload.filename, "size": len(upload.data)}
        return out


def parse_params(content_type: str, body: bytes, query: str) -> Params:
    """Decode a request into `Params`.

    Raises:
        ApiError: the body is not valid JSON, form or multipart data.
    """
    values: dict[str, Any] = dict(parse_qsl(query, keep_blank_values=True))
    uploads: dict[str, Upload] = {}
    kind = content_type.split(";")[0].strip().lower()
    if not body:
        return Params(values, uploads)
    if kind == "application/json":
        try:
            decoded = json.loads(body)
        except ValueError as exc:
            raise bad_request("can't parse JSON body") from exc
        if not isinstance(decoded, dict):
            raise bad_request("JSON body must be an object")
        values.update(decoded)
    elif kind == "multipart/form-data":
        form, uploads = _parse_multipart(content_type, body)
        values.update(form)
    else:
        values.update(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
    return Params(values, uploads)


def _parse_multipart(content_type: str, body: bytes) -> tuple[dict[str, str], dict[str, Upload]]:
    match = re.search(r'boundary="?([^";]+)"?', content_type)
    if match is None:
        raise bad_request("multipart body without boundary")
    delimiter = b"--" + match.group(1).encode("latin-1")
    form: dict[str, str] = {}
    uploads: dict[str, Upload] = {}
    for part in body.split(delimiter)[1:]:
        if part.startswith(b"--"):
            break
        head, sep, content = part.removeprefix(b"\r\n").partition(b"\r\n\r\n")
        if not sep:
            raise bad_request("malformed multipart part")
        headers = _part_headers(head.decode("utf-8", "replace"))
        params = dict(_DISPOSITION_PARAM.findall(headers.get("content-disposition", "")))
        name = _unescape(params.get("name", ""))
        content = content.removesuffix(b"\r\n")
        if "filename" in params:
            mime = headers.get("content-type", "application/octet-stream")
            uploads[name] = Upload(_unescape(params["filename"]), mime, content)
        else:
            form[name] = content.decode("utf-8", "replace")
    return form, uploads


def _part_headers(head: str) -> dict[str, str]:
    headers: dict[str, str] = {}
    for line in head.split("\r\n"):
        key, sep, value = line.partition(":")
        if sep:
            headers[key.strip().lower()] = value.strip()
    return headers


def _unescape(value: str) -> str:
    # httpx escapes quotes as %22 and backslashes as \\ inside Content-Disposition parameters.
    return value.replace("%22", '"').replace("\\\\", "\\")
