"""asyncpg against psycopg 3 for the PostgreSQL store's two hot transactions, on one core:
`python -m benchmarks.pg_drivers DSN SECONDS` prints JSON rates (transactions per second).

- `step`: one resident step, the session upsert (one statement, autocommit), round-robin over
  200 residents, as `PostgresStore.save_session` writes it;
- `completion`: a completion's transaction (marker, response, free text, counters, 6 tally
  upserts, session deletion) with `BEGIN`/`COMMIT`.

What must hold: both drivers run the same SQL (prepared statements on both: asyncpg always,
psycopg with `prepare_threshold=0`) against fresh tables of the same server, taking turns in
short slices, so a change in the machine's speed hits both alike. CPU seconds of this process
are reported per transaction too: the server's work is the same for both. psycopg is not a
dependency of the bot or its tests: install the extra `pg-bench` to run this.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import os
import secrets
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import date

import asyncpg

SETUP = """
DROP TABLE IF EXISTS bench_sessions, bench_markers, bench_responses, bench_tallies;
CREATE TABLE bench_sessions (key bytea PRIMARY KEY, survey_id text, state text, day date);
CREATE TABLE bench_markers (marker bytea PRIMARY KEY);
CREATE TABLE bench_responses (id bytea PRIMARY KEY, survey_id text, day date, answers jsonb);
CREATE TABLE bench_tallies (survey_id text, cell text, count int, PRIMARY KEY (survey_id, cell));
"""
STEP = (
    "INSERT INTO bench_sessions (key, survey_id, state, day) VALUES ($1, $2, $3, $4) "
    "ON CONFLICT (key) DO UPDATE SET state = excluded.state, day = excluded.day"
)
MARKER = "INSERT INTO bench_markers (marker) VALUES ($1) ON CONFLICT DO NOTHING"
RESPONSE = "INSERT INTO bench_responses (id, survey_id, day, answers) VALUES ($1, $2, $3, $4)"
TALLY = (
    "INSERT INTO bench_tallies (survey_id, cell, count) VALUES ($1, $2, 1) "
    "ON CONFLICT (survey_id, cell) DO UPDATE SET count = bench_tallies.count + 1"
)
DELETE = "DELETE FROM bench_sessions WHERE key = $1"
DAY = date(2025, 5, 12)
KEYS = [secrets.token_bytes(32) for _ in range(200)]
STATE = json.dumps({"answers": {"safe_day": "very", "places": ["park"]}, "step": 4})
ANSWERS = json.dumps({"safe_day": "very", "places": ["park", "station"], "age": 41})
CELLS = [f"q{i}:c{i % 3}" for i in range(6)]


def percent(sql: str) -> str:
    """The same SQL with psycopg's placeholders."""
    for n in range(9, 0, -1):
        sql = sql.replace(f"${n}", "%s")
    return sql


async def asyncpg_contenders(dsn: str) -> dict[str, Callable[[int], Awaitable[None]]]:
    conn = await asyncpg.connect(dsn)
    await conn.execute(SETUP)

    async def step(i: int) -> None:
        await conn.execute(STEP, KEYS[i % 200], "s", STATE, DAY)

    async def completion(i: int) -> None:
        async with conn.transaction():
            await conn.execute(MARKER, secrets.token_bytes(32))
            await conn.execute(RESPONSE, secrets.token_bytes(16), "s", DAY, ANSWERS)
            await conn.executemany(TALLY, [("s", cell) for cell in CELLS])
            await conn.execute(DELETE, KEYS[i % 200])

    return {"asyncpg_step": step, "asyncpg_completion": completion}


async def psycopg_contenders(dsn: str) -> dict[str, Callable[[int], Awaitable[None]]]:
    import psycopg  # the optional extra `pg-bench`: only this benchmark needs a second driver

    conn = await psycopg.AsyncConnection.connect(dsn, autocommit=True, prepare_threshold=0)
    for statement in SETUP.replace("bench_", "pbench_").split(";")[:-1]:
        await conn.execute(statement, prepare=False)
    step_sql, marker_sql, response_sql, tally_sql, delete_sql = (
        percent(sql).replace("bench_", "pbench_") for sql in (STEP, MARKER, RESPONSE, TALLY, DELETE)
    )

    async def step(i: int) -> None:
        await conn.execute(step_sql, (KEYS[i % 200], "s", STATE, DAY))

    async def completion(i: int) -> None:
        async with conn.transaction(), conn.cursor() as cursor:
            await cursor.execute(marker_sql, (secrets.token_bytes(32),))
            await cursor.execute(
                response_sql,
                (secrets.token_bytes(16), "s", DAY, ANSWERS),
            )
            await cursor.executemany(tally_sql, [("s", cell) for cell in CELLS])
            await cursor.execute(delete_sql, (KEYS[i % 200],))

    return {"psycopg_step": step, "psycopg_completion": completion}


async def main(dsn: str, seconds: float) -> dict[str, dict[str, float]]:
    contenders = {**await asyncpg_contenders(dsn), **await psycopg_contenders(dsn)}
    done = dict.fromkeys(contenders, 0)
    wall = dict.fromkeys(contenders, 0.0)
    cpu = dict.fromkeys(contenders, 0.0)
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        for name, run in contenders.items():
            started, started_cpu = time.perf_counter(), time.process_time()
            for _ in range(50):
                await run(done[name])
                done[name] += 1
            wall[name] += time.perf_counter() - started
            cpu[name] += time.process_time() - started_cpu
    return {
        name: {
            "per_second": round(done[name] / wall[name]),
            "client_cpu_us": round(cpu[name] / done[name] * 1e6),
        }
        for name in contenders
    }


if __name__ == "__main__":
    if importlib.util.find_spec("psycopg") is None:
        sys.exit("benchmarks.pg_drivers needs psycopg: pip install -e '.[pg-bench]'")
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    print(json.dumps(asyncio.run(main(sys.argv[1], float(sys.argv[2]))), indent=1))
