"""Indicators declared in the survey file: the few numbers a lägesbild is read by.

Two kinds:
- `share`: the share of those who answered `question` (less any `exclude` choices) who chose
  one of `choices`. Brå's NTU "otrygghet" is one: fairly or very unsafe out alone late in the
  evening in one's own area, plus those who do not go out because they feel unsafe.
- `index`: the mean score over `questions` of the answers that have a score in `scores`, on
  the scale the scores define (the police's 0-6 problem index: scores 0..6 per answer).

What must hold: an indicator names only existing questions and their choices, has a label in
every language of the survey, and is operational (like opens/closes): adding or changing one
does not change the survey's version, because it changes nothing a resident answers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Annotated, Literal

from pydantic import Field

from bot.survey.issues import Issue, Loc
from bot.survey.questions import ChoiceQuestion, FrozenModel, Id, Question, Text


class ShareIndicator(FrozenModel):
    id: Id
    kind: Literal["share"]
    label: Text
    question: Id
    choices: tuple[Id, ...] = Field(min_length=1)
    #: Answers left out of the base (e.g. "don't know").
    exclude: tuple[Id, ...] = ()

    @property
    def question_ids(self) -> tuple[str, ...]:
        return (self.question,)


class IndexIndicator(FrozenModel):
    id: Id
    kind: Literal["index"]
    label: Text
    questions: tuple[Id, ...] = Field(min_length=1)
    #: Score of each counted choice id; answers with other choices are left out.
    scores: dict[str, float] = Field(min_length=1)

    @property
    def question_ids(self) -> tuple[str, ...]:
        return self.questions


Indicator = Annotated[ShareIndicator | IndexIndicator, Field(discriminator="kind")]


def indicator_issues(
    indicators: Sequence[object], questions: Mapping[str, Question], languages: Sequence[str]
) -> list[Issue]:
    """Every indicator that names a missing question or choice, or lacks a label language."""
    issues: list[Issue] = []
    seen: set[str] = set()
    for index, indicator in enumerate(indicators):
        if not isinstance(indicator, ShareIndicator | IndexIndicator):
            continue
        if indicator.id in seen:
            issues.append(
                Issue(
                    ("indicators", index, "id"),
                    f"'{indicator.id}' is used twice",
                    "give every indicator its own id",
                )
            )
        seen.add(indicator.id)
        for lang in languages:
            if not indicator.label.get(lang):
                issues.append(
                    Issue(
                        ("indicators", index, "label"),
                        f"no label in '{lang}'",
                        f"add '{lang}: ...' to the label",
                    )
                )
        if isinstance(indicator, ShareIndicator):
            at = ("indicators", index)
            found = _question_issues((*at, "question"), indicator.question, questions)
            issues += found
            for field in ("choices", "exclude"):
                if not found:
                    ids = getattr(indicator, field)
                    issues += _choice_issues((*at, field), indicator.question, ids, questions)
        else:
            for number, question_id in enumerate(indicator.questions):
                loc = ("indicators", index, "questions", number)
                found = _question_issues(loc, question_id, questions)
                scored = tuple(indicator.scores)
                issues += found or _choice_issues(loc, question_id, scored, questions, every=False)
    return issues


def _question_issues(loc: Loc, question_id: str, questions: Mapping[str, Question]) -> list[Issue]:
    question = questions.get(question_id)
    if question is None:
        known = ", ".join(questions)
        return [Issue(loc, f"there is no question '{question_id}'", f"use one of: {known}")]
    if not isinstance(question, ChoiceQuestion):
        return [
            Issue(loc, f"'{question_id}' has no choices", "name a single, scale or multi question")
        ]
    return []


def _choice_issues(
    loc: Loc,
    question_id: str,
    choice_ids: tuple[str, ...],
    questions: Mapping[str, Question],
    *,
    every: bool = True,
) -> list[Issue]:
    """Choice ids the question lacks (all of them must exist, or with every=False one)."""
    question = questions[question_id]
    assert isinstance(question, ChoiceQuestion)
    own = {c.id for c in question.choices}
    missing = [c for c in choice_ids if c not in own]
    if missing and (every or len(missing) == len(choice_ids)):
        message = f"'{question_id}' has no choice {', '.join(missing)}"
        return [Issue(loc, message, f"its choices are: {', '.join(sorted(own))}")]
    return []
