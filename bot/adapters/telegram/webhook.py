"""Webhook mode: Telegram POSTs each update to us; we answer only after it has been handled.

PTB's built-in webhook server answers 200 as soon as an update is queued, so a crash while the
step runs loses the press. Here the answer waits for the handlers (through the same per-resident
update processor as polling), so whatever was not answered with 200 is delivered again.

What must hold:
- the `X-Telegram-Bot-Api-Secret-Token` header must equal the configured secret (compared in
  constant time), else 403 and nothing is read;
- an update is handled at most once per process within `ttl` seconds: a redelivery of an update
  already handled is answered 200 at once; one still running waits for that same run;
- Telegram gives up on a request after 60 s: if handling takes longer than `deadline` seconds
  (default 50), the answer is 503 while the handling goes on; Telegram's redelivery then joins
  the running handling instead of starting another;
- an update PTB cannot read is answered 200 (redelivering it would fail the same way) with one
  log line carrying its id only;
- never delete the webhook on stop: other replicas may still be serving it.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from telegram import Update
from telegram.ext import Application

from bot.adapters.telegram.app import ALLOWED_UPDATES, BotOptions, start_application
from bot.adapters.telegram.metrics import WEBHOOK_REQUESTS, Handler

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
#: Telegram keeps an unconfirmed update for 24 hours.
DEFAULT_TTL = 24 * 3600.0
#: Updates whose outcome is remembered at most (the oldest are forgotten first).
MEMORY_LIMIT = 200_000


@dataclass
class WebhookOptions:
    """Where Telegram sends updates and how we check them."""

    #: The public HTTPS URL Telegram calls (its path is the path we serve).
    url: str
    #: Telegram's `secret_token`: 1-256 characters A-Z, a-z, 0-9, _ and -.
    secret: str
    host: str = "0.0.0.0"
    port: int = 8080
    #: Seconds before an unfinished update is answered 503 (Telegram waits 60).
    deadline: float = 50.0
    ttl: float = DEFAULT_TTL
    #: Parallel requests Telegram may make (its default is 40).
    max_connections: int = 40

    @property
    def path(self) -> str:
        after_host = self.url.split("://", 1)[-1].partition("/")[2]
        return "/" + after_host.split("?", 1)[0]


@dataclass
class DeliveryCounts:
    """What this receiver has seen (also counted in `surveybot_webhook_requests_total`)."""

    handled: int = 0
    redelivered: int = 0
    forbidden: int = 0
    late: int = 0
    unreadable: int = 0

    def add(self, outcome: str) -> None:
        setattr(self, outcome, getattr(self, outcome) + 1)
        WEBHOOK_REQUESTS.labels(outcome).inc()


class RecentUpdates:
    """Update ids handled or being handled, each remembered for `ttl` seconds."""

    def __init__(self, ttl: float, limit: int = MEMORY_LIMIT) -> None:
        self._ttl = ttl
        self._limit = limit
        self._entries: OrderedDict[int, tuple[float, asyncio.Task[None]]] = OrderedDict()

    def get(self, update_id: int, now: float) -> asyncio.Task[None] | None:
        self._forget_expired(now)
        entry = self._entries.get(update_id)
        return None if entry is None else entry[1]

    def add(self, update_id: int, task: asyncio.Task[None], now: float) -> None:
        self._entries[update_id] = (now + self._ttl, task)
        while len(self._entries) > self._limit:
            self._entries.popitem(last=False)

    def forget(self, update_id: int) -> None:
        self._entries.pop(update_id, None)

    def _forget_expired(self, now: float) -> None:
        while self._entries:
            expires, task = next(iter(self._entries.values()))
            if expires > now or not task.done():
                return
            self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)


class WebhookReceiver:
    """The aiohttp handler for Telegram's POSTs."""

    def __init__(
        self,
        application: Application,  # type: ignore[type-arg]
        options: WebhookOptions,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._application = application
        self._options = options
        self._secret = options.secret.encode()
        self._clock = clock
        self._recent = RecentUpdates(options.ttl)
        self._in_flight = 0
        self.counts = DeliveryCounts()

    @property
    def in_flight(self) -> int:
        """Updates being handled right now (the queue depth in webhook mode)."""
        return self._in_flight

    async def handle(self, request: web.Request) -> web.StreamResponse:
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, self._secret):
            self.counts.add("forbidden")
            return web.Response(status=403)
        try:
            body: Any = await request.json()
            update_id = int(body["update_id"])
        except (ValueError, TypeError, KeyError):
            return web.Response(status=400, text="not an update")
        now = self._clock()
        running = self._recent.get(update_id, now)
        if running is None:
            running = asyncio.get_running_loop().create_task(self._handle_update(body))
            self._recent.add(update_id, running, now)
        else:
            self.counts.add("redelivered")
        try:
            await asyncio.wait_for(asyncio.shield(running), self._options.deadline)
        except TimeoutError:
            self.counts.add("late")
            return web.Response(status=503, text="still working, deliver again")
        except Exception:
            # Not handled (PTB reports handler errors itself; this is PTB failing): let
            # Telegram deliver it again.
            self._recent.forget(update_id)
            return web.Response(status=500)
        return web.Response(status=200)

    async def _handle_update(self, body: Any) -> None:
        self._in_flight += 1
        try:
            try:
                update = Update.de_json(body, self._application.bot)
            except Exception as err:
                self.counts.add("unreadable")
                log.warning(
                    "skipped an update that could not be read (update %s): %s",
                    body.get("update_id"),
                    type(err).__name__,
                )
                return
            app = self._application
            await app.update_processor.process_update(update, app.process_update(update))
            self.counts.add("handled")
        finally:
            self._in_flight -= 1


@dataclass
class HttpServer:
    """One small aiohttp server: the webhook, health checks and metrics share it."""

    host: str
    port: int
    routes: list[tuple[str, str, Handler]] = field(default_factory=list)
    _runner: web.AppRunner | None = None

    def add(self, method: str, path: str, handler: Handler) -> None:
        self.routes.append((method, path, handler))

    async def start(self) -> None:
        app = web.Application(client_max_size=1024 * 1024)
        for method, path, handler in self.routes:
            app.router.add_route(method, path, handler)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=5)
        await self._runner.setup()
        await web.TCPSite(self._runner, self.host, self.port).start()

    @property
    def bound_port(self) -> int:
        """The port actually listened on (useful when started on port 0)."""
        assert self._runner is not None
        return int(self._runner.addresses[0][1])

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None


class WebhookTransport:
    """Start and stop the bot in webhook mode (the `transport` of `run_until_stopped`)."""

    def __init__(
        self,
        application: Application,  # type: ignore[type-arg]
        options: WebhookOptions,
        bot_options: BotOptions | None = None,
        extra_routes: Iterable[tuple[str, str, Handler]] = (),
    ) -> None:
        self.application = application
        self.options = options
        self._bot_options = bot_options
        self.receiver = WebhookReceiver(application, options)
        self.server = HttpServer(options.host, options.port)
        self.server.add("POST", options.path, self.receiver.handle)
        for route in extra_routes:
            self.server.add(*route)

    async def start(self) -> None:
        """Initialise and start the application, listen, then tell Telegram where we are."""
        application = self.application
        await start_application(application, self._bot_options)
        await self.server.start()
        await application.bot.set_webhook(
            self.options.url,
            secret_token=self.options.secret,
            allowed_updates=ALLOWED_UPDATES,
            max_connections=self.options.max_connections,
        )
        log.info("webhook mode: listening on %s:%d", self.options.host, self.server.bound_port)

    async def stop(self) -> None:
        """Stop listening; the application is stopped by the caller (`stop_polling`)."""
        await self.server.stop()
