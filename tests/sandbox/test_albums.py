"""What a group workshop posts besides text: pictures with captions, albums, documents, edited
media, and the download path by which a test looks at the picture the bot sent."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from telegram import Bot, InputMediaDocument, InputMediaPhoto
from telegram.error import BadRequest

from sandbox.client import SandboxClient
from tests.sandbox.test_smoke import tiny_png


@pytest.fixture
async def group(sandbox_client: SandboxClient) -> int:
    ana = await sandbox_client.create_user("Ana", user_id=42, started=True)
    return (await sandbox_client.create_group("Cohorte", admins=[ana.id])).id


async def test_a_picture_the_bot_uploads_is_downloaded_and_decoded(
    sandbox_bot: Bot, sandbox_client: SandboxClient, group: int
) -> None:
    sent = await sandbox_bot.send_photo(group, tiny_png(64, 48), caption="SWOT " + "x" * 1019)
    [seen] = await sandbox_client.messages(group)
    assert seen.photo is not None
    assert (seen.photo.width, seen.photo.height, seen.photo.mime_type) == (64, 48, "image/png")
    through_control = await sandbox_client.download(seen.photo)
    file = await sandbox_bot.get_file(sent.photo[-1].file_id)
    through_bot_api = bytes(await file.download_as_bytearray())
    assert through_control == through_bot_api == tiny_png(64, 48)
    with Image.open(io.BytesIO(through_bot_api)) as picture:
        assert (picture.format, picture.size) == ("PNG", (64, 48))
        assert picture.convert("RGB").getpixel((10, 10)) == (255, 0, 0)


async def test_captions_are_at_most_1024_characters(
    sandbox_bot: Bot, sandbox_client: SandboxClient, group: int
) -> None:
    with pytest.raises(BadRequest, match=r"(?i)message caption is too long"):
        await sandbox_bot.send_photo(group, tiny_png(), caption="x" * 1025)
    with pytest.raises(BadRequest, match=r"(?i)message caption is too long"):
        await sandbox_bot.send_media_group(
            group, [InputMediaPhoto(tiny_png()), InputMediaPhoto(tiny_png(), caption="x" * 1025)]
        )
    sent = await sandbox_bot.send_photo(group, tiny_png(), caption="court")
    with pytest.raises(BadRequest, match=r"(?i)message caption is too long"):
        await sandbox_bot.edit_message_caption(group, sent.message_id, caption="x" * 1025)
    assert [m.caption for m in await sandbox_client.messages(group)] == ["court"]


async def test_an_album_of_ten_photos(
    sandbox_bot: Bot, sandbox_client: SandboxClient, group: int
) -> None:
    album = [
        InputMediaPhoto(tiny_png(n + 1, 2), caption=f"<b>Force</b> {n}", parse_mode="HTML")
        for n in range(10)
    ]
    sent = await sandbox_bot.send_media_group(group, album)
    assert len(sent) == 10
    assert len({m.media_group_id for m in sent}) == 1
    assert sent[0].media_group_id is not None
    assert (sent[3].caption, sent[3].caption_entities[0].type) == ("Force 3", "bold")
    seen = await sandbox_client.messages(group)
    assert [m.photo.width for m in seen if m.photo] == list(range(1, 11))
    assert {m.media_group_id for m in seen} == {sent[0].media_group_id}
    assert await sandbox_client.download(sent[9].photo[-1].file_id) == tiny_png(10, 2)


async def test_album_refusals(sandbox_bot: Bot, sandbox_client: SandboxClient, group: int) -> None:
    photo = InputMediaPhoto(tiny_png())
    with pytest.raises(BadRequest, match=r"(?i)too many messages to send as an album"):
        await sandbox_bot.send_media_group(group, [photo] * 11)
    document = InputMediaDocument(b"a;b\n", filename="items.csv")
    with pytest.raises(BadRequest, match=r"(?i)document can't be mixed"):
        await sandbox_bot.send_media_group(group, [photo, document])
    with pytest.raises(BadRequest, match=r"(?i)IMAGE_PROCESS_FAILED"):
        await sandbox_bot.send_media_group(group, [photo, InputMediaPhoto(b"not a picture")])
    assert await sandbox_client.messages(group) == []
    files = await sandbox_bot.send_media_group(group, [document, document])
    assert [m.document.file_name for m in files if m.document] == ["items.csv", "items.csv"]


async def test_send_document(sandbox_bot: Bot, sandbox_client: SandboxClient, group: int) -> None:
    sent = await sandbox_bot.send_document(
        group, b"Force;Votes\n", filename="swot.csv", caption="Résultats"
    )
    assert sent.document is not None
    [seen] = await sandbox_client.messages(group)
    assert seen.document is not None
    assert (seen.document.file_name, seen.caption) == ("swot.csv", "Résultats")
    assert await sandbox_client.download(seen.document) == b"Force;Votes\n"


async def test_edit_message_media(
    sandbox_bot: Bot, sandbox_client: SandboxClient, group: int
) -> None:
    sent = await sandbox_bot.send_photo(group, tiny_png(), caption="v1")
    edited = await sandbox_bot.edit_message_media(
        InputMediaPhoto(tiny_png(8, 8), caption="v2"), group, sent.message_id
    )
    assert not isinstance(edited, bool)
    assert (edited.photo[-1].width, edited.caption) == (8, "v2")
    same = InputMediaPhoto(edited.photo[-1].file_id, caption="v2")
    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await sandbox_bot.edit_message_media(same, group, sent.message_id)
    text = await sandbox_bot.send_message(group, "texte")
    with pytest.raises(BadRequest, match=r"(?i)there is no media in the message"):
        await sandbox_bot.edit_message_media(same, group, text.message_id)
    [picture, _] = await sandbox_client.messages(group)
    assert picture.photo is not None
    assert await sandbox_client.download(picture.photo) == tiny_png(8, 8)
