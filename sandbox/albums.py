"""Bot API methods that take `InputMedia`: sendMediaGroup (albums) and editMessageMedia.

Rule: as Telegram, an album holds 1 to 10 items, documents only with documents, each caption
at most 1,024 characters; every item is checked before anything is stored or sent, so a
refused album leaves no message. An album of n items counts n messages in the flood windows,
as Telegram counts it. Only photos and documents are emulated; other kinds are refused with a
400 that says so rather than half-emulated.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from sandbox.context import Context, bot_method
from sandbox.errors import bad_request
from sandbox.media import file_from
from sandbox.methods import commit_edit, editable, inline, refuse_unchanged, reply_target, text_of
from sandbox.params import Params, Upload
from sandbox.rules import check_caption, check_markup
from sandbox.state import MessageRecord

MAX_ALBUM = 10
MediaKind = Literal["photo", "document"]
_NOT_FOUND = "can't parse InputMedia: media not found"


@dataclass(frozen=True, slots=True)
class MediaItem:
    """One `InputMedia` checked: its kind, caption, and where its file comes from."""

    kind: MediaKind
    caption: str
    entities: list[Any]
    upload: Upload | None
    file_id: str | None


def media_item(params: Params, raw: Any) -> MediaItem:
    """Check one `InputMedia` object of the request.

    Raises:
        ApiError: 400 for a malformed item, an unknown kind, a long caption, a missing part.
    """
    if not isinstance(raw, dict):
        raise bad_request("can't parse InputMedia JSON object")
    kind = raw.get("type")
    if kind not in ("photo", "document"):
        raise bad_request(f"InputMedia of type {kind!r} not emulated")
    caption, entities = text_of(Params(raw, {}), "caption", "caption_entities")
    check_caption(caption)
    media = raw.get("media")
    if not isinstance(media, str) or not media:
        raise bad_request(_NOT_FOUND)
    if media.startswith("attach://"):
        upload = params.upload(media.removeprefix("attach://"))
        if upload is None:
            raise bad_request(_NOT_FOUND)
        return MediaItem(kind, caption, entities, upload, None)
    return MediaItem(kind, caption, entities, None, media)


def _stored(ctx: Context, item: MediaItem) -> str:
    folder, image = ("photos", True) if item.kind == "photo" else ("documents", False)
    record = file_from(ctx, item.upload, item.file_id, field="media", folder=folder, image=image)
    return record.file_id


def _album(params: Params) -> list[MediaItem]:
    raw = params.json("media")
    if raw is not None and not isinstance(raw, list):
        raise bad_request("can't parse media JSON object")
    if not raw:
        raise bad_request("there are no messages to send")
    if len(raw) > MAX_ALBUM:
        raise bad_request("too many messages to send as an album")
    items = [media_item(params, entry) for entry in raw]
    kinds = {item.kind for item in items}
    if "document" in kinds and len(kinds) > 1:
        raise bad_request("document can't be mixed with other media types")
    return items


@bot_method("sendMediaGroup")
def send_media_group(ctx: Context, params: Params) -> list[dict[str, Any]]:
    chat = ctx.writable_chat(params)
    items = _album(params)
    files = [_stored(ctx, item) for item in items]
    reply = reply_target(ctx, chat, params)
    ctx.admit(chat, count=len(items))
    group = str(13_000_000_000 + ctx.world.next_id()) if len(items) > 1 else None
    sent = [
        ctx.world.add_message(
            chat,
            ctx.world.bot.id,
            caption=item.caption or None,
            caption_entities=item.entities,
            reply_to=reply,
            media_group_id=group,
            **{item.kind: file_id},
        )
        for item, file_id in zip(items, files, strict=True)
    ]
    return [ctx.message_json(message) for message in sent]


def _kind(record: MessageRecord) -> MediaKind | None:
    return "photo" if record.photo else "document" if record.document else None


@bot_method("editMessageMedia")
def edit_message_media(ctx: Context, params: Params) -> dict[str, Any]:
    chat, record = editable(ctx, params)
    kind = _kind(record)
    if kind is None:
        raise bad_request("there is no media in the message to edit")
    item = media_item(params, params.json("media"))
    if record.media_group_id and "document" in (kind, item.kind) and kind != item.kind:
        raise bad_request("can't change media type in the album")
    markup = check_markup(params.json("reply_markup"), inline_only=True)
    file_id = _stored(ctx, item)
    ctx.admit(chat)
    refuse_unchanged(
        (item.kind, file_id, item.caption, item.entities, markup),
        (
            kind,
            record.photo or record.document,
            record.caption or "",
            record.caption_entities,
            inline(record.reply_markup),
        ),
    )
    return commit_edit(
        ctx,
        record,
        photo=file_id if item.kind == "photo" else None,
        document=file_id if item.kind == "document" else None,
        caption=item.caption or None,
        caption_entities=item.entities,
        reply_markup=markup,
    )
