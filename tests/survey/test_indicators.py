"""Indicators in the survey file: checked with located errors, and operational (no new version)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.survey.indicators import IndexIndicator, ShareIndicator
from bot.survey.loader import SurveyError, load_survey, parse_survey

ROOT = Path(__file__).resolve().parents[2]
SMALL = (ROOT / "tests" / "e2e" / "small_survey.yaml").read_text(encoding="utf-8")

SHARE = """
indicators:
  - id: unsafe_share
    kind: share
    label: {sv: Otrygga, en: Unsafe}
    question: safe
    choices: [unsafe]
"""


def test_the_shipped_survey_declares_ntu_otrygghet_and_a_problem_index() -> None:
    survey = load_survey(ROOT / "surveys" / "questions.yaml")
    kinds = {i.id: type(i) for i in survey.indicators}
    assert kinds == {"otrygghet": ShareIndicator, "problem_index": IndexIndicator}


def test_an_indicator_does_not_change_the_version() -> None:
    assert parse_survey(SMALL + SHARE).version == parse_survey(SMALL).version


@pytest.mark.parametrize(
    ("change", "line", "words"),
    [
        ("question: safe", "question: nosuch", "there is no question 'nosuch'"),
        ("choices: [unsafe]", "choices: [unsafe, scared]", "'safe' has no choice scared"),
        ("label: {sv: Otrygga, en: Unsafe}", "label: {sv: Otrygga}", "no label in 'en'"),
    ],
)
def test_a_wrong_reference_is_reported_at_its_line_with_a_fix(
    change: str, line: str, words: str
) -> None:
    text = SMALL + SHARE.replace(change, line)
    with pytest.raises(SurveyError) as caught:
        parse_survey(text, "s.yaml")
    (problem,) = caught.value.problems
    assert words in problem.message
    assert text.splitlines()[problem.line - 1].strip().startswith(line.split(":")[0])
    assert problem.fix
