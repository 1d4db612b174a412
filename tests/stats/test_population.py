"""`bot.stats.population`: margin files checked like the survey file, and weighted shares."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from bot.stats.population import parse_margin, weigh
from bot.stats.rounds import DataFileError
from bot.survey.loader import load_survey
from storage.base import Response

SURVEY = load_survey(Path(__file__).resolve().parents[2] / "surveys" / "questions.yaml")


def test_a_margin_names_questions_in_its_header_and_classes_in_its_rows() -> None:
    margin = parse_margin(SURVEY, "\ufeffgender;population\nwoman;500\nman;500\n", "g.csv")
    assert margin.questions == ("gender",)
    assert margin.population == {("woman",): 500.0, ("man",): 500.0}


def test_every_mistake_has_its_line_and_fix() -> None:
    text = "gender;population\nwomen;500\nman;-3\nman;40\n"
    with pytest.raises(DataFileError) as caught:
        parse_margin(SURVEY, text, "g.csv")
    assert [(p.line, p.path) for p in caught.value.problems] == [(2, "gender"), (3, "population")]
    assert "its choices are" in caught.value.problems[0].fix


def test_weighted_and_unweighted_otrygghet_side_by_side() -> None:
    margin = parse_margin(SURVEY, "gender;population\nwoman;500\nman;500\n", "g.csv")

    def response(gender: str, evening: str) -> Response:
        answers = {"gender": gender, "safe_evening_area": evening}
        return Response(SURVEY.id, SURVEY.version, date(2026, 11, 2), "sv", answers)

    people = [response("woman", "very_unsafe")] * 10 + [response("woman", "very_safe")] * 20
    people += [response("man", "very_safe")] * 10
    found = weigh(SURVEY, people, [margin], "SCB")
    (otrygghet,) = found.indicators
    assert otrygghet.unweighted == pytest.approx(10 / 40)
    # Women weigh 0.5 / 0.75 of their share: weighted (10/30) * 0.5 = 1/6.
    assert otrygghet.weighted == pytest.approx(1 / 6)
