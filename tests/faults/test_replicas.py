"""Several replicas behind a load balancer, one PostgreSQL (issue 16's acceptance).

Three real bots (`python -m bot run`) in webhook mode behind a small round-robin HTTP proxy
written here, sharing one PostgreSQL; the fake Bot API POSTs every update to the proxy, as
Telegram POSTs to a load balancer, and enforces Telegram's flood limits (each replica is
configured with the same overall limit the fake enforces, so replicas that each kept their own
window would together send three times too fast). `RESIDENTS` residents (300, as the issue
asks) answer the survey; one replica is SIGKILLed mid-run and started again. Then:
- every resident finished, and none had to act twice (no nudge: every press was answered);
- the stored responses (decrypted with the test analysis key) equal what was pressed, one per
  resident, and no session is left;
- each resident's survey screens went forward only (per-resident order between replicas);
- the fake refused nothing: no 429, and no other 4xx than those a crash between two calls of
  one step causes in real Telegram too (`CRASH_REJECTIONS`: the redelivered step finds its
  message already edited or gone).
Every wait is on an event (a call reaching the fake, a process exiting), never a sleep.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from benchmarks.proxy import RoundRobinProxy
from bot.survey.loader import load_survey
from bot.survey.model import Survey
from storage import PostgresStore
from tests.analysis_key import ANALYSIS_PRIVATE
from tests.fakes.bot_api import FakeBotApi
from tests.fakes.bot_api.sends import SEND_METHODS
from tests.fakes.webhook import WebhookSender
from tests.faults.bot_process import BotProcess
from tests.faults.conftest import (
    CRASH_REJECTIONS,
    PatientTaker,
    StoreReport,
    assert_clean_log,
    assert_store_matches,
    make_takers,
    run_all,
    unexpected_rejections,
)
from tests.postgres import free_port

SMALL = Path(__file__).resolve().parents[1] / "e2e" / "small_survey.yaml"
#: Issue 16's figure. (Until the fake's webhook sender was fixed, a replica's restart stalled
#: its delivery and only 100 passed: see tests/fakes/test_webhook_sender.py.)
RESIDENTS = 300
REPLICAS = 3
#: Sends per second: what each replica is configured with AND what the fake enforces.
OVERALL_RATE = 100
#: Per chat: a burst of 4 per 2.5 s never reaches the fake's 5 in one second.
PER_CHAT_RATE = 1.6
SECRET = "replicas-test-webhook-secret"
RUN_TIMEOUT = 150.0


@pytest.fixture
def small_survey() -> Survey:
    return load_survey(SMALL)


@contextlib.asynccontextmanager
async def replicas(
    server: FakeBotApi, tmp_path: Path, dsn: str, proxy: RoundRobinProxy, ports: list[int]
) -> AsyncIterator[list[BotProcess]]:
    bots = []
    for i, port in enumerate(ports):
        env = {
            "SURVEYBOT_DATABASE": dsn,
            "SURVEYBOT_WEBHOOK_URL": f"{proxy.url}/telegram",
            "SURVEYBOT_WEBHOOK_SECRET": SECRET,
            "SURVEYBOT_HTTP_HOST": "127.0.0.1",
            "SURVEYBOT_HTTP_PORT": str(port),
            "SURVEYBOT_OVERALL_RATE": str(OVERALL_RATE),
            # Telegram's most: 40 (its default) open requests for 300 residents are a queue.
            "SURVEYBOT_WEBHOOK_MAX_CONNECTIONS": "100",
        }
        bots.append(
            BotProcess(
                server,
                tmp_path,
                SMALL,
                per_chat_rate=PER_CHAT_RATE,
                extra_env=env,
                name=f"replica{i}",
            )
        )
    try:
        before = server.counts["setWebhook"]
        for bot in bots:
            await bot.start(wait_ready=False)
        try:  # each replica sets the webhook once it is ready
            await server.wait_for(lambda: server.counts["setWebhook"] >= before + len(bots), 90)
        except TimeoutError:
            tails = "\n".join(bot.log_tail(10) for bot in bots)
            raise AssertionError(f"the replicas did not all start:\n{tails}") from None
        yield bots
    finally:
        for bot in bots:
            if bot.running:
                await bot.stop()
        for bot in bots:
            bot.force_kill()


def screens_went_forward(server: FakeBotApi, chat_id: int) -> bool:
    """Whether the steps the bot showed this chat (on its survey buttons) never went back."""
    steps = []
    for call in server.calls:
        if call.chat_id != chat_id or call.method not in SEND_METHODS or call.status != 200:
            continue
        markup = call.params.get("reply_markup")
        rows = markup.get("inline_keyboard", []) if isinstance(markup, dict) else []
        heads = [str(b.get("callback_data", "")).split(":")[0] for row in rows for b in row]
        numbers = [int(h) for h in heads if h.isdigit()]
        if numbers:
            steps.append(numbers[0])
    return steps == sorted(steps)


async def read_back(dsn: str, survey: Survey) -> StoreReport:
    store = await PostgresStore.open(dsn)
    try:
        return StoreReport(
            responses=await store.responses(survey.id, ANALYSIS_PRIVATE),
            tallies=await store.tallies(survey.id),
            count=await store.count_responses(survey.id),
            sessions=await store.count_sessions(survey.id),
            integrity="ok",
        )
    finally:
        await store.close()


async def test_three_replicas_one_killed_lose_nothing_and_keep_the_limits(
    server: FakeBotApi, small_survey: Survey, postgres_dsn: str, tmp_path: Path
) -> None:
    survey = small_survey
    server.faults.enforce_flood = True
    server.faults.flood_global_limit = OVERALL_RATE
    sender = WebhookSender(server, retry_delay=0.05)
    ports = [free_port() for _ in range(REPLICAS)]
    takers: list[PatientTaker] = make_takers(server, survey, RESIDENTS, seed=16, patience=20.0)
    began = time.monotonic()
    try:
        async with RoundRobinProxy([f"http://127.0.0.1:{p}" for p in ports]) as proxy:
            async with replicas(server, tmp_path, postgres_dsn, proxy, ports) as bots:
                started = time.monotonic()
                running = asyncio.create_task(run_all(takers, RUN_TIMEOUT, concurrency=RESIDENTS))
                # Mid-run: once a third of the residents finished, replica 1 dies hard.
                await server.wait_for(
                    lambda: sum(t.finished for t in takers) >= RESIDENTS // 3 or running.done(),
                    RUN_TIMEOUT,
                )
                assert not running.done(), running
                await bots[1].kill()
                killed_at = sum(t.finished for t in takers)
                await bots[1].restart(timeout=60)
                try:
                    await running
                except (TimeoutError, AssertionError):
                    finished = sum(t.finished for t in takers)
                    raise AssertionError(
                        f"{finished} of {RESIDENTS} finished in {RUN_TIMEOUT} s; "
                        f"{sum(t.nudges for t in takers)} nudges; {server.updates.queued} updates "
                        f"not yet sent to the proxy, {len(sender.deliveries)} deliveries"
                    ) from None
                ran = time.monotonic() - started
            log = "".join(bot.log_text() for bot in bots)
    finally:
        await sender.close()
    total = time.monotonic() - began
    cpu = os.times()
    print(
        f"\nCPU seconds: this test process (fake Bot API, proxy, residents) "
        f"{cpu.user + cpu.system:.1f}, the replicas {cpu.children_user + cpu.children_system:.1f}"
    )
    done = sorted(t.finished_at - started for t in takers if t.finished)
    delays = sorted(d for t in takers for d in t.answer_delays() if d is not None)
    if done and delays:
        print(
            f"\nfinished after (s): median {done[len(done) // 2]:.1f}, last {done[-1]:.1f}; "
            f"press answered after (s): median {delays[len(delays) // 2]:.2f}, "
            f"p99 {delays[int(len(delays) * 0.99)]:.2f}, max {delays[-1]:.2f}"
        )
    print(
        f"\n{RESIDENTS} residents on {REPLICAS} replicas: {ran:.1f} s of survey "
        f"({total:.1f} s with starts), replica 1 killed after {killed_at} finished; "
        f"forwarded {proxy.forwarded}, {proxy.failed} refused by the dead replica; "
        f"sends {sum(c.method in SEND_METHODS for c in server.calls)}, "
        f"most in 1 s: {server.max_sends_in_window(1.0)} (limit {OVERALL_RATE})"
    )
    assert all(t.finished for t in takers)
    assert sum(t.nudges for t in takers) == 0, "a resident had to act again"
    assert not [t.regressions for t in takers if t.regressions]
    assert not server.flood_violations, server.flood_violations[:3]
    refused = unexpected_rejections(server, CRASH_REJECTIONS)
    assert not refused and not any(r.error_code == 429 for r in server.rejections), refused[:3]
    assert server.max_sends_in_window(1.0) <= OVERALL_RATE
    assert all(screens_went_forward(server, t.chat_id) for t in takers)
    assert bots[1].kills == 1 and proxy.failed > 0, "the kill must have hit running traffic"
    report = await read_back(postgres_dsn, survey)
    assert_store_matches(report, survey, takers)
    assert_clean_log(log, [t.chat_id for t in takers])
