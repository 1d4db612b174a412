"""Sending within Telegram's flood limits: a python-telegram-bot rate limiter.

What must hold:
- in ANY window of one second at most `overall_rate` requests that target a chat (sendMessage,
  edits, deletions, photos...), about 30/s for a bot: a sliding window of send times, not a
  token bucket (a bucket of 30 that refills at 30/s lets about 60 through in one second);
- in any one chat at most `per_chat_burst` sends per `per_chat_burst / per_chat_rate` seconds,
  so on average `per_chat_rate` per second with a small burst (a step may edit one message and
  delete another); PTB's own `AIORateLimiter` limits only group chats per chat, and a survey bot
  lives in private chats;
- a 429 with `retry_after` pauses every request until the latest pause asked for has ended, a
  request that waited for its turn included, and is retried (up to `max_retries`), with one log
  line and no chat id in it.
Requests without a chat (answerCallbackQuery, getUpdates) are not limited.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict, deque
from collections.abc import Callable, Coroutine
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

log = logging.getLogger(__name__)

JSONDict = dict[str, Any]
_Result = bool | JSONDict | list[JSONDict]
#: Send times are taken before the request leaves; this margin keeps their arrival at
#: Telegram within the limit too when network delays vary.
_MARGIN = 0.1


class SlidingWindow:
    """At most `limit` acquisitions in any `period` seconds; waiters go first come, first served."""

    def __init__(self, limit: int, period: float) -> None:
        self._limit = limit
        self._period = period + _MARGIN
        self._times: deque[float] = deque()
        self._lock = asyncio.Lock()

    async def acquire(self, not_before: Callable[[], float] | None = None) -> None:
        """Wait until one more event fits in the window (and, if given, until the loop time
        `not_before()`), and count it at the moment it is let through."""
        async with self._lock:
            loop = asyncio.get_running_loop()
            while True:
                now = loop.time()
                if not_before is not None and (hold := not_before() - now) > 0:
                    await asyncio.sleep(hold)
                    continue
                while self._times and now - self._times[0] >= self._period:
                    self._times.popleft()
                if len(self._times) < self._limit:
                    self._times.append(now)
                    return
                await asyncio.sleep(self._times[0] + self._period - now)


class FloodLimiter(BaseRateLimiter[None]):
    """Overall and per-chat rate limits plus retry_after handling."""

    def __init__(
        self,
        *,
        overall_rate: float = 30,
        per_chat_rate: float = 1,
        per_chat_burst: int = 3,
        max_retries: int = 5,
        max_chats: int = 10_000,
    ) -> None:
        self._overall = SlidingWindow(int(overall_rate), 1.0) if overall_rate else None
        self._per_chat_rate = per_chat_rate
        self._per_chat_burst = per_chat_burst
        self._chats: OrderedDict[int | str, SlidingWindow] = OrderedDict()
        self._max_chats = max_chats
        self._max_retries = max_retries
        self._paused_until = 0.0

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to tear down."""

    def _chat_window(self, chat_id: int | str) -> SlidingWindow | None:
        if not self._per_chat_rate:
            return None
        window = self._chats.get(chat_id)
        if window is None:
            window = SlidingWindow(self._per_chat_burst, self._per_chat_burst / self._per_chat_rate)
            self._chats[chat_id] = window
            if len(self._chats) > self._max_chats:
                self._chats.popitem(last=False)
        else:
            self._chats.move_to_end(chat_id)
        return window

    async def _wait_out_pauses(self) -> None:
        loop = asyncio.get_running_loop()
        while True:  # a later 429 may extend the pause while we sleep
            delay = self._paused_until - loop.time()
            if delay <= 0:
                return
            await asyncio.sleep(delay)

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, _Result]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> _Result:
        """Run one Bot API request within the limits, retrying after a 429."""
        chat_id = data.get("chat_id")
        retries = self._max_retries if rate_limit_args is None else rate_limit_args
        for attempt in range(retries + 1):
            if chat_id is not None:
                chat = self._chat_window(chat_id)
                if chat is not None:
                    await chat.acquire()
            if chat_id is not None and self._overall is not None:
                # Pauses are honoured inside the window, so sends held by a 429 are let
                # through afterwards at the window's pace, not all at once.
                await self._overall.acquire(not_before=lambda: self._paused_until)
            else:
                await self._wait_out_pauses()
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as exc:
                if attempt == retries:
                    log.warning(
                        "Telegram flood limit: gave up %s after %d retries", endpoint, retries
                    )
                    raise
                wait = exc.retry_after
                seconds = wait if isinstance(wait, int | float) else wait.total_seconds()
                until = asyncio.get_running_loop().time() + seconds + 0.1
                if until > self._paused_until:
                    log.warning("Telegram flood limit: pausing all sends for %.1f s", seconds)
                    self._paused_until = until
        raise AssertionError("unreachable")  # pragma: no cover
