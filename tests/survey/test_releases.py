"""The release schedule in the survey file: defaults, milestones, and mistakes at their line."""

from __future__ import annotations

import itertools
from datetime import datetime
from pathlib import Path

import pytest

from bot.survey.loader import SurveyError, parse_survey
from bot.survey.questions import DEFAULT_ZONE
from bot.survey.releases import Releases

ROOT = Path(__file__).resolve().parents[2]
SMALL = (ROOT / "tests" / "e2e" / "small_survey.yaml").read_text(encoding="utf-8")
PLAIN = "\n".join(line for line in SMALL.splitlines() if not line.startswith("releases:")) + "\n"


def _with(releases: str, group: str = "") -> str:
    """The small survey with this `releases:` block (and `min_group_size`) at its end."""
    return PLAIN + group + releases


def test_the_default_doubles_from_a_hundred() -> None:
    survey = parse_survey(PLAIN)
    assert survey.releases == Releases()
    assert list(itertools.islice(survey.releases.milestones(), 6)) == [
        100,
        200,
        400,
        800,
        1600,
        3200,
    ]


def test_milestones_grow_by_the_factor_or_the_step_whichever_is_more() -> None:
    schedule = Releases(first=50, growth=1.5, step=40)
    assert list(itertools.islice(schedule.milestones(), 6)) == [50, 90, 135, 203, 305, 458]


def test_a_release_is_due_at_the_first_milestone_a_whole_batch_away() -> None:
    schedule = Releases(first=100, growth=2, step=100)
    assert schedule.due_after(0, 5) == 100
    assert schedule.due_after(130, 5) == 200  # a late look does not move the schedule
    assert schedule.due_after(198, 5) == 400  # 200 would be a batch of 2
    assert schedule.due_after(198, 5, closed=True) == 299  # closed: half the way to 400
    assert schedule.due_after(1600, 5, closed=True) == 2400  # 1,650 is too small a last batch


def test_after_closing_half_a_step_is_released() -> None:
    survey = parse_survey(PLAIN)  # closes 2027-12-31
    before = datetime(2027, 6, 1, tzinfo=DEFAULT_ZONE)
    after = datetime(2028, 1, 1, 0, 1, tzinfo=DEFAULT_ZONE)
    assert survey.release_due(230, before) == 400
    assert survey.release_due(230, after) == 315  # half the way to 400


def test_the_schedule_does_not_change_the_version() -> None:
    assert parse_survey(_with("releases: {first: 40}\n")).version == parse_survey(PLAIN).version


@pytest.mark.parametrize(
    ("releases", "group", "key", "words"),
    [
        (
            "releases: {first: 3}\n",
            "",
            "first",
            "first is 3, fewer responses than min_group_size (5)",
        ),
        ("releases:\n  step: 8\n", "min_group_size: 10\n", "step", "step is 8, fewer"),
        ("releases:\n  growth: 1.0\n", "", "growth", "1.0 is too small"),
        ("releases:\n  first: many\n", "", "first", "many"),
        ("releases:\n  every: 50\n", "", "every", "unknown key 'every' in releases"),
    ],
)
def test_mistakes_are_reported_at_their_line(
    releases: str, group: str, key: str, words: str
) -> None:
    text = _with(releases, group)
    with pytest.raises(SurveyError) as caught:
        parse_survey(text, "s.yaml")
    (problem,) = caught.value.problems
    assert words in problem.message, problem
    assert problem.path == f"releases.{key}"
    line = text.splitlines()[problem.line - 1]
    assert key in line and problem.file == "s.yaml"


def test_a_schedule_that_is_not_a_mapping_says_how_to_write_it() -> None:
    with pytest.raises(SurveyError) as caught:
        parse_survey(_with("releases: weekly\n"), "s.yaml")
    (problem,) = caught.value.problems
    assert problem.path == "releases" and "key: value" in problem.fix
