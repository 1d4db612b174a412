"""The running bot's lifecycle: a background job that fails (the hourly purge) neither ends
the purging nor stops SIGTERM from shutting polling down cleanly (issue 10 item 6)."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from pathlib import Path

import pytest
from pydantic import SecretStr

from bot.adapters.telegram.app import BotOptions, build_application, run_until_stopped
from bot.cli.run import purge_once
from bot.conversation.service import SurveyService
from bot.privacy.pseudonyms import Pseudonyms
from bot.survey.loader import load_survey
from storage import open_store
from tests.e2e.harness import OPEN_NOW, SECRET
from tests.fakes.bot_api import FakeBotApi

SMALL = Path(__file__).parents[2] / "e2e" / "small_survey.yaml"


async def _service(path: Path) -> SurveyService:
    store = await open_store(str(path))
    return SurveyService(load_survey(SMALL), store, Pseudonyms(SECRET), clock=lambda: OPEN_NOW)


async def test_a_failing_background_job_does_not_spoil_the_stop(tmp_path: Path) -> None:
    service = await _service(tmp_path / "s.db")
    ran = asyncio.Event()

    async def failing() -> None:
        ran.set()
        raise RuntimeError("the store is locked")

    try:
        async with FakeBotApi() as server:
            options = BotOptions(token=SecretStr(server.token), api_base_url=server.url,
                                 poll_timeout=1)  # fmt: skip
            application = build_application(service, options)
            running = asyncio.create_task(
                run_until_stopped(application, poll_timeout=1, options=options, background=failing)
            )
            await asyncio.wait_for(ran.wait(), 20)
            os.kill(os.getpid(), signal.SIGTERM)
            await asyncio.wait_for(running, 20)  # returns: no exception, polling stopped
            assert application.updater is not None and not application.updater.running
            assert not application.running
    finally:
        await service.store.close()


async def test_a_failed_purge_is_one_log_line_and_the_next_one_runs(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    service = await _service(tmp_path / "s.db")
    await service.store.close()  # every purge now fails
    caplog.set_level(logging.INFO)
    await purge_once(service)
    await purge_once(service)
    lines = [r.getMessage() for r in caplog.records if "idle sessions" in r.getMessage()]
    assert len(lines) == 2 and all(line.startswith("could not delete") for line in lines)
