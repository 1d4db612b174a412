"""Reply markup as Telegram checks it: inline keyboards, their buttons, and other keyboards.

Owns: ``validate_markup``, which splits ``reply_markup`` into an inline keyboard (echoed back on
the message) and any other keyboard (reply keyboard, remove, force reply: kept, never echoed).
Must hold: every button Telegram would refuse is refused with Telegram's description: no text,
no action, callback data over 64 bytes, a URL that is not http(s)/tg, more than 100 buttons.
"""

from __future__ import annotations

import re
from typing import Any

from tests.fakes.bot_api.errors import TEXT_BUTTONS, ApiError, bad_request
from tests.fakes.bot_api.records import JSON

MAX_CALLBACK_DATA_BYTES = 64
MAX_BUTTONS = 100
_BUTTON_ACTIONS = (
    "callback_data", "url", "web_app", "login_url", "switch_inline_query",
    "switch_inline_query_current_chat", "switch_inline_query_chosen_chat", "copy_text",
    "callback_game", "pay",
)  # fmt: skip


def validate_markup(markup: Any, *, inline_only: bool) -> tuple[JSON | None, JSON | None]:
    """Validate reply_markup; returns (inline markup, other keyboard) or raises ApiError."""
    if markup is None:
        return None, None
    if not isinstance(markup, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" not in markup:
        if inline_only:
            raise bad_request("inline keyboard expected")
        return None, markup
    rows = markup["inline_keyboard"]
    if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
        raise bad_request(
            'field "inline_keyboard" of the InlineKeyboardMarkup should be an Array of Arrays'
        )
    if sum(len(r) for r in rows) > MAX_BUTTONS:
        raise bad_request("reply markup is too long")
    for row in rows:
        for button in row:
            _validate_button(button)
    return markup, None


def _validate_button(button: Any) -> None:
    if not isinstance(button, dict):
        raise bad_request(
            "can't parse inline keyboard button: InlineKeyboardButton must be an Object"
        )
    text = button.get("text")
    if not isinstance(text, str):
        raise bad_request(
            'can\'t parse inline keyboard button: Field "text" must be of type String'
        )
    if not text.strip():
        raise bad_request("BUTTON_TEXT_INVALID")
    actions = [k for k in _BUTTON_ACTIONS if button.get(k) not in (None, "")]
    if not actions:
        raise ApiError(400, TEXT_BUTTONS)
    data = button.get("callback_data")
    if data is not None and (
        not isinstance(data, str) or len(data.encode("utf-8")) > MAX_CALLBACK_DATA_BYTES
    ):
        raise bad_request("BUTTON_DATA_INVALID")
    url = button.get("url")
    if url is not None and not re.match(r"(https?|tg)://", str(url)):
        raise bad_request("BUTTON_URL_INVALID")
