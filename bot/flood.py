"""Sending within Telegram's flood limits: a python-telegram-bot rate limiter.

What must hold:
- at most `overall_rate` requests per second that target a chat (sendMessage, edits,
  deletions, photos...), about 30/s for a bot;
- in any one chat, on average at most `per_chat_rate` sends per second, with a small burst
  (a step may edit one message and delete another); PTB's own `AIORateLimiter` limits only group
  chats per chat, and a survey bot lives in private chats;
- a 429 with `retry_after` pauses every request for that long and is retried (up to
  `max_retries`), with one log line and no chat id in it.
Requests without a chat (answerCallbackQuery, getUpdates) are not limited.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import OrderedDict
from collections.abc import Callable, Coroutine
from typing import Any

from aiolimiter import AsyncLimiter
from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

log = logging.getLogger(__name__)

JSONDict = dict[str, Any]
_Result = bool | JSONDict | list[JSONDict]


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
        self._overall = AsyncLimiter(overall_rate, 1) if overall_rate else None
        self._per_chat_rate = per_chat_rate
        self._per_chat_burst = per_chat_burst
        self._chats: OrderedDict[int | str, AsyncLimiter] = OrderedDict()
        self._max_chats = max_chats
        self._max_retries = max_retries
        self._resume = asyncio.Event()
        self._resume.set()

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to tear down."""

    def _chat_limiter(self, chat_id: int | str) -> AsyncLimiter | None:
        if not self._per_chat_rate:
            return None
        limiter = self._chats.get(chat_id)
        if limiter is None:
            period = self._per_chat_burst / self._per_chat_rate
            limiter = AsyncLimiter(self._per_chat_burst, period)
            self._chats[chat_id] = limiter
            if len(self._chats) > self._max_chats:
                self._chats.popitem(last=False)
        else:
            self._chats.move_to_end(chat_id)
        return limiter

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
            await self._resume.wait()
            try:
                if chat_id is None:
                    return await callback(*args, **kwargs)
                chat = self._chat_limiter(chat_id)
                async with contextlib.AsyncExitStack() as stack:
                    if chat is not None:
                        await stack.enter_async_context(chat)
                    if self._overall is not None:
                        await stack.enter_async_context(self._overall)
                    return await callback(*args, **kwargs)
            except RetryAfter as exc:
                if attempt == retries:
                    log.warning(
                        "Telegram flood limit: gave up %s after %d retries", endpoint, retries
                    )
                    raise
                wait = exc.retry_after
                seconds = wait if isinstance(wait, int) else wait.total_seconds()
                log.warning("Telegram flood limit: pausing all sends for %.1f s", seconds)
                self._resume.clear()
                try:
                    await asyncio.sleep(seconds + 0.1)
                finally:
                    self._resume.set()
        raise AssertionError("unreachable")  # pragma: no cover
