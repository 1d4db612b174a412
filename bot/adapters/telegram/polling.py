"""At-least-once long polling: an update is confirmed to Telegram only after it was handled.

PTB's updater confirms a batch (the next getUpdates' offset) as soon as it has queued it, before
the handlers ran, so a crash meanwhile loses those presses. `ConfirmingPoller` is a transport for
`run_until_stopped` that hands updates to the same per-resident processor, and moves the offset
only past the updates whose handling has finished.

What must hold:
- the offset sent to Telegram is never beyond the oldest update still being handled: after a
  crash Telegram delivers again every update whose handling had not finished;
- an update Telegram returns again while it is being handled, or after it was handled but
  before the offset passed it, is not handled again, nor even parsed again (`Lifecycle.known`:
  every getUpdates while handlers run returns them all again);
- at most `PER_CHAT` updates of one chat hold the offset back; that chat's further updates are
  confirmed without waiting for them, as PTB's updater does (a crash may drop those): Telegram
  shows only the `WINDOW` updates after the offset, a chat's updates run one after the other at
  about one send a second, and one resident sending a flood would otherwise fill the window and
  hold every other resident's updates back for minutes;
- at most `WINDOW` (Telegram's batch size, 100) updates are in flight; while handlers run,
  getUpdates is asked at most every `REPOLL_GAP` seconds (each answer repeats the running
  updates), and with a full window only once the oldest has finished;
- on stop, running handlers finish and the final offset is confirmed (a zero-timeout call).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dtm
import logging

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import Application

from bot.adapters.telegram.app import ALLOWED_UPDATES, BotOptions, start_application
from bot.adapters.telegram.updates import TolerantBot

log = logging.getLogger(__name__)

#: Updates Telegram returns at most per getUpdates call.
WINDOW = 100
#: Updates of one chat that may hold the offset back at once (a person has a few in flight at
#: most: a press, a typed answer, a /start; see the module doc).
PER_CHAT = 3
#: Seconds to wait after failed getUpdates calls before asking again: `REPOLL_GAP` doubled per
#: failure in a row, at most `RETRY_DELAY`. (Re-polling every 50 ms, one fixed second per
#: failure kept the poller asleep most of the time when one call in ten failed.)
RETRY_DELAY = 1.0
#: While handlers run, seconds between two getUpdates at most (each returns the running ones
#: again, to be parsed again: this bounds that cost to 20 refetches a second).
REPOLL_GAP = 0.05


class ConfirmingPoller:
    """Long polling that confirms an update only once its handlers are done."""

    def __init__(
        self,
        application: Application,  # type: ignore[type-arg]
        poll_timeout: float,
        bot_options: BotOptions | None = None,
    ) -> None:
        self.application = application
        self.poll_timeout = poll_timeout
        self._bot_options = bot_options
        #: The offset Telegram has been (or will be) told: every id below it is handled.
        self.offset = 0
        self._running: dict[int, asyncio.Task[None]] = {}
        self._finished: set[int] = set()
        #: Running updates that hold the offset back, by chat; and those that do not.
        self._holding: dict[int, int] = {}
        self._detached: set[asyncio.Task[None]] = set()
        self._loop_task: asyncio.Task[None] | None = None
        self._stopping = False

    async def start(self) -> None:
        application = self.application
        if isinstance(application.bot, TolerantBot):
            application.bot.lifecycle.known = self._is_known
        await start_application(application, self._bot_options)
        await application.bot.delete_webhook()
        self._loop_task = asyncio.get_running_loop().create_task(self._poll_forever())

    async def stop(self) -> None:
        """Stop asking, let running handlers finish, confirm what they handled."""
        self._stopping = True
        if self._loop_task is not None:
            self._loop_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._loop_task
        if self._running or self._detached:
            await asyncio.wait([*self._running.values(), *self._detached])
        self._advance()
        with contextlib.suppress(TelegramError):
            await self.application.bot.get_updates(
                offset=self.offset, timeout=dtm.timedelta(0), limit=1
            )

    async def _poll_forever(self) -> None:
        bot = self.application.bot
        failures = 0
        while not self._stopping:
            try:
                updates = await bot.get_updates(
                    offset=self.offset or None,
                    timeout=dtm.timedelta(seconds=self.poll_timeout),
                    limit=WINDOW,
                    allowed_updates=ALLOWED_UPDATES,
                )
            except TelegramError as err:
                log.warning("getUpdates failed, retrying: %s: %s", type(err).__name__, err)
                failures += 1
                await asyncio.sleep(min(RETRY_DELAY, REPOLL_GAP * 2**failures))
                continue
            failures = 0
            for update in updates:
                if self._is_new(update.update_id):
                    self._handle(update)
            if self._running:
                # Give handlers a moment (until all are done, at most REPOLL_GAP) before asking
                # again: the answer repeats every update still running.
                await asyncio.wait(list(self._running.values()), timeout=REPOLL_GAP)
                if len(self._running) >= WINDOW and not self._stopping:
                    # A full window: nothing new can come until the oldest one is done.
                    oldest = self._running[min(self._running)]
                    await asyncio.wait([oldest])
            self._advance()

    def _is_new(self, update_id: int) -> bool:
        return not self._is_known(update_id)

    def _is_known(self, update_id: int) -> bool:
        """Whether `update_id` is being handled, or was handled (before the offset, or after
        it but not yet confirmed)."""
        return update_id < self.offset or update_id in self._running or update_id in self._finished

    def _handle(self, update: Update) -> None:
        app = self.application
        task = asyncio.get_running_loop().create_task(
            app.update_processor.process_update(update, app.process_update(update))
        )
        update_id = update.update_id
        chat = update.effective_chat.id if update.effective_chat is not None else None
        if chat is not None and self._holding.get(chat, 0) >= PER_CHAT:
            # A flood from one chat: confirmed without waiting (see the module doc).
            self._finished.add(update_id)
            self._detached.add(task)
            task.add_done_callback(self._detached.discard)
            return
        if chat is not None:
            self._holding[chat] = self._holding.get(chat, 0) + 1
        self._running[update_id] = task
        task.add_done_callback(lambda _: self._done(update_id, chat))

    def _done(self, update_id: int, chat: int | None) -> None:
        self._running.pop(update_id, None)
        self._finished.add(update_id)
        if chat is not None:
            self._holding[chat] -= 1
            if not self._holding[chat]:
                del self._holding[chat]

    def _advance(self) -> None:
        """Move the offset past every handled update, up to the oldest one still running."""
        ceiling = min(self._running) if self._running else None
        for update_id in sorted(self._finished):
            if ceiling is not None and update_id > ceiling:
                break
            if update_id >= self.offset:
                self.offset = update_id + 1
            self._finished.discard(update_id)
