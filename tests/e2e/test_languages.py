"""Residents in every shipped language finish the survey through the real bot (real PTB over
HTTP against the fake Bot API); the stored response records the language, and every screen an
Arabic or Farsi resident is sent reads right to left under the Unicode bidi algorithm."""

from __future__ import annotations

import html
import json
import random
import re
from pathlib import Path

import pytest

from bot.conversation.direction import paragraph_direction, unmarked
from bot.survey.model import Survey
from tests.analysis_key import ANALYSIS_PRIVATE
from tests.e2e.driver import SurveyTaker
from tests.e2e.harness import running_bot
from tests.fakes.bot_api import FakeBotApi, User
from tests.fakes.residents import Resident

TAG = re.compile(r"<[^>]+>")


def shown_paragraphs(server: FakeBotApi, chat_id: int) -> list[str]:
    """Every paragraph and button label the bot sent or edited into this chat, and every
    pop-up it answered with, as the client shows them (HTML tags removed, entities decoded).
    Language buttons are left out: each is written in its own language."""
    shown: list[str] = []
    for call in server.calls:
        params = call.params
        if call.method == "answerCallbackQuery":
            shown += [str(params["text"])] if params.get("text") else []
            continue
        if call.method not in ("sendMessage", "editMessageText") or call.chat_id != chat_id:
            continue
        shown += html.unescape(TAG.sub("", str(params.get("text", "")))).split("\n")
        markup = params.get("reply_markup") or {}
        markup = json.loads(markup) if isinstance(markup, str) else markup
        for row in markup.get("inline_keyboard", []):
            shown += [b["text"] for b in row if not str(b.get("callback_data")).startswith("l:")]
    return [p for p in shown if p.strip()]


@pytest.mark.parametrize(
    ("telegram", "language"),
    [
        ("ar", "ar"),
        ("fa-IR", "fa"),
        ("so", "so"),
        ("ti", "ti"),
        ("en", "en"),
        ("sv", "sv"),
        (None, "sv"),
    ],
)
async def test_residents_finish_the_survey_in_their_language(
    server: FakeBotApi, survey: Survey, tmp_path: Path, telegram: str | None, language: str
) -> None:
    async with running_bot(server, survey, tmp_path / "s.db") as bot:
        user = User(555_000_222, "Resident", language_code=telegram)
        taker = SurveyTaker(server, Resident(server, user), survey, language, random.Random(7))
        await taker.answer_all()
        responses = await bot.service.store.responses(survey.id, ANALYSIS_PRIVATE)
    assert [r.language for r in responses] == [language]
    shown = shown_paragraphs(server, user.id)
    thanks = survey.thanks[language].splitlines()[0]
    assert any(thanks in unmarked(p) for p in shown)
    if language in ("ar", "fa"):
        wrong = [p for p in shown if paragraph_direction(p) not in ("rtl", None)]
        assert wrong == [], f"{len(wrong)} of {len(shown)} paragraphs read left to right"
        assert any("\u2066114 14\u2069" in p for p in shown), "114 14 is kept as one number"


async def test_a_resident_without_a_telegram_language_is_offered_every_language(
    server: FakeBotApi, survey: Survey, tmp_path: Path
) -> None:
    async with running_bot(server, survey, tmp_path / "s.db"):
        resident = Resident(server, User(555_000_333, "Resident", language_code=None))
        await resident.send_command("/start")
        screen = resident.current()
    labels = {b.callback_data: unmarked(b.text) for b in screen.buttons}
    assert labels == {
        "l:sv": "Svenska",
        "l:en": "English",
        "l:ar": "العربية",
        "l:fa": "فارسی",
        "l:so": "Soomaali",
        "l:ti": "ትግርኛ",
    }
    assert "Välj språk:" in screen.text and "اختر اللغة:" in unmarked(screen.text)


async def test_language_switch_mid_survey_keeps_the_answers_given(
    server: FakeBotApi, survey: Survey, tmp_path: Path
) -> None:
    async with running_bot(server, survey, tmp_path / "s.db") as bot:
        user = User(555_000_444, "Resident", language_code="ar")
        resident = Resident(server, user)
        taker = SurveyTaker(server, resident, survey, "ar", random.Random(3))
        screen = await taker.begin()
        for _ in range(3):
            screen = await taker.answer_one(screen)
        given = dict(taker.answers)
        await resident.send_command("/language")
        picker = resident.current()
        assert {b.callback_data for b in picker.buttons} >= {"l:ar", "l:fa", "l:so"}
        screen = await taker.act(
            resident.press(data="l:fa", message_id=picker.message_id, wait=False)
        )
        fourth = survey.active_questions[3]
        assert fourth.text["fa"] in unmarked(screen.text), "the same question, now in Farsi"
        taker.language = "fa"
        taker.answers = dict(given)
        thanks = survey.thanks["fa"].splitlines()[0]
        for _ in range(60):
            if thanks in unmarked(screen.text):
                break
            screen = await taker.answer_one(screen)
        responses = await bot.service.store.responses(survey.id, ANALYSIS_PRIVATE)
    assert [r.language for r in responses] == ["fa"]
    for question_id, value in given.items():
        assert responses[0].answers[question_id] == value, question_id
