"""The store alone, on one core: `python -m benchmarks.store_bench SECONDS` prints JSON rates
(operations per second) of every contender below.

- `plain`: the baseline, a plain aiosqlite loop upserting one row per transaction into a
  two-column table, with the same durability (WAL, synchronous=FULL);
- `steps`: `SQLiteStore.save_session` (one resident step: one upsert transaction), round-robin
  over 200 residents' sessions, as the bot writes them;
- `completions`: `SQLiteStore.complete` (response, tallies, marker and session deletion in one
  transaction) with the cells of random completed surveys;
- `steps_normal`: the steps with synchronous=NORMAL (the store's other setting);
- `onetrip_steps`, `onetrip_completions`: the same with `benchmarks.store_variants.OneTripStore`
  (one thread round trip per transaction), an experiment;
- `sameday_steps`: `benchmarks.store_variants.SameDayStore` (the shipped store, but a same-day
  step rewrites only the `state` column), an experiment;
- `stateonly_steps`: `benchmarks.store_variants.StateOnlyStore` (one trip, and a same-day step
  rewrites only the `state` column), an experiment.

What must hold: the process is pinned to one CPU before any thread starts (aiosqlite's threads
inherit it); the contenders take turns in short slices for the whole time, so a change in the
disk's or the machine's speed meanwhile hits them all alike; each has its own fresh file in one
scratch directory (same disk).
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import secrets
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import aiosqlite

from benchmarks.answers import DAY, completed, shipped_survey
from benchmarks.store_variants import OneTripStore, SameDayStore, StateOnlyStore
from bot.conversation.engine import Began, Opened, advance
from storage.sqlite import SQLiteStore, Synchronous

RESIDENTS = 200
SLICE = 0.2
Op = Callable[[int], Awaitable[object]]


def session_json() -> str:
    """A realistic session (a resident at the first question), as the service stores it."""
    survey = shipped_survey()
    now = datetime.fromisoformat("2026-11-27T12:00:00+01:00")
    first = advance(survey, None, Opened("sv"), now).session
    assert first is not None
    session = advance(survey, first, Began(first.step), now).session
    assert session is not None
    return session.model_copy(update={"screen": 12345}).model_dump_json()


@dataclass
class Contender:
    """One thing measured: its operation, and how many ran in how long."""

    name: str
    op: Op
    close: Callable[[], Awaitable[None]]
    count: int = 0
    seconds: float = 0.0

    async def run_for(self, seconds: float) -> None:
        began = time.perf_counter()
        deadline = began + seconds
        while time.perf_counter() < deadline:
            await self.op(self.count)
            self.count += 1
        self.seconds += time.perf_counter() - began


async def plain(path: Path, state: str) -> Contender:
    db = await aiosqlite.connect(path, isolation_level=None)
    await db.execute("PRAGMA journal_mode = WAL")
    await db.execute("PRAGMA synchronous = FULL")
    await db.execute("CREATE TABLE t (key BLOB PRIMARY KEY, state TEXT) WITHOUT ROWID")
    keys = [secrets.token_bytes(32) for _ in range(RESIDENTS)]
    sql = (
        "INSERT INTO t (key, state) VALUES (?, ?) "
        "ON CONFLICT (key) DO UPDATE SET state = excluded.state"
    )

    async def op(i: int) -> None:
        await db.execute(sql, (keys[i % RESIDENTS], state))

    return Contender("plain", op, db.close)


async def steps(
    name: str, path: Path, state: str, kind: type[SQLiteStore], sync: Synchronous = "FULL"
) -> Contender:
    store = await kind.open(path, synchronous=sync)
    keys = [secrets.token_bytes(32) for _ in range(RESIDENTS)]

    async def op(i: int) -> None:
        await store.save_session(keys[i % RESIDENTS], "halmstad_2026", state, DAY)

    return Contender(name, op, store.close)


async def completions(name: str, path: Path, kind: type[SQLiteStore]) -> Contender:
    survey = shipped_survey()
    rng = random.Random(3)
    pool = [completed(survey, rng) for _ in range(100)]
    store = await kind.open(path)

    async def op(i: int) -> None:
        done = pool[i % len(pool)]
        stored = await store.complete(
            session_key=secrets.token_bytes(32),
            marker=secrets.token_bytes(32),
            response=done.response,
            cells=done.cells,
        )
        assert stored

    return Contender(name, op, store.close)


async def measure(seconds: float) -> dict[str, float]:
    """Every contender's rate, taking turns for about `seconds` each."""
    state = session_json()
    with tempfile.TemporaryDirectory(prefix="store-bench-", dir=_scratch_parent()) as scratch:
        d = Path(scratch)
        contenders = [
            await plain(d / "plain.db", state),
            await steps("steps", d / "steps.db", state, SQLiteStore),
            await completions("completions", d / "completions.db", SQLiteStore),
            await steps("steps_normal", d / "normal.db", state, SQLiteStore, "NORMAL"),
            await steps("onetrip_steps", d / "onetrip.db", state, OneTripStore),
            await completions("onetrip_completions", d / "onetripc.db", OneTripStore),
            await steps("sameday_steps", d / "sameday.db", state, SameDayStore),
            await steps("stateonly_steps", d / "stateonly.db", state, StateOnlyStore),
        ]
        try:
            for _ in range(max(1, round(seconds / SLICE))):
                for contender in contenders:
                    await contender.run_for(SLICE)
        finally:
            for contender in contenders:
                await contender.close()
        rates = {c.name: c.count / c.seconds for c in contenders}
        rates["session_bytes"] = float(len(state))
        return rates


def _scratch_parent() -> str | None:
    """Where scratch databases go: $BENCH_SCRATCH, else the system's temporary directory."""
    return os.environ.get("BENCH_SCRATCH") or None


def main() -> None:
    """Pin to one CPU, measure, print JSON."""
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 3.0
    cpus = sorted(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {cpus[-1]})
    print(json.dumps(asyncio.run(measure(seconds))))


if __name__ == "__main__":
    main()
