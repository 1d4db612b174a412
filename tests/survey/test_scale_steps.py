"""A scale question's `steps`: which choices are the scale and which are answers outside it."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.survey.loader import SurveyError, load_survey
from bot.survey.questions import ScaleQuestion

ROOT = Path(__file__).resolve().parents[2]


def test_a_scale_names_how_many_of_its_choices_are_steps(tmp_path: Path) -> None:
    """`steps` (issue 11 item 14): the choices after the steps are answers outside the scale;
    more steps than choices is an error at its line."""
    survey = load_survey(ROOT / "surveys" / "questions.yaml")
    question = survey.question("safe_evening_area")
    assert isinstance(question, ScaleQuestion) and question.step_count == 4
    assert [c.id for c in question.choices[4:]] == ["stay_in_unsafe", "stay_in_other", "dont_know"]
    text = (ROOT / "surveys" / "questions.yaml").read_text(encoding="utf-8")
    path = tmp_path / "s.yaml"
    path.write_text(text.replace("    steps: 4\n", "    steps: 9\n", 1), encoding="utf-8")
    with pytest.raises(SurveyError) as caught:
        load_survey(path)
    assert "steps is 9 but the question has only 5 choices" in str(caught.value)
