"""The update queue behind ``getUpdates``: long polling, offsets, allowed types, re-delivery.

Owns: ``UpdateQueue`` - the updates users' actions queue, their ids, which were delivered and
confirmed, the one long poll that may be open, and duplicated re-deliveries armed in ``Faults``.
Must hold: like Telegram, an ``offset`` confirms (drops) every update below it, a negative offset
keeps only the last ``-offset``; a second ``getUpdates`` ends the first with 409 Conflict; a long
poll returns as soon as an update is queued (an event, not a polling tick); update types outside
``allowed_updates`` are dropped. ``pending`` walks only the undelivered tail of the queue.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import Callable

from tests.fakes.bot_api.errors import CONFLICT, ApiError
from tests.fakes.bot_api.faults import Faults
from tests.fakes.bot_api.params import as_int
from tests.fakes.bot_api.records import JSON, Upload
from tests.fakes.bot_api.waiting import ANY

# Update types Telegram delivers when allowed_updates is empty/unset.
_DEFAULT_EXCLUDED = frozenset({"chat_member", "message_reaction", "message_reaction_count"})


class _Poll:
    __slots__ = ("conflicted", "wake")

    def __init__(self) -> None:
        self.wake = asyncio.Event()
        self.conflicted = False


class UpdateQueue:
    """Updates waiting for the bot, and the ``getUpdates``/``deleteWebhook`` methods."""

    def __init__(self, faults: Faults, notify: Callable[[object], None]) -> None:
        self._faults = faults
        self._notify = notify
        self._updates: deque[JSON] = deque()
        self._next_update_id = 10_000
        self._max_delivered = 0
        self._allowed: frozenset[str] | None = None
        self._dup_pending: dict[int, JSON] = {}
        self._redeliver: list[JSON] = []
        self._poll: _Poll | None = None
        self._closing = False
        #: The id of every update ever queued, in order (what a test waits to see handled).
        self.queued_ids: list[int] = []

    @property
    def queued(self) -> int:
        """Updates still in the queue (delivered or not): zero once the bot confirmed all."""
        return len(self._updates)

    @property
    def polling(self) -> bool:
        """Whether a ``getUpdates`` long poll is open (waiters are notified when one opens)."""
        return self._poll is not None

    @property
    def pending(self) -> int:
        """Updates queued and never delivered to the bot (plus pending re-deliveries).

        O(undelivered): update ids grow, so only the queue's tail is walked."""
        fresh = 0
        for update in reversed(self._updates):
            if int(update["update_id"]) <= self._max_delivered:
                break
            fresh += 1
        return fresh + len(self._redeliver)

    def enqueue(self, update: JSON) -> JSON:
        """Queue ``update`` (an ``update_id`` is given if missing) and wake the long poll."""
        if "update_id" not in update:
            update = {"update_id": self._next_update_id, **update}
        self._next_update_id = max(self._next_update_id, int(update["update_id"])) + 1
        self._updates.append(update)
        self.queued_ids.append(int(update["update_id"]))
        if self._poll is not None:
            self._poll.wake.set()
        self._notify(ANY)
        return update

    def take_next(self) -> JSON | None:
        """Remove and return the oldest queued update (a webhook sender delivers it), or None."""
        return self._updates.popleft() if self._updates else None

    def close(self) -> None:
        """The server stops: an open long poll returns now."""
        self._closing = True
        if self._poll is not None:
            self._poll.wake.set()

    def delete_webhook(self, params: JSON, uploads: dict[str, Upload], now: float) -> bool:
        if params.get("drop_pending_updates") in (True, "true", "True"):
            self._updates.clear()
            self._redeliver.clear()
        return True

    async def get_updates(self, params: JSON) -> list[JSON]:
        offset = as_int(params.get("offset"))
        limit = min(100, max(1, as_int(params.get("limit")) or 100))
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
        self._notify(ANY)
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
                if self._faults.take_duplicate():
                    self._dup_pending[uid] = update
        if skipped:
            self._updates = deque(u for u in self._updates if self._allowed_type(u))
        return batch
