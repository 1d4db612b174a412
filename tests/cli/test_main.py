"""The `survey-bot` command: validate, stats, export, and clear errors for people's mistakes."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest

from bot.conversation.engine import Began, ChoicePicked, Opened, Skipped, TextSent
from bot.conversation.service import SurveyService
from bot.privacy.key import load_secret
from bot.privacy.pseudonyms import Pseudonyms
from bot.survey.loader import load_survey
from storage import open_store
from tests.analysis_key import ANALYSIS_PUBLIC

ROOT = Path(__file__).resolve().parents[2]
SMALL = ROOT / "tests" / "e2e" / "small_survey.yaml"
NOW = datetime.fromisoformat("2026-11-27T12:00:00+01:00")


def _cli(
    *args: str, env: dict[str, str] | None = None, cwd: Path = ROOT
) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("SURVEYBOT_")}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        env={**clean, **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_validate_accepts_the_shipped_survey_with_a_summary() -> None:
    result = _cli("validate", "surveys/questions.yaml")
    assert result.returncode == 0, result.stderr
    assert "valid" in result.stdout and "Breakdown" in result.stdout
    assert len(result.stdout.splitlines()) <= 25


def test_validate_lists_every_problem_of_a_broken_file(tmp_path: Path) -> None:
    broken = SMALL.read_text(encoding="utf-8").replace("optional: true", "optinal: true")
    broken = broken.replace("kind: scale", "kind: scael")
    path = tmp_path / "broken.yaml"
    path.write_text(broken, encoding="utf-8")
    result = _cli("validate", str(path))
    assert result.returncode == 1
    assert "2 problem(s)" in result.stderr
    assert "did you mean 'optional'" in result.stderr and "scael" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, "SURVEYBOT_TOKEN is not set"),
        ({"SURVEYBOT_TOKEN": "not-a-token"}, "does not look like a bot token"),
        (
            {"SURVEYBOT_TOKEN": "123456789:" + "A" * 35, "SURVEYBOT_STAFF": "12,abc"},
            "SURVEYBOT_STAFF",
        ),
        (
            {"SURVEYBOT_TOKEN": "123456789:" + "A" * 35, "SURVEYBOT_SURVEY": "missing.yaml"},
            "SURVEYBOT_SURVEY",
        ),
        (
            {"SURVEYBOT_TOKEN": "123456789:" + "A" * 35, "SURVEYBOT_WEBHOOK_URL": "https://x/h"},
            "SURVEYBOT_WEBHOOK_SECRET is not set",
        ),
        (
            {"SURVEYBOT_TOKEN": "123456789:" + "A" * 35, "SURVEYBOT_WEBHOOK_SECRET": "a b"},
            "SURVEYBOT_WEBHOOK_SECRET is invalid",
        ),
        (
            {"SURVEYBOT_TOKEN": "123456789:" + "A" * 35, "SURVEYBOT_WEBHOOK_URL": "bot.se/h"},
            "SURVEYBOT_WEBHOOK_URL is invalid",
        ),
        (
            {"SURVEYBOT_TOKEN": "123456789:" + "A" * 35, "SURVEYBOT_HTTP_PORT": "99999"},
            "SURVEYBOT_HTTP_PORT is invalid",
        ),
        (
            {
                "SURVEYBOT_TOKEN": "123456789:" + "A" * 35,
                "SURVEYBOT_DATABASE": "postgresql://survey:pw@127.0.0.1:1/survey",
            },
            "SURVEYBOT_SECRET",
        ),
        (
            {
                "SURVEYBOT_TOKEN": "123456789:" + "A" * 35,
                "SURVEYBOT_SECRET": "s" * 40,
                "SURVEYBOT_DATABASE": "postgresql://survey:pw@127.0.0.1:1/survey",
            },
            "cannot connect to PostgreSQL at postgresql://127.0.0.1:1/survey",
        ),
    ],
)
def test_run_with_a_bad_setting_says_what_to_set_and_exits_2(
    tmp_path: Path, env: dict[str, str], expected: str
) -> None:
    result = _cli("run", env={"SURVEYBOT_DATABASE": str(tmp_path / "x.db"), **env})
    assert result.returncode == 2, result.stderr
    assert "pw@" not in result.stderr
    assert expected in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


async def _fill(database: Path, count: int) -> None:
    survey = load_survey(SMALL)
    # Before the store creates the file, as the CLI does.
    secret = load_secret(None, None, database, database.parent / "keys")
    store = await open_store(str(database), analysis_key=ANALYSIS_PUBLIC)
    service = SurveyService(survey, store, Pseudonyms(secret), clock=lambda: NOW)
    for user in range(count):
        result = await service.step(user, Opened("sv"))
        for make in (
            Began,
            lambda step, user=user: ChoicePicked(step, "north" if user % 3 else "south"),
            lambda step: ChoicePicked(step, "safe"),
            lambda step, user=user: TextSent(str(user)),
            Skipped,
        ):
            assert result.after is not None
            result = await service.step(user, make(result.after.step))
        assert result.after is None, "completed"
    await store.close()


def test_stats_and_export_print_the_published_suppressed_tallies(tmp_path: Path) -> None:
    database = tmp_path / "survey.db"
    asyncio.run(_fill(database, 7))
    env = {
        "SURVEYBOT_DATABASE": str(database),
        "SURVEYBOT_SURVEY": str(SMALL),
        "SURVEYBOT_KEY_DIR": str(tmp_path / "keys"),
    }
    result = _cli("stats", "--json", env=env)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["headline"]["responses"] == 7
    area = next(t for t in data["tables"] if t["question"] == "area")
    counts = {row["choice"]: row["count"] for row in area["rows"]}
    assert counts == {"north": 4, "south": "<5"} or counts == {"north": "<5", "south": "<5"}
    result = _cli("stats", "--by", "area", env=env)
    assert result.returncode == 0 and "Testenkät" in result.stdout
    result = _cli("export", "--out", str(tmp_path / "out"), env=env)
    assert result.returncode == 0, result.stderr
    written = (tmp_path / "out" / "small_test-tallies.csv").read_text(encoding="utf-8-sig")
    lines = list(csv.DictReader(io.StringIO(written), delimiter=";"))
    exported = [v for r in lines for k, v in r.items() if k.endswith(": antal") and v]
    assert exported and all(int(v) == 0 or int(v) >= 5 for v in exported)
    assert not (tmp_path / "out" / "small_test-free-texts.csv").exists()
