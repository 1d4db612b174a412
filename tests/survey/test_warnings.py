"""Warnings: what a survey file allows but the admin should not do; it still loads (exit 0)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from bot.survey.loader import read_survey

from .test_loader import head_with

ROOT = Path(__file__).resolve().parents[2]


def _file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "survey.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_min_group_size_below_5_is_a_warning_that_says_why(tmp_path: Path) -> None:
    checked = read_survey(_file(tmp_path, head_with("min_group_size: 3")))

    assert checked.survey.min_group_size == 3
    (warning,) = checked.warnings
    assert (warning.line, warning.column, warning.path) == (7, 17, "min_group_size")
    assert "min_group_size is 3" in warning.message
    assert "use 5 or more" in warning.fix and "can tell who answered" in warning.fix


def test_min_group_size_5_or_more_has_no_warning(tmp_path: Path) -> None:
    for size in (5, 10):
        assert read_survey(_file(tmp_path, head_with(f"min_group_size: {size}"))).warnings == ()


def test_validate_prints_the_warning_and_exits_0(tmp_path: Path) -> None:
    path = _file(tmp_path, head_with("min_group_size: 3"))
    clean = {k: v for k, v in os.environ.items() if not k.startswith("SURVEYBOT_")}
    result = subprocess.run(
        [sys.executable, "-m", "bot", "validate", str(path)],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"{path}: valid")
    assert "WARNING: below 5" in result.stdout
    assert result.stderr.splitlines() == [
        f"{path}:7:17: min_group_size: warning: min_group_size is 3, so counts as small as 3 are "
        "published - use 5 or more: in a small area or age group, a count below 5 can tell who "
        "answered what (docs/survey-format.md)"
    ]
