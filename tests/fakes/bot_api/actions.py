"""What a resident's Telegram client can do: type, send a command or media, edit, press, block.

Owns: ``UserActions`` - each action writes the user's message into the chat and queues the update
Telegram would deliver (``message``, ``edited_message``, ``callback_query``), and returns it.
``FakeBotApi`` is a ``UserActions``, so a test writes ``server.send_text(user, "hej")``.
Must hold: with ``strict`` (the default) a press needs a visible bot message carrying a button
with that data - a real client can press nothing else; a user edits only their own messages.
"""

from __future__ import annotations

import time
from typing import Any

from tests.fakes.bot_api.callbacks import CallbackQueries
from tests.fakes.bot_api.chats import Chats, StoredMessage
from tests.fakes.bot_api.files import FileIds
from tests.fakes.bot_api.records import JSON, GroupChat, User
from tests.fakes.bot_api.text import utf16_len
from tests.fakes.bot_api.updates import UpdateQueue


class UserActions:
    """The resident side of the fake: every method queues one update."""

    def __init__(
        self, chats: Chats, queries: CallbackQueries, updates: UpdateQueue, file_ids: FileIds
    ) -> None:
        self._user_chats = chats
        self._user_queries = queries
        self._user_updates = updates
        self._user_file_ids = file_ids

    def send_text(self, user: User, text: str, *, entities: list[JSON] | None = None) -> JSON:
        """The resident types ``text``; returns the update."""
        _, update = self._user_message(
            user.private_chat(), user, text=text, entities=list(entities or [])
        )
        return update

    def send_command(self, user: User, command: str) -> JSON:
        """The resident sends a command such as ``/start`` or ``/start payload``."""
        name = command.split(maxsplit=1)[0] if command.strip() else command
        entity = {"type": "bot_command", "offset": 0, "length": utf16_len(name)}
        return self.send_text(user, command, entities=[entity])

    def send_group_text(self, group: GroupChat | int, user: User, text: str) -> JSON:
        """``user`` writes ``text`` in a group the bot is in."""
        chat = group.to_dict() if isinstance(group, GroupChat) else GroupChat(group).to_dict()
        _, update = self._user_message(chat, user, text=text)
        return update

    def send_sticker(self, user: User) -> JSON:
        sticker = {**self._user_file_ids.ids("sticker"), "type": "regular", "width": 512,
                   "height": 512, "is_animated": False, "is_video": False,
                   "emoji": "🙂"}  # fmt: skip
        return self._media(user, "sticker", {"sticker": sticker})

    def send_photo(self, user: User, caption: str | None = None) -> JSON:
        photo = {**self._user_file_ids.ids("photo"), "width": 640, "height": 480}
        return self._media(user, "photo", {"photo": [photo]}, caption=caption)

    def send_voice(self, user: User, duration: int = 3) -> JSON:
        voice = {**self._user_file_ids.ids("voice"), "duration": duration, "mime_type": "audio/ogg"}
        return self._media(user, "voice", {"voice": voice})

    def send_location(
        self, user: User, latitude: float = 56.6745, longitude: float = 12.8578
    ) -> JSON:
        return self._media(
            user, "location", {"location": {"latitude": latitude, "longitude": longitude}}
        )

    def send_contact(self, user: User, phone_number: str = "+46701234567") -> JSON:
        contact = {"phone_number": phone_number, "first_name": user.first_name, "user_id": user.id}
        return self._media(user, "contact", {"contact": contact})

    def edit_text(self, user: User, message_id: int, text: str) -> JSON:
        """The resident edits one of their own messages (an ``edited_message`` update)."""
        state = self._user_chats.by_id.get(user.id)
        msg = state.messages.get(message_id) if state else None
        if msg is None or msg.from_bot or msg.sender.get("id") != user.id:
            raise ValueError(f"user {user.id} has no message {message_id} to edit")
        msg.text, msg.entities, msg.edit_date = text, [], int(time.time())
        return self._user_updates.enqueue({"edited_message": msg.to_dict()})

    def press(
        self,
        user: User,
        message_id: int,
        callback_data: str,
        *,
        chat_id: int | None = None,
        strict: bool = True,
    ) -> JSON:
        """The resident presses a button on a bot message; returns the callback_query update.

        With ``strict`` the message must be visible and carry a button with that data (a real
        client can press nothing else).
        """
        state = self._user_chats.by_id.get(user.id if chat_id is None else chat_id)
        msg = state.messages.get(message_id) if state else None
        if strict and (msg is None or msg.deleted or not msg.from_bot):
            raise ValueError(f"no visible bot message {message_id} for user {user.id}")
        if strict and msg and callback_data not in {b.callback_data for b in msg.buttons}:
            raise ValueError(f"message {message_id} has no button with data {callback_data!r}")
        cid = user.id if chat_id is None else chat_id
        qid = self._user_queries.open(user.id, cid, time.monotonic())
        query: JSON = {
            "id": qid,
            "from": user.to_dict(),
            "chat_instance": str(cid * 7 + 3),
            "data": callback_data,
        }
        if msg is not None:
            query["message"] = msg.to_dict()
        return self._user_updates.enqueue({"callback_query": query})

    def send_raw(self, update: JSON) -> JSON:
        """Queue any update dict as is (an update_id is added if missing)."""
        return self._user_updates.enqueue(dict(update))

    def block(self, user: User, blocked: bool = True) -> None:
        """The resident blocks (or unblocks) the bot: sends then fail with 403 Forbidden."""
        self._user_chats.open(user.private_chat()).blocked = blocked

    def _user_message(self, chat: JSON, user: User, **content: Any) -> tuple[StoredMessage, JSON]:
        state = self._user_chats.open(chat)
        msg = self._user_chats.new_message(state, user.to_dict(), False)
        for key, value in content.items():
            setattr(msg, key, value)
        return msg, self._user_updates.enqueue({"message": msg.to_dict()})

    def _media(self, user: User, kind: str, media: JSON, **extra: Any) -> JSON:
        self._user_file_ids.advance()
        _, update = self._user_message(user.private_chat(), user, kind=kind, media=media, **extra)
        return update
