"""The Bot API methods on text messages: send, edit text or keyboard, delete, chat action.

Owns: ``MessageMethods`` - sendMessage, editMessageText, editMessageReplyMarkup, deleteMessage
and sendChatAction, applied to the chats in ``Chats``.
Must hold: each refuses what Telegram refuses, with Telegram's description: unknown or blocked
chat, empty or too long text, bad markup, editing a deleted, foreign or non-text message, an edit
that changes nothing ("message is not modified"), deleting twice, an unknown chat action.
"""

from __future__ import annotations

import time

from tests.fakes.bot_api.chats import Chats, ChatState, StoredMessage
from tests.fakes.bot_api.errors import NOT_MODIFIED, ApiError, bad_request
from tests.fakes.bot_api.markup import validate_markup
from tests.fakes.bot_api.params import as_int
from tests.fakes.bot_api.records import JSON, Upload
from tests.fakes.bot_api.text import MAX_TEXT, format_text

_CHAT_ACTIONS = frozenset(
    {
        "typing", "upload_photo", "record_video", "upload_video", "record_voice", "upload_voice",
        "upload_document", "choose_sticker", "find_location", "record_video_note",
        "upload_video_note",
    }
)  # fmt: skip


class MessageMethods:
    """The text-message methods of the bot ``bot_user``."""

    def __init__(self, chats: Chats, bot_user: JSON) -> None:
        self._chats = chats
        self._bot_user = bot_user

    def send_message(self, params: JSON, uploads: dict[str, Upload], now: float) -> JSON:
        state = self._chats.writable(params.get("chat_id"))
        text, entities = format_text(
            params.get("text"), params.get("parse_mode"), params.get("entities"),
            limit=MAX_TEXT, empty="message text is empty", too_long="message is too long",
        )  # fmt: skip
        inline, other = validate_markup(params.get("reply_markup"), inline_only=False)
        msg = self._chats.new_message(state, self._bot_user, True)
        msg.text, msg.entities, msg.reply_markup, msg.reply_keyboard = text, entities, inline, other
        self._chats.changed(state)
        return msg.to_dict()

    def edit_message_text(self, params: JSON, uploads: dict[str, Upload], now: float) -> JSON:
        text, entities = format_text(
            params.get("text"), params.get("parse_mode"), params.get("entities"),
            limit=MAX_TEXT, empty="message text is empty", too_long="message is too long",
        )  # fmt: skip
        inline, _ = validate_markup(params.get("reply_markup"), inline_only=True)
        state, msg = self._editable(params)
        if msg.text is None:
            raise bad_request("there is no text in the message to edit")
        if (msg.text, msg.entities, msg.reply_markup) == (text, entities, inline):
            raise ApiError(400, NOT_MODIFIED)
        msg.text, msg.entities, msg.reply_markup = text, entities, inline
        return self._edited(state, msg)

    def edit_reply_markup(self, params: JSON, uploads: dict[str, Upload], now: float) -> JSON:
        inline, _ = validate_markup(params.get("reply_markup"), inline_only=True)
        state, msg = self._editable(params)
        if msg.reply_markup == inline:
            raise ApiError(400, NOT_MODIFIED)
        msg.reply_markup = inline
        return self._edited(state, msg)

    def delete_message(self, params: JSON, uploads: dict[str, Upload], now: float) -> bool:
        state = self._chats.writable(params.get("chat_id"))
        msg = state.messages.get(as_int(params.get("message_id")) or 0)
        if msg is None or msg.deleted:
            raise bad_request("message to delete not found")
        msg.deleted = True
        self._chats.changed(state)
        return True

    def send_chat_action(self, params: JSON, uploads: dict[str, Upload], now: float) -> bool:
        self._chats.writable(params.get("chat_id"))
        if params.get("action") not in _CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        return True

    def _editable(self, params: JSON) -> tuple[ChatState, StoredMessage]:
        if params.get("inline_message_id"):
            raise bad_request("message to edit not found")
        state = self._chats.writable(params.get("chat_id"))
        msg = state.messages.get(as_int(params.get("message_id")) or 0)
        if msg is None or msg.deleted:
            raise bad_request("message to edit not found")
        if not msg.from_bot:
            raise bad_request("message can't be edited")
        return state, msg

    def _edited(self, state: ChatState, msg: StoredMessage) -> JSON:
        msg.edit_date = int(time.time())
        msg.edits += 1
        self._chats.changed(state)
        return msg.to_dict()
