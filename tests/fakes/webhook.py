"""The fake Bot API's webhook side: `setWebhook`, `deleteWebhook`, `getWebhookInfo`, and a
sender that POSTs each queued update to the bot, as Telegram does.

What must hold (as Telegram): each update is POSTed with the `X-Telegram-Bot-Api-Secret-Token`
header given to `setWebhook`; it counts as delivered only on a 2xx answer; otherwise (another
status, a broken connection, no answer within `timeout`) it is sent again after `retry_delay`.
At most `max_connections` requests are open at once, counted across `setWebhook` calls: a bot
that sets the webhook again (every replica does when it starts) changes the limit for the next
request and never stalls the delivery. `deleteWebhook` stops the sending.

Attach with `WebhookSender(server)` before the bot starts; it uses the fake's update queue.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from tests.fakes.bot_api import FakeBotApi
from tests.fakes.bot_api.waiting import ANY

JSON = dict[str, Any]


@dataclass
class Delivery:
    """One POST of an update to the bot, and how it went (status 0: no answer)."""

    update_id: int
    status: int
    #: `len(server.calls)` when the answer came: what the bot had done by then.
    calls_before_answer: int


@dataclass
class WebhookState:
    url: str = ""
    secret: str | None = None
    max_connections: int = 40
    allowed: frozenset[str] | None = None
    deliveries: list[Delivery] = field(default_factory=list)


class WebhookSender:
    """Adds the webhook methods to `server` and sends its queued updates to the set URL."""

    def __init__(
        self,
        server: FakeBotApi,
        *,
        timeout: float = 60.0,
        retry_delay: float = 0.05,
        deliver: bool = True,
    ) -> None:
        """With `deliver` False only the methods are added (the test POSTs updates itself)."""
        self.server = server
        self.deliver = deliver
        self.state = WebhookState()
        self.timeout = timeout
        self.retry_delay = retry_delay
        self.secret_override: str | None = None
        self._task: asyncio.Task[None] | None = None
        #: Requests open now; `_freed` wakes the sender when one ends or the limit changes.
        self._open = 0
        self._freed = asyncio.Event()
        self._sending: set[asyncio.Task[None]] = set()
        methods = server._methods
        methods["setWebhook"] = self._set_webhook
        methods["deleteWebhook"] = self._delete_webhook
        methods["getWebhookInfo"] = self._info
        server._by_lower.update({name.lower(): name for name in methods})

    @property
    def deliveries(self) -> list[Delivery]:
        return self.state.deliveries

    def _set_webhook(self, params: JSON, uploads: object, now: float) -> bool:
        self.state.url = str(params["url"])
        self.state.secret = params.get("secret_token")
        self.state.max_connections = int(params.get("max_connections") or 40)
        allowed = params.get("allowed_updates")
        self.state.allowed = frozenset(allowed) if isinstance(allowed, list) else None
        self._freed.set()  # a higher limit frees slots now
        if self._task is None and self.deliver:
            self._task = asyncio.get_running_loop().create_task(self._send_forever())
        return True

    def _delete_webhook(self, params: JSON, uploads: object, now: float) -> bool:
        self.state.url = ""
        if self._task is not None:
            self._task.cancel()
            self._task = None
        return True

    def _info(self, params: JSON, uploads: object, now: float) -> JSON:
        return {
            "url": self.state.url,
            "has_custom_certificate": False,
            "pending_update_count": self.server.updates.queued,
            "max_connections": self.state.max_connections,
        }

    async def _send_forever(self) -> None:
        server = self.server
        async with aiohttp.ClientSession() as session:
            while True:
                with contextlib.suppress(TimeoutError):
                    await server.wait_for(lambda: bool(server.updates.queued), timeout=3600)
                while (update := server.updates.take_next()) is not None:
                    kind = next((k for k in update if k != "update_id"), "")
                    if self.state.allowed is not None and kind not in self.state.allowed:
                        continue
                    await self._take_slot()
                    task = asyncio.get_running_loop().create_task(self._send(session, update))
                    self._sending.add(task)
                    task.add_done_callback(self._sending.discard)

    async def _send(self, session: aiohttp.ClientSession, update: JSON) -> None:
        try:
            while self.state.url:
                status = await self._post(session, update)
                self.state.deliveries.append(
                    Delivery(int(update["update_id"]), status, len(self.server.calls))
                )
                self.server.waiters.notify(ANY)
                if 200 <= status < 300:
                    return
                await asyncio.sleep(self.retry_delay)  # Telegram backs off too
        finally:
            self._open -= 1
            self._freed.set()

    async def _take_slot(self) -> None:
        """Wait until fewer than `max_connections` requests are open (one waiter: the sender)."""
        while self._open >= self.state.max_connections:
            self._freed.clear()
            await self._freed.wait()
        self._open += 1

    async def _post(self, session: aiohttp.ClientSession, update: JSON) -> int:
        secret = self.secret_override or self.state.secret
        headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret else {}
        try:
            async with session.post(
                self.state.url,
                json=update,
                headers=headers,
                timeout=aiohttp.ClientTimeout(total=self.timeout),
            ) as answer:
                return answer.status
        except (aiohttp.ClientError, TimeoutError):
            return 0

    async def close(self) -> None:
        """Stop sending (at the end of a test)."""
        tasks = [t for t in (self._task, *self._sending) if t is not None]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._task = None
