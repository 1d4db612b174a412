"""How the fake Bot API refuses a request: ``ApiError`` and Telegram's own descriptions.

Owns: the exception method handlers raise and the exact error texts the bot may meet.
Must hold: descriptions are Telegram's word for word (PTB maps some of them to its exception
classes, and the bot under test may match on them).
"""

from __future__ import annotations

from tests.fakes.bot_api.records import JSON

NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)
QUERY_TOO_OLD = "Bad Request: query is too old and response timeout expired or query ID is invalid"
CONFLICT = (
    "Conflict: terminated by other getUpdates request; make sure that only one bot instance is "
    "running"
)
TEXT_BUTTONS = (
    "Bad Request: can't parse inline keyboard button: Text buttons are unallowed in the inline "
    "keyboard"
)


class ApiError(Exception):
    """Raised inside method handlers; becomes an ``ok: false`` answer."""

    def __init__(self, code: int, description: str, parameters: JSON | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters


def bad_request(description: str) -> ApiError:
    """A 400 with Telegram's ``Bad Request: `` prefix."""
    return ApiError(400, f"Bad Request: {description}")
