"""What one completed response adds to the tally counters.

`tally_cells(survey, answers)` lists the counters (`storage.base.Cell`) one completed response
increments; the store adds them in the completion transaction.

What must hold:
- free text is never tallied: a text question adds nothing (not even "answered");
- a skipped (None) or absent answer adds nothing; a question is counted only for the residents
  who answered it, so every tallied question has an "answered" counter (`ANSWERED`): the base of
  its percentages, and for a multi question the number of respondents (its choice counts add up
  to more);
- a single, scale or multi answer adds (question, choice) for each distinct chosen choice, a
  number adds only (question, `ANSWERED`); each of these is also added once per breakdown
  question the resident answered (other than the question itself), split by that answer;
- an answer that does not fit its question (unknown question or choice id, wrong type) is a
  bug and raises ValueError, so a wrong tally is never written.
"""

from __future__ import annotations

from collections.abc import Mapping

from bot.survey.model import Survey
from bot.survey.questions import (
    MultiQuestion,
    NumberQuestion,
    ScaleQuestion,
    SingleQuestion,
    TextQuestion,
)
from storage.base import ANSWERED, Cell


def tally_cells(survey: Survey, answers: Mapping[str, object]) -> list[Cell]:
    """The counters one completed response increments (see the module docstring)."""
    chosen: dict[str, tuple[str, ...]] = {}
    for question_id, value in answers.items():
        question = survey.question(question_id)
        if question is None:
            raise ValueError(f"answer to a question the survey does not have: {question_id!r}")
        if value is None or isinstance(question, TextQuestion):
            continue
        chosen[question_id] = (ANSWERED, *_choices(question, value))
    # A breakdown answer is one choice id, after ANSWERED.
    groups = {b.id: chosen[b.id][1] for b in survey.breakdown_questions if b.id in chosen}
    cells: list[Cell] = []
    for question in survey.questions:
        for choice in chosen.get(question.id, ()):
            cells.append(Cell(question.id, choice))
            for by_question, by_choice in groups.items():
                if by_question != question.id:
                    cells.append(Cell(question.id, choice, by_question, by_choice))
    return cells


def _choices(
    question: SingleQuestion | ScaleQuestion | MultiQuestion | NumberQuestion, value: object
) -> tuple[str, ...]:
    """The choice ids an answer counts for, checked against the question."""
    if isinstance(question, NumberQuestion):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"{question.id}: a number answer must be an int, not {value!r}")
        return ()
    if isinstance(question, MultiQuestion):
        if not isinstance(value, list | tuple):
            raise ValueError(f"{question.id}: a multi answer must be a list, not {value!r}")
        picked = tuple(dict.fromkeys(value))
    else:
        picked = (value,)
    for choice in picked:
        if not isinstance(choice, str) or question.choice(choice) is None:
            raise ValueError(f"{question.id}: {choice!r} is not one of its choices")
    return tuple(str(choice) for choice in picked)
