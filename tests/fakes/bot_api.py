"""A fake Telegram Bot API server on 127.0.0.1 for end-to-end tests, fault tests and benchmarks.

Owns: the HTTP surface of the Bot API that Trygghetsbot uses (``/bot{token}/{method}``), a model of
every chat's messages (what a resident's screen shows), the update queue behind ``getUpdates``,
the record of every call, and runtime fault injection (latency, 5xx, 429, dropped connections,
duplicated updates, flood limits).

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
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import re
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from aiohttp import web

JSON = dict[str, Any]

SEND_METHODS = frozenset(
    {"sendMessage", "editMessageText", "editMessageReplyMarkup", "sendPhoto", "sendDocument"}
)
MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_DATA_BYTES = 64
MAX_CALLBACK_ANSWER = 200
MAX_BUTTONS = 100

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
# Update types Telegram delivers when allowed_updates is empty/unset.
_DEFAULT_EXCLUDED = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
_STRING_PARAMS = frozenset(
    {
        "text", "caption", "parse_mode", "callback_query_id", "action", "language_code", "url",
        "inline_message_id", "business_connection_id", "message_effect_id", "photo", "document",
        "secret_token", "ip_address", "file_id", "description", "short_description", "name",
    }
)  # fmt: skip
_CHAT_ACTIONS = frozenset(
    {
        "typing", "upload_photo", "record_video", "upload_video", "record_voice", "upload_voice",
        "upload_document", "choose_sticker", "find_location", "record_video_note",
        "upload_video_note",
    }
)  # fmt: skip
_BUTTON_ACTIONS = (
    "callback_data", "url", "web_app", "login_url", "switch_inline_query",
    "switch_inline_query_current_chat", "switch_inline_query_chosen_chat", "copy_text",
    "callback_game", "pay",
)  # fmt: skip
_COMMAND_RE = re.compile(r"[a-z0-9_]{1,32}")


# ---------------------------------------------------------------- records and the message model
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


@dataclass
class Call:
    """One HTTP call the bot made. ``status`` is the HTTP status answered (0 = dropped)."""

    method: str
    params: JSON
    chat_id: int | None
    time: float
    status: int = 200
    uploads: tuple[Upload, ...] = ()


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
class Upload:
    """A file the bot uploaded (multipart); ``data`` holds the exact bytes."""

    field: str
    filename: str | None
    content_type: str | None
    data: bytes


@dataclass(frozen=True)
class CallbackAnswer:
    """How the bot answered a callback query (the toast/alert the resident sees)."""

    query_id: str
    text: str | None
    show_alert: bool
    time: float


class Button(NamedTuple):
    """An inline button as a client shows it; ``callback_data`` is None for URL etc. buttons."""

    text: str
    callback_data: str | None


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
            [Button(b.get("text", ""), b.get("callback_data")) for b in row]
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


class ApiError(Exception):
    """Raised inside method handlers; becomes an ``ok: false`` answer."""

    def __init__(self, code: int, description: str, parameters: JSON | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters


def _bad(description: str) -> ApiError:
    return ApiError(400, f"Bad Request: {description}")


# ---------------------------------------------------------------- text: HTML parsing and limits
_HTML_TAGS = {
    "a": "text_link", "b": "bold", "strong": "bold", "i": "italic", "em": "italic",
    "u": "underline", "ins": "underline", "s": "strikethrough", "strike": "strikethrough",
    "del": "strikethrough", "span": "spoiler", "tg-spoiler": "spoiler", "code": "code",
    "pre": "pre", "blockquote": "blockquote", "tg-emoji": "custom_emoji",
}  # fmt: skip
_SPECIAL_RE = re.compile(r"[<&]")
_HTML_ENTITY_RE = re.compile(r"&(?:#([0-9]{1,7})|#[xX]([0-9a-fA-F]{1,6})|(lt|gt|amp|quot));")
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_ATTR_RE = re.compile(r"""([a-zA-Z0-9_-]+)\s*(?:=\s*(?:"([^"]*)"|'([^']*)'|([^\s>"']+)))?""")


def utf16_len(s: str) -> int:
    """Length in UTF-16 code units, the unit of Telegram entity offsets."""
    return len(s) + sum(1 for c in s if ord(c) > 0xFFFF)


def _decode_entities(s: str) -> str:
    return _HTML_ENTITY_RE.sub(lambda m: _decode_one(m) or m.group(0), s)


def _decode_one(m: re.Match[str]) -> str | None:
    if m.group(3):
        return _NAMED[m.group(3)]
    code = int(m.group(1)) if m.group(1) else int(m.group(2), 16)
    if code > 0x10FFFF or 0xD800 <= code <= 0xDFFF or code == 0:
        return None
    return chr(code)


def parse_html(src: str) -> tuple[str, list[JSON]]:
    """Parse Telegram's HTML subset into (plain text, entities), raising like Telegram does."""
    out: list[str] = []
    pos16 = 0
    stack: list[tuple[str, int, dict[str, str]]] = []
    entities: list[JSON] = []
    i, n = 0, len(src)

    def byte_offset(k: int) -> int:
        return len(src[:k].encode("utf-8"))

    def fail(msg: str) -> ApiError:
        return _bad(f"can't parse entities: {msg}")

    while i < n:
        m = _SPECIAL_RE.search(src, i)
        j = m.start() if m else n
        if j > i:
            chunk = src[i:j]
            out.append(chunk)
            pos16 += utf16_len(chunk)
            i = j
            continue
        if src[i] == "&":
            em = _HTML_ENTITY_RE.match(src, i)
            decoded = _decode_one(em) if em else None
            chunk, i = (decoded, em.end()) if em and decoded else ("&", i + 1)
            out.append(chunk)
            pos16 += utf16_len(chunk)
            continue
        begin = i
        if i + 1 < n and src[i + 1] == "/":
            end = src.find(">", i)
            if not stack:
                raise fail(f"Unexpected end tag at byte offset {byte_offset(begin)}")
            if end < 0:
                raise fail(f"Unclosed end tag at byte offset {byte_offset(begin)}")
            name = src[i + 2 : end].strip().lower()
            tag, start16, attrs = stack.pop()
            if name != tag:
                raise fail(
                    f'Unmatched end tag at byte offset {byte_offset(begin)}, expected "</{tag}>", '
                    f'found "</{name}>"'
                )
            entity = _entity_for(tag, attrs, start16, pos16 - start16)
            if entity is not None:
                entities.append(entity)
            i = end + 1
            continue
        k = i + 1
        while k < n and not src[k].isspace() and src[k] != ">":
            k += 1
        if k >= n:
            raise fail(f"Unclosed start tag at byte offset {byte_offset(begin)}")
        name = src[i + 1 : k].lower()
        if name not in _HTML_TAGS:
            raise fail(f'Unsupported start tag "{name}" at byte offset {byte_offset(begin)}')
        tag_attrs: dict[str, str] = {}
        while True:
            while k < n and src[k].isspace():
                k += 1
            if k >= n:
                raise fail(f"Unclosed start tag at byte offset {byte_offset(begin)}")
            if src[k] == ">":
                break
            am = _ATTR_RE.match(src, k)
            if am is None:
                raise fail(f"Unclosed start tag at byte offset {byte_offset(begin)}")
            value = next((g for g in am.groups()[1:] if g is not None), "")
            tag_attrs[am.group(1).lower()] = _decode_entities(value)
            k = am.end()
        if name == "span" and tag_attrs.get("class") != "tg-spoiler":
            raise fail('Tag "span" must have class "tg-spoiler"')
        stack.append((name, pos16, tag_attrs))
        i = k + 1
    if stack:
        raise fail(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(out), entities


def _entity_for(tag: str, attrs: dict[str, str], offset: int, length: int) -> JSON | None:
    if length <= 0:
        return None
    kind = _HTML_TAGS[tag]
    entity: JSON = {"type": kind, "offset": offset, "length": length}
    if kind == "text_link":
        if not attrs.get("href"):
            return None
        entity["url"] = attrs["href"]
    elif kind == "blockquote" and "expandable" in attrs:
        entity["type"] = "expandable_blockquote"
    elif kind == "custom_emoji":
        entity["custom_emoji_id"] = attrs.get("emoji-id", "")
    return entity


def _strip(text: str, entities: list[JSON]) -> tuple[str, list[JSON]]:
    """Telegram trims leading/trailing whitespace and shifts/clips entities accordingly."""
    stripped = text.strip()
    if stripped == text:
        return text, entities
    lead16 = utf16_len(text[: len(text) - len(text.lstrip())])
    size16 = utf16_len(stripped)
    fixed = []
    for e in entities:
        start = max(0, int(e["offset"]) - lead16)
        end = min(size16, int(e["offset"]) + int(e["length"]) - lead16)
        if end > start:
            fixed.append({**e, "offset": start, "length": end - start})
    return stripped, fixed


def format_text(
    raw: Any, parse_mode: Any, entities: Any, *, limit: int, empty: str | None, too_long: str
) -> tuple[str, list[JSON]]:
    """Apply parse_mode, trim, and enforce emptiness/length rules; returns (text, entities)."""
    text = "" if raw is None else str(raw)
    ents: list[JSON] = []
    if parse_mode:
        mode = str(parse_mode).lower()
        if mode == "html":
            text, ents = parse_html(text)
        elif mode not in ("markdown", "markdownv2"):
            raise _bad("unsupported parse_mode")
    elif isinstance(entities, list):
        ents = [e for e in entities if isinstance(e, dict)]
    text, ents = _strip(text, ents)
    if not text and empty is not None:
        raise _bad(empty)
    if len(text) > limit:
        raise _bad(too_long)
    return text, ents


# ---------------------------------------------------------------- parameters and markup
def _coerce(key: str, value: Any) -> Any:
    """Form/multipart values are strings; Telegram JSON-decodes non-string parameters."""
    if not isinstance(value, str) or key in _STRING_PARAMS:
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


def _as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        with contextlib.suppress(ValueError):
            return int(value)
    return None


def validate_markup(markup: Any, *, inline_only: bool) -> tuple[JSON | None, JSON | None]:
    """Validate reply_markup; returns (inline markup, other keyboard) or raises ApiError."""
    if markup is None:
        return None, None
    if not isinstance(markup, dict):
        raise _bad("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" not in markup:
        if inline_only:
            raise _bad("inline keyboard expected")
        return None, markup
    rows = markup["inline_keyboard"]
    if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
        raise _bad(
            'field "inline_keyboard" of the InlineKeyboardMarkup should be an Array of Arrays'
        )
    if sum(len(r) for r in rows) > MAX_BUTTONS:
        raise _bad("reply markup is too long")
    for row in rows:
        for button in row:
            _validate_button(button)
    return markup, None


def _validate_button(button: Any) -> None:
    if not isinstance(button, dict):
        raise _bad("can't parse inline keyboard button: InlineKeyboardButton must be an Object")
    text = button.get("text")
    if not isinstance(text, str):
        raise _bad('can\'t parse inline keyboard button: Field "text" must be of type String')
    if not text.strip():
        raise _bad("BUTTON_TEXT_INVALID")
    actions = [k for k in _BUTTON_ACTIONS if button.get(k) not in (None, "")]
    if not actions:
        raise ApiError(400, TEXT_BUTTONS)
    data = button.get("callback_data")
    if data is not None and (
        not isinstance(data, str) or len(data.encode("utf-8")) > MAX_CALLBACK_DATA_BYTES
    ):
        raise _bad("BUTTON_DATA_INVALID")
    url = button.get("url")
    if url is not None and not re.match(r"(https?|tg)://", str(url)):
        raise _bad("BUTTON_URL_INVALID")


_IMAGE_MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a", b"RIFF")


def _image_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) for PNG, (0, 0) for other known image formats, None if not an image."""
    if data.startswith(_IMAGE_MAGIC[0]) and data[12:16] == b"IHDR":
        return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    if data.startswith(_IMAGE_MAGIC[1:]):
        return 0, 0
    return None


# ---------------------------------------------------------------- faults
@dataclass
class _Rule:
    kind: str  # "fail" | "rate" | "drop"
    method: str | None
    remaining: int
    status: int = 500
    retry_after: int = 1
    after_processing: bool = False

    def matches(self, method: str) -> bool:
        if self.method is None:
            return method != "getUpdates"
        return self.method == method


@dataclass
class Faults:
    """Runtime fault injection. ``method=None`` means any method except getUpdates."""

    latency: float = 0.0
    enforce_flood: bool = False
    flood_global_limit: int = 30
    flood_chat_limit: int = 5
    flood_window: float = 1.0
    _rules: list[_Rule] = field(default_factory=list)
    _duplicates: int = 0

    def fail_next(self, method: str | None, n: int = 1, status: int = 500) -> None:
        """The next ``n`` calls of ``method`` answer HTTP ``status`` (5xx) without processing."""
        self._rules.append(_Rule("fail", method, n, status=status))

    def rate_limit_next(self, n: int = 1, retry_after: int = 1, method: str | None = None) -> None:
        """The next ``n`` calls answer 429 with ``parameters.retry_after`` (not processed)."""
        self._rules.append(_Rule("rate", method, n, status=429, retry_after=retry_after))

    def drop_next(
        self, n: int = 1, method: str | None = None, *, after_processing: bool = False
    ) -> None:
        """Close the connection without answering; ``after_processing`` = effect happened."""
        self._rules.append(_Rule("drop", method, n, after_processing=after_processing))

    def duplicate_next_updates(self, n: int = 1) -> None:
        """The next ``n`` delivered updates are delivered once more after being confirmed."""
        self._duplicates += n

    def clear(self) -> None:
        self._rules.clear()
        self._duplicates = 0
        self.latency = 0.0
        self.enforce_flood = False

    @property
    def pending(self) -> int:
        """How many injected faults have not fired yet."""
        return sum(r.remaining for r in self._rules) + self._duplicates

    def _take(self, kind: str, method: str) -> _Rule | None:
        for rule in self._rules:
            if rule.kind == kind and rule.remaining > 0 and rule.matches(method):
                rule.remaining -= 1
                if rule.remaining == 0:
                    self._rules.remove(rule)
                return rule
        return None


def max_in_window(times: Iterable[float], window: float) -> int:
    """Most events within any half-open window [t, t + window) of sorted ``times``."""
    ts = list(times)
    best, lo = 0, 0
    for hi, t in enumerate(ts):
        while t - ts[lo] >= window:
            lo += 1
        best = max(best, hi - lo + 1)
    return best


class _Poll:
    __slots__ = ("conflicted", "wake")

    def __init__(self) -> None:
        self.wake = asyncio.Event()
        self.conflicted = False


@dataclass
class _Query:
    chat_id: int
    created: float
    answered: bool = False


# ---------------------------------------------------------------- the server
class FakeBotApi:
    """The fake server. Use as ``async with FakeBotApi() as server: ...``."""

    def __init__(
        self,
        token: str = "123456789:AAFakeTokenForTrygghetsbotTests",
        *,
        bot_username: str = "trygghets_test_bot",
        bot_first_name: str = "Trygghetsbot",
        callback_query_ttl: float = 15.0,
    ) -> None:
        self.token = token
        self.bot_user: JSON = {
            "id": int(token.split(":", 1)[0]),
            "is_bot": True,
            "first_name": bot_first_name,
            "username": bot_username,
        }
        self.callback_query_ttl = callback_query_ttl
        self.faults = Faults()
        self.calls: list[Call] = []
        self.counts: Counter[str] = Counter()
        self.rejections: list[Rejection] = []
        self.flood_violations: list[FloodViolation] = []
        self.chats: dict[int, ChatState] = {}
        self.callback_answers: dict[str, CallbackAnswer] = {}
        self.commands: dict[tuple[str, str], list[JSON]] = {}
        self.uploads: list[Upload] = []
        self.url = ""
        self._queries: dict[str, _Query] = {}
        self._updates: deque[JSON] = deque()
        self._next_update_id = 10_000
        self._max_delivered = 0
        self._allowed: frozenset[str] | None = None
        self._dup_pending: dict[int, JSON] = {}
        self._redeliver: list[JSON] = []
        self._poll: _Poll | None = None
        self._send_times: list[float] = []
        self._chat_send_times: dict[int, list[float]] = {}
        self._flood_global: deque[float] = deque()
        self._flood_chat: dict[int, deque[float]] = {}
        self._waiters: dict[object, asyncio.Event] = {}
        self._inflight = 0
        self._last_activity = time.monotonic()
        self._query_seq = 0
        self._file_seq = 0
        self._closing = False
        self._runner: web.AppRunner | None = None
        self._methods: dict[str, Callable[[JSON, dict[str, Upload], float], Any]] = {
            "getMe": lambda p, u, t: self.bot_user
            | {"can_join_groups": True, "can_read_all_group_messages": False,
               "supports_inline_queries": False},
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": lambda p, u, t: {
                "url": "", "has_custom_certificate": False,
                "pending_update_count": len(self._updates),
            },
            "sendMessage": self._send_message,
            "editMessageText": self._edit_message_text,
            "editMessageReplyMarkup": self._edit_reply_markup,
            "deleteMessage": self._delete_message,
            "answerCallbackQuery": self._answer_callback_query,
            "setMyCommands": self._set_my_commands,
            "getMyCommands": self._get_my_commands,
            "deleteMyCommands": self._delete_my_commands,
            "sendPhoto": self._send_photo,
            "sendDocument": self._send_document,
            "sendChatAction": self._send_chat_action,
        }  # fmt: skip
        self._by_lower = {name.lower(): name for name in [*self._methods, "getUpdates"]}

    # ------------------------------------------------------------ lifecycle
    @property
    def base_url(self) -> str:
        """Pass as PTB ``base_url``."""
        return f"{self.url}/bot"

    @property
    def base_file_url(self) -> str:
        """Pass as PTB ``base_file_url``."""
        return f"{self.url}/file/bot"

    async def start(self) -> None:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}"

    async def stop(self) -> None:
        self._closing = True
        if self._poll is not None:
            self._poll.wake.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeBotApi:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # ------------------------------------------------------------ HTTP
    async def _handle(self, request: web.Request) -> web.StreamResponse:
        method = self._by_lower.get(request.match_info["method"].lower())
        if request.match_info["token"] != self.token:
            return self._error_response(
                request.match_info["method"], {}, None, ApiError(401, "Unauthorized")
            )
        if method is None:
            return self._error_response(
                request.match_info["method"],
                {},
                None,
                ApiError(404, "Not Found: method not found"),
            )
        try:
            params, uploads = await self._read_params(request)
        except ValueError:
            return self._error_response(method, {}, None, _bad("can't parse JSON object"))
        is_poll = method == "getUpdates"
        if not is_poll:
            self._inflight += 1
            self._last_activity = time.monotonic()
        try:
            if self.faults.latency > 0:
                await asyncio.sleep(self.faults.latency)
            return await self._dispatch(request, method, params, uploads)
        finally:
            if not is_poll:
                self._inflight -= 1
            self._last_activity = time.monotonic()
            self._notify("any")

    async def _read_params(self, request: web.Request) -> tuple[JSON, dict[str, Upload]]:
        params: JSON = {k: _coerce(k, v) for k, v in request.query.items()}
        uploads: dict[str, Upload] = {}
        if request.method != "POST" or not request.can_read_body:
            return params, uploads
        if request.content_type == "application/json":
            body = await request.json()
            if not isinstance(body, dict):
                raise ValueError("JSON body must be an object")
            params.update(body)
            return params, uploads
        form = await request.post()
        for key, value in form.items():
            if isinstance(value, web.FileField):
                uploads[key] = Upload(key, value.filename, value.content_type, value.file.read())
            elif isinstance(value, str):
                params[key] = _coerce(key, value)
        return params, uploads

    async def _dispatch(
        self, request: web.Request, method: str, params: JSON, uploads: dict[str, Upload]
    ) -> web.StreamResponse:
        now = time.monotonic()
        chat_id = self._chat_of(method, params)
        call = Call(method, params, chat_id, now, uploads=tuple(uploads.values()))
        self.calls.append(call)
        self.counts[method] += 1
        faults = self.faults
        drop = faults._take("drop", method)
        if drop is not None and not drop.after_processing:
            return self._drop(request, call)
        rule = faults._take("fail", method) or faults._take("rate", method)
        if rule is not None:
            call.status = rule.status
            if rule.kind == "rate":
                return self._flood_response(rule.retry_after)
            phrase = "Bad Gateway" if rule.status == 502 else "Internal Server Error"
            body = {"ok": False, "error_code": rule.status, "description": phrase}
            return web.json_response(body, status=rule.status)
        is_send = method in SEND_METHODS
        if is_send and faults.enforce_flood:
            retry = self._flood_check(chat_id, now)
            if retry is not None:
                scope, retry_after = retry
                self.flood_violations.append(FloodViolation(method, chat_id, now, scope))
                call.status = 429
                return self._flood_response(retry_after)
        try:
            if method == "getUpdates":
                result: Any = await self._get_updates(params)
            else:
                result = self._methods[method](params, uploads, now)
        except ApiError as err:
            call.status = err.code
            return self._error_response(method, params, chat_id, err, record=err.code != 409)
        if is_send:
            self._record_send(chat_id, now)
        if drop is not None:
            return self._drop(request, call)
        return web.json_response({"ok": True, "result": result})

    def _error_response(
        self,
        method: str,
        params: JSON,
        chat_id: int | None,
        err: ApiError,
        *,
        record: bool = True,
    ) -> web.Response:
        if record and err.code != 403:
            self.rejections.append(
                Rejection(method, params, chat_id, time.monotonic(), err.code, err.description)
            )
        body: JSON = {"ok": False, "error_code": err.code, "description": err.description}
        if err.parameters:
            body["parameters"] = err.parameters
        return web.json_response(body, status=err.code)

    @staticmethod
    def _flood_response(retry_after: int) -> web.Response:
        body = {
            "ok": False,
            "error_code": 429,
            "description": f"Too Many Requests: retry after {retry_after}",
            "parameters": {"retry_after": retry_after},
        }
        return web.json_response(body, status=429)

    @staticmethod
    def _drop(request: web.Request, call: Call) -> web.StreamResponse:
        call.status = 0
        if request.transport is not None:
            request.transport.abort()  # the client sees the connection close, no response
        return web.Response()

    def _chat_of(self, method: str, params: JSON) -> int | None:
        if method == "answerCallbackQuery":
            query = self._queries.get(str(params.get("callback_query_id")))
            return query.chat_id if query else None
        return _as_int(params.get("chat_id"))

    # ------------------------------------------------------------ send accounting and flood
    def _record_send(self, chat_id: int | None, now: float) -> None:
        self._send_times.append(now)
        self._flood_global.append(now)
        if chat_id is not None:
            self._chat_send_times.setdefault(chat_id, []).append(now)
            self._flood_chat.setdefault(chat_id, deque()).append(now)

    def _flood_check(self, chat_id: int | None, now: float) -> tuple[str, int] | None:
        f = self.faults
        horizon = now - f.flood_window
        windows: list[tuple[str, deque[float], int]] = [
            ("global", self._flood_global, f.flood_global_limit)
        ]
        if chat_id is not None:
            windows.append(
                ("chat", self._flood_chat.setdefault(chat_id, deque()), f.flood_chat_limit)
            )
        for scope, window, limit in windows:
            while window and window[0] <= horizon:
                window.popleft()
            if len(window) >= limit:
                return scope, max(1, math.ceil(window[0] - horizon))
        return None

    def send_times(self, chat_id: int | None = None) -> list[float]:
        """Monotonic times of accepted sends (see SEND_METHODS), overall or in one chat."""
        if chat_id is None:
            return list(self._send_times)
        return list(self._chat_send_times.get(chat_id, []))

    def max_sends_in_window(self, window: float = 1.0, chat_id: int | None = None) -> int:
        """Most accepted sends in any ``window`` seconds, overall or in one chat."""
        times = self._send_times if chat_id is None else self._chat_send_times.get(chat_id, [])
        return max_in_window(times, window)

    def max_sends_per_chat(self, window: float = 1.0) -> int:
        """The worst single chat's most sends in any ``window`` seconds."""
        return max((max_in_window(t, window) for t in self._chat_send_times.values()), default=0)

    def calls_to(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    # ------------------------------------------------------------ getUpdates
    def _delete_webhook(self, params: JSON, uploads: dict[str, Upload], now: float) -> bool:
        if params.get("drop_pending_updates") in (True, "true", "True"):
            self._updates.clear()
            self._redeliver.clear()
        return True

    async def _get_updates(self, params: JSON) -> list[JSON]:
        offset = _as_int(params.get("offset"))
        limit = min(100, max(1, _as_int(params.get("limit")) or 100))
        timeout = max(0.0, float(params.get("timeout") or 0))
        allowed = params.get("allowed_updates")
        if isinstance(allowed, list):
            self._allowed = frozenset(str(a) for a in allowed) if allowed else None
        if offset is not None:
            self._confirm(offset)
        if self._poll is not None:
            self._poll.conflicted = True
            self._poll.wake.set()
        poll = _Poll()
        self._poll = poll
        deadline = time.monotonic() + timeout
        try:
            while True:
                if poll.conflicted:
                    raise ApiError(409, CONFLICT)
                batch = self._take(limit)
                remaining = deadline - time.monotonic()
                if batch or remaining <= 0 or self._closing:
                    return batch
                poll.wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(poll.wake.wait(), remaining)
        finally:
            if self._poll is poll:
                self._poll = None

    def _confirm(self, offset: int) -> None:
        queue = self._updates
        if offset < 0:
            while len(queue) > -offset:
                queue.popleft()
            return
        while queue and queue[0]["update_id"] < offset:
            queue.popleft()
        for uid in [u for u in self._dup_pending if u < offset]:
            self._redeliver.append(self._dup_pending.pop(uid))

    def _allowed_type(self, update: JSON) -> bool:
        kinds = [k for k in update if k != "update_id"]
        kind = kinds[0] if kinds else ""
        if self._allowed is None:
            return kind not in _DEFAULT_EXCLUDED
        return kind in self._allowed

    def _take(self, limit: int) -> list[JSON]:
        redeliver = sorted(self._redeliver, key=lambda u: int(u["update_id"]))
        batch, self._redeliver = redeliver[:limit], redeliver[limit:]
        skipped = False
        for update in self._updates:
            if len(batch) >= limit:
                break
            if not self._allowed_type(update):
                skipped = True
                continue
            batch.append(update)
            uid = int(update["update_id"])
            if uid > self._max_delivered:
                self._max_delivered = uid
                if self.faults._duplicates > 0:
                    self.faults._duplicates -= 1
                    self._dup_pending[uid] = update
        if skipped:
            self._updates = deque(u for u in self._updates if self._allowed_type(u))
        return batch

    def _enqueue(self, update: JSON) -> JSON:
        if "update_id" not in update:
            update = {"update_id": self._next_update_id, **update}
        self._next_update_id = max(self._next_update_id, int(update["update_id"])) + 1
        self._updates.append(update)
        if self._poll is not None:
            self._poll.wake.set()
        self._notify("any")
        return update

    @property
    def pending_updates(self) -> int:
        """Updates queued and never delivered to the bot (plus pending re-deliveries).

        O(undelivered): update ids grow, so only the queue's tail is walked."""
        fresh = 0
        for update in reversed(self._updates):
            if int(update["update_id"]) <= self._max_delivered:
                break
            fresh += 1
        return fresh + len(self._redeliver)

    # ------------------------------------------------------------ chats and messages
    def _chat(self, chat_id: Any) -> ChatState:
        cid = _as_int(chat_id)
        state = self.chats.get(cid) if cid is not None else None
        if state is None:
            raise _bad("chat not found")
        if state.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        return state

    def _chat_for(self, chat: JSON) -> ChatState:
        state = self.chats.get(int(chat["id"]))
        if state is None:
            state = self.chats[int(chat["id"])] = ChatState(chat)
        return state

    def _new_message(self, state: ChatState, sender: JSON, from_bot: bool) -> StoredMessage:
        msg = StoredMessage(state.next_message_id, state.chat, sender, from_bot, int(time.time()))
        state.next_message_id += 1
        state.messages[msg.message_id] = msg
        return msg

    def _changed(self, state: ChatState) -> None:
        state.version += 1
        self._notify(("chat", state.chat["id"]))

    def _send_message(self, params: JSON, uploads: dict[str, Upload], now: float) -> JSON:
        state = self._chat(params.get("chat_id"))
        text, entities = format_text(
            params.get("text"), params.get("parse_mode"), params.get("entities"),
            limit=MAX_TEXT, empty="message text is empty", too_long="message is too long",
        )  # fmt: skip
        inline, other = validate_markup(params.get("reply_markup"), inline_only=False)
        msg = self._new_message(state, self.bot_user, True)
        msg.text, msg.entities, msg.reply_markup, msg.reply_keyboard = text, entities, inline, other
        self._changed(state)
        return msg.to_dict()

    def _editable(self, params: JSON) -> tuple[ChatState, StoredMessage]:
        if params.get("inline_message_id"):
            raise _bad("message to edit not found")
        state = self._chat(params.get("chat_id"))
        msg = state.messages.get(_as_int(params.get("message_id")) or 0)
        if msg is None or msg.deleted:
            raise _bad("message to edit not found")
        if not msg.from_bot:
            raise _bad("message can't be edited")
        return state, msg

    def _edit_message_text(self, params: JSON, uploads: dict[str, Upload], now: float) -> JSON:
        text, entities = format_text(
            params.get("text"), params.get("parse_mode"), params.get("entities"),
            limit=MAX_TEXT, empty="message text is empty", too_long="message is too long",
        )  # fmt: skip
        inline, _ = validate_markup(params.get("reply_markup"), inline_only=True)
        state, msg = self._editable(params)
        if msg.text is None:
            raise _bad("there is no text in the message to edit")
        if (msg.text, msg.entities, msg.reply_markup) == (text, entities, inline):
            raise ApiError(400, NOT_MODIFIED)
        msg.text, msg.entities, msg.reply_markup = text, entities, inline
        return self._edited(state, msg)

    def _edit_reply_markup(self, params: JSON, uploads: dict[str, Upload], now: float) -> JSON:
        inline, _ = validate_markup(params.get("reply_markup"), inline_only=True)
        state, msg = self._editable(params)
        if msg.reply_markup == inline:
            raise ApiError(400, NOT_MODIFIED)
        msg.reply_markup = inline
        return self._edited(state, msg)

    def _edited(self, state: ChatState, msg: StoredMessage) -> JSON:
        msg.edit_date = int(time.time())
        msg.edits += 1
        self._changed(state)
        return msg.to_dict()

    def _delete_message(self, params: JSON, uploads: dict[str, Upload], now: float) -> bool:
        state = self._chat(params.get("chat_id"))
        msg = state.messages.get(_as_int(params.get("message_id")) or 0)
        if msg is None or msg.deleted:
            raise _bad("message to delete not found")
        msg.deleted = True
        self._changed(state)
        return True

    def _answer_callback_query(self, params: JSON, uploads: dict[str, Upload], now: float) -> bool:
        qid = str(params.get("callback_query_id", ""))
        query = self._queries.get(qid)
        if query is None or query.answered or now - query.created > self.callback_query_ttl:
            raise ApiError(400, QUERY_TOO_OLD)
        text = params.get("text")
        if text is not None and len(str(text)) > MAX_CALLBACK_ANSWER:
            raise _bad("MESSAGE_TOO_LONG")
        query.answered = True
        alert = params.get("show_alert") in (True, "true", "True")
        self.callback_answers[qid] = CallbackAnswer(
            qid, None if text is None else str(text), alert, now
        )
        self._notify(("chat", query.chat_id))
        return True

    def _send_chat_action(self, params: JSON, uploads: dict[str, Upload], now: float) -> bool:
        self._chat(params.get("chat_id"))
        if params.get("action") not in _CHAT_ACTIONS:
            raise _bad("wrong parameter action in request")
        return True

    def _send_file(
        self, kind: str, params: JSON, uploads: dict[str, Upload]
    ) -> tuple[ChatState, StoredMessage, Upload | None]:
        state = self._chat(params.get("chat_id"))
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
            raise _bad(f"there is no {kind} in the request")
        if upload is not None and not upload.data:
            raise _bad("file must be non-empty")
        msg = self._new_message(state, self.bot_user, True)
        msg.kind, msg.upload, msg.reply_markup, msg.reply_keyboard = kind, upload, inline, other
        if caption:
            msg.caption, msg.caption_entities = caption, caption_entities
        if upload is not None:
            self.uploads.append(upload)
        self._file_seq += 1
        return state, msg, upload

    def _file_ids(self, kind: str) -> JSON:
        return {"file_id": f"fake-{kind}-{self._file_seq}", "file_unique_id": f"u{self._file_seq}"}

    def _send_photo(self, params: JSON, uploads: dict[str, Upload], now: float) -> JSON:
        upload = uploads.get("photo")
        size = _image_size(upload.data) if upload is not None else (0, 0)
        if upload is not None and size is None:
            raise _bad("IMAGE_PROCESS_FAILED")
        state, msg, upload = self._send_file("photo", params, uploads)
        width, height = size or (0, 0)
        photo = {**self._file_ids("photo"), "width": width, "height": height}
        if upload is not None:
            photo["file_size"] = len(upload.data)
        msg.media = {"photo": [photo]}
        self._changed(state)
        return msg.to_dict()

    def _send_document(self, params: JSON, uploads: dict[str, Upload], now: float) -> JSON:
        state, msg, upload = self._send_file("document", params, uploads)
        doc = self._file_ids("document")
        if upload is not None:
            doc.update(file_name=upload.filename or "file", file_size=len(upload.data))
            if upload.content_type:
                doc["mime_type"] = upload.content_type
        msg.media = {"document": doc}
        self._changed(state)
        return msg.to_dict()

    # ------------------------------------------------------------ commands
    @staticmethod
    def _scope_key(scope: Any) -> str:
        return json.dumps(scope if isinstance(scope, dict) else {"type": "default"}, sort_keys=True)

    def _commands_key(self, params: JSON) -> tuple[str, str]:
        lang = str(params.get("language_code") or "")
        if lang and not re.fullmatch(r"[a-z]{2}", lang):
            raise _bad("invalid language code specified")
        return self._scope_key(params.get("scope")), lang

    def _set_my_commands(self, params: JSON, uploads: dict[str, Upload], now: float) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise _bad("can't parse commands JSON object")
        for c in commands:
            if not isinstance(c, dict) or not _COMMAND_RE.fullmatch(str(c.get("command", ""))):
                raise _bad("BOT_COMMAND_INVALID")
            if not 1 <= len(str(c.get("description", "")).strip()) <= 256:
                raise _bad("BOT_COMMAND_DESCRIPTION_INVALID")
        key = self._commands_key(params)
        self.commands[key] = [
            {"command": c["command"], "description": c["description"]} for c in commands
        ]
        return True

    def _get_my_commands(self, params: JSON, uploads: dict[str, Upload], now: float) -> list[JSON]:
        return list(self.commands.get(self._commands_key(params), []))

    def _delete_my_commands(self, params: JSON, uploads: dict[str, Upload], now: float) -> bool:
        self.commands.pop(self._commands_key(params), None)
        return True

    def commands_for(self, scope: JSON | None = None, language_code: str = "") -> list[JSON]:
        """Commands set for a scope (default scope if None) and language ('' = all languages)."""
        return list(self.commands.get((self._scope_key(scope), language_code), []))

    # ------------------------------------------------------------ the resident side (updates)
    def _user_message(self, chat: JSON, user: User, **content: Any) -> tuple[StoredMessage, JSON]:
        state = self._chat_for(chat)
        msg = self._new_message(state, user.to_dict(), False)
        for key, value in content.items():
            setattr(msg, key, value)
        return msg, self._enqueue({"message": msg.to_dict()})

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

    def _media(self, user: User, kind: str, media: JSON, **extra: Any) -> JSON:
        self._file_seq += 1
        _, update = self._user_message(user.private_chat(), user, kind=kind, media=media, **extra)
        return update

    def send_sticker(self, user: User) -> JSON:
        sticker = {**self._file_ids("sticker"), "type": "regular", "width": 512, "height": 512,
                   "is_animated": False, "is_video": False, "emoji": "🙂"}  # fmt: skip
        return self._media(user, "sticker", {"sticker": sticker})

    def send_photo(self, user: User, caption: str | None = None) -> JSON:
        photo = {**self._file_ids("photo"), "width": 640, "height": 480}
        return self._media(user, "photo", {"photo": [photo]}, caption=caption)

    def send_voice(self, user: User, duration: int = 3) -> JSON:
        voice = {**self._file_ids("voice"), "duration": duration, "mime_type": "audio/ogg"}
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
        state = self.chats.get(user.id)
        msg = state.messages.get(message_id) if state else None
        if msg is None or msg.from_bot or msg.sender.get("id") != user.id:
            raise ValueError(f"user {user.id} has no message {message_id} to edit")
        msg.text, msg.entities, msg.edit_date = text, [], int(time.time())
        return self._enqueue({"edited_message": msg.to_dict()})

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
        state = self.chats.get(user.id if chat_id is None else chat_id)
        msg = state.messages.get(message_id) if state else None
        if strict and (msg is None or msg.deleted or not msg.from_bot):
            raise ValueError(f"no visible bot message {message_id} for user {user.id}")
        if strict and msg and callback_data not in {b.callback_data for b in msg.buttons}:
            raise ValueError(f"message {message_id} has no button with data {callback_data!r}")
        self._query_seq += 1
        qid = f"{user.id}-{self._query_seq}"
        cid = user.id if chat_id is None else chat_id
        self._queries[qid] = _Query(cid, time.monotonic())
        query: JSON = {
            "id": qid,
            "from": user.to_dict(),
            "chat_instance": str(cid * 7 + 3),
            "data": callback_data,
        }
        if msg is not None:
            query["message"] = msg.to_dict()
        return self._enqueue({"callback_query": query})

    def send_raw(self, update: JSON) -> JSON:
        """Queue any update dict as is (an update_id is added if missing)."""
        return self._enqueue(dict(update))

    def block(self, user: User, blocked: bool = True) -> None:
        """The resident blocks (or unblocks) the bot: sends then fail with 403 Forbidden."""
        self._chat_for(user.private_chat()).blocked = blocked

    # ------------------------------------------------------------ inspection
    def chat(self, chat_id: int) -> ChatState | None:
        return self.chats.get(chat_id)

    def bot_messages(self, chat_id: int, *, include_deleted: bool = False) -> list[StoredMessage]:
        state = self.chats.get(chat_id)
        return state.bot_messages(include_deleted=include_deleted) if state else []

    def last_bot_message(
        self, chat_id: int, *, with_keyboard: bool = False
    ) -> StoredMessage | None:
        state = self.chats.get(chat_id)
        return state.last_bot_message(with_keyboard=with_keyboard) if state else None

    def chat_version(self, chat_id: int) -> int:
        state = self.chats.get(chat_id)
        return state.version if state else 0

    def answer_for(self, update: JSON) -> CallbackAnswer | None:
        """The bot's answer to the callback query in ``update`` (from ``press``), if any."""
        return self.callback_answers.get(str(update["callback_query"]["id"]))

    # ------------------------------------------------------------ waiting
    def _notify(self, key: object) -> None:
        event = self._waiters.pop(key, None)
        if event is not None:
            event.set()

    async def wait_for(
        self,
        predicate: Callable[[], bool],
        timeout: float = 5.0,
        *,
        chat_id: int | None = None,
    ) -> None:
        """Wait until ``predicate()`` holds; re-checked on every change (of ``chat_id`` only,
        if given: cheap with many waiters). Raises TimeoutError."""
        key: object = "any" if chat_id is None else ("chat", chat_id)
        deadline = time.monotonic() + timeout
        while True:
            event = self._waiters.setdefault(key, asyncio.Event())
            if predicate():
                return
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"condition not met within {timeout}s")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), remaining)

    async def wait_idle(
        self,
        quiet_for: float = 0.2,
        timeout: float = 10.0,
    ) -> None:
        """Wait until every update was fetched, no call is in flight and none arrived for
        ``quiet_for`` seconds. Raises TimeoutError."""
        deadline = time.monotonic() + timeout
        step = max(0.005, min(0.05, quiet_for / 4))
        while True:
            now = time.monotonic()
            busy = self._inflight or self.pending_updates
            if not busy and now - self._last_activity >= quiet_for:
                return
            if now >= deadline:
                raise TimeoutError(f"fake Bot API not idle within {timeout}s")
            await asyncio.sleep(step)
