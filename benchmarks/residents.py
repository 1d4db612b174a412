"""Simulated residents for the end-to-end benchmarks: they answer the survey with buttons
only, as fast as the bot lets them, through the fake Bot API (`tests.fakes.bot_api`).

What must hold:
- a resident acts only on what a client shows (the latest bot message with buttons) and never
  presses Back: choices at random, one toggle then Done on multi questions, Skip on free text;
- each press is timed from the moment the update is queued until the resident's chat changed
  (the next question is shown): `PressLog.latencies`;
- a "double tap" presses a second choice on the same screen at once; the bot must handle the
  first press and answer the second as stale (per-resident order). Each resident also checks
  that the step its screens carry never goes backwards;
- every wait is bounded (`timeout`); a resident that times out stops and is counted.
"""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass, field

from tests.fakes.bot_api import JSON, Button, FakeBotApi, StoredMessage, User


@dataclass
class PressLog:
    """What all residents of one run saw."""

    latencies: list[float] = field(default_factory=list)
    #: perf_counter() when each press's next screen appeared (same order as `latencies`).
    done_at: list[float] = field(default_factory=list)
    double_taps: list[tuple[JSON, JSON]] = field(default_factory=list)
    regressions: int = 0
    finished: int = 0
    timeouts: int = 0

    @property
    def presses(self) -> int:
        return len(self.latencies)


def _step(buttons: list[Button]) -> int | None:
    for button in buttons:
        head = (button.callback_data or "").split(":")[0]
        if head.isdigit():
            return int(head)
    return None


class Presser:
    """One resident pressing through the survey."""

    def __init__(
        self,
        server: FakeBotApi,
        user_id: int,
        rng: random.Random,
        log: PressLog,
        *,
        double_tap: float = 0.0,
        timeout: float = 60.0,
    ) -> None:
        self.server = server
        self.user = User(user_id, first_name="Resident", language_code="sv")
        self.rng = rng
        self.log = log
        self.double_tap = double_tap
        self.timeout = timeout
        self._last_step = -1
        self._toggled = False

    @property
    def chat_id(self) -> int:
        return self.user.id

    def _survey_message(self) -> StoredMessage | None:
        return self.server.last_bot_message(self.chat_id, with_keyboard=True)

    async def _wait_past(self, version: int) -> None:
        server, chat = self.server, self.chat_id
        await server.wait_for(
            lambda: server.chat_version(chat) > version, self.timeout, chat_id=chat
        )

    async def start(self) -> None:
        """Send /start and wait for the intro."""
        version = self.server.chat_version(self.chat_id)
        self.server.send_command(self.user, "/start")
        await self._wait_past(version)

    def _choose(self, buttons: list[Button]) -> tuple[str, str | None] | None:
        """The data to press (and a second one for a double tap), or None when finished."""
        data = [b.callback_data for b in buttons if b.callback_data]
        go = [d for d in data if d.endswith(":go")]
        if go:
            return go[0], None
        toggles = [d for d in data if ":t:" in d]
        if toggles:
            # One toggle, then Done (whatever marks the bot draws on chosen buttons).
            self._toggled = not self._toggled
            if not self._toggled:
                return next(d for d in data if d.endswith(":d")), None
            return self.rng.choice(toggles), None
        choices = [d for d in data if ":c:" in d]
        if choices:
            first = self.rng.choice(choices)
            second = None
            if len(choices) > 1 and self.rng.random() < self.double_tap:
                second = self.rng.choice([d for d in choices if d != first])
            return first, second
        skip = [d for d in data if d.endswith(":s")]
        return (skip[0], None) if skip else None

    async def press_once(self) -> bool:
        """Press one button and wait for the next screen; False when there is nothing to press."""
        message = self._survey_message()
        if message is None:
            self.log.finished += 1
            return False
        step = _step(message.buttons)
        if step is not None:
            if step <= self._last_step:
                self.log.regressions += 1
            self._last_step = step
        chosen = self._choose(message.buttons)
        if chosen is None:
            self.log.finished += 1
            return False
        first, second = chosen
        version = self.server.chat_version(self.chat_id)
        began = time.perf_counter()
        tap = self.server.press(self.user, message.message_id, first)
        if second is not None:
            again = self.server.press(self.user, message.message_id, second)
            self.log.double_taps.append((tap, again))
        await self._wait_past(version)
        done = time.perf_counter()
        self.log.latencies.append(done - began)
        self.log.done_at.append(done)
        return True

    async def run(self, stop: asyncio.Event | None = None, max_presses: int = 200) -> None:
        """Press until finished, `stop` is set or `max_presses`; a timeout ends the resident."""
        try:
            for _ in range(max_presses):
                if stop is not None and stop.is_set():
                    return
                if not await self.press_once():
                    return
        except TimeoutError:
            self.log.timeouts += 1


def order_violations(server: FakeBotApi, log: PressLog) -> tuple[int, int]:
    """(double taps checked, taps answered out of order): the first press of a double tap must
    be answered without a toast (it was taken) and the second with one (stale)."""
    checked = violations = 0
    for first, second in log.double_taps:
        a, b = server.answer_for(first), server.answer_for(second)
        if a is None or b is None:
            continue
        checked += 1
        if a.text is not None or b.text is None:
            violations += 1
    return checked, violations + log.regressions
