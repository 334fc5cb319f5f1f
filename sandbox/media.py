"""Bot API methods on files and polls: sendPhoto, sendDocument, getFile, sendPoll, stopPoll.

Rule: uploaded bytes are kept as they came, so a test downloads exactly what the bot sent.
A photo must be an image (Telegram answers IMAGE_PROCESS_FAILED otherwise); a URL is refused
because the sandbox, like the tests, never reaches the internet.
"""

from __future__ import annotations

import struct
from typing import Any

from sandbox.context import Context, bot_method
from sandbox.errors import bad_request
from sandbox.methods import commit_edit, editable, reply_target, text_of
from sandbox.objects import file_obj, poll_obj
from sandbox.params import Params, Upload
from sandbox.rules import check_caption, check_markup
from sandbox.state import ChatRecord, FileRecord, PollRecord

# Telegram's getFile serves files up to 20 MB to bots.
_MAX_DOWNLOAD = 20 * 1024 * 1024
_MAX_PHOTO = 10 * 1024 * 1024
_MAX_POLL_OPTIONS = 12


def image_info(data: bytes) -> tuple[str, int, int] | None:
    """Kind, width and height of a PNG, GIF or JPEG image; None when it is none of these."""
    if data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return "png", int(width), int(height)
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        width, height = struct.unpack("<HH", data[6:10])
        return "gif", int(width), int(height)
    if data.startswith(b"\xff\xd8"):
        size = _jpeg_size(data)
        return ("jpg", *size) if size else None
    return None


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    pos = 2
    while pos + 9 < len(data):
        if data[pos] != 0xFF:
            return None
        marker = data[pos + 1]
        length = int.from_bytes(data[pos + 2 : pos + 4], "big")
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height, width = struct.unpack(">HH", data[pos + 5 : pos + 9])
            return int(width), int(height)
        pos += 2 + length
    return None


def input_file(
    ctx: Context, params: Params, field: str, *, folder: str, image: bool = False
) -> FileRecord:
    """The file a send method carries: an upload, `attach://name`, or a known file_id."""
    upload = params.upload(field)
    value = params.text(field)
    if upload is None and value and value.startswith("attach://"):
        upload = params.upload(value.removeprefix("attach://"))
    return file_from(ctx, upload, value, field=field, folder=folder, image=image)


def file_from(
    ctx: Context,
    upload: Upload | None,
    value: str | None,
    *,
    field: str,
    folder: str,
    image: bool = False,
) -> FileRecord:
    """Store `upload`, or find the known file_id `value`.

    Raises:
        ApiError: 400 as Telegram answers a non-image photo, a URL or an unknown file_id.
    """
    if upload is not None:
        info = image_info(upload.data) if image else ("", 0, 0)
        if info is None or (image and len(upload.data) > _MAX_PHOTO):
            raise bad_request("IMAGE_PROCESS_FAILED")
        record = ctx.world.store_file(
            upload.data,
            folder=folder,
            file_name=upload.filename,
            mime_type=f"image/{info[0].replace('jpg', 'jpeg')}" if image else upload.content_type,
            suffix=info[0] or None,
        )
        record.width, record.height = info[1], info[2]
        return record
    if not value:
        raise bad_request(f"there is no {field} in the request")
    known = ctx.world.files.get(value)
    if known is not None:
        return known
    if value.startswith(("http://", "https://")):
        raise bad_request("failed to get HTTP URL content")
    raise bad_request("wrong file identifier/HTTP URL specified")


def _send_media(
    ctx: Context, params: Params, chat: ChatRecord, field: str, record: FileRecord
) -> dict[str, Any]:
    caption, entities = text_of(params, "caption", "caption_entities")
    check_caption(caption)
    markup = check_markup(params.json("reply_markup"))
    reply = reply_target(ctx, chat, params)
    ctx.admit(chat)
    message = ctx.world.add_message(
        chat,
        ctx.world.bot.id,
        caption=caption or None,
        caption_entities=entities,
        reply_markup=markup,
        reply_to=reply,
        **{field: record.file_id},
    )
    return ctx.message_json(message)


@bot_method("sendPhoto")
def send_photo(ctx: Context, params: Params) -> dict[str, Any]:
    chat = ctx.writable_chat(params)
    record = input_file(ctx, params, "photo", folder="photos", image=True)
    return _send_media(ctx, params, chat, "photo", record)


@bot_method("sendDocument")
def send_document(ctx: Context, params: Params) -> dict[str, Any]:
    chat = ctx.writable_chat(params)
    record = input_file(ctx, params, "document", folder="documents")
    return _send_media(ctx, params, chat, "document", record)


@bot_method("getFile")
def get_file(ctx: Context, params: Params) -> dict[str, Any]:
    record = ctx.world.files.get(params.text("file_id") or "")
    if record is None:
        raise bad_request("invalid file_id")
    if len(record.data) > _MAX_DOWNLOAD:
        raise bad_request("file is too big")
    return file_obj(record).to_dict()


def _poll_options(params: Params) -> list[str]:
    raw = params.json("options")
    if not isinstance(raw, list):
        raise bad_request("can't parse options JSON object")
    texts = [item.get("text") if isinstance(item, dict) else item for item in raw]
    if len(texts) < 2:
        raise bad_request("poll must have at least 2 option")
    if len(texts) > _MAX_POLL_OPTIONS:
        raise bad_request("poll can't have more than 12 options")
    if not all(isinstance(text, str) and 1 <= len(text) <= 100 for text in texts):
        raise bad_request("POLL_OPTION_INVALID")
    return [str(text) for text in texts]


def _correct_options(params: Params, count: int) -> list[int] | None:
    ids = params.json("correct_option_ids")
    single = params.integer("correct_option_id")
    chosen = [int(i) for i in ids] if isinstance(ids, list) else None
    if chosen is None and single is not None:
        chosen = [single]
    if chosen is not None and not all(0 <= i < count for i in chosen):
        raise bad_request("wrong correct option ID specified")
    return chosen


@bot_method("sendPoll")
def send_poll(ctx: Context, params: Params) -> dict[str, Any]:
    chat = ctx.writable_chat(params)
    question = params.text("question") or ""
    if not 1 <= len(question) <= 300:
        raise bad_request("POLL_QUESTION_INVALID")
    options = _poll_options(params)
    kind = params.text("type", "regular")
    if kind not in ("regular", "quiz"):
        raise bad_request("wrong poll type specified")
    correct = _correct_options(params, len(options))
    if kind == "quiz" and not correct:
        raise bad_request("QUIZ_CORRECT_ANSWERS_EMPTY")
    markup = check_markup(params.json("reply_markup"))
    reply = reply_target(ctx, chat, params)
    ctx.admit(chat)
    poll = PollRecord(
        id=str(5_000_000_000 + ctx.world.next_id()),
        chat_id=chat.id,
        message_id=0,
        question=question,
        options=options,
        is_anonymous=params.flag("is_anonymous", True),
        type=kind,
        allows_multiple_answers=params.flag("allows_multiple_answers"),
        correct_option_ids=correct,
        explanation=params.text("explanation"),
        is_closed=params.flag("is_closed"),
    )
    ctx.world.polls[poll.id] = poll
    message = ctx.world.add_message(
        chat, ctx.world.bot.id, poll_id=poll.id, reply_markup=markup, reply_to=reply
    )
    poll.message_id = message.message_id
    return ctx.message_json(message)


@bot_method("stopPoll")
def stop_poll(ctx: Context, params: Params) -> dict[str, Any]:
    chat, record = editable(ctx, params)
    poll = ctx.world.polls.get(record.poll_id or "")
    if poll is None:
        raise bad_request("message with poll to stop not found")
    if poll.is_closed:
        raise bad_request("poll has already been closed")
    markup = check_markup(params.json("reply_markup"), inline_only=True)
    ctx.admit(chat)  # stopPoll edits the poll's message
    poll.is_closed = True
    commit_edit(ctx, record, reply_markup=markup or record.reply_markup)
    return poll_obj(poll).to_dict()
