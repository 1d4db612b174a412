"""Chat state: every chat's messages as a resident's screen shows them, and the store of chats.

Owns: ``StoredMessage`` (one message, from the bot or a user, with its keyboard, media, edits and
deletion), ``ChatState`` (a chat's messages in order, a version, blocked or not) and ``Chats`` (the
chats by id, the lookup a Bot API method uses, message creation and change notification).
Must hold: ``to_dict`` gives the message JSON Telegram returns and puts in updates; every change a
resident can see bumps the chat's ``version`` and notifies waiters on that chat; lookups are by
id (dicts), never a scan of all chats.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from tests.fakes.bot_api.errors import ApiError, bad_request
from tests.fakes.bot_api.params import as_int
from tests.fakes.bot_api.records import JSON, Upload
from tests.fakes.bot_api.waiting import chat_key


class Button(NamedTuple):
    """An inline button as a client shows it; ``callback_data`` is None for URL etc. buttons,
    ``url`` the link a URL button opens."""

    text: str
    callback_data: str | None
    url: str | None = None


@dataclass
class StoredMessage:
    """One message in a chat, from the bot (``from_bot``) or from a user."""

    message_id: int
    chat: JSON
    sender: JSON
    from_bot: bool
    date: int
    kind: str = "text"
    text: str | None = None
    entities: list[JSON] = field(default_factory=list)
    caption: str | None = None
    caption_entities: list[JSON] = field(default_factory=list)
    reply_markup: JSON | None = None  # inline keyboards only (what Telegram echoes back)
    reply_keyboard: JSON | None = None  # ReplyKeyboardMarkup/Remove/ForceReply, not echoed
    media: JSON | None = None  # the "photo"/"document"/"sticker"/... payload
    upload: Upload | None = None
    edit_date: int | None = None
    deleted: bool = False
    edits: int = 0

    @property
    def chat_id(self) -> int:
        return int(self.chat["id"])

    @property
    def keyboard(self) -> list[list[Button]]:
        if not self.reply_markup:
            return []
        return [
            [Button(b.get("text", ""), b.get("callback_data"), b.get("url")) for b in row]
            for row in self.reply_markup.get("inline_keyboard", [])
        ]

    @property
    def buttons(self) -> list[Button]:
        return [b for row in self.keyboard for b in row]

    @property
    def has_keyboard(self) -> bool:
        return bool(self.buttons)

    @property
    def shown_text(self) -> str:
        """The text a client shows: message text, else caption, else ''."""
        return self.text if self.text is not None else (self.caption or "")

    def to_dict(self) -> JSON:
        out: JSON = {
            "message_id": self.message_id,
            "from": self.sender,
            "chat": self.chat,
            "date": self.date,
        }
        if self.edit_date is not None:
            out["edit_date"] = self.edit_date
        if self.text is not None:
            out["text"] = self.text
            if self.entities:
                out["entities"] = self.entities
        if self.media is not None:
            out.update(self.media)
        if self.caption is not None:
            out["caption"] = self.caption
            if self.caption_entities:
                out["caption_entities"] = self.caption_entities
        if self.reply_markup is not None:
            out["reply_markup"] = self.reply_markup
        return out


@dataclass
class ChatState:
    """A chat's messages in order; ``version`` bumps on every change the resident can see."""

    chat: JSON
    messages: dict[int, StoredMessage] = field(default_factory=dict)
    next_message_id: int = 1
    version: int = 0
    blocked: bool = False

    def bot_messages(self, *, include_deleted: bool = False) -> list[StoredMessage]:
        return [
            m for m in self.messages.values() if m.from_bot and (include_deleted or not m.deleted)
        ]

    def last_bot_message(self, *, with_keyboard: bool = False) -> StoredMessage | None:
        for m in reversed(self.messages.values()):
            if m.from_bot and not m.deleted and (m.has_keyboard or not with_keyboard):
                return m
        return None


class Chats:
    """The chats by id, shared by the Bot API methods (bot side) and the user actions."""

    def __init__(self, notify: Callable[[object], None]) -> None:
        self.by_id: dict[int, ChatState] = {}
        self._notify = notify

    def writable(self, chat_id: Any) -> ChatState:
        """The chat a Bot API method addresses; refused like Telegram if unknown or blocked."""
        cid = as_int(chat_id)
        state = self.by_id.get(cid) if cid is not None else None
        if state is None:
            raise bad_request("chat not found")
        if state.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        return state

    def open(self, chat: JSON) -> ChatState:
        """The chat a user writes in, created on first use."""
        state = self.by_id.get(int(chat["id"]))
        if state is None:
            state = self.by_id[int(chat["id"])] = ChatState(chat)
        return state

    @staticmethod
    def new_message(state: ChatState, sender: JSON, from_bot: bool) -> StoredMessage:
        """A new message at the end of ``state`` (the caller fills it, then calls ``changed``)."""
        msg = StoredMessage(state.next_message_id, state.chat, sender, from_bot, int(time.time()))
        state.next_message_id += 1
        state.messages[msg.message_id] = msg
        return msg

    def changed(self, state: ChatState) -> None:
        """Something the resident sees in ``state`` changed."""
        state.version += 1
        self._notify(chat_key(int(state.chat["id"])))
