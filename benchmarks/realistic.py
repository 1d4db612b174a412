"""Realistic completed surveys shaped like Halmstad's earlier rounds, for the report, the
disclosure measurements and the example PDF.

Unlike `benchmarks.answers.random_answers` (every choice equally likely), residents here come
from areas roughly in proportion to Halmstad's population, skew older and female as open web
surveys do, and answer the safety questions through one latent unsafety that is higher for
women, in the targeted areas (Andersberg, Vallås) and late in the evening, so that about a
quarter are unsafe out at night (NTU 2023: 26%) and about 70% name some unsafe place.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from bot.conversation.answers import AnswerValue, is_visible
from bot.survey.model import Survey
from bot.survey.questions import ChoiceQuestion, MultiQuestion, NumberQuestion, TextQuestion

AREAS = {
    "centrum": 9,
    "andersberg": 7,
    "vallas": 7,
    "linehed": 5,
    "sofieberg": 5,
    "sondrum": 6,
    "fyllinge": 5,
    "other_town": 12,
    "getinge": 3,
    "oskarstrom": 4,
    "harplinge": 4,
    "countryside": 8,
    "outside": 2,
    "no_answer": 2,
}
AGES = {"age_16_24": 10, "age_25_44": 30, "age_45_64": 35, "age_65_plus": 22, "no_answer": 3}
GENDERS = {"woman": 56, "man": 40, "other": 1, "no_answer": 3}
TARGETED = {"andersberg", "vallas"}


def _pick(rng: random.Random, weights: dict[str, int], allowed: Sequence[str]) -> str:
    ids = [c for c in weights if c in allowed]
    return rng.choices(ids, weights=[weights[c] for c in ids])[0]


def realistic_answers(survey: Survey, rng: random.Random) -> dict[str, AnswerValue]:
    """One resident's answers (conditions respected)."""
    answers: dict[str, AnswerValue] = {}
    unsafety = rng.gauss(0.0, 1.0)
    for question in survey.active_questions:
        if not is_visible(question, answers):
            continue
        if isinstance(question, TextQuestion):
            answers[question.id] = None
            continue
        if isinstance(question, NumberQuestion):
            answers[question.id] = rng.randint(question.min, question.max)
            continue
        assert isinstance(question, ChoiceQuestion)
        own = [c.id for c in question.active_choices]
        fixed = {"area": AREAS, "age": AGES, "gender": GENDERS}.get(question.id)
        if fixed is not None:
            answers[question.id] = _pick(rng, fixed, own)
            if question.id == "gender" and answers["gender"] == "woman":
                unsafety += 0.5
            if question.id == "area" and answers["area"] in TARGETED:
                unsafety += 0.6
            continue
        if isinstance(question, MultiQuestion):
            normal = [c.id for c in question.active_choices if not c.exclusive]
            count = max(1, min(question.max or 3, int(1 + max(0.0, unsafety) * 1.5)))
            picked = set(rng.sample(normal, min(count, len(normal))))
            answers[question.id] = tuple(c for c in own if c in picked)
            continue
        answers[question.id] = _scaled(question.id, own, unsafety, rng)
    return answers


def _scaled(question_id: str, own: list[str], unsafety: float, rng: random.Random) -> str:
    """A position on the question's scale from the latent unsafety (plus noise)."""
    extra = [c for c in own if c in {"dont_know", "not_there", "stay_in_other", "stay_in_unsafe"}]
    scale = [c for c in own if c not in extra]
    if rng.random() < 0.04 and extra:
        return rng.choice([c for c in extra if c != "stay_in_unsafe"] or extra)
    shifts = {"safe_home": -1.9, "safe_evening_area": -1.0, "safe_centre": -0.9}
    shift = shifts.get(question_id, -0.9)
    if question_id.startswith("trust") or question_id.startswith("police"):
        shift, unsafety = -0.2, -unsafety
    level = unsafety + shift + rng.gauss(0.0, 0.6)
    if question_id == "safe_evening_area" and level > 1.7 and "stay_in_unsafe" in own:
        return "stay_in_unsafe"
    position = int((level + 1.6) / 3.0 * len(scale))
    return scale[max(0, min(len(scale) - 1, position))]
