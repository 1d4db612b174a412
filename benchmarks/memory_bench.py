"""Memory with many in-progress sessions: `python -m benchmarks.memory_bench N` prints JSON.

A fresh process opens the store and the survey service (`bot.conversation.service.SurveyService`),
warms up
with a few hundred residents through `step(Opened)` and `step(Began)` and a few thousand more
through `SQLiteStore.save_session`, then records its peak RSS (VmHWM): the baseline. Then N
residents' sessions are written: each one's pseudonym (`Pseudonyms.session_key`) and the
session JSON the service stores after Began, with the store's own upsert on the store's own
connection, a thousand rows per transaction. (One call per resident costs about 1 ms here, and
2 ms more through the service: 50k residents would take minutes; neither keeps anything per
resident in memory, which the warm-up exercises.) The figure is the growth of the peak RSS.

What must hold: nothing else runs in this process; synchronous=NORMAL is used because
durability does not change memory and fsyncs would only make the run slower.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import tempfile
from collections.abc import Sequence
from datetime import datetime
from functools import partial
from pathlib import Path

import aiosqlite

from benchmarks.answers import DAY, shipped_survey
from benchmarks.procstat import memory
from benchmarks.store_variants import SAVE_SESSION_SQL
from bot.conversation.engine import Began, Opened
from bot.conversation.service import SurveyService
from bot.privacy.pseudonyms import Pseudonyms
from storage.sqlite import SQLiteStore

NOW = datetime.fromisoformat("2026-11-27T12:00:00+01:00")
WARM_UP = 300
WARM_UP_CALLS = 1000
BATCH = 1000
FIRST_USER_ID = 800_000_000


async def _save_all(db: aiosqlite.Connection, rows: Sequence[tuple[object, ...]]) -> None:
    await db.executemany(SAVE_SESSION_SQL, rows)


async def measure(residents: int) -> dict[str, float]:
    """Peak RSS before and after writing `residents` in-progress sessions."""
    survey = shipped_survey()
    # A cheap scrypt cost: the keys (and the cache of them) have the same size; what a
    # derivation costs in time is measured by benchmarks/store_bench.py.
    pseudonyms = Pseudonyms(b"memory-benchmark-secret-long-enough-0123456789", cost=2**4)
    with tempfile.TemporaryDirectory(prefix="memory-bench-") as scratch:
        store = await SQLiteStore.open(Path(scratch) / "m.db", synchronous="NORMAL")
        service = SurveyService(survey, store, pseudonyms, clock=lambda: NOW)
        try:
            state = ""
            for i in range(WARM_UP):
                opened = await service.step(FIRST_USER_ID - i - 1, Opened("sv"))
                assert opened.after is not None
                began = await service.step(FIRST_USER_ID - i - 1, Began(opened.after.step))
                assert began.after is not None
                state = began.after.model_dump_json()
            for i in range(WARM_UP_CALLS):
                key = pseudonyms.session_key(survey.id, FIRST_USER_ID - WARM_UP - i - 1)
                await store.save_session(key, survey.id, state, DAY)
            before = memory(os.getpid())
            day = DAY.isoformat()
            for first in range(0, residents, BATCH):
                rows = [
                    (pseudonyms.session_key(survey.id, FIRST_USER_ID + i), survey.id, state, day)
                    for i in range(first, min(first + BATCH, residents))
                ]
                await store._in_transaction(partial(_save_all, rows=rows))
            sessions = await store.count_sessions(survey.id)
            after = memory(os.getpid())
        finally:
            await store.close()
    return {
        "residents": float(residents),
        "sessions": float(sessions),
        "peak_before_kib": float(before.peak_kib),
        "peak_after_kib": float(after.peak_kib),
    }


def main() -> None:
    """Measure and print JSON."""
    residents = int(sys.argv[1]) if len(sys.argv) > 1 else 50_000
    print(json.dumps(asyncio.run(measure(residents))))


if __name__ == "__main__":
    main()
