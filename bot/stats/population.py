"""Population margins for weighting, and the indicators weighted to them.

An admin copies Statistics Sweden's tables into one CSV per margin (`;` or `,`, UTF-8). The
header names the survey's questions, then `population`; each row is one class:

    age;gender;population
    age_16_24;woman;6120

`parse_margin` checks the file against the survey (every problem with line and fix, like the
survey file); `weigh` rakes the completed responses to the margins (`bot.stats.weighting`) and
gives each share indicator weighted and unweighted.

What must hold: weighting reads completed responses, so it runs only where the store can be
read; what it publishes are whole-survey indicator shares beside their unweighted values, never
a weighted split (a split's groups may be small, and weights would not hide them).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from bot.stats.report import WeightedIndicator, Weighting
from bot.stats.rounds import DataFileError, spreadsheet_reader
from bot.stats.weighting import Margin, rake
from bot.survey.indicators import ShareIndicator
from bot.survey.model import Survey
from bot.survey.problems import Problem
from bot.survey.questions import ChoiceQuestion
from storage.base import Response


def parse_margin(survey: Survey, text: str, filename: str) -> Margin:
    """One margin file, checked against the survey; DataFileError lists every problem."""
    problems: list[Problem] = []
    reader = spreadsheet_reader(text)
    header = [h.strip() for h in next(reader, [])]
    if len(header) < 2 or header[-1].lower() != "population":
        fix = "the first line names the questions, then population, e.g. age;gender;population"
        raise DataFileError([Problem(filename, 1, 1, "", "no header", fix)])
    questions = header[:-1]
    for column, question_id in enumerate(questions, start=1):
        if not isinstance(survey.question(question_id), ChoiceQuestion):
            names = ", ".join(q.id for q in survey.breakdown_questions)
            message = f"'{question_id}' is not a question with choices"
            problems.append(Problem(filename, 1, column, "", message, f"use one of: {names}"))
    if problems:
        raise DataFileError(problems)
    population: dict[tuple[str, ...], float] = {}
    for values in reader:
        line = reader.line_num
        if not any(v.strip() for v in values):
            continue
        cells = [v.strip() for v in values] + [""] * (len(header) - len(values))
        cls = tuple(cells[: len(questions)])
        for question_id, choice_id in zip(questions, cls, strict=True):
            question = survey.question(question_id)
            if isinstance(question, ChoiceQuestion) and question.choice(choice_id) is None:
                own = ", ".join(c.id for c in question.choices)
                fix = f"its choices are: {own}"
                problems.append(
                    Problem(
                        filename,
                        line,
                        1,
                        question_id,
                        f"'{choice_id}' is not a choice of {question_id}",
                        fix,
                    )
                )
        try:
            count = float(cells[len(questions)].replace(" ", "").replace(",", "."))
        except ValueError:
            count = -1.0
        if count <= 0:
            fix = "write the number of residents in this class"
            problems.append(
                Problem(
                    filename,
                    line,
                    1,
                    "population",
                    f"'{cells[len(questions)]}' is not a positive number",
                    fix,
                )
            )
        elif cls in population:
            problems.append(
                Problem(filename, line, 1, "", "this class is listed twice", "list it once")
            )
        else:
            population[cls] = count
    if problems:
        raise DataFileError(problems)
    return Margin(tuple(questions), population)


def load_margins(survey: Survey, paths: Sequence[Path]) -> list[Margin]:
    return [parse_margin(survey, p.read_text(encoding="utf-8-sig"), str(p)) for p in paths]


def weigh(
    survey: Survey, responses: Sequence[Response], margins: Sequence[Margin], source: str
) -> Weighting:
    """Rake the responses to `margins`; each share indicator weighted and unweighted."""
    records = [dict(r.answers) for r in responses]
    raking = rake(records, margins)
    weighted: list[WeightedIndicator] = []
    for indicator in survey.indicators:
        if not isinstance(indicator, ShareIndicator):
            continue
        counted = [
            (r.get(indicator.question), w)
            for r, w in zip(records, raking.weights, strict=True)
            if r.get(indicator.question) is not None
            and r.get(indicator.question) not in indicator.exclude
        ]
        if not counted:
            continue
        hits = [(answer in indicator.choices, w) for answer, w in counted]
        unweighted = sum(hit for hit, _ in hits) / len(hits)
        weighted_share = sum(w for hit, w in hits if hit) / sum(w for _, w in hits)
        weighted.append(WeightedIndicator(indicator.id, unweighted, weighted_share))
    return Weighting(raking, source, tuple(weighted))
