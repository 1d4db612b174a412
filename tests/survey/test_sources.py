"""Sources in the survey file: unique, labelled, not `other`, and operational."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.stats.tables import available_tables
from bot.survey.loader import SurveyError, load_survey, parse_survey
from bot.survey.model import Survey
from bot.survey.sources import OTHER, SOURCE, SourceQuestion, source_of

ROOT = Path(__file__).resolve().parents[2]
SMALL = (ROOT / "tests" / "e2e" / "small_survey.yaml").read_text(encoding="utf-8")
SOURCES = """
sources:
  - id: poster
    label: {sv: Affisch, en: Poster}
  - id: paper
    label: {sv: Tidning, en: Paper}
"""


def test_a_payload_is_its_declared_source_or_other() -> None:
    survey = parse_survey(SMALL + SOURCES)
    assert source_of("poster", survey.sources) == "poster"
    assert source_of("Poster", survey.sources) == OTHER
    assert source_of(None, survey.sources) == OTHER
    assert source_of("x" * 64, survey.sources) == OTHER


def test_sources_do_not_change_the_version() -> None:
    assert parse_survey(SMALL + SOURCES).version == parse_survey(SMALL).version


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ("id: paper", "'poster' is used twice"),
        ("id: paper\n    label: {sv: Tidning, en: Paper}", "no label in 'en'"),
        ("id: paper", "'other' is reserved"),
    ],
)
def test_mistakes_are_reported_at_their_line(change: str, words: str) -> None:
    replacement = {
        "'poster' is used twice": "id: poster",
        "no label in 'en'": "id: paper\n    label: {sv: Tidning}",
        "'other' is reserved": "id: other",
    }[words]
    text = SMALL + SOURCES.replace(change, replacement)
    with pytest.raises(SurveyError) as caught:
        parse_survey(text, "s.yaml")
    (problem,) = caught.value.problems
    assert words in problem.message
    assert problem.line > SMALL.count("\n")


def test_the_shipped_survey_declares_its_channels() -> None:
    survey = load_survey(ROOT / "surveys" / "questions.yaml")
    assert {"share", "paper", "social"} <= {s.id for s in survey.sources}


def test_a_survey_with_sources_has_the_never_asked_breakdown_question_source() -> None:
    plain, with_sources = parse_survey(SMALL), parse_survey(SMALL + SOURCES)
    question = with_sources.question(SOURCE)
    assert isinstance(question, SourceQuestion)
    assert [c.id for c in question.choices] == ["poster", "paper", OTHER]
    assert question.choice(OTHER) is not None and question.text["sv"]
    assert SOURCE in [q.id for q in with_sources.breakdown_questions]
    assert SOURCE not in [q.id for q in with_sources.active_questions]
    assert with_sources.active_questions == plain.active_questions
    assert with_sources.declared_questions == plain.questions
    assert (SOURCE, None) in available_tables(with_sources)
    assert ("area", SOURCE) in available_tables(with_sources)


def test_a_survey_without_sources_is_as_before() -> None:
    plain = parse_survey(SMALL)
    assert plain.question(SOURCE) is None
    assert plain.questions == plain.declared_questions
    assert all(SOURCE not in pair for pair in available_tables(plain))


def test_the_source_question_is_never_written_out() -> None:
    survey = parse_survey(SMALL + SOURCES)
    data = survey.model_dump(mode="json")
    assert SOURCE not in [q["id"] for q in data["questions"]]
    assert Survey.model_validate(data) == survey


def test_a_question_named_source_is_refused_only_with_sources() -> None:
    renamed = SMALL.replace("id: years", "id: source")
    assert parse_survey(renamed).question(SOURCE) is not None
    with pytest.raises(SurveyError) as caught:
        parse_survey(renamed + SOURCES, "s.yaml")
    (problem,) = caught.value.problems
    assert "'source' is reserved" in problem.message
    assert "id: source" in renamed.splitlines()[problem.line - 1]
