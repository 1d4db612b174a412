"""Fixtures for end-to-end tests: the fake Bot API and the shipped survey."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.survey.loader import load_survey
from bot.survey.model import Survey
from tests.fakes.bot_api import FakeBotApi

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def survey() -> Survey:
    return load_survey(ROOT / "surveys" / "questions.yaml")


@pytest.fixture
async def server() -> AsyncIterator[FakeBotApi]:
    async with FakeBotApi() as fake:
        yield fake
        assert fake.rejections == [], f"the bot made calls Telegram would reject: {fake.rejections}"
