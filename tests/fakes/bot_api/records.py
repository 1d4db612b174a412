"""What the fake Bot API records and hands out: users, group chats, calls, rejections, uploads.

Owns: the plain records a test reads back (``Call``, ``Rejection``, ``FloodViolation``, ``Upload``,
``CallbackAnswer``) and the people and chats a test plays (``User``, ``GroupChat``).
Must hold: ``to_dict`` gives exactly the JSON Telegram puts in an update (no ``None`` fields).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

JSON = dict[str, Any]


@dataclass(frozen=True)
class User:
    """A Telegram user (a resident). Their private chat id equals ``id``."""

    id: int
    first_name: str = "Resident"
    username: str | None = None
    language_code: str | None = "sv"
    last_name: str | None = None

    def to_dict(self) -> JSON:
        out: JSON = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        for key in ("last_name", "username", "language_code"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        return out

    def private_chat(self) -> JSON:
        out: JSON = {"id": self.id, "type": "private", "first_name": self.first_name}
        if self.username is not None:
            out["username"] = self.username
        return out


@dataclass(frozen=True)
class GroupChat:
    """A group chat (negative id) for testing that the bot ignores or refuses groups."""

    id: int
    title: str = "Grannar"
    type: str = "group"

    def to_dict(self) -> JSON:
        return {"id": self.id, "type": self.type, "title": self.title}


@dataclass(frozen=True)
class Upload:
    """A file the bot uploaded (multipart); ``data`` holds the exact bytes."""

    field: str
    filename: str | None
    content_type: str | None
    data: bytes


@dataclass
class Call:
    """One HTTP call the bot made. ``status`` is the HTTP status answered (0 = dropped);
    ``message_id`` the message a processed call sent or edited (also when the answer was then
    dropped), None if it was not processed or returns no message."""

    method: str
    params: JSON
    chat_id: int | None
    time: float
    status: int = 200
    uploads: tuple[Upload, ...] = ()
    message_id: int | None = None


@dataclass(frozen=True)
class Rejection:
    """A request Telegram would refuse (4xx) - always a bug in the bot under test."""

    method: str
    params: JSON
    chat_id: int | None
    time: float
    error_code: int
    description: str


@dataclass(frozen=True)
class FloodViolation:
    """A send refused with 429 by ``enforce_flood``; scope is "global" or "chat"."""

    method: str
    chat_id: int | None
    time: float
    scope: str


@dataclass(frozen=True)
class CallbackAnswer:
    """How the bot answered a callback query (the toast/alert the resident sees)."""

    query_id: str
    text: str | None
    show_alert: bool
    time: float
