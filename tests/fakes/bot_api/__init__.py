"""A fake Telegram Bot API server on 127.0.0.1 for end-to-end tests, fault tests and benchmarks.

Owns: the HTTP surface of the Bot API that Trygghetsbot uses (``/bot{token}/{method}``), a model of
every chat's messages (what a resident's screen shows), the update queue behind ``getUpdates``,
the record of every call, and runtime fault injection (latency, 5xx, 429, dropped connections,
duplicated updates, flood limits). One concern per module:

- ``server``: ``FakeBotApi``, the HTTP server, dispatch, the record of calls, reads and waits;
- ``records``: ``User``, ``GroupChat``, ``Call``, ``Rejection``, ``Upload`` ... (plain records);
- ``errors``: ``ApiError`` and Telegram's error descriptions;
- ``params``: request parameters (query, JSON, form, multipart) as Telegram reads them;
- ``text``: the HTML parse mode, UTF-16 entity offsets, trimming and length limits;
- ``markup``: inline keyboard and button validation;
- ``chats``: ``StoredMessage``, ``ChatState`` and the store of chats;
- ``messages``: sendMessage, edits, deleteMessage, sendChatAction;
- ``files``: sendPhoto, sendDocument, uploads and file ids;
- ``commands``: the bot's command menus;
- ``callbacks``: callback queries and answerCallbackQuery;
- ``updates``: the update queue, getUpdates long polling, offsets, re-delivery;
- ``faults``: armed faults (``server.faults``);
- ``sends``: what counts as a send, send times and the flood limits;
- ``waiting``: change notifications, ``wait_for`` and ``wait_idle`` without polling;
- ``actions``: what a resident's client does (type, press, send media, block).

Must hold:
- Answers look like Telegram's: ``{"ok": true, "result": ...}`` or ``{"ok": false, "error_code": N,
  "description": "..."}``; invalid requests are rejected with Telegram's own descriptions and every
  such rejection is appended to ``server.rejections`` (tests assert it stays empty).
- Only loopback, random free port; state is in memory; no call scans all chats or all calls
  (2,000 simulated residents must stay cheap): lookups are dict/deque based.
- What counts as a *send* (for ``max_sends_in_window`` and flood enforcement) is ``SEND_METHODS``:
  sendMessage, editMessageText, editMessageReplyMarkup, sendPhoto, sendDocument. Only accepted sends
  count. deleteMessage, answerCallbackQuery and sendChatAction are not sends.
- Known simplifications: Markdown parse modes are not parsed (text is counted as is); text length
  is counted in code points after HTML parsing and whitespace trimming.
- Everything a test imports is importable from ``tests.fakes.bot_api`` itself (listed below).
"""

from tests.fakes.bot_api.callbacks import MAX_CALLBACK_ANSWER
from tests.fakes.bot_api.chats import Button, ChatState, StoredMessage
from tests.fakes.bot_api.errors import CONFLICT, NOT_MODIFIED, QUERY_TOO_OLD, TEXT_BUTTONS, ApiError
from tests.fakes.bot_api.faults import Faults
from tests.fakes.bot_api.markup import MAX_BUTTONS, MAX_CALLBACK_DATA_BYTES, validate_markup
from tests.fakes.bot_api.records import (
    JSON,
    Call,
    CallbackAnswer,
    FloodViolation,
    GroupChat,
    Rejection,
    Upload,
    User,
)
from tests.fakes.bot_api.sends import SEND_METHODS, max_in_window
from tests.fakes.bot_api.server import FakeBotApi
from tests.fakes.bot_api.text import MAX_CAPTION, MAX_TEXT, format_text, parse_html, utf16_len

__all__ = [
    "CONFLICT",
    "JSON",
    "MAX_BUTTONS",
    "MAX_CALLBACK_ANSWER",
    "MAX_CALLBACK_DATA_BYTES",
    "MAX_CAPTION",
    "MAX_TEXT",
    "NOT_MODIFIED",
    "QUERY_TOO_OLD",
    "SEND_METHODS",
    "TEXT_BUTTONS",
    "ApiError",
    "Button",
    "Call",
    "CallbackAnswer",
    "ChatState",
    "FakeBotApi",
    "Faults",
    "FloodViolation",
    "GroupChat",
    "Rejection",
    "StoredMessage",
    "Upload",
    "User",
    "format_text",
    "max_in_window",
    "parse_html",
    "utf16_len",
    "validate_markup",
]
