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

Issue 12 (anonymity of the files), per resident step and per completion, pseudonyms included,
against the code before it in the same run:
- `today_steps`: one HMAC-SHA256 session key + `save_session` of the plain session JSON;
- `new_steps`: the resident's cached `ResidentKeys` + the state sealed (SecretBox) + `save_session`;
- `today_completions`: one HMAC marker + `benchmarks.store_variants.TodayStore.complete` (plain
  response row, no pool, no checkpoint);
- `completions` (above) is the new store: the response sealed to the analysis key, the pool
  rewritten, and a WAL checkpoint (TRUNCATE) after the commit; `new_completions` adds the
  cached keys lookup;
- `hmac_pseudonyms`, `scrypt_pseudonyms`: deriving one resident's pseudonyms, today (one HMAC)
  and now (one scrypt, paid once per resident and process; cache hits cost nothing).

What must hold: the process is pinned to one CPU before any thread starts (aiosqlite's threads
inherit it); the contenders take turns in short slices for the whole time, so a change in the
disk's or the machine's speed meanwhile hits them all alike; each has its own fresh file in one
scratch directory (same disk).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
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
from benchmarks.store_variants import OneTripStore, SameDayStore, StateOnlyStore, TodayStore
from bot.conversation.engine import Began, Opened, advance
from bot.privacy.pseudonyms import Pseudonyms
from storage import generate_keypair
from storage.sqlite import SQLiteStore, Synchronous

RESIDENTS = 200
SECRET = b"store-benchmark-secret-long-enough-0123456789"
ANALYSIS_KEY = generate_keypair()[0]
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


def varied(state: str, i: int) -> str:
    """`state` with its screen id replaced by one that depends on `i` (same length): every step
    changes the row, as a resident's step does. (SQLite skips rewriting a cell whose bytes are
    unchanged, so an identical state would measure a write that never happens.)"""
    return state.replace("12345", f"{10000 + i % 90000:05d}")


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
        await db.execute(sql, (keys[i % RESIDENTS], varied(state, i)))

    return Contender("plain", op, db.close)


async def steps(
    name: str, path: Path, state: str, kind: type[SQLiteStore], sync: Synchronous = "FULL"
) -> Contender:
    store = await kind.open(path, synchronous=sync)
    keys = [secrets.token_bytes(32) for _ in range(RESIDENTS)]

    async def op(i: int) -> None:
        await store.save_session(keys[i % RESIDENTS], "halmstad_2026", varied(state, i), DAY)

    return Contender(name, op, store.close)


async def completions(
    name: str, path: Path, kind: type[SQLiteStore], pseudonyms: str = "none"
) -> Contender:
    """Completions; `pseudonyms`: "none" (random markers), "hmac" (today) or "cached" (now)."""
    survey = shipped_survey()
    rng = random.Random(3)
    pool = [completed(survey, rng) for _ in range(100)]
    store = await kind.open(path, analysis_key=ANALYSIS_KEY, batch=survey.min_group_size)
    derive = Pseudonyms(SECRET)
    if pseudonyms == "cached":
        for user in range(RESIDENTS):
            derive.keys(survey.id, user)  # the cache, filled as by each resident's first step

    def marker(i: int) -> bytes:
        if pseudonyms == "hmac":
            return _hmac("trygghetsbot/completion/v1", survey.id, 10**9 + i)
        if pseudonyms == "cached":
            keys = derive.keys(survey.id, i % RESIDENTS)
            return keys.marker[:16] + i.to_bytes(16, "big")  # unique, as each resident's is
        return secrets.token_bytes(32)

    async def op(i: int) -> None:
        done = pool[i % len(pool)]
        stored = await store.complete(
            session_key=secrets.token_bytes(32),
            marker=marker(i),
            response=done.response,
            cells=done.cells,
        )
        assert stored

    return Contender(name, op, store.close)


def _hmac(purpose: str, survey_id: str, user_id: int) -> bytes:
    """Today's pseudonym: one length-prefixed HMAC-SHA256."""
    message = b"".join(
        len(part).to_bytes(4, "big") + part
        for part in (purpose.encode(), survey_id.encode(), str(user_id).encode())
    )
    return hmac.new(SECRET, message, hashlib.sha256).digest()


async def resident_steps(name: str, path: Path, state: str, sealed: bool) -> Contender:
    """A resident step with its pseudonym: today (HMAC, plain JSON) or now (cached keys,
    sealed state)."""
    store = await SQLiteStore.open(path)
    derive = Pseudonyms(SECRET)
    for user in range(RESIDENTS):
        derive.keys("halmstad_2026", user)

    async def op(i: int) -> None:
        user = i % RESIDENTS
        if sealed:
            keys = await derive.resident("halmstad_2026", user)
            key, value = keys.session_key, keys.seal_state(varied(state, i))
        else:
            key = _hmac("trygghetsbot/session/v1", "halmstad_2026", user)
            value = varied(state, i)
        await store.save_session(key, "halmstad_2026", value, DAY)

    return Contender(name, op, store.close)


async def derivations(name: str, slow: bool) -> Contender:
    """Deriving a new resident's pseudonyms: one HMAC (today) or one scrypt (now)."""
    derive = Pseudonyms(SECRET)

    async def op(i: int) -> None:
        if slow:
            derive.keys("halmstad_2026", 10**9 + i)
        else:
            _hmac("trygghetsbot/session/v1", "halmstad_2026", 10**9 + i)

    async def close() -> None:
        return None

    return Contender(name, op, close)


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
            await resident_steps("today_steps", d / "todays.db", state, sealed=False),
            await resident_steps("new_steps", d / "news.db", state, sealed=True),
            await completions("today_completions", d / "todayc.db", TodayStore, "hmac"),
            await completions("new_completions", d / "newc.db", SQLiteStore, "cached"),
            await derivations("hmac_pseudonyms", slow=False),
            await derivations("scrypt_pseudonyms", slow=True),
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
