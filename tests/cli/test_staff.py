"""`survey-bot stats` and `survey-bot export` through a subprocess, as an operator runs them:
they read an existing store and create nothing, a mistake is one line on stderr, and their
output fits the terminal and Excel."""

from __future__ import annotations

import asyncio
import csv
import io
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.answers import completed, shipped_survey
from bot.privacy.key import load_secret
from storage import open_store
from tests.cli.test_main import ROOT, SMALL, _cli, _fill

SHIPPED = ROOT / "surveys" / "questions.yaml"


@pytest.fixture(scope="module")
def small_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    database = tmp_path_factory.mktemp("small") / "survey.db"
    asyncio.run(_fill(database, 7))
    return database


async def _fill_shipped(database: Path, count: int) -> None:
    """`count` random completed responses to the shipped survey, stored as the bot stores them."""
    survey = shipped_survey()
    load_secret(None, None, database)
    store = await open_store(str(database))
    rng = random.Random(7)
    for n in range(count):
        done = completed(survey, rng)
        key = n.to_bytes(4, "big")
        await store.complete(
            session_key=b"s" + key, marker=b"m" + key, response=done.response, cells=done.cells
        )
    await store.close()


def _one_line(result: subprocess.CompletedProcess[str], code: int = 2) -> str:
    assert result.returncode == code, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


# --- item 11: reading commands never create a store ------------------------------------------


@pytest.mark.parametrize("command", [["stats"], ["export", "--out", "out"]])
def test_a_reading_command_without_a_database_creates_nothing(
    tmp_path: Path, command: list[str]
) -> None:
    """No database in the current folder: one line, exit 2, and no survey.db, .key, .lock or
    output folder appears."""
    result = _cli(*command, env={"SURVEYBOT_SURVEY": str(SMALL)}, cwd=tmp_path)
    line = _one_line(result)
    assert "no database at survey.db" in line and "SURVEYBOT_DATABASE" in line
    assert result.stdout == ""
    assert sorted(os.listdir(tmp_path)) == []


def test_database_names_the_store_to_read(tmp_path: Path, small_db: Path) -> None:
    env = {"SURVEYBOT_SURVEY": str(SMALL)}
    result = _cli("stats", "--database", str(small_db), "--lang", "en", env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Responses: 7" in result.stdout
    missing = _cli("stats", "--database", "nowhere.db", env=env, cwd=tmp_path)
    assert "no database at nowhere.db" in _one_line(missing) and "--database" in missing.stderr
    assert sorted(os.listdir(tmp_path)) == []
    result = _cli("export", "--database", str(small_db), "--out", "out", env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert sorted(os.listdir(tmp_path)) == ["out"]


# --- item 12: one line on stderr for each mistake ---------------------------------------------


def _env(database: Path) -> dict[str, str]:
    return {"SURVEYBOT_SURVEY": str(SMALL), "SURVEYBOT_DATABASE": str(database)}


def test_export_into_a_file_is_one_line(tmp_path: Path, small_db: Path) -> None:
    existing = tmp_path / "tallies.csv"
    existing.write_text("keep me", encoding="utf-8")
    line = _one_line(_cli("export", "--out", str(existing), env=_env(small_db)))
    assert f"--out {existing}: that is a file" in line
    assert existing.read_text(encoding="utf-8") == "keep me"


def test_stats_into_a_closed_pipe_ends_quietly(small_db: Path) -> None:
    """`stats | head -1`: the reader has gone before we write; no traceback."""
    read, write = os.pipe()
    os.close(read)  # nobody will read: every write fails with a broken pipe
    clean = {k: v for k, v in os.environ.items() if not k.startswith("SURVEYBOT_")}
    with os.fdopen(write, "wb") as stdout:
        result = subprocess.run(
            [sys.executable, "-m", "bot", "stats"],
            cwd=ROOT,
            env={**clean, **_env(small_db)},
            stdout=stdout,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
        )
    assert result.stderr == ""
    assert result.returncode == 141  # as any Unix tool ended by SIGPIPE


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--by", "nosuch"], "--by nosuch: not a breakdown question; use one of: area"),
        (["--question", "nosuch"], "--question nosuch: no tally for that id; use one of: area,"),
        (["--question", "comment"], "use one of: area, safe, why, years"),
        (["--lang", "de"], "--lang de: the survey is in sv, en"),
    ],
)
def test_stats_mistakes_are_one_line_on_stderr_naming_what_works(
    small_db: Path, args: list[str], expected: str
) -> None:
    result = _cli("stats", *args, env=_env(small_db))
    assert expected in _one_line(result)
    assert result.stdout == ""


def test_export_with_an_unknown_language_is_one_line(tmp_path: Path, small_db: Path) -> None:
    result = _cli("export", "--out", str(tmp_path / "o"), "--lang", "de", env=_env(small_db))
    assert "--lang de: the survey is in sv, en" in _one_line(result)
    assert not (tmp_path / "o").exists()


# --- items 15 and 16: the terminal width; the CSV for Excel ----------------------------------


@pytest.fixture(scope="module")
def shipped_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    database = tmp_path_factory.mktemp("shipped") / "survey.db"
    asyncio.run(_fill_shipped(database, 44))
    return database


def _shipped_env(database: Path, columns: int) -> dict[str, str]:
    return {
        "SURVEYBOT_SURVEY": str(SHIPPED),
        "SURVEYBOT_DATABASE": str(database),
        "COLUMNS": str(columns),
    }


def test_stats_uses_the_terminal_width_and_never_cuts_a_label(shipped_db: Path) -> None:
    wide = _cli(
        "stats", "--question", "safe_evening_area", "--by", "age", env=_shipped_env(shipped_db, 200)
    )
    assert wide.returncode == 0, wide.stderr
    lines = wide.stdout.splitlines()
    # The 7 choices side by side in one block (one header line with "n"), each named in full.
    assert sum(1 for line in lines if line.split()[:1] == ["n"]) == 1
    assert "Mycket trygg" in wide.stdout and "…" not in wide.stdout
    assert max(len(line) for line in lines) <= 200
    narrow = _cli("stats", "--question", "area", env=_shipped_env(shipped_db, 60))
    assert narrow.returncode == 0, narrow.stderr
    assert "Harplinge/Steninge/Haverdal" in narrow.stdout  # whole, not "Harplinge/Ste…"
    assert "Centrum/stadskärnan" in narrow.stdout
    assert max(len(line) for line in narrow.stdout.splitlines()) <= 60


def test_the_export_of_44_responses_is_a_short_wide_csv_for_excel(
    tmp_path: Path, shipped_db: Path
) -> None:
    result = _cli("export", "--out", str(tmp_path), env=_shipped_env(shipped_db, 80))
    assert result.returncode == 0, result.stderr
    data = (tmp_path / "halmstad_2026-tallies.csv").read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")  # UTF-8 with a byte-order mark
    text = data.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert len(rows) < 200  # was 3,005 lines, one per count
    header = rows[0]
    assert header[:5] == ["fråga_id", "Fråga", "svar_id", "Svar", "Alla: antal"]
    assert {len(row) for row in rows} == {len(header)}
    for row in rows[1:]:
        for name, cell in zip(header, row, strict=True):
            assert not cell.startswith("<")
            if name.endswith(": antal") and cell:
                assert int(cell) == 0 or int(cell) >= 5
