"""Crash safety (issue "Anonymous storage"): the real bot, as a subprocess, is killed with
SIGKILL at random moments while residents answer the shipped survey, and restarted on the same
database each time.

What this proves: a hard crash loses no answer a resident saw accepted (the screen moved on),
stores no completed response twice and loses none, leaves the tallies equal to a recount of the
stored responses (so no partial response is counted) and leaves a sound SQLite file. The
default polling confirms an update only once it was handled, so the restarted bot handles every
update in flight again (up to 100); a resident who waited in vain meanwhile asks again with
/start, as a person would (with SURVEYBOT_POLLING=early a crash can swallow a press, and the
same /start repeats it).
"""

from __future__ import annotations

import asyncio
import random
import time
from datetime import date
from pathlib import Path

from bot.survey.model import Survey
from storage import SQLiteStore
from tests.fakes.bot_api import FakeBotApi
from tests.faults.bot_process import BotProcess
from tests.faults.conftest import (
    CRASH_REJECTIONS,
    assert_clean_log,
    assert_store_matches,
    make_takers,
    read_store,
    run_all,
    unexpected_rejections,
)

RESIDENTS = 20
KILLS = 5
SEED = 20261127


async def test_kill_9_at_random_moments_loses_and_duplicates_nothing(
    server: FakeBotApi, survey: Survey, survey_path: Path, tmp_path: Path
) -> None:
    rng = random.Random(SEED)
    takers = make_takers(server, survey, RESIDENTS, SEED, patience=2.0, think=(0.0, 0.05))
    began = time.monotonic()
    async with BotProcess(server, tmp_path, survey_path) as bot:
        residents = asyncio.create_task(run_all(takers, timeout=100))
        try:
            for _ in range(KILLS):
                await asyncio.sleep(rng.uniform(0.3, 2.0))
                assert not residents.done(), "the residents finished before every kill"
                await bot.kill()
                await asyncio.sleep(rng.uniform(0.0, 0.5))  # down for a moment
                await bot.restart()
            await residents
        finally:
            residents.cancel()
        finished_at = time.monotonic() - began
        # One more crash right after the last response: the checks read the recovered file.
        await bot.kill()

    assert bot.kills == KILLS + 1
    assert all(x.finished for x in takers)
    assert [x.regressions for x in takers if x.regressions] == [], "an accepted step was lost"
    report = await read_store(bot.database, survey)
    assert_store_matches(report, survey, takers)
    assert unexpected_rejections(server, CRASH_REJECTIONS) == []
    assert_clean_log(bot.log_text(), [x.chat_id for x in takers])
    nudges = sum(x.nudges for x in takers)
    print(
        f"\n{RESIDENTS} residents, {bot.kills} kills, {len(report.responses)} responses, "
        f"{nudges} repeated steps (/start after a lost step), {finished_at:.1f} s, "
        f"restarts took {[round(s, 1) for s in bot.start_seconds]} s, "
        f"{len(server.rejections)} rejections after crashes: "
        f"{sorted({r.description for r in server.rejections})}"
    )


async def test_a_purge_does_not_break_the_next_writes(tmp_path: Path) -> None:
    """Found by the crash test: `survey-bot run` purges idle sessions at every start (and
    hourly) while residents' steps are being written; a purge's checkpoint once left the
    connection unable to commit, and then every later write failed."""
    day = date(2026, 11, 27)
    path = tmp_path / "survey.db"
    store = await SQLiteStore.open(path)
    try:
        await store.save_session(b"a" * 32, "s", "{}", day)
        await store.purge_sessions(date(2026, 1, 1))
        await store.save_session(b"b" * 32, "s", "{}", day)
        await store.save_session(b"c" * 32, "s", "{}", day)
        assert await store.count_sessions("s") == 3
    finally:
        # Not suppressed: a connection left unable to commit also fails its closing checkpoint.
        await store.close()
    # The writes were committed, not only visible on the connection that made them.
    reopened = await SQLiteStore.open(path)
    try:
        assert await reopened.count_sessions("s") == 3
    finally:
        await reopened.close()
