"""Runs the real bot (real PTB, `bot.adapters.telegram.app`) in-process against the fake Bot API on
loopback.

`running_bot(...)` starts polling on a store and a survey and stops everything on exit, like
`survey-bot run` does, but with a short long-poll timeout and an injectable clock.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from pydantic import SecretStr
from telegram.ext import Application

from bot.adapters.telegram.app import BotOptions, build_application, start_polling, stop_polling
from bot.conversation.service import SurveyService
from bot.privacy.pseudonyms import Pseudonyms
from bot.staff.service import StaffService
from bot.survey.model import Survey
from storage import open_store
from tests.analysis_key import ANALYSIS_PUBLIC
from tests.fakes.bot_api import FakeBotApi

SECRET = b"e2e-test-secret-which-is-long-enough-000"
#: A moment when the shipped survey is open (Europe/Stockholm winter time).
OPEN_NOW = datetime.fromisoformat("2026-11-27T12:00:00+01:00")


@dataclass
class RunningBot:
    """The parts of a running bot a test may look at."""

    application: Application  # type: ignore[type-arg]
    service: SurveyService
    staff: StaffService


@contextlib.asynccontextmanager
async def running_bot(
    server: FakeBotApi,
    survey: Survey,
    database: Path | str,
    *,
    clock: Callable[[], datetime] = lambda: OPEN_NOW,
    concurrency: int = 8,
    per_chat_rate: float = 50,
    overall_rate: float = 30,
    staff_ids: frozenset[int] = frozenset(),
    admin_ids: frozenset[int] = frozenset(),
    survey_path: Path | None = None,
) -> AsyncIterator[RunningBot]:
    """Start the bot, yield it, stop it cleanly (store closed).

    Functional tests let one resident press faster than Telegram's per-chat pace (the flood
    tests use the real limits)."""
    store = await open_store(
        str(database), analysis_key=ANALYSIS_PUBLIC, batch=survey.min_group_size
    )
    service = SurveyService(survey, store, Pseudonyms(SECRET), clock=clock)
    options = BotOptions(
        token=SecretStr(server.token),
        api_base_url=server.url,
        concurrency=concurrency,
        poll_timeout=1,
        per_chat_rate=per_chat_rate,
        overall_rate=overall_rate,
        staff_ids=staff_ids,
        admin_ids=admin_ids,
    )
    staff = StaffService(service, survey_path or Path("surveys/questions.yaml"), clock)
    application = build_application(service, options, staff)
    try:
        await start_polling(application, poll_timeout=1, options=options)
        try:
            yield RunningBot(application, service, staff)
        finally:
            await stop_polling(application)
    finally:
        await store.close()
