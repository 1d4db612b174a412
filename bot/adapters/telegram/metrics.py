"""Operations endpoints: `/healthz` (alive), `/readyz` (store and Telegram reachable) and
Prometheus `/metrics`, with the metrics of the Telegram side.

What must hold:
- no metric carries an id, a name, a chat or an answer: labels are fixed words only (update
  kind, webhook outcome, store operation);
- `/healthz` does no I/O (a hung database must not get a live process killed in a loop);
  `/readyz` checks the store on every call and Telegram (getMe) at most every `telegram_every`
  seconds, each within `timeout` seconds, and says in one line what is not ready;
- the metrics live in prometheus_client's default registry, so the store's metrics
  (`storage.metered`) appear on the same page; the pseudonym derivations (the slow, memory-hard
  KDF each resident costs once per process) are read from `Pseudonyms` when scraped.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

import prometheus_client
from aiohttp import web
from prometheus_client.core import CounterMetricFamily
from prometheus_client.registry import Collector
from telegram import Update
from telegram.ext import Application

from bot.privacy.pseudonyms import Pseudonyms

log = logging.getLogger(__name__)

#: Seconds: from a few milliseconds (a press) to the 60 s Telegram waits for a webhook answer.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60)

UPDATES = prometheus_client.Counter(
    "surveybot_updates_total", "Updates handled, by kind.", ["kind"]
)
UPDATE_SECONDS = prometheus_client.Histogram(
    "surveybot_update_seconds",
    "From an update's arrival at the bot's processor to its handlers being done.",
    buckets=LATENCY_BUCKETS,
)
RETRY_AFTER = prometheus_client.Counter(
    "surveybot_telegram_429_total", "Telegram answered 429 Too Many Requests."
)
WEBHOOK_REQUESTS = prometheus_client.Counter(
    "surveybot_webhook_requests_total",
    "Webhook POSTs by outcome (handled, redelivered, forbidden, late, unreadable).",
    ["outcome"],
)
QUEUE_DEPTH = prometheus_client.Gauge(
    "surveybot_queue_depth", "Updates received and not yet handled (queued or running)."
)
#: An aiohttp request handler (the webhook and these endpoints share one server).
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
_KINDS = ("message", "edited_message", "callback_query")


class _Derivations(Collector):
    """`surveybot_pseudonym_derivations_total` and `surveybot_pseudonym_cpu_seconds_total` of
    the tracked `Pseudonyms` (zero until one is tracked; the last one tracked counts)."""

    def __init__(self) -> None:
        self.source: Pseudonyms | None = None

    def collect(self) -> list[CounterMetricFamily]:
        count = self.source.derivations if self.source else 0
        seconds = self.source.derive_cpu_seconds if self.source else 0.0
        return [
            CounterMetricFamily(
                "surveybot_pseudonym_derivations",
                "Pseudonym derivations (a resident's first step in this process).",
                value=count,
            ),
            CounterMetricFamily(
                "surveybot_pseudonym_cpu_seconds",
                "CPU seconds spent deriving pseudonyms (the memory-hard KDF).",
                value=seconds,
            ),
        ]


DERIVATIONS = _Derivations()
prometheus_client.REGISTRY.register(DERIVATIONS)


def track_pseudonyms(pseudonyms: Pseudonyms) -> None:
    """Report these pseudonyms' derivations on `/metrics`."""
    DERIVATIONS.source = pseudonyms


def observe_update(update: object, seconds: float) -> None:
    """Count one handled update and its latency."""
    kind = "other"
    if isinstance(update, Update):
        kind = next((k for k in _KINDS if getattr(update, k) is not None), "other")
    UPDATES.labels(kind).inc()
    UPDATE_SECONDS.observe(seconds)


def track_queue(application: Application) -> None:  # type: ignore[type-arg]
    """Report this application's queue: fetched and not yet handed out, plus being handled."""

    def depth() -> float:
        processor = application.update_processor
        return application.update_queue.qsize() + processor.current_concurrent_updates

    QUEUE_DEPTH.set_function(depth)


class Health:
    """The `/healthz`, `/readyz` and `/metrics` handlers."""

    def __init__(
        self,
        application: Application,  # type: ignore[type-arg]
        store_ready: Callable[[], Awaitable[object]],
        *,
        timeout: float = 5.0,
        telegram_every: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._application = application
        self._store_ready = store_ready
        self._timeout = timeout
        self._telegram_every = telegram_every
        self._clock = clock
        self._telegram_ok_until = float("-inf")
        track_queue(application)

    def routes(self) -> list[tuple[str, str, Handler]]:
        return [
            ("GET", "/healthz", self.healthz),
            ("GET", "/readyz", self.readyz),
            ("GET", "/metrics", self.metrics),
        ]

    async def healthz(self, request: web.Request) -> web.Response:
        return web.Response(text="ok\n")

    async def readyz(self, request: web.Request) -> web.Response:
        problems = []
        try:
            await asyncio.wait_for(self._store_ready(), self._timeout)
        except Exception as error:
            problems.append(f"store: {type(error).__name__}")
        if self._clock() >= self._telegram_ok_until:
            try:
                await asyncio.wait_for(self._application.bot.get_me(), self._timeout)
                self._telegram_ok_until = self._clock() + self._telegram_every
            except Exception as error:
                problems.append(f"telegram: {type(error).__name__}")
        if problems:
            log.warning("not ready: %s", "; ".join(problems))
            return web.Response(status=503, text="not ready: " + "; ".join(problems) + "\n")
        return web.Response(text="ready\n")

    async def metrics(self, request: web.Request) -> web.Response:
        body = prometheus_client.generate_latest()
        return web.Response(
            body=body, headers={"Content-Type": prometheus_client.CONTENT_TYPE_LATEST}
        )
