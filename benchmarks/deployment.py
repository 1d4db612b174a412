"""One deployment of the real bot (`python -m bot run` subprocesses) under a steady load, measured:
replicas in webhook mode behind a round-robin proxy (`benchmarks.proxy`) or one polling bot, on
SQLite or on a shared PostgreSQL, flood limits raised (`benchmarks.scale_bench` compares them).

The workload: `residents` residents at a time answer the survey with buttons
(`benchmarks.residents`), each replaced by a new one when done, for a warm-up, then a window in
which everything is counted. A step is an update a resident waits for (/start or a press); a
completion is the press that stores the response. CPU is read from /proc
(`benchmarks.procstat`): of the bot processes, of the PostgreSQL server (postmaster and its
backends, when this run started it) and of this process (fake Bot API, residents, proxy). The
bots' own counters and store latencies come from their Prometheus `/metrics`.

What must hold: every deployment gets a fresh fake Bot API and a fresh database (dropped at the
end); every bot is stopped (SIGTERM, then SIGKILL) whatever happens; every wait is bounded.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import random
import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import asyncpg
from prometheus_client.parser import text_string_to_metric_families

from benchmarks.botproc import SHIPPED, BotProcess, bot_env
from benchmarks.e2e import FIRST_USER_ID, percentile
from benchmarks.procstat import cpu_seconds, tree_cpu
from benchmarks.proxy import RoundRobinProxy
from benchmarks.residents import Presser, PressLog
from tests.fakes.bot_api import FakeBotApi
from tests.fakes.webhook import WebhookSender
from tests.postgres import LocalPostgres, free_port, with_database

#: SURVEYBOT_OVERALL_RATE for "flood limit raised": high enough never to wait.
RAISED_RATE = 10_000
#: SURVEYBOT_PER_CHAT_RATE: simulated residents press far faster than people (about 1/s).
PER_CHAT_RATE = 100
WEBHOOK_SECRET = "scale-bench_0123456789"
WEBHOOK_PATH = "/telegram/hook"


@dataclass(frozen=True)
class Config:
    """One way of running the bot: how many replicas, which store, which transport."""

    replicas: int
    store: str  # "postgres" or "sqlite"
    transport: str  # "webhook" or "polling"

    @property
    def label(self) -> str:
        store = "PostgreSQL" if self.store == "postgres" else "SQLite"
        return f"{self.transport}, {store}, {self.replicas} replica" + "s" * (self.replicas > 1)


@dataclass
class Measured:
    """What one configuration did inside its window (or windows: `merged`)."""

    config: Config
    window: float
    step_latencies: list[float] = field(default_factory=list)
    completion_latencies: list[float] = field(default_factory=list)
    bot_cpu: float = 0.0
    pg_cpu: float | None = None
    harness_cpu: float = 0.0
    #: Deltas of the bots' own counters over the window, summed over replicas.
    metrics: dict[str, float] = field(default_factory=dict)
    load: float = 0.0
    timeouts: int = 0
    rejections: int = 0
    per_replica: list[int] = field(default_factory=list)

    def merged(self, other: Measured) -> Measured:
        """This and `other` (the same configuration, another round) as one longer window;
        `load` is their mean."""
        pg = None if self.pg_cpu is None or other.pg_cpu is None else self.pg_cpu + other.pg_cpu
        keys = self.metrics.keys() | other.metrics.keys()
        return Measured(
            self.config,
            self.window + other.window,
            self.step_latencies + other.step_latencies,
            self.completion_latencies + other.completion_latencies,
            self.bot_cpu + other.bot_cpu,
            pg,
            self.harness_cpu + other.harness_cpu,
            {k: self.metrics.get(k, 0.0) + other.metrics.get(k, 0.0) for k in keys},
            (self.load + other.load) / 2,
            self.timeouts + other.timeouts,
            self.rejections + other.rejections,
            [a + b for a, b in zip(self.per_replica, other.per_replica, strict=True)],
        )

    @property
    def steps(self) -> int:
        return len(self.step_latencies) + len(self.completion_latencies)

    @property
    def completions(self) -> int:
        return len(self.completion_latencies)

    @property
    def steps_per_second(self) -> float:
        return self.steps / self.window

    def p50_ms(self, latencies: Sequence[float]) -> float:
        return 1000 * percentile(latencies, 0.5)

    def per_step_ms(self, seconds: float | None) -> float:
        return 1000 * (seconds or 0.0) / max(self.steps, 1)

    def store_ms(self, operation: str) -> float:
        total = self.metrics.get(f"store_seconds_sum:{operation}", 0.0)
        return 1000 * total / max(self.metrics.get(f"store_seconds_count:{operation}", 0.0), 1)


async def scrape(session: aiohttp.ClientSession, ports: Sequence[int]) -> dict[str, float]:
    """Steps, completions and store time by operation, summed over the bots' `/metrics`."""
    found: dict[str, float] = {}
    for port in ports:
        async with session.get(f"http://127.0.0.1:{port}/metrics") as answer:
            text = await answer.text()
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                key = sample.name.removeprefix("surveybot_")
                if "operation" in sample.labels:
                    key += ":" + sample.labels["operation"]
                found[key] = found.get(key, 0.0) + sample.value
    return found


class Postgres:
    """The shared server: started here (its CPU is measured) or given by `--dsn`."""

    def __init__(self, dsn: str | None) -> None:
        self.local = None if dsn else LocalPostgres.start()
        self.dsn = dsn or (self.local.dsn if self.local else "")

    def postmaster(self) -> int | None:
        if self.local is None:
            return None
        return int((self.local.directory / "data" / "postmaster.pid").read_text().split()[0])

    async def create(self) -> str:
        name = f"scale_{secrets.token_hex(4)}"
        admin = await asyncpg.connect(self.dsn)
        try:
            await admin.execute(f"CREATE DATABASE {name}")
        finally:
            await admin.close()
        return with_database(self.dsn, name)

    async def drop(self, dsn: str) -> None:
        admin = await asyncpg.connect(self.dsn)
        try:
            await admin.execute(f"DROP DATABASE {dsn.rsplit('/', 1)[1]} WITH (FORCE)")
        finally:
            await admin.close()

    def stop(self) -> None:
        if self.local is not None:
            self.local.stop()


class Load:
    """`residents` slots, each a resident answering the whole survey, then a new one; a
    resident only presses after the bot answered its previous press."""

    def __init__(self, server: FakeBotApi, residents: int, timeout: float) -> None:
        self.server = server
        self.residents = residents
        self.timeout = timeout
        self.stop = asyncio.Event()
        #: (latency, when it was answered, whether it stored the response)
        self.steps: list[tuple[float, float, bool]] = []
        self.timeouts = 0
        self._ids = itertools.count(FIRST_USER_ID)

    async def _slot(self, delay: float) -> None:
        await asyncio.sleep(delay)
        while not self.stop.is_set():
            user = next(self._ids)
            log = PressLog()
            presser = Presser(self.server, user, random.Random(user), log, timeout=self.timeout)
            began = time.perf_counter()
            try:
                await presser.start()
            except TimeoutError:
                self.timeouts += 1
                return
            now = time.perf_counter()
            self.steps.append((now - began, now, False))
            await presser.run(self.stop)
            last = len(log.latencies) - 1
            for i, (latency, done) in enumerate(zip(log.latencies, log.done_at, strict=True)):
                self.steps.append((latency, done, bool(log.finished) and i == last))
            if log.timeouts:
                self.timeouts += log.timeouts
                return

    def start(self, spread: float) -> list[asyncio.Task[None]]:
        """Start the slots spread evenly over `spread` seconds, so that residents are at every
        stage of the survey (and complete at every moment), not all in step."""
        return [
            asyncio.create_task(self._slot(i * spread / self.residents))
            for i in range(self.residents)
        ]


def _pg_cpu(postmaster: int | None) -> dict[int, float]:
    return tree_cpu(postmaster) if postmaster is not None else {}


async def measure(
    config: Config, pg: Postgres, scratch: Path, *, residents: int, warmup: float, window: float
) -> Measured:
    """Run one configuration and measure its window."""
    result = Measured(config, window)
    dsn = await pg.create() if config.store == "postgres" else None
    ports = [free_port() for _ in range(config.replicas)]
    async with (
        FakeBotApi() as server,
        RoundRobinProxy([f"http://127.0.0.1:{p}" for p in ports]) as proxy,
        aiohttp.ClientSession() as session,
    ):
        sender = WebhookSender(server) if config.transport == "webhook" else None
        name = f"{config.store}-{config.transport}-{config.replicas}-{secrets.token_hex(3)}"
        settings: dict[str, str | int | float] = {
            "overall_rate": RAISED_RATE, "per_chat_rate": PER_CHAT_RATE,
        }  # fmt: skip
        if sender is not None:
            settings |= {"webhook_url": proxy.url + WEBHOOK_PATH, "webhook_secret": WEBHOOK_SECRET}
        base = server.counts["setWebhook"]

        def ready() -> bool:
            if sender is None:
                return server.counts["getUpdates"] > 0
            return server.counts["setWebhook"] >= base + config.replicas

        bots = []
        for i, port in enumerate(ports):
            env = bot_env(server, scratch, f"{name}-{i}", http_port=port, **settings)
            if dsn is not None:
                env["SURVEYBOT_DATABASE"] = dsn
            bots.append(BotProcess(server, SHIPPED, env, scratch, f"{name}-{i}", ready=ready))
        load = Load(server, residents, timeout=warmup + window + 60)
        try:
            await asyncio.gather(*(bot.__aenter__() for bot in bots))
            tasks = load.start(spread=warmup)
            await asyncio.sleep(warmup)
            cpu0 = [cpu_seconds(b.pid) for b in bots]
            postmaster = pg.postmaster() if dsn is not None else None  # SQLite: no server
            pg0, me0 = _pg_cpu(postmaster), time.process_time()
            metrics0 = await scrape(session, ports)
            began = time.perf_counter()
            await asyncio.sleep(window)
            ended = time.perf_counter()
            result.window = ended - began
            result.bot_cpu = sum(cpu_seconds(b.pid) for b in bots) - sum(cpu0)
            result.harness_cpu = time.process_time() - me0
            if postmaster is not None:
                pg1 = _pg_cpu(postmaster)
                result.pg_cpu = sum(cpu - pg0.get(pid, 0.0) for pid, cpu in pg1.items())
            metrics1 = await scrape(session, ports)
            result.metrics = {k: v - metrics0.get(k, 0.0) for k, v in metrics1.items()}
            result.load = os.getloadavg()[0]
            load.stop.set()
            _, pending = await asyncio.wait(tasks, timeout=60)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
            await server.wait_idle(quiet_for=0.2, timeout=30)
        finally:
            await asyncio.gather(*(bot.stop() for bot in bots))
            if sender is not None:
                await sender.close()
        for latency, done, completing in load.steps:
            if began <= done < ended:
                kind = result.completion_latencies if completing else result.step_latencies
                kind.append(latency)
        result.timeouts = load.timeouts
        result.rejections = len(server.rejections)
        result.per_replica = list(proxy.forwarded)
    if dsn is not None:
        await pg.drop(dsn)
    return result
