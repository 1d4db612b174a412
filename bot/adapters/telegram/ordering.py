"""Concurrent residents, each resident's updates strictly in order: a PTB update processor.

What must hold:
- two updates from the same chat never run at the same time, and run in the order Telegram
  delivered them (an asyncio.Lock per chat queues waiters first come, first served);
- updates from different chats run concurrently, at most `max_workers` at a time. Handlers
  mostly wait (for the flood limit, for Telegram), so this may be far above the HTTP connection
  pool: a crowd's presses must be answered within Telegram's ~15 s even while the edits they
  cause wait their turn at 30 sends/s;
- one chat that floods the bot with updates waits on its own lock and does not take worker
  places from other residents: the worker place is taken after the chat's lock;
- with `turn` (replicas sharing one PostgreSQL: `SurveyService.turn`), an update of a resident
  runs only while this replica holds that resident's turn, so two replicas never handle two
  updates of one resident at once, and the later one sees everything the earlier one stored and
  showed. The turn is taken last (after the chat's lock and a worker place), so a replica holds
  at most one turn per chat.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

from bot.adapters.telegram.metrics import observe_update

#: Updates that may be queued (waiting on their chat's lock) before PTB itself waits.
_QUEUE_LIMIT = 4096


class PerResidentProcessor(BaseUpdateProcessor):
    """Per-chat order, cross-chat concurrency."""

    def __init__(
        self,
        max_workers: int,
        turn: Callable[[int], AbstractAsyncContextManager[None]] | None = None,
    ) -> None:
        super().__init__(max_concurrent_updates=_QUEUE_LIMIT)
        self._turn = turn
        self._workers = asyncio.Semaphore(max_workers)
        self._locks: dict[int, asyncio.Lock] = {}
        self._waiting: dict[int, int] = {}

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to tear down."""

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        """Run `coroutine` after earlier updates of the same chat, within the worker limit."""
        started = time.perf_counter()
        try:
            await self._in_order(update, coroutine)
        finally:
            observe_update(update, time.perf_counter() - started)

    async def _in_order(self, update: object, coroutine: Awaitable[Any]) -> None:
        chat_id = _chat_of(update)
        if chat_id is None:
            async with self._workers:
                await coroutine
            return
        lock = self._locks.setdefault(chat_id, asyncio.Lock())
        self._waiting[chat_id] = self._waiting.get(chat_id, 0) + 1
        try:
            async with lock, self._workers:
                user_id = _user_of(update)
                if self._turn is None or user_id is None:
                    await coroutine
                else:
                    async with self._turn(user_id):
                        await coroutine
        finally:
            self._waiting[chat_id] -= 1
            if not self._waiting[chat_id]:
                del self._waiting[chat_id]
                del self._locks[chat_id]


def _chat_of(update: object) -> int | None:
    if isinstance(update, Update) and update.effective_chat is not None:
        return update.effective_chat.id
    return None


def _user_of(update: object) -> int | None:
    if isinstance(update, Update) and update.effective_user is not None:
        return update.effective_user.id
    return None
