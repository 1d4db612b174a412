"""End-to-end runs: simulated residents through a bot subprocess over HTTP (loopback).

- `load_run`: N residents, a bounded number at a time, each from /start to the thank-you;
  measures the bot's CPU per press, Bot API calls per press, press-to-next-question times and
  the bot's peak RSS.
- `latency_run`: every Bot API call delayed by a round trip (`faults.latency`), many residents
  at once pressing as fast as the bot answers; measures answered questions per second and
  press-to-next-question times inside a fixed window, and checks per-resident order.

What must hold: the bot's figures come from /proc of its own process (never of this one);
startup (imports, setMyCommands) is outside every measurement; each run uses a fresh fake Bot
API and a fresh database; every wait is bounded.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.botproc import BotProcess, bot_env
from benchmarks.procstat import CpuMark, memory
from benchmarks.residents import Presser, PressLog, order_violations
from tests.fakes.bot_api import FakeBotApi

FIRST_USER_ID = 700_000_000
#: Bot API methods that are part of polling or start-up, not of answering.
_NOT_ANSWERING = frozenset({"getUpdates", "getMe", "setMyCommands", "deleteWebhook"})


def percentile(values: Sequence[float], share: float) -> float:
    """The `share` (0..1) percentile of `values` (nearest rank); 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = min(len(ordered) - 1, max(0, round(share * len(ordered) + 0.5) - 1))
    return ordered[rank]


@dataclass
class LoadResult:
    """What one `load_run` measured."""

    label: str
    residents: int
    seconds: float
    cpu: float
    cpu_main: float
    calls: int
    peak_rss_kib: int
    rejections: int
    log: PressLog = field(repr=False)

    @property
    def presses(self) -> int:
        return self.log.presses

    @property
    def cpu_ms_per_press(self) -> float:
        return 1000 * self.cpu / max(self.presses, 1)

    @property
    def calls_per_press(self) -> float:
        return self.calls / max(self.presses, 1)

    @property
    def p50_ms(self) -> float:
        return 1000 * percentile(self.log.latencies, 0.50)

    @property
    def p99_ms(self) -> float:
        return 1000 * percentile(self.log.latencies, 0.99)

    @property
    def other_threads_share(self) -> float:
        return (self.cpu - self.cpu_main) / self.cpu if self.cpu else 0.0


async def load_run(
    label: str,
    argv: Sequence[str],
    scratch: Path,
    *,
    residents: int,
    at_once: int,
    settings: dict[str, str | int | float],
    seed: int = 1,
    timeout: float = 240.0,
    on_ready: Callable[[int], object] | None = None,
) -> LoadResult:
    """`residents` residents (at most `at_once` at a time) answer the whole survey;
    `on_ready(pid)` is called once the bot polls, before the first resident."""
    async with FakeBotApi() as server:
        env = bot_env(server, scratch, label, **settings)
        async with BotProcess(server, argv, env, scratch, label) as bot:
            await server.wait_idle(quiet_for=0.2, timeout=10)
            if on_ready is not None:
                on_ready(bot.pid)
            first_call = len(server.calls)
            before = CpuMark.read(bot.pid)
            began = time.perf_counter()
            log = PressLog()
            places = asyncio.Semaphore(at_once)

            async def resident(i: int) -> None:
                async with places:
                    presser = Presser(
                        server, FIRST_USER_ID + i, random.Random(seed * 7919 + i), log
                    )
                    try:
                        await presser.start()
                    except TimeoutError:
                        log.timeouts += 1
                        return
                    await presser.run()

            await asyncio.wait_for(
                asyncio.gather(*(resident(i) for i in range(residents))), timeout
            )
            await server.wait_idle(quiet_for=0.1, timeout=10)
            seconds = time.perf_counter() - began
            after = CpuMark.read(bot.pid)
            peak = memory(bot.pid).peak_kib
            calls = [c for c in server.calls[first_call:] if c.method not in _NOT_ANSWERING]
        return LoadResult(
            label=label,
            residents=residents,
            seconds=seconds,
            cpu=after.total - before.total,
            cpu_main=after.main - before.main,
            # Each resident's /start costs one sendMessage (the intro); the rest answer presses.
            calls=len(calls) - residents,
            peak_rss_kib=peak,
            rejections=len(server.rejections),
            log=log,
        )


@dataclass
class LatencyResult:
    """What one `latency_run` measured inside its window."""

    label: str
    window: float
    steps: int
    latencies: list[float]
    double_taps: int
    order_violations: int
    timeouts: int
    rejections: int
    cpu: float

    @property
    def steps_per_second(self) -> float:
        return self.steps / self.window

    @property
    def p99_ms(self) -> float:
        return 1000 * percentile(self.latencies, 0.99)

    @property
    def p50_ms(self) -> float:
        return 1000 * percentile(self.latencies, 0.50)

    @property
    def cpu_ms_per_step(self) -> float:
        return 1000 * self.cpu / max(self.steps, 1)


async def latency_run(
    label: str,
    argv: Sequence[str],
    scratch: Path,
    *,
    residents: int,
    settings: dict[str, str | int | float],
    latency: float = 0.05,
    warmup: float = 1.0,
    window: float = 8.0,
    double_tap: float = 0.1,
    seed: int = 2,
) -> LatencyResult:
    """All residents at once, each Bot API call delayed by `latency` seconds."""
    async with FakeBotApi() as server:
        env = bot_env(server, scratch, label, **settings)
        async with BotProcess(server, argv, env, scratch, label) as bot:
            log = PressLog()
            pressers = [
                Presser(
                    server,
                    FIRST_USER_ID + i,
                    random.Random(seed * 7919 + i),
                    log,
                    double_tap=double_tap,
                    timeout=warmup + window + 60,
                )
                for i in range(residents)
            ]
            # Everyone opens the survey first, without the injected round trip.
            await asyncio.wait_for(asyncio.gather(*(p.start() for p in pressers)), 120)
            await server.wait_idle(quiet_for=0.1, timeout=30)
            server.faults.latency = latency
            stop = asyncio.Event()
            began = time.perf_counter()
            tasks = [asyncio.create_task(p.run(stop)) for p in pressers]
            await asyncio.sleep(warmup)
            cpu_from = CpuMark.read(bot.pid).total
            await asyncio.sleep(window)
            cpu = CpuMark.read(bot.pid).total - cpu_from
            stop.set()
            server.faults.latency = 0.0
            _, pending = await asyncio.wait(tasks, timeout=60)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
            await server.wait_idle(quiet_for=0.2, timeout=30)
            lo, hi = began + warmup, began + warmup + window
            inside = [
                lat for lat, t in zip(log.latencies, log.done_at, strict=True) if lo <= t < hi
            ]
            checked, violations = order_violations(server, log)
        return LatencyResult(
            label=label,
            window=window,
            steps=len(inside),
            latencies=inside,
            double_taps=checked,
            order_violations=violations,
            timeouts=log.timeouts,
            rejections=len(server.rejections),
            cpu=cpu,
        )
