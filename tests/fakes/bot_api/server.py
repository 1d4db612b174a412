"""The fake Bot API's HTTP server: routing ``/bot{token}/{method}``, faults, the record of calls.

Owns: ``FakeBotApi`` - the aiohttp server on 127.0.0.1, how a request becomes a method call
(token check, parameters, injected faults, flood limits, the method, the answer), the record of
every call (``calls``, ``counts``) and of every refusal (``rejections``, ``flood_violations``),
and the test-facing reads and waits. The chats, the update queue, the callback queries, the files
and the commands are owned by their modules; this class wires them together.
Must hold: answers look like Telegram's (``{"ok": true, "result": ...}`` or ``{"ok": false,
"error_code": N, "description": "..."}``); every 4xx except 403 (blocked) and 409 (two pollers)
is appended to ``rejections`` - always a bug in the bot, tests assert it stays empty; a dropped
call is recorded with status 0, also one dropped after Telegram refused it (the refusal is still
in ``rejections``: every armed drop drops a connection); only accepted sends count towards the
flood limits.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

from aiohttp import web

from tests.fakes.bot_api.actions import UserActions
from tests.fakes.bot_api.callbacks import CallbackQueries
from tests.fakes.bot_api.chats import Chats, ChatState, StoredMessage
from tests.fakes.bot_api.commands import Commands
from tests.fakes.bot_api.errors import ApiError, bad_request
from tests.fakes.bot_api.faults import Faults
from tests.fakes.bot_api.files import FileIds, FileMethods
from tests.fakes.bot_api.messages import MessageMethods
from tests.fakes.bot_api.params import as_int, read_params
from tests.fakes.bot_api.records import (
    JSON,
    Call,
    CallbackAnswer,
    FloodViolation,
    Rejection,
    Upload,
)
from tests.fakes.bot_api.sends import SEND_METHODS, SendLog
from tests.fakes.bot_api.updates import UpdateQueue
from tests.fakes.bot_api.waiting import ANY, Waiters, chat_key

Method = Callable[[JSON, dict[str, Upload], float], Any]


class FakeBotApi(UserActions):
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
        self.faults = Faults()
        self.calls: list[Call] = []
        self.counts: Counter[str] = Counter()
        self.rejections: list[Rejection] = []
        self.flood_violations: list[FloodViolation] = []
        self.url = ""
        self.waiters = Waiters()
        self.updates = UpdateQueue(self.faults, self.waiters.notify)
        self.sends = SendLog()
        chats = Chats(self.waiters.notify)
        self.queries = CallbackQueries(callback_query_ttl, self.waiters.notify)
        file_ids = FileIds()
        self.files = FileMethods(chats, self.bot_user, file_ids)
        self.menus = Commands()
        super().__init__(chats, self.queries, self.updates, file_ids)
        self.chats: dict[int, ChatState] = chats.by_id
        self.callback_answers: dict[str, CallbackAnswer] = self.queries.answers
        self.commands: dict[tuple[str, str], list[JSON]] = self.menus.by_key
        self.uploads: list[Upload] = self.files.uploads
        self._runner: web.AppRunner | None = None
        messages = MessageMethods(chats, self.bot_user)
        self._methods: dict[str, Method] = {
            "getMe": lambda p, u, t: self.bot_user
            | {"can_join_groups": True, "can_read_all_group_messages": False,
               "supports_inline_queries": False},
            "deleteWebhook": self.updates.delete_webhook,
            "getWebhookInfo": lambda p, u, t: {
                "url": "", "has_custom_certificate": False,
                "pending_update_count": self.updates.queued,
            },
            "sendMessage": messages.send_message,
            "editMessageText": messages.edit_message_text,
            "editMessageReplyMarkup": messages.edit_reply_markup,
            "deleteMessage": messages.delete_message,
            "answerCallbackQuery": self.queries.answer,
            "setMyCommands": self.menus.set,
            "getMyCommands": self.menus.get,
            "deleteMyCommands": self.menus.delete,
            "sendPhoto": self.files.send_photo,
            "sendDocument": self.files.send_document,
            "sendChatAction": messages.send_chat_action,
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

    @property
    def callback_query_ttl(self) -> float:
        """Seconds a callback query can be answered after the press."""
        return self.queries.ttl

    @callback_query_ttl.setter
    def callback_query_ttl(self, seconds: float) -> None:
        self.queries.ttl = seconds

    async def start(self) -> None:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}"

    async def stop(self) -> None:
        self.updates.close()
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
        name = request.match_info["method"]
        method = self._by_lower.get(name.lower())
        if request.match_info["token"] != self.token:
            return self._error_response(name, {}, None, ApiError(401, "Unauthorized"))
        if method is None:
            return self._error_response(
                name, {}, None, ApiError(404, "Not Found: method not found")
            )
        try:
            params, uploads = await read_params(request)
        except ValueError:
            return self._error_response(method, {}, None, bad_request("can't parse JSON object"))
        counted = method != "getUpdates"  # a long poll is not activity
        if counted:
            self.waiters.call_started()
        try:
            if self.faults.latency > 0:
                await asyncio.sleep(self.faults.latency)  # simulated network latency
            return await self._dispatch(request, method, params, uploads)
        finally:
            self.waiters.call_ended(counted=counted)

    async def _dispatch(
        self, request: web.Request, method: str, params: JSON, uploads: dict[str, Upload]
    ) -> web.StreamResponse:
        now = time.monotonic()
        # Flood windows run on the wall clock, as Telegram's do: it is outside this machine, and
        # while the machine is paused (this sandbox's VM is, at times, for snapshots) its time
        # goes on. The monotonic clock stops, and the wall clock (PostgreSQL's too: the
        # replicas' shared windows) jumps ahead on resume.
        wall = time.time()
        chat_id = self._chat_of(method, params)
        call = Call(method, params, chat_id, now, uploads=tuple(uploads.values()))
        self.calls.append(call)
        self.counts[method] += 1
        faults = self.faults
        faults.roll(method)
        drop = faults.take("drop", method)
        if drop is not None and not drop.after_processing:
            return self._drop(request, call)
        rule = faults.take("fail", method) or faults.take("rate", method)
        if rule is not None:
            call.status = rule.status
            if rule.kind == "rate":
                return self._flood_response(rule.retry_after)
            phrase = "Bad Gateway" if rule.status == 502 else "Internal Server Error"
            body = {"ok": False, "error_code": rule.status, "description": phrase}
            return web.json_response(body, status=rule.status)
        is_send = method in SEND_METHODS
        if is_send and faults.enforce_flood:
            retry = self.sends.flood_check(faults, chat_id, wall)
            if retry is not None:
                scope, retry_after = retry
                self.flood_violations.append(FloodViolation(method, chat_id, now, scope))
                call.status = 429
                return self._flood_response(retry_after)
        try:
            if method == "getUpdates":
                result: Any = await self.updates.get_updates(params)
            else:
                result = self._methods[method](params, uploads, now)
        except ApiError as err:
            call.status = err.code
            refused = self._error_response(method, params, chat_id, err, record=err.code != 409)
            # Dropped after processing: Telegram refused the call, and the refusal was lost.
            return refused if drop is None else self._drop(request, call)
        if is_send:
            self.sends.record(chat_id, wall)
        if isinstance(result, dict) and isinstance(result.get("message_id"), int):
            call.message_id = result["message_id"]
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
            return self.queries.chat_of(str(params.get("callback_query_id")))
        return as_int(params.get("chat_id"))

    # ------------------------------------------------------------ reading what happened
    def send_times(self, chat_id: int | None = None) -> list[float]:
        """Wall-clock times of accepted sends (see SEND_METHODS), overall or in one chat."""
        return self.sends.times(chat_id)

    def max_sends_in_window(self, window: float = 1.0, chat_id: int | None = None) -> int:
        """Most accepted sends in any ``window`` seconds, overall or in one chat."""
        return self.sends.max_in_window(window, chat_id)

    def max_sends_per_chat(self, window: float = 1.0) -> int:
        """The worst single chat's most sends in any ``window`` seconds."""
        return self.sends.max_per_chat(window)

    def calls_to(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    def commands_for(self, scope: JSON | None = None, language_code: str = "") -> list[JSON]:
        """Commands set for a scope (default scope if None) and language ('' = all languages)."""
        return self.menus.for_scope(scope, language_code)

    @property
    def pending_updates(self) -> int:
        """Updates queued and never delivered to the bot (plus pending re-deliveries)."""
        return self.updates.pending

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
    async def wait_for(
        self,
        predicate: Callable[[], bool],
        timeout: float = 5.0,
        *,
        chat_id: int | None = None,
    ) -> None:
        """Wait until ``predicate()`` holds; re-checked on every change (of ``chat_id`` only,
        if given: cheap with many waiters). Raises TimeoutError."""
        key: object = ANY if chat_id is None else chat_key(chat_id)
        await self.waiters.wait_for(predicate, timeout, key)

    async def wait_idle(self, quiet_for: float = 0.2, timeout: float = 10.0) -> None:
        """Wait until every update was fetched, no call is in flight and none arrived for
        ``quiet_for`` seconds. Raises TimeoutError."""
        await self.waiters.wait_idle(lambda: self.updates.pending, quiet_for, timeout)
