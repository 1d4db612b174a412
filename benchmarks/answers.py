"""Random completed surveys for the store and /stats benchmarks, built the way the bot builds
them (`bot.conversation.service`): the same answers a resident could give (conditions respected),
the same
`Response` row and the same tally cells (`bot.stats.counters.tally_cells`).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date

from benchmarks.botproc import SURVEY
from bot.conversation.answers import AnswerValue, is_visible
from bot.stats.counters import tally_cells
from bot.survey.loader import load_survey
from bot.survey.model import Survey
from bot.survey.questions import MultiQuestion, NumberQuestion, TextQuestion
from storage.base import Cell, Response, StoredAnswer

DAY = date(2026, 11, 27)


def shipped_survey() -> Survey:
    """The survey in surveys/questions.yaml."""
    return load_survey(SURVEY)


@dataclass(frozen=True)
class Completed:
    """One completed survey as the store receives it."""

    response: Response
    cells: tuple[Cell, ...]


def random_answers(survey: Survey, rng: random.Random) -> dict[str, AnswerValue]:
    """Answers one resident could give: conditions respected, some optional ones skipped."""
    answers: dict[str, AnswerValue] = {}
    for question in survey.active_questions:
        if not is_visible(question, answers):
            continue
        if isinstance(question, TextQuestion) or (question.optional and rng.random() < 0.1):
            answers[question.id] = None
        elif isinstance(question, NumberQuestion):
            answers[question.id] = rng.randint(question.min, question.max)
        elif isinstance(question, MultiQuestion):
            normal = [c for c in question.active_choices if not c.exclusive]
            most = min(question.max or len(normal), len(normal))
            picked = rng.sample(normal, rng.randint(1, most))
            answers[question.id] = tuple(c.id for c in question.active_choices if c in picked)
        else:
            answers[question.id] = rng.choice(question.active_choices).id
    return answers


def completed(survey: Survey, rng: random.Random) -> Completed:
    """A random completed survey: its `Response` and its tally cells."""
    answers = random_answers(survey, rng)
    stored: dict[str, StoredAnswer] = {
        k: list(v) if isinstance(v, tuple) else v for k, v in answers.items()
    }
    response = Response(
        survey_id=survey.id,
        survey_version=survey.version,
        day=DAY,
        language="sv",
        answers=stored,
    )
    return Completed(response, tuple(tally_cells(survey, stored)))
