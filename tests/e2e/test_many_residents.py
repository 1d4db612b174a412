"""Many residents at once, interleaved, with duplicate deliveries and a 429 storm."""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import Mapping
from pathlib import Path

import pytest

from bot.survey.model import Survey
from bot.survey.sources import OTHER, SOURCE
from tests.analysis_key import ANALYSIS_PRIVATE
from tests.e2e.driver import SurveyTaker
from tests.e2e.harness import running_bot
from tests.fakes.bot_api import FakeBotApi, User
from tests.fakes.residents import Resident


def _canonical(answers: Mapping[str, object]) -> str:
    return json.dumps(answers, sort_keys=True)


def _expected(survey: Survey, answers: dict[str, object]) -> dict[str, object]:
    """What the store keeps of the answers a resident gave (free text kept apart)."""
    kept: dict[str, object] = {}
    for question_id, value in answers.items():
        question = survey.question(question_id)
        assert question is not None
        if question.kind != "text":  # free text is kept apart; the response does not say
            kept[question_id] = value
    if survey.sources:  # a plain /start: the channel is `other`
        kept[SOURCE] = OTHER
    return kept


SETUP_METHODS = {"getUpdates", "getMe", "deleteWebhook", "setMyCommands"}


async def _run_residents(
    server: FakeBotApi, survey: Survey, count: int, seed: int, steps: list[int] | None = None
) -> list[dict[str, object]]:
    rng = random.Random(seed)
    takers = [
        SurveyTaker(
            server,
            Resident(
                server, User(800_000_000 + i, f"R{i}", language_code=rng.choice(["sv", "en"]))
            ),
            survey,
            rng.choice(["sv", "en"]),
            random.Random(seed * 1000 + i),
        )
        for i in range(count)
    ]
    given = list(await asyncio.gather(*(t.answer_all() for t in takers)))
    if steps is not None:
        steps.append(sum(t.actions for t in takers))
    return given


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
async def test_fifty_residents_answering_at_random_all_finish_with_exact_answers(
    server: FakeBotApi, survey: Survey, tmp_path: Path, kind: str, request: pytest.FixtureRequest
) -> None:
    database = (
        str(tmp_path / "s.db") if kind == "sqlite" else request.getfixturevalue("postgres_dsn")
    )
    async with running_bot(server, survey, database, concurrency=16, overall_rate=1000) as bot:
        steps: list[int] = []
        given = await _run_residents(server, survey, 50, seed=7, steps=steps)
        responses = await bot.service.store.responses(survey.id, ANALYSIS_PRIVATE)
    calls = [c for c in server.calls if c.method not in SETUP_METHODS]
    per_step = len(calls) / steps[0]
    print(f"{len(calls)} Bot API calls for {steps[0]} steps: {per_step:.2f} per step")
    assert per_step <= 2.0
    assert len(responses) == 50
    stored = sorted((dict(r.answers) for r in responses), key=_canonical)
    expected = sorted((_expected(survey, a) for a in given), key=_canonical)
    assert stored == expected
    assert server.rejections == []


async def test_two_residents_interleaved_do_not_mix(
    server: FakeBotApi, survey: Survey, tmp_path: Path
) -> None:
    async with running_bot(server, survey, tmp_path / "s.db") as bot:
        given = await _run_residents(server, survey, 2, seed=3)
        responses = await bot.service.store.responses(survey.id, ANALYSIS_PRIVATE)
    assert sorted((dict(r.answers) for r in responses), key=_canonical) == sorted(
        (_expected(survey, a) for a in given), key=_canonical
    )


async def test_duplicate_deliveries_are_processed_once(
    server: FakeBotApi, survey: Survey, tmp_path: Path
) -> None:
    server.faults.duplicate_next_updates(40)
    async with running_bot(server, survey, tmp_path / "s.db") as bot:
        given = await _run_residents(server, survey, 3, seed=11)
        responses = await bot.service.store.responses(survey.id, ANALYSIS_PRIVATE)
    assert len(responses) == 3
    assert sorted((dict(r.answers) for r in responses), key=_canonical) == sorted(
        (_expected(survey, a) for a in given), key=_canonical
    )


async def test_a_429_storm_is_waited_out_and_nothing_is_lost(
    server: FakeBotApi, survey: Survey, tmp_path: Path
) -> None:
    async with running_bot(server, survey, tmp_path / "s.db") as bot:
        server.faults.rate_limit_next(6, retry_after=1)
        given = await _run_residents(server, survey, 3, seed=5)
        responses = await bot.service.store.responses(survey.id, ANALYSIS_PRIVATE)
    limited = [c for c in server.calls if c.status == 429]
    assert len(limited) == 6
    first = limited[0].time
    # Calls already in flight when the first 429 came back got their own 429s; none may be
    # accepted within the retry_after second that followed.
    during = [
        c
        for c in server.calls
        if first < c.time < first + 1.0 and c.method != "getUpdates" and c.status != 429
    ]
    assert during == [], "no send while Telegram asked the bot to wait"
    assert len(responses) == 3
    assert sorted((dict(r.answers) for r in responses), key=_canonical) == sorted(
        (_expected(survey, a) for a in given), key=_canonical
    )
