"""The README a new user follows: commands that work as typed, files that stay out of git,
and figures kept in one place (docs/performance.md), so the two never disagree."""

from __future__ import annotations

import re
import subprocess
import tomllib
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


def test_ci_runs_exactly_the_readme_test_command() -> None:
    """`.ci/run` ends with the README's install-and-test line, and that line's `pytest` takes
    its worker count from pyproject.toml (so CI runs the suite the way a developer does)."""
    block = re.search(r"Install and run the whole test suite.*?```sh\n(.*?)\n```", README, re.S)
    assert block is not None, "the README lost its test command"
    command = block[1].strip()
    ci_lines = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()]
    assert ci_lines[-1] == command, (ci_lines[-1], command)
    assert command.endswith(".venv/bin/pytest"), command
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    addopts = config["tool"]["pytest"]["ini_options"]["addopts"].split()
    assert "-n" in addopts and "--dist" in addopts, addopts
    test_extra = config["project"]["optional-dependencies"]["test"]
    assert any(dependency.startswith("pytest-xdist") for dependency in test_extra), test_extra
