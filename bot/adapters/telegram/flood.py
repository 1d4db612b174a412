"""Sending within Telegram's flood limits: a python-telegram-bot rate limiter.

What must hold:
- in ANY window of one second at most `overall_rate` requests that target a chat (sendMessage,
  edits, deletions, photos...) ARRIVE at Telegram, about 30/s for a bot. A sliding window, not a
  token bucket (a bucket of 30 that refills at 30/s lets about 60 through in one second), and a
  send holds its place in the window from the moment it is let through until one period after
  its response came back. Telegram sees the send somewhere in between, so however long it
  waited for a connection, the event loop or the network, arrivals keep the limit too (if
  `limit` + 1 arrived within one period, the last to be let through would have found the other
  `limit` still holding their places);
- in any one chat at most `per_chat_burst` sends per `per_chat_burst / per_chat_rate` seconds,
  so on average `per_chat_rate` per second with a small burst (a step may edit one message and
  delete another); PTB's own `AIORateLimiter` limits only group chats per chat, and a survey bot
  lives in private chats;
- a 429 with `retry_after` pauses every request until the latest pause asked for has ended, a
  request that waited for its turn included, and is retried (up to `max_retries`), with one log
  line and no chat id in it.
Requests without a chat (answerCallbackQuery, getUpdates) are not limited.

Replicas sharing one PostgreSQL share these limits rather than multiply them: given
`SharedWindows` (`storage.pg_flood.PgWindows`, wired by `bot.cli.run`), every window and the
429 pause are kept in the database, the same for all replicas. A chat's shared window is keyed
by `chat_scope`, a 20-bit hash of its id (about a millionth of all accounts share it), never the
id itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from collections import OrderedDict
from collections.abc import Callable, Coroutine
from typing import Any, Protocol

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

from bot.adapters.telegram.metrics import RETRY_AFTER

log = logging.getLogger(__name__)

JSONDict = dict[str, Any]
_Result = bool | JSONDict | list[JSONDict]


class Slot:
    """One send's place in a window: held while the send is under way, then for one period."""

    __slots__ = ("done",)

    def __init__(self) -> None:
        #: Loop time at which the send's response came back (None while it is under way).
        self.done: float | None = None


#: Chats' shared windows are keyed by this many bits of a hash of the chat id.
CHAT_SCOPE_BITS = 20
#: The shared overall window's scope.
GLOBAL_SCOPE = -1


def chat_scope(chat_id: int | str) -> int:
    """A chat's shared window: 20 bits of a hash of its id, never the id."""
    digest = hashlib.blake2b(str(chat_id).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") % (1 << CHAT_SCOPE_BITS)


class Window(Protocol):
    """A sliding window of sends (`SlidingWindow` in memory, or a shared one)."""

    async def acquire(self, not_before: Callable[[], float] | None = None) -> Any: ...

    async def release(self, slot: Any) -> None: ...


class SharedWindows(Protocol):
    """Windows every replica sees (`storage.pg_flood.PgWindows`)."""

    def window(self, scope: int, limit: int, period: float) -> Window:
        """`GLOBAL_SCOPE`'s window (which also waits out `pause`), or a chat's (`chat_scope`)."""
        ...

    async def pause(self, seconds: float) -> None:
        """Hold every replica's sends for `seconds` (a 429)."""
        ...


class SlidingWindow:
    """At most `limit` sends in any `period` seconds, counting each from the moment it is let
    through until `period` after it is released; waiters go first come, first served."""

    def __init__(self, limit: int, period: float) -> None:
        self._limit = limit
        self._period = period
        self._slots: list[Slot] = []
        self._turn = asyncio.Lock()
        self._released = asyncio.Event()

    async def acquire(self, not_before: Callable[[], float] | None = None) -> Slot:
        """Wait until one more send fits in the window (and, if given, until the loop time
        `not_before()`); the caller must `release` the slot when the send is over."""
        async with self._turn:
            loop = asyncio.get_running_loop()
            while True:
                now = loop.time()
                if not_before is not None and (hold := not_before() - now) > 0:
                    await asyncio.sleep(hold)
                    continue
                period = self._period
                self._slots = [s for s in self._slots if s.done is None or now - s.done < period]
                if len(self._slots) < self._limit:
                    slot = Slot()
                    self._slots.append(slot)
                    return slot
                ends = [s.done + period for s in self._slots if s.done is not None]
                self._released.clear()
                # Until the oldest finished send leaves the window, or another send finishes.
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._released.wait(), min(ends) - now if ends else None)

    async def release(self, slot: Slot) -> None:
        """The send of `slot` is over (answered, refused or failed): its period starts now."""
        slot.done = asyncio.get_running_loop().time()
        self._released.set()


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
        shared: SharedWindows | None = None,
    ) -> None:
        self._shared = shared
        self._overall: Window | None = None
        if overall_rate:
            limit = int(overall_rate)
            self._overall = (
                SlidingWindow(limit, 1.0)
                if shared is None
                else shared.window(GLOBAL_SCOPE, limit, 1.0)
            )
        self._per_chat_rate = per_chat_rate
        self._per_chat_burst = per_chat_burst
        self._chats: OrderedDict[int | str, Window] = OrderedDict()
        self._max_chats = max_chats
        self._max_retries = max_retries
        self._paused_until = 0.0

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to tear down."""

    def _chat_window(self, chat_id: int | str) -> Window | None:
        if not self._per_chat_rate:
            return None
        window = self._chats.get(chat_id)
        if window is None:
            burst, period = self._per_chat_burst, self._per_chat_burst / self._per_chat_rate
            window = (
                SlidingWindow(burst, period)
                if self._shared is None
                else self._shared.window(chat_scope(chat_id), burst, period)
            )
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
            slots: list[tuple[Window, Any]] = []
            try:
                if chat_id is not None:
                    chat = self._chat_window(chat_id)
                    if chat is not None:
                        slots.append((chat, await chat.acquire()))
                if chat_id is not None and self._overall is not None:
                    # Pauses are honoured inside the window, so sends held by a 429 are let
                    # through afterwards at the window's pace, not all at once.
                    overall = self._overall
                    slots.append(
                        (overall, await overall.acquire(not_before=lambda: self._paused_until))
                    )
                else:
                    await self._wait_out_pauses()
                return await callback(*args, **kwargs)
            except RetryAfter as exc:
                RETRY_AFTER.inc()
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
                if self._shared is not None:
                    await self._shared.pause(seconds + 0.1)
            finally:
                for window, slot in slots:
                    await window.release(slot)
        raise AssertionError("unreachable")  # pragma: no cover
