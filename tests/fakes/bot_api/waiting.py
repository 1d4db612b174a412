"""Waiting on the fake without sleeping: change notifications, conditions, and idleness.

Owns: ``Waiters`` - one ``asyncio.Event`` per key ("any" change, or ``("chat", id)``), set on every
change of that key; ``wait_for`` re-checks a condition on each change; ``wait_idle`` waits until
no call is in flight, nothing is queued and nothing happened for a quiet period.
Must hold: every change a test can wait on calls ``notify`` (a call ending, an update queued, a
chat changing), so a waiter wakes on the change itself, not on a polling tick. The only timed wait
is the quiet period of ``wait_idle``, which is what "idle" means.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable

ANY = "any"


def chat_key(chat_id: int) -> tuple[str, int]:
    """The key notified when a chat's visible state or its callback answers change."""
    return ("chat", chat_id)


class Waiters:
    """Change notifications plus the in-flight call count that idleness is measured on."""

    def __init__(self) -> None:
        self._events: dict[object, asyncio.Event] = {}
        self.inflight = 0
        self.last_activity = time.monotonic()

    def notify(self, key: object) -> None:
        """Wake everyone waiting on ``key``."""
        event = self._events.pop(key, None)
        if event is not None:
            event.set()

    def call_started(self) -> None:
        self.inflight += 1
        self.last_activity = time.monotonic()

    def call_ended(self, *, counted: bool) -> None:
        """A call was answered; ``counted`` if ``call_started`` was called for it."""
        if counted:
            self.inflight -= 1
        self.last_activity = time.monotonic()
        self.notify(ANY)

    async def wait_for(self, predicate: Callable[[], bool], timeout: float, key: object) -> None:
        """Wait until ``predicate()`` holds, re-checked on each change of ``key``."""
        deadline = time.monotonic() + timeout
        while True:
            event = self._events.setdefault(key, asyncio.Event())
            if predicate():
                return
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"condition not met within {timeout}s")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), remaining)

    async def wait_idle(self, queued: Callable[[], int], quiet_for: float, timeout: float) -> None:
        """Wait until nothing is ``queued()``, no call is in flight and none ended or began for
        ``quiet_for`` seconds. Raises TimeoutError."""
        deadline = time.monotonic() + timeout
        while True:
            event = self._events.setdefault(ANY, asyncio.Event())
            now = time.monotonic()
            busy = bool(self.inflight or queued())
            quiet_left = quiet_for - (now - self.last_activity)
            if not busy and quiet_left <= 0:
                return
            remaining = deadline - now
            if remaining <= 0:
                raise TimeoutError(f"fake Bot API not idle within {timeout}s")
            # Busy: the next call's end wakes us. Quiet so far: wake when the quiet period is
            # over, or earlier if something happens (a call that starts raises last_activity).
            wait = remaining if busy else min(remaining, quiet_left)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), wait)
