"""Formatted text: `parse_mode` HTML, MarkdownV2 and Markdown turned into text plus entities.

Rule: the stored text is what a user reads, markup stripped, as Telegram stores it; entity
offsets count UTF-16 code units. Malformed markup is refused with Telegram's
"can't parse entities", the error a bot meets most often in production (an unescaped '.'
in MarkdownV2).
"""

from __future__ import annotations

from collections.abc import Sequence
from html.parser import HTMLParser
from typing import Any

import telegram

from sandbox.errors import ApiError, bad_request

Entity = dict[str, Any]
_RESERVED_V2 = set("_*[]()~`>#+-=|{}.!")
_HTML_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "code": "code",
    "pre": "pre",
    "a": "text_link",
    "blockquote": "blockquote",
    "span": "spoiler",
}


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _cant_parse(reason: str) -> ApiError:
    return bad_request(f"can't parse entities: {reason}")


def formatted(
    text: str, parse_mode: str | None, entities: Sequence[Any] | None
) -> tuple[str, list[Entity]]:
    """Apply `entities` or `parse_mode` to `text`, as Telegram does on send and edit.

    Raises:
        ApiError: the markup does not parse, or the parse mode is unknown.
    """
    if entities:
        try:
            return text, [telegram.MessageEntity.de_json(e, None).to_dict() for e in entities]
        except (TypeError, KeyError, ValueError) as exc:
            raise bad_request("can't parse entities JSON object") from exc
    if not parse_mode:
        return text, []
    mode = parse_mode.lower()
    if mode == "html":
        return _parse_html(text)
    if mode == "markdownv2":
        return _MarkdownV2(text).parse()
    if mode == "markdown":
        return _parse_legacy_markdown(text)
    raise bad_request(f"unsupported parse_mode {parse_mode!r}")


class _HtmlEntities(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.length = 0
        self.entities: list[Entity] = []
        self.open: list[tuple[str, Entity]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        kind = _HTML_TAGS.get(tag)
        values = dict(attrs)
        if kind is None or (tag == "span" and values.get("class") != "tg-spoiler"):
            raise _cant_parse(f'Unsupported start tag "{tag}"')
        entity: Entity = {"type": kind, "offset": self.length}
        if tag == "a":
            entity["url"] = values.get("href") or ""
        if tag == "blockquote" and "expandable" in values:
            entity["type"] = "expandable_blockquote"
        if tag == "code" and self.open and self.open[-1][0] == "pre":
            language = (values.get("class") or "").removeprefix("language-")
            if language:
                self.open[-1][1]["language"] = language
            entity["type"] = "code_in_pre"
        self.open.append((tag, entity))

    def handle_endtag(self, tag: str) -> None:
        if not self.open or self.open[-1][0] != tag:
            raise _cant_parse(f'Unmatched end tag "{tag}"')
        _, entity = self.open.pop()
        entity["length"] = self.length - entity["offset"]
        if entity["type"] != "code_in_pre" and entity["length"] > 0:
            self.entities.append(entity)

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        self.length += utf16_len(data)


def _parse_html(source: str) -> tuple[str, list[Entity]]:
    parser = _HtmlEntities()
    parser.feed(source)
    parser.close()
    if parser.open:
        raise _cant_parse(f'Can\'t find end tag corresponding to start tag "{parser.open[-1][0]}"')
    return "".join(parser.text), sorted(parser.entities, key=lambda e: e["offset"])


class _MarkdownV2:
    """A left-to-right scanner; Telegram resolves `__` greedily as underline, as here."""

    _TOKENS = (
        ("||", "spoiler"),
        ("__", "underline"),
        ("*", "bold"),
        ("_", "italic"),
        ("~", "strikethrough"),
    )

    def __init__(self, source: str) -> None:
        self.src = source
        self.pos = 0
        self.out: list[str] = []
        self.length = 0
        self.entities: list[Entity] = []
        self.open: list[Entity] = []

    def parse(self) -> tuple[str, list[Entity]]:
        while self.pos < len(self.src):
            self._step()
        if self.open:
            raise _cant_parse(f"Can't find end of {self.open[-1]['type'].title()} entity")
        return "".join(self.out), sorted(self.entities, key=lambda e: e["offset"])

    def _emit(self, piece: str) -> None:
        self.out.append(piece)
        self.length += utf16_len(piece)

    def _step(self) -> None:
        char = self.src[self.pos]
        if char == "\\" and self.pos + 1 < len(self.src):
            self._emit(self.src[self.pos + 1])
            self.pos += 2
            return
        if char == "`":
            self._code()
            return
        if char == "[":
            self._link()
            return
        for token, kind in self._TOKENS:
            if self.src.startswith(token, self.pos):
                self._toggle(kind)
                self.pos += len(token)
                return
        if char in _RESERVED_V2:
            raise _cant_parse(
                f"Character '{char}' is reserved and must be escaped with the preceding '\\'"
            )
        self._emit(char)
        self.pos += 1

    def _toggle(self, kind: str) -> None:
        if self.open and self.open[-1]["type"] == kind:
            entity = self.open.pop()
            entity["length"] = self.length - entity["offset"]
            if entity["length"]:
                self.entities.append(entity)
        else:
            self.open.append({"type": kind, "offset": self.length})

    def _verbatim(self, end: str) -> str:
        """Read up to `end`, where only '\\' escapes and the closing mark count."""
        piece: list[str] = []
        while not self.src.startswith(end, self.pos):
            if self.pos >= len(self.src):
                raise _cant_parse("Can't find end of the entity")
            if self.src[self.pos] == "\\" and self.pos + 1 < len(self.src):
                self.pos += 1
            piece.append(self.src[self.pos])
            self.pos += 1
        self.pos += len(end)
        return "".join(piece)

    def _code(self) -> None:
        fence = "```" if self.src.startswith("```", self.pos) else "`"
        self.pos += len(fence)
        body = self._verbatim(fence)
        entity: Entity = {"type": "pre" if fence == "```" else "code", "offset": self.length}
        if fence == "```" and "\n" in body and body.split("\n", 1)[0].strip():
            entity["language"], body = body.split("\n", 1)
        self._emit(body)
        entity["length"] = utf16_len(body)
        self.entities.append(entity)

    def _link(self) -> None:
        self.pos += 1
        self.open.append({"type": "text_link", "offset": self.length})
        while not self.src.startswith("]", self.pos):
            if self.pos >= len(self.src):
                raise _cant_parse("Can't find end of a link text")
            self._step()
        entity = self.open.pop()
        if entity["type"] != "text_link" or not self.src.startswith("](", self.pos):
            raise _cant_parse("Can't find end of a URL")
        self.pos += 2
        entity["url"] = self._verbatim(")")
        entity["length"] = self.length - entity["offset"]
        self.entities.append(entity)


def _parse_legacy_markdown(source: str) -> tuple[str, list[Entity]]:
    out: list[str] = []
    entities: list[Entity] = []
    length = 0
    pos = 0
    marks = {"*": "bold", "_": "italic", "`": "code"}
    while pos < len(source):
        char = source[pos]
        if char == "\\" and pos + 1 < len(source) and source[pos + 1] in "*_`[":
            out.append(source[pos + 1])
            length += 1
            pos += 2
            continue
        fence = "```" if source.startswith("```", pos) else char
        if fence in marks or fence == "```":
            end = source.find(fence, pos + len(fence))
            if end < 0:
                raise _cant_parse(f"Can't find end of the entity starting at byte offset {pos}")
            body = source[pos + len(fence) : end]
            kind = "pre" if fence == "```" else marks[fence]
            entities.append({"type": kind, "offset": length, "length": utf16_len(body)})
            out.append(body)
            length += utf16_len(body)
            pos = end + len(fence)
            continue
        out.append(char)
        length += utf16_len(char)
        pos += 1
    return "".join(out), [e for e in entities if e["length"]]
