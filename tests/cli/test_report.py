"""`survey-bot report` and `survey-bot rounds` through a subprocess, as an admin types them."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.example_report import fill
from bot.survey.loader import load_survey
from storage import open_store
from tests.analysis_key import ANALYSIS_PUBLIC

ROOT = Path(__file__).resolve().parents[2]


def _cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("SURVEYBOT_")}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture
def admin(tmp_path: Path) -> dict[str, str]:
    """A copy of the shipped survey (its rounds folder beside it) and an empty database."""
    survey = tmp_path / "questions.yaml"
    shutil.copy(ROOT / "surveys" / "questions.yaml", survey)
    return {
        "SURVEYBOT_SURVEY": str(survey),
        "SURVEYBOT_DATABASE": str(tmp_path / "survey.db"),
        "SURVEYBOT_SECRET": "cli-report-test-secret-0123456789abcdef",
    }


def test_a_round_with_mistakes_lists_every_one_and_keeps_nothing(
    admin: dict[str, str], tmp_path: Path
) -> None:
    results = tmp_path / "2021.csv"
    results.write_text(
        "question;choice;count;share;n\nsafe_hom;very_safe;10;;100\nsafe_home;very_safe;;120;100\n",
        encoding="utf-8",
    )
    result = _cli("rounds", "import", "--label", "2021", "--results", str(results), env=admin)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert lines[0] == "survey-bot: 2 problem(s) in the data files:"
    assert (
        lines[1].startswith(f"{results}:2:1: question:") and "did you mean 'safe_home'" in lines[1]
    )
    assert lines[2].startswith(f"{results}:3:1: share:")
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "rounds").exists()


async def _started(database: Path) -> None:
    """The database as the bot's first start leaves it: empty."""
    store = await open_store(str(database))
    await store.close()


def test_an_imported_round_appears_in_the_reports_json(
    admin: dict[str, str], tmp_path: Path
) -> None:
    result = _cli(
        "rounds",
        "import",
        "--label",
        "2022",
        "--results",
        str(ROOT / "docs" / "example-round-2022.csv"),
        env=admin,
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "rounds" / "2022.csv").exists()
    listed = _cli("rounds", "list", env=admin)
    assert listed.stdout.strip() == "2022: 3 questions, 1695 answered"
    out = tmp_path / "report.json"
    result = _cli("report", "--out", str(out), env=admin)  # the report creates no database
    assert result.returncode == 2 and "no database at" in result.stderr, result.stderr
    assert not Path(admin["SURVEYBOT_DATABASE"]).exists()
    asyncio.run(_started(Path(admin["SURVEYBOT_DATABASE"])))
    result = _cli("report", "--out", str(out), env=admin)
    assert result.returncode == 0, result.stderr
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["rounds"] == [{"label": "2022", "respondents": 1695}]
    otrygghet = next(i for i in data["indicators"] if i["id"] == "otrygghet")
    assert otrygghet["now"] is None  # nobody has answered yet
    assert otrygghet["earlier"][0]["value"] == pytest.approx(509 / 1627, abs=1e-9)


def test_a_report_file_of_another_kind_is_one_line(admin: dict[str, str], tmp_path: Path) -> None:
    result = _cli("report", "--out", str(tmp_path / "report.docx"), env=admin)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"survey-bot: --out {tmp_path / 'report.docx'}: name a .pdf, .html or .json file"
    ]


def test_stats_json_and_the_csv_carry_the_reports_indicators(
    admin: dict[str, str], tmp_path: Path
) -> None:
    """One computation: the indicator figures of `stats --json`, the indicators CSV and the
    report's JSON are the same numbers."""
    _cli(
        "rounds", "import", "--label", "2022", "--results",
        str(ROOT / "docs" / "example-round-2022.csv"), env=admin,
    )  # fmt: skip
    asyncio.run(_fill(Path(admin["SURVEYBOT_DATABASE"]), Path(admin["SURVEYBOT_SURVEY"]), 100))
    stats = _cli("stats", "--json", env=admin)
    assert stats.returncode == 0, stats.stderr
    report_file = tmp_path / "report.json"
    assert _cli("report", "--out", str(report_file), env=admin).returncode == 0
    from_stats = json.loads(stats.stdout)["indicators"]
    from_report = json.loads(report_file.read_text(encoding="utf-8"))["indicators"]
    assert from_stats == from_report
    otrygghet = next(i for i in from_stats if i["id"] == "otrygghet")
    assert otrygghet["earlier"][0]["round"] == "2022"
    export = _cli("export", "--out", str(tmp_path / "out"), env=admin)
    assert export.returncode == 0, export.stderr
    text = (tmp_path / "out" / "halmstad_2026-indicators.csv").read_text(encoding="utf-8-sig")
    rows = [line.split(";") for line in text.strip().splitlines()]
    # every figure of the JSON is a line of the CSV (this round's may be hidden: then no line)
    figures = [f for f in (otrygghet["now"], *otrygghet["earlier"]) if f is not None]
    assert len([r for r in rows if r[0] == "otrygghet"]) == len(figures)
    for figure in figures:
        line = next(r for r in rows if r[0] == "otrygghet" and r[2] == figure["round"])
        assert line[3] == f"{figure['value'] * 100:.1f}".replace(".", ",")
        assert (line[4], line[5]) == (str(figure["count"]), str(figure["base"]))


async def _fill(database: Path, survey_path: Path, count: int) -> None:
    """`count` realistic completed surveys, published, as the bot would have stored them."""
    store = await open_store(str(database), analysis_key=ANALYSIS_PUBLIC, batch=5)
    try:
        await fill(store, load_survey(survey_path), count)
    finally:
        await store.close()
