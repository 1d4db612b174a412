"""A resident completes the shipped survey through the real bot, in each language."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from bot.survey.model import Survey
from tests.analysis_key import ANALYSIS_PRIVATE
from tests.e2e.driver import SurveyTaker
from tests.e2e.harness import running_bot
from tests.fakes.bot_api import FakeBotApi, User
from tests.fakes.residents import Resident


@pytest.mark.parametrize("language", ["sv", "en"])
async def test_a_resident_completes_the_survey(
    server: FakeBotApi, survey: Survey, tmp_path: Path, language: str
) -> None:
    async with running_bot(server, survey, tmp_path / "s.db") as bot:
        user = User(555_000_111, "Anna", language_code=language)
        taker = SurveyTaker(server, Resident(server, user), survey, language, random.Random(1))
        answers = await taker.answer_all()
        responses = await bot.service.store.responses(survey.id, ANALYSIS_PRIVATE)
    assert len(responses) == 1
    stored = responses[0]
    assert stored.language == language
    for question_id, value in answers.items():
        question = survey.question(question_id)
        assert question is not None
        if question.kind == "text":  # kept apart: the response does not say it was answered
            assert question_id not in stored.answers, question_id
        else:
            assert stored.answers[question_id] == value, question_id
    texts = [m for m in server.bot_messages(user.id)]
    assert len(texts) == 1, "only the thank-you remains in the chat"
    assert survey.thanks[language].splitlines()[0] in texts[0].shown_text
