"""Runs the real bot (real PTB, `bot.adapters.telegram.app`) in-process against the fake Bot API on
loopback.

`running_bot(...)` starts polling on a store and a survey and stops everything on exit, like
`survey-bot run` does, but with a short long-poll timeout and an injectable clock.
`RunningBot.wait_handled()` waits until the bot has finished every update queued so far (an
event: a handler in the last group notes each update's id), so a test reads the end state of a
step, never a state from between two of its calls.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from pydantic import SecretStr
from telegram import Update
from telegram.ext import Application, ContextTypes, TypeHandler

from bot.adapters.telegram.app import BotOptions, build_application, start_polling, stop_polling
from bot.conversation.service import SurveyService
from bot.privacy.pseudonyms import Pseudonyms
from bot.staff.service import StaffService
from bot.survey.model import Survey
from storage import open_store
from tests.analysis_key import ANALYSIS_PUBLIC
from tests.fakes.bot_api import FakeBotApi
from tests.fakes.bot_api.waiting import ANY

SECRET = b"e2e-test-secret-which-is-long-enough-000"
#: A moment when the shipped survey is open (Europe/Stockholm winter time).
OPEN_NOW = datetime.fromisoformat("2026-11-27T12:00:00+01:00")


@dataclass
class RunningBot:
    """The parts of a running bot a test may look at."""

    application: Application  # type: ignore[type-arg]
    service: SurveyService
    staff: StaffService
    server: FakeBotApi
    #: Ids of the updates whose handlers have all finished.
    handled: set[int]

    async def wait_handled(self, timeout: float = 10.0) -> None:
        """Wait until the bot has handled every update queued at the fake so far."""
        queued = list(self.server.updates.queued_ids)
        await self.server.wait_for(lambda: self.handled.issuperset(queued), timeout)


class _Handled:
    """The last handler group: notes that an update's handlers are done."""

    def __init__(self, server: FakeBotApi, handled: set[int]) -> None:
        self._server, self._handled = server, handled

    async def __call__(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        self._handled.add(update.update_id)
        self._server.waiters.notify(ANY)


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
    handled: set[int] = set()
    application.add_handler(TypeHandler(Update, _Handled(server, handled)), group=1_000)
    try:
        await start_polling(application, poll_timeout=1, options=options)
        try:
            yield RunningBot(application, service, staff, server, handled)
        finally:
            await stop_polling(application)
    finally:
        await store.close()
