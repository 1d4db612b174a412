"""Flood compliance (issue "Proof under load and faults", part 3): a burst of residents, each
sending /start and answering a few questions as fast as they can, through the real bot (a
subprocess with the shipped flood settings: 1 send/s per chat with a burst of 3, 30 sends/s
overall), against a fake Bot API that refuses with 429 whatever Telegram would refuse
(`enforce_flood`: more than 30 sends in any second, or more than 5 in one chat).

What this proves: every resident gets through; the bot never tries more than 30 sends in any
second (counting those the fake refused) and so provokes no 429; in each chat the sends follow
1/s with a burst of at most 3 and no send is repeated; every press is answered while Telegram
still accepts the answer (15 s). The burst runs once (a module fixture); each test checks one
property of it.

The issue names 2,000 residents. At 30 sends/s the limit alone makes that take at least
2,000 x 4 / 30 = 267 s, too long for this suite; 150 residents (600 sends) take about 20 s.
`FLOOD_RESIDENTS=2000 pytest tests/faults/test_flood.py -s -o timeout=800` runs the whole burst
(figures in docs/performance.md).
"""

from __future__ import annotations

import gc
import os
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import pytest_asyncio

from benchmarks.procstat import memory
from bot.survey.model import Survey
from tests.fakes.bot_api import (
    SEND_METHODS,
    FakeBotApi,
    FloodViolation,
    Rejection,
    max_in_window,
)
from tests.faults.bot_process import BotProcess
from tests.faults.conftest import PatientTaker, assert_clean_log, make_takers, run_all

#: 150 in CI; FLOOD_RESIDENTS=2000 reproduces the issue's burst (about 5 minutes of sends).
RESIDENTS = int(os.environ.get("FLOOD_RESIDENTS", "150"))
#: Questions each resident answers (sends per resident: the intro, Start, and one per answer).
ANSWERS = 2
OVERALL_LIMIT = 30
PER_CHAT_BURST = 3
PER_CHAT_RATE = 1.0
#: Arrival times at the fake carry the loopback's jitter.
JITTER = 0.1


@dataclass
class FloodRun:
    """What the burst left behind."""

    seconds: float
    takers: list[PatientTaker]
    #: Accepted sends, and every send the bot tried (also those the fake refused with 429).
    send_times: list[float]
    tried_times: list[float]
    chat_times: dict[int, list[float]]
    violations: list[FloodViolation]
    rejections: list[Rejection]
    log: str
    max_overall: int = 0
    max_per_chat: int = 0
    rates: dict[int, float] = field(default_factory=dict)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def flood_run(
    survey: Survey, survey_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[FloodRun]:
    workdir = tmp_path_factory.mktemp("flood")
    # The fake stamps each call when its event loop gets to it: a garbage-collector pause in
    # this process (after the other tests' objects) would bunch the stamps into a window the
    # bot never sent in. Collect now and keep the old objects out of later collections.
    gc.collect()
    gc.freeze()
    async with FakeBotApi() as server:
        server.faults.enforce_flood = True
        # A resident waits for the crowd: every send of everyone ahead goes at 30/s.
        patience = max(60.0, RESIDENTS * 2 / OVERALL_LIMIT)
        takers = make_takers(server, survey, RESIDENTS, seed=2000, patience=patience)
        async with BotProcess(server, workdir, survey_path, per_chat_rate=None) as bot:
            began = time.monotonic()
            timeout = 80 + RESIDENTS * (ANSWERS + 2) / OVERALL_LIMIT
            await run_all(takers, timeout=timeout, concurrency=RESIDENTS, max_answers=ANSWERS)
            seconds = time.monotonic() - began
            peak_rss_mb = memory(bot.pid).peak_kib / 1024
            assert await bot.stop() == 0
        chat_times = {x.chat_id: server.send_times(x.chat_id) for x in takers}
        run = FloodRun(
            seconds=seconds,
            takers=takers,
            send_times=server.send_times(),
            tried_times=sorted(c.time for c in server.calls if c.method in SEND_METHODS),
            chat_times=chat_times,
            violations=list(server.flood_violations),
            rejections=list(server.rejections),
            log=bot.log_text(),
            max_overall=max_in_window(
                sorted(c.time for c in server.calls if c.method in SEND_METHODS), 1.0
            ),
            max_per_chat=server.max_sends_per_chat(1.0),
        )
        for chat, times in chat_times.items():
            run.rates[chat] = len(times) / max(times[-1] - times[0], 1.0)
        sends = len(run.send_times)
        print(
            f"\nflood: {RESIDENTS} residents x {ANSWERS} answers, {sends} sends in "
            f"{seconds:.1f} s ({sends / seconds:.1f}/s); max {run.max_overall} sends tried in a "
            f"1 s window overall ({server.max_sends_in_window(1.0)} accepted), max "
            f"{run.max_per_chat} in one chat; per-chat average "
            f"{sum(run.rates.values()) / len(run.rates):.2f}/s (max {max(run.rates.values()):.2f}"
            f"/s, sends / max(active s, 1)); {len(run.violations)} flood violations (429); "
            f"{len(run.rejections)} presses answered too late; press -> answer "
            f"{_delays(takers)}; bot peak RSS {peak_rss_mb:.0f} MB"
        )
        yield run
    gc.unfreeze()


def _delays(takers: list[PatientTaker]) -> str:
    delays = sorted(d for x in takers for d in x.answer_delays() if d is not None)
    if not delays:
        return "n/a"
    median, worst = delays[len(delays) // 2], delays[-1]
    return f"median {median:.1f} s, max {worst:.1f} s"


def test_every_resident_got_through(flood_run: FloodRun) -> None:
    assert all(len(x.answers) >= ANSWERS for x in flood_run.takers)
    assert not any(x.nudges for x in flood_run.takers)
    assert_clean_log(flood_run.log, [x.chat_id for x in flood_run.takers])


def test_every_press_is_answered_in_time(flood_run: FloodRun) -> None:
    """Telegram refuses answers to presses older than about 15 s ('query is too old'): a press
    is answered as soon as its step is stored, while the edit it causes waits behind the whole
    crowd's sends."""
    assert flood_run.rejections == []
    delays = [d for x in flood_run.takers for d in x.answer_delays()]
    assert None not in delays


def test_at_most_30_sends_in_any_second(flood_run: FloodRun) -> None:
    """Counting every send the bot tried, also those the fake refused."""
    assert flood_run.max_overall <= OVERALL_LIMIT


def test_the_bot_provokes_no_429(flood_run: FloodRun) -> None:
    assert flood_run.violations == []


def test_each_chat_gets_at_most_one_send_per_second_after_a_burst_of_three(
    flood_run: FloodRun,
) -> None:
    assert flood_run.max_per_chat <= PER_CHAT_BURST
    for chat, times in flood_run.chat_times.items():
        assert len(times) == 2 + ANSWERS, (chat, len(times))
        # A bucket of 3 that drains at 1/s: any run of sends fits burst + rate x its duration.
        for i in range(len(times)):
            for j in range(i + 1, len(times)):
                allowed = PER_CHAT_BURST + PER_CHAT_RATE * (times[j] - times[i] + JITTER)
                assert j - i + 1 <= allowed, (chat, times)


def test_the_overall_rate_stays_near_30_per_second(flood_run: FloodRun) -> None:
    """Over the whole burst the bot tries no more than 30/s on average (plus one burst)."""
    times = flood_run.tried_times
    span = times[-1] - times[0]
    assert len(times) <= OVERALL_LIMIT * (span + JITTER) + OVERALL_LIMIT
    assert max_in_window(times, 5.0) <= OVERALL_LIMIT * 5 + OVERALL_LIMIT
