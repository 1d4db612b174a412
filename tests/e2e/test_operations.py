"""Operations endpoints end to end: the real bot polls the fake Bot API and serves `/healthz`,
`/readyz` and `/metrics` on its small HTTP server (as `survey-bot run` with
SURVEYBOT_HTTP_PORT); in webhook mode the same routes share the webhook's server.

Checked: a resident's steps, completion, updates, pseudonym derivation and a 429 show in the
metrics (as deltas: the registry is process-wide), no resident id appears anywhere in them, and
readiness turns 503, saying which part, when the store or Telegram is gone.
"""

from __future__ import annotations

import contextlib
import random
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
from prometheus_client.parser import text_string_to_metric_families
from pydantic import SecretStr

from bot.adapters.telegram.app import BotOptions, build_application, start_polling, stop_polling
from bot.adapters.telegram.metrics import Health, track_pseudonyms
from bot.adapters.telegram.webhook import HttpServer
from bot.conversation.service import SurveyService
from bot.privacy.pseudonyms import Pseudonyms
from bot.survey.model import Survey
from storage import open_store
from storage.metered import MeteredStore
from tests.e2e.driver import SurveyTaker
from tests.e2e.harness import OPEN_NOW, SECRET
from tests.fakes.bot_api import FakeBotApi, User
from tests.fakes.residents import Resident
from tests.postgres import free_port


@dataclass
class Ops:
    url: str
    service: SurveyService
    http: aiohttp.ClientSession

    async def get(self, path: str) -> tuple[int, str]:
        async with self.http.get(self.url + path) as answer:
            return answer.status, await answer.text()

    async def metrics(self) -> dict[str, float]:
        status, text = await self.get("/metrics")
        assert status == 200
        values: dict[str, float] = {}
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                labels = ",".join(f"{k}={v}" for k, v in sorted(sample.labels.items()))
                values[f"{sample.name}{{{labels}}}"] = sample.value
        return values


@contextlib.asynccontextmanager
async def bot_with_ops(server: FakeBotApi, survey: Survey, database: Path) -> AsyncIterator[Ops]:
    store = MeteredStore(await open_store(str(database)))
    service = SurveyService(survey, store, Pseudonyms(SECRET), clock=lambda: OPEN_NOW)
    options = BotOptions(
        token=SecretStr(server.token), api_base_url=server.url, poll_timeout=1, per_chat_rate=50
    )
    application = build_application(service, options)
    health = Health(application, lambda: store.count_responses(survey.id), timeout=2)
    track_pseudonyms(service.pseudonyms)
    ops = HttpServer("127.0.0.1", free_port(), health.routes())
    try:
        await ops.start()
        await start_polling(application, poll_timeout=1, options=options)
        async with aiohttp.ClientSession() as http:
            yield Ops(f"http://127.0.0.1:{ops.bound_port}", service, http)
    finally:
        await stop_polling(application)
        await ops.stop()
        await store.close()


async def test_metrics_count_a_resident_without_naming_them(
    server: FakeBotApi, survey: Survey, tmp_path: Path
) -> None:
    async with bot_with_ops(server, survey, tmp_path / "s.db") as ops:
        before = await ops.metrics()
        user = User(987_654_321, "Ebba", language_code="sv")
        server.faults.rate_limit_next(1, retry_after=1, method="sendMessage")
        taker = SurveyTaker(server, Resident(server, user), survey, "sv", random.Random(4))
        await taker.answer_all()
        after = await ops.metrics()
        _, text = await ops.get("/metrics")

    def delta(name: str) -> float:
        return after.get(name, 0.0) - before.get(name, 0.0)

    assert delta("surveybot_completions_total{}") == 1
    assert delta("surveybot_steps_total{}") >= len(survey.active_questions) - 2
    assert delta("surveybot_telegram_429_total{}") == 1
    presses = delta("surveybot_updates_total{kind=callback_query}")
    assert presses >= 3
    assert delta("surveybot_update_seconds_count{}") >= presses
    assert delta("surveybot_store_seconds_count{operation=complete}") == 1
    assert "surveybot_queue_depth" in text
    # One resident: their pseudonyms are derived once (then cached), whatever their steps.
    assert delta("surveybot_pseudonym_derivations_total{}") == 1
    assert delta("surveybot_pseudonym_cpu_seconds_total{}") > 0
    for secret in (str(user.id), f"{user.id:x}", "Ebba"):
        assert secret not in text


async def test_readiness_says_what_is_missing(
    server: FakeBotApi, survey: Survey, tmp_path: Path
) -> None:
    async with bot_with_ops(server, survey, tmp_path / "s.db") as ops:
        assert await ops.get("/healthz") == (200, "ok\n")
        assert await ops.get("/readyz") == (200, "ready\n")
        await ops.service.store.close()  # the database goes away
        status, text = await ops.get("/readyz")
        assert status == 503 and "store" in text and "telegram" not in text
        assert await ops.get("/healthz") == (200, "ok\n")  # alive all the same


async def test_readiness_notices_telegram_is_gone(survey: Survey, tmp_path: Path) -> None:
    server = FakeBotApi()
    await server.start()
    async with bot_with_ops(server, survey, tmp_path / "s.db") as ops:
        await server.stop()
        status, text = await ops.get("/readyz")
        assert status == 503 and "telegram" in text and "store" not in text
