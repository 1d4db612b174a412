"""`bot.survey.orphans`: which survey changes would orphan collected answers."""

from __future__ import annotations

from typing import Any

import pytest

from bot.survey.model import Survey
from bot.survey.orphans import orphaned
from tests.stats import make_survey


def _changed(survey: Survey, question_id: str, **update: Any) -> Survey:
    data = survey.model_dump(mode="json", exclude_defaults=True)
    for question in data["questions"]:
        if question["id"] == question_id:
            question.update(update)
    return Survey.model_validate(data)


OLD = make_survey()


def test_no_answers_means_nothing_is_orphaned() -> None:
    new = Survey.model_validate(
        {**OLD.model_dump(mode="json"), "questions": OLD.model_dump(mode="json")["questions"][:2]}
    )
    assert orphaned(OLD, new, []) == ()


def test_a_removed_question_with_answers_is_reported_with_the_fix() -> None:
    data = OLD.model_dump(mode="json")
    data["questions"] = [q for q in data["questions"] if q["id"] != "places"]
    (problem,) = orphaned(OLD, Survey.model_validate(data), [("places", "a")])
    assert problem.startswith("questions: places has answers")
    assert "retired: true" in problem


def test_a_removed_choice_with_answers_is_reported_but_an_unanswered_one_is_not() -> None:
    data = OLD.model_dump(mode="json")
    area = next(q for q in data["questions"] if q["id"] == "area")
    area["choices"] = [c for c in area["choices"] if c["id"] != "east"]
    new = Survey.model_validate(data)
    assert orphaned(OLD, new, [("area", "north")]) == ()
    (problem,) = orphaned(OLD, new, [("area", "east")])
    assert problem.startswith("questions.area.choices: east has answers")


@pytest.mark.parametrize(("kind", "expected"), [("single", 0), ("multi", 1)])
def test_kind_changes_count_only_when_they_change_what_answers_mean(
    kind: str, expected: int
) -> None:
    new = _changed(OLD, "feel", kind=kind)
    feel = OLD.question("feel")
    assert feel is not None and feel.kind == "scale"
    choice = feel.model_dump()["choices"][0]["id"]
    assert len(orphaned(OLD, new, [("feel", choice)])) == expected


def test_an_answer_without_a_choice_is_checked_by_question_only() -> None:
    data = OLD.model_dump(mode="json")
    data["questions"] = [q for q in data["questions"] if q["id"] != "visits"]
    problems = orphaned(OLD, Survey.model_validate(data), [("visits", None)])
    assert [p.split(":")[0] for p in problems] == ["questions"]
