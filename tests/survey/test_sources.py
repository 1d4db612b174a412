"""Sources in the survey file: unique, labelled, not `other`, and operational."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.survey.loader import SurveyError, load_survey, parse_survey
from bot.survey.sources import OTHER, source_of

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
