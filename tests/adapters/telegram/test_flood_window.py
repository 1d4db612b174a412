"""The flood limiter's sliding window, driven directly with real time
(bot/adapters/telegram/flood.py).

The property that matters is at Telegram's end: however long a send takes between being let
through and arriving (a wait for a connection, a busy event loop, the network), no window of
one period holds more than `limit` arrivals. Each fake send here "arrives" at a random moment
of its own round trip, as seen from the server.

No assertion here depends on the machine being fast: the sleeps are the simulated round trips and
the passing of time under test, and the checks on loop time are lower bounds (a busy CPU only makes
a wait longer) or limits on how many sends arrive together.
"""

from __future__ import annotations

import asyncio
import random

import pytest

from bot.adapters.telegram.flood import FloodLimiter, SlidingWindow
from tests.fakes.bot_api import max_in_window

LIMIT = 5
PERIOD = 0.2


async def _send_through(
    window: SlidingWindow, arrivals: list[float], delay_before: float, delay_after: float
) -> None:
    loop = asyncio.get_running_loop()
    slot = await window.acquire()
    try:
        await asyncio.sleep(delay_before)  # on its way: a connection, the loop, the network
        arrivals.append(loop.time())
        await asyncio.sleep(delay_after)  # the response coming back
    finally:
        await window.release(slot)


async def test_arrivals_keep_the_limit_whatever_the_delays() -> None:
    rng = random.Random(6)
    window = SlidingWindow(LIMIT, PERIOD)
    arrivals: list[float] = []
    await asyncio.wait_for(
        asyncio.gather(
            *(
                _send_through(window, arrivals, rng.uniform(0, 0.15), rng.uniform(0, 0.05))
                for _ in range(60)
            )
        ),
        30,
    )
    assert len(arrivals) == 60
    # Stamped at the server's side, a hair of clock resolution is all the slack there is.
    assert max_in_window(sorted(arrivals), PERIOD - 0.001) <= LIMIT


async def test_a_window_of_instant_sends_runs_at_the_limit() -> None:
    """With no delay the window lets `limit` through per period: it is not overly cautious."""
    window = SlidingWindow(LIMIT, PERIOD)
    loop = asyncio.get_running_loop()
    began = loop.time()
    arrivals: list[float] = []
    await asyncio.wait_for(
        asyncio.gather(*(_send_through(window, arrivals, 0, 0) for _ in range(4 * LIMIT))), 10
    )
    took = loop.time() - began
    # 4 x limit sends: three full periods of waiting, then the last batch at once ...
    assert took >= 3 * PERIOD, took
    # ... and each period lets the full `limit` through, not fewer.
    assert max_in_window(sorted(arrivals), PERIOD - 0.001) == LIMIT


async def test_a_send_still_under_way_keeps_its_place() -> None:
    """A send that has not come back counts, however long ago it was let through."""
    loop = asyncio.get_running_loop()
    window = SlidingWindow(1, PERIOD)
    slow = await window.acquire()
    waiter = asyncio.create_task(window.acquire())
    await asyncio.sleep(3 * PERIOD)  # the passing of time under test: the send is still out
    assert not waiter.done()
    released = loop.time()
    await window.release(slow)
    await window.release(await asyncio.wait_for(waiter, 10 * PERIOD))
    # The released send still held the window for one whole period after it came back.
    assert loop.time() - released >= PERIOD


async def test_a_failed_send_gives_its_place_back() -> None:
    limiter = FloodLimiter(overall_rate=1, per_chat_rate=0)

    async def broken(*args: object, **kwargs: object) -> bool:
        raise ConnectionError("dropped")

    async def fine(*args: object, **kwargs: object) -> bool:
        return True

    loop = asyncio.get_running_loop()
    with pytest.raises(ConnectionError):
        await limiter.process_request(broken, (), {}, "sendMessage", {"chat_id": 1}, None)
    failed = loop.time()
    # One send per second: the next fits once the failed one's second has passed (a place
    # never given back would hold it for ever: the timeout is the failure, not a measurement).
    assert await asyncio.wait_for(
        limiter.process_request(fine, (), {}, "sendMessage", {"chat_id": 2}, None), 10
    )
    assert loop.time() - failed >= 1.0
