"""Files: the bot's sendPhoto and sendDocument (multipart uploads), and file ids handed out.

Owns: ``FileMethods`` (the two upload methods, the ``uploads`` they received, in order),
``FileIds`` (the counter behind ``file_id``/``file_unique_id``) and ``image_size``.
Must hold: an upload's exact bytes are kept; a photo that is not an image is refused
(IMAGE_PROCESS_FAILED) and a PNG's width and height are read from its header; an empty file or
a missing one is refused; ``attach://name`` references resolve to the named part.
"""

from __future__ import annotations

from tests.fakes.bot_api.chats import Chats, ChatState, StoredMessage
from tests.fakes.bot_api.errors import bad_request
from tests.fakes.bot_api.markup import validate_markup
from tests.fakes.bot_api.records import JSON, Upload
from tests.fakes.bot_api.text import MAX_CAPTION, format_text

_IMAGE_MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a", b"RIFF")


def image_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) for PNG, (0, 0) for other known image formats, None if not an image."""
    if data.startswith(_IMAGE_MAGIC[0]) and data[12:16] == b"IHDR":
        return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    if data.startswith(_IMAGE_MAGIC[1:]):
        return 0, 0
    return None


class FileIds:
    """Hands out file ids: ``ids`` names the current file, ``advance`` moves to the next."""

    def __init__(self) -> None:
        self.seq = 0

    def advance(self) -> None:
        self.seq += 1

    def ids(self, kind: str) -> JSON:
        return {"file_id": f"fake-{kind}-{self.seq}", "file_unique_id": f"u{self.seq}"}


class FileMethods:
    """sendPhoto and sendDocument of the bot ``bot_user``."""

    def __init__(self, chats: Chats, bot_user: JSON, file_ids: FileIds) -> None:
        self._chats = chats
        self._bot_user = bot_user
        self._file_ids = file_ids
        self.uploads: list[Upload] = []

    def send_photo(self, params: JSON, uploads: dict[str, Upload], now: float) -> JSON:
        upload = uploads.get("photo")
        size = image_size(upload.data) if upload is not None else (0, 0)
        if upload is not None and size is None:
            raise bad_request("IMAGE_PROCESS_FAILED")
        state, msg, upload = self._send_file("photo", params, uploads)
        width, height = size or (0, 0)
        photo = {**self._file_ids.ids("photo"), "width": width, "height": height}
        if upload is not None:
            photo["file_size"] = len(upload.data)
        msg.media = {"photo": [photo]}
        self._chats.changed(state)
        return msg.to_dict()

    def send_document(self, params: JSON, uploads: dict[str, Upload], now: float) -> JSON:
        state, msg, upload = self._send_file("document", params, uploads)
        doc = self._file_ids.ids("document")
        if upload is not None:
            doc.update(file_name=upload.filename or "file", file_size=len(upload.data))
            if upload.content_type:
                doc["mime_type"] = upload.content_type
        msg.media = {"document": doc}
        self._chats.changed(state)
        return msg.to_dict()

    def _send_file(
        self, kind: str, params: JSON, uploads: dict[str, Upload]
    ) -> tuple[ChatState, StoredMessage, Upload | None]:
        state = self._chats.writable(params.get("chat_id"))
        caption, caption_entities = format_text(
            params.get("caption"), params.get("parse_mode"), params.get("caption_entities"),
            limit=MAX_CAPTION, empty=None, too_long="message caption is too long",
        )  # fmt: skip
        inline, other = validate_markup(params.get("reply_markup"), inline_only=False)
        upload = uploads.get(kind)
        ref = params.get(kind)
        if upload is None and isinstance(ref, str) and ref.startswith("attach://"):
            upload = uploads.get(ref.removeprefix("attach://"))
        if upload is None and not (isinstance(ref, str) and ref):
            raise bad_request(f"there is no {kind} in the request")
        if upload is not None and not upload.data:
            raise bad_request("file must be non-empty")
        msg = self._chats.new_message(state, self._bot_user, True)
        msg.kind, msg.upload, msg.reply_markup, msg.reply_keyboard = kind, upload, inline, other
        if caption:
            msg.caption, msg.caption_entities = caption, caption_entities
        if upload is not None:
            self.uploads.append(upload)
        self._file_ids.advance()
        return state, msg, upload
