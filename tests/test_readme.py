"""The README a new user follows: commands that work as typed, files that stay out of git,
and figures kept in one place (docs/performance.md), so the two never disagree."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_every_command_in_the_table_runs_from_the_virtual_environment() -> None:
    rows = re.findall(r"^\| `([^`]*survey-bot [^`]*)` \|", README, flags=re.M)
    assert len(rows) >= 5
    assert all(row.startswith(".venv/bin/survey-bot ") for row in rows), rows


@pytest.mark.parametrize(
    "name", ["survey.db", "survey.db-wal", "survey.db.key", "survey.db.lock", ".env"]
)
def test_files_the_bot_creates_are_ignored_by_git(name: str) -> None:
    result = subprocess.run(
        ["git", "check-ignore", "--no-index", "-q", name], cwd=ROOT, check=False
    )
    assert result.returncode == 0, f"{name} is not in .gitignore"


def test_measured_figures_live_only_in_the_performance_doc() -> None:
    figures = re.findall(r"\d[\d,.]*\s?(?:steps/s|/s\b|MB\b| ms\b| s\b)", README)
    assert figures == [], f"README repeats measured figures; link docs/performance.md: {figures}"
