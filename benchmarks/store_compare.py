"""SQLite against PostgreSQL through the `Store` protocol, on one core:
`python -m benchmarks.store_compare DSN SECONDS` prints JSON rates (calls per second).

- `step`: `save_session` round-robin over 200 residents (one resident step);
- `completion`: `complete()` with six tally cells and a free text, the response sealed to an
  analysis key and pooled (each batch of five also pays its release: for PostgreSQL a
  separate transaction, for SQLite inside the completion's).

Contenders: `SQLiteStore` with synchronous=FULL and NORMAL, and `PostgresStore` on the server
at DSN (say how that server is configured when quoting the figures: fsync and
synchronous_commit decide its cost per commit). What must hold: the contenders take turns in
short slices, so a change in the machine's speed hits them all alike; each PostgreSQL run uses a
fresh database, dropped at the end.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import date
from pathlib import Path

import asyncpg

from storage import Cell, PostgresStore, Response, SQLiteStore, Store, generate_keypair

DAY = date(2025, 5, 12)
KEYS = [secrets.token_bytes(32) for _ in range(200)]
STATE = json.dumps({"answers": {"safe_day": "very", "places": ["park"]}, "step": 4})
CELLS = [Cell(f"q{i}", f"c{i % 3}") for i in range(6)]
#: Responses are sealed to this (the private half is not needed: nothing is read back).
ANALYSIS_PUBLIC = generate_keypair()[0]
#: The release batch: the surveys' default `min_group_size`.
BATCH = 5


def contenders(store: Store, name: str) -> dict[str, Callable[[int], Awaitable[object]]]:
    async def step(i: int) -> None:
        await store.save_session(KEYS[i % 200], "s", STATE, DAY)

    async def completion(i: int) -> bool:
        response = Response("s", "v1", DAY, "sv", {"q0": "c0", "n": i}, {"why": "mörkt"})
        return await store.complete(
            session_key=KEYS[i % 200],
            marker=secrets.token_bytes(32),
            response=response,
            cells=CELLS,
        )

    return {f"{name}_step": step, f"{name}_completion": completion}


async def main(dsn: str, seconds: float) -> dict[str, int]:
    database = f"bench_{secrets.token_hex(4)}"
    admin = await asyncpg.connect(dsn)
    await admin.execute(f"CREATE DATABASE {database}")
    scratch = Path(tempfile.mkdtemp(prefix="store-compare-"))
    key, batch = ANALYSIS_PUBLIC, BATCH
    stores: list[Store] = [
        await SQLiteStore.open(scratch / "full.db", "FULL", analysis_key=key, batch=batch),
        await SQLiteStore.open(scratch / "normal.db", "NORMAL", analysis_key=key, batch=batch),
        await PostgresStore.open(
            dsn.rsplit("/", 1)[0] + f"/{database}", analysis_key=key, batch=batch
        ),
    ]
    runs: dict[str, Callable[[int], Awaitable[object]]] = {}
    for store, name in zip(stores, ("sqlite_full", "sqlite_normal", "postgres"), strict=True):
        runs |= contenders(store, name)
    done = dict.fromkeys(runs, 0)
    wall = dict.fromkeys(runs, 0.0)
    try:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            for name, run in runs.items():
                started = time.perf_counter()
                for _ in range(25):
                    await run(done[name])
                    done[name] += 1
                wall[name] += time.perf_counter() - started
    finally:
        for store in stores:
            await store.close()
        await admin.execute(f"DROP DATABASE {database} WITH (FORCE)")
        await admin.close()
    return {name: round(done[name] / wall[name]) for name in runs}


if __name__ == "__main__":
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    print(json.dumps(asyncio.run(main(sys.argv[1], float(sys.argv[2]))), indent=1))
