"""Fuzz: whatever an admin's file contains, loading gives a Survey or a SurveyError, never
another exception, and every problem has a line and a fix."""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.survey.loader import SurveyError, parse_survey
from bot.survey.model import Survey

SMALL = (Path(__file__).resolve().parents[1] / "e2e" / "small_survey.yaml").read_text("utf-8")
KEYS = [
    *("id", "kind", "text", "choices", "label", "sv", "en", "show_if", "optional", "max"),
    *("min", "max_length", "breakdown", "exclusive", "retired", "questions", "languages"),
    *("title", "intro", "privacy", "thanks", "opens", "closes", "min_group_size", "help"),
]
SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-5, 500), st.text(max_size=12),
    st.sampled_from(["single", "multi", "scale", "number", "text", "sv", "en", "2026-13-45"]),
)  # fmt: skip
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.sampled_from(KEYS), inner, max_size=5)
    ),
    max_leaves=25,
)


def _check(text: str) -> None:
    try:
        survey = parse_survey(text, "fuzz.yaml")
    except SurveyError as err:
        assert err.problems
        for problem in err.problems:
            assert problem.file == "fuzz.yaml" and problem.message and problem.fix
            assert problem.line >= 0
    else:
        assert isinstance(survey, Survey)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(st.sampled_from(KEYS), VALUES, max_size=8))
def test_random_structures_load_or_fail_cleanly(data: dict[str, object]) -> None:
    _check(json.dumps(data, ensure_ascii=False, indent=2))  # JSON is YAML


@settings(max_examples=150, deadline=None)
@given(st.integers(0, len(SMALL) - 1), st.integers(1, 40), st.text(max_size=8))
def test_a_mangled_real_file_loads_or_fails_cleanly(at: int, cut: int, insert: str) -> None:
    _check(SMALL[:at] + insert + SMALL[at + cut :])


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=200))
def test_any_text_loads_or_fails_cleanly(text: str) -> None:
    _check(text)
