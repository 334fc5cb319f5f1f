"""End to end: a minimal PTB application, polling the sandbox, driven by simulated users."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, CommandHandler, ContextTypes, MessageHandler, filters

from sandbox.client import SandboxClient
from sandbox.pytest_plugin import application_builder, running_application
from sandbox.server import SandboxServer

pytestmark = pytest.mark.e2e


def tiny_png(width: int = 3, height: int = 2) -> bytes:
    """A valid PNG, so the photo path is the one production takes."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    rows = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_message is not None
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Oui", callback_data="yes")]])
    await update.effective_message.reply_text("Prêt ?", reply_markup=keyboard)


async def pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    assert query is not None
    await query.answer("Noté")
    await query.edit_message_text(f"Choix : {query.data}")


async def media(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    assert message is not None
    await message.reply_photo(tiny_png(), caption="graphique")
    await message.reply_document(io.BytesIO(b"a;b\n1;2\n"), filename="answers.csv")


async def upload(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    assert message is not None
    assert message.document is not None
    data = await (await message.document.get_file()).download_as_bytearray()
    await message.reply_text(f"reçu {len(data)} octets")


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    assert message is not None
    assert message.text is not None
    await message.reply_text(f"vu : {message.text}")


def build_app(sandbox: SandboxServer):  # type: ignore[no-untyped-def]
    app = application_builder(sandbox).build()
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CommandHandler("media", media))
    app.add_handler(CallbackQueryHandler(pressed))
    app.add_handler(MessageHandler(filters.Document.ALL, upload))
    app.add_handler(MessageHandler(filters.TEXT, echo))
    return app


async def test_private_chat_button_press_edits_the_message(
    sandbox: SandboxServer, sandbox_client: SandboxClient
) -> None:
    ana = await sandbox_client.create_user("Ana")
    async with running_application(build_app(sandbox)):
        await sandbox_client.send_command(ana.id, "start")
        question = await sandbox_client.wait_for_message(ana.id, contains="Prêt")
        assert question.button_texts == ["Oui"]

        query_id = await sandbox_client.press_button(ana.id, question, text="Oui")
        edited = await sandbox_client.wait_for_edit(ana.id, question.message_id)
        answer = await sandbox_client.wait_for_answer(query_id)

    assert edited.text == "Choix : yes"
    assert edited.buttons == ()  # an edit without reply_markup drops the keyboard
    assert (answer.text, answer.show_alert) == ("Noté", False)


async def test_photo_and_documents_travel_both_ways(
    sandbox: SandboxServer, sandbox_client: SandboxClient
) -> None:
    ana = await sandbox_client.create_user("Ana")
    async with running_application(build_app(sandbox)):
        await sandbox_client.send_command(ana.id, "media")
        photo = await sandbox_client.wait_for_message(ana.id, lambda m: m.photo is not None)
        document = await sandbox_client.wait_for_message(
            ana.id, contains="", predicate=lambda m: m.document is not None
        )
        await sandbox_client.send_document(ana.id, b"x" * 1234, filename="swot.pdf")
        receipt = await sandbox_client.wait_for_message(ana.id, contains="reçu")

    assert photo.photo is not None
    assert photo.caption == "graphique"
    assert await sandbox_client.download(photo.photo) == tiny_png()
    assert (photo.photo.width, photo.photo.height) == (3, 2)
    assert document.document is not None
    assert document.document.file_name == "answers.csv"
    assert await sandbox_client.download(document.document) == b"a;b\n1;2\n"
    assert receipt.text == "reçu 1234 octets"


async def test_group_of_three_with_privacy_mode(
    sandbox: SandboxServer, sandbox_client: SandboxClient
) -> None:
    ana, ben, chloe = [await sandbox_client.create_user(n) for n in ("Ana", "Ben", "Chloé")]
    group = await sandbox_client.create_group(
        "Cohorte", members=[ben.id, chloe.id], admins=[ana.id]
    )
    async with running_application(build_app(sandbox)):
        await sandbox_client.send_text(ben.id, "bonjour à tous", chat_id=group.id)
        await sandbox_client.send_command(ana.id, "start", chat_id=group.id)
        question = await sandbox_client.wait_for_message(group.id, contains="Prêt")
        await sandbox_client.send_text(
            chloe.id, "réponse", chat_id=group.id, reply_to=question.message_id
        )
        reply = await sandbox_client.wait_for_message(group.id, contains="vu")
        await sandbox_client.send_text(ben.id, "@bilan_sandbox_bot hello", chat_id=group.id)
        mention = await sandbox_client.wait_for_message(group.id, contains="vu")
        await sandbox_client.wait_idle()

    texts = [m.content for m in await sandbox_client.messages(group.id)]
    assert "vu : bonjour à tous" not in texts  # privacy mode: plain chatter never reached the bot
    assert reply.text == "vu : réponse"
    assert mention.text == "vu : @bilan_sandbox_bot hello"
