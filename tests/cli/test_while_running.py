"""The staff's command-line tools while `survey-bot run` serves residents on the same SQLite file.

What this proves, with the real bot as a subprocess against the fake Bot API on loopback:
- `survey-bot stats`, `export` and `report` succeed while the bot runs (also while residents are
  answering) and show the collected data; the publication a tool cuts is cut once and its
  disclosure history is recorded before the tool shows it;
- a second `survey-bot run` on the same database is still refused with one line, exit 2;
- the bot keeps serving residents while and after the tools ran, and no completion is left in
  the write-ahead log once the tools have finished;
- with no bot running the tools still work, and a bot starts while a tool has the store open.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import re
import sqlite3
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.privacy.key import load_secret
from bot.privacy.pseudonyms import Pseudonyms
from bot.stats.export import CSV_ENCODING
from bot.survey.loader import load_survey
from bot.survey.model import Survey
from storage import SQLiteStore
from tests.fakes.bot_api import FakeBotApi
from tests.faults.bot_process import TEST_SECRET, BotProcess, run_cli_once
from tests.faults.conftest import SHIPPED_SURVEY, assert_clean_log, make_takers, run_all

#: Residents of the first wave: one more than the survey's publication batch (5).
FIRST_WAVE = 6
SECOND_WAVE = 5


@pytest.fixture
def survey_path(tmp_path: Path) -> Path:
    """The shipped survey, open from 2020 to 2099 (as tests/faults runs it), released per wave."""
    text = SHIPPED_SURVEY.read_text(encoding="utf-8")
    text = re.sub(r"(?m)^opens:.*$", "opens: 2020-01-01", text)
    text = re.sub(r"(?m)^closes:.*$", "closes: 2099-12-31", text)
    # Releases after each wave (6, then 11), not at the shipped 100, 200, ...
    text = re.sub(
        r"(?m)^releases:\n(?:  .*\n)+", "releases: {first: 6, growth: 1.1, step: 5}\n", text
    )
    folder = tmp_path / "survey"
    folder.mkdir()
    path = folder / "questions.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def survey(survey_path: Path) -> Survey:
    return load_survey(survey_path)


@pytest.fixture
async def server() -> AsyncIterator[FakeBotApi]:
    async with FakeBotApi() as fake:
        yield fake


def tool(bot: BotProcess, *args: str) -> subprocess.CompletedProcess[str]:
    """`survey-bot ARGS` with the running bot's settings, to its end."""
    return run_cli_once(list(args), bot.env(), bot.workdir, timeout=120)


def ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    return result.stdout


def published(database: Path, survey_id: str) -> tuple[int, list[int]]:
    """The published responses and the publications whose disclosure history is recorded,
    read with a plain read-only connection."""
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as db:
        shown = db.execute(
            "SELECT responses FROM publications WHERE survey_id = ?", (survey_id,)
        ).fetchone()
        recorded = db.execute(
            "SELECT responses FROM disclosure_history WHERE survey_id = ? ORDER BY responses",
            (survey_id,),
        ).fetchall()
    db.close()
    return (int(shown[0]) if shown else 0), [int(n) for (n,) in recorded]


def wal_bytes(database: Path) -> bytes:
    wal = database.with_name(database.name + "-wal")
    return wal.read_bytes() if wal.exists() else b""


async def test_stats_export_and_report_work_while_the_bot_runs(
    server: FakeBotApi, survey: Survey, survey_path: Path, tmp_path: Path
) -> None:
    first = make_takers(server, survey, FIRST_WAVE, seed=16)
    second = make_takers(
        server, survey, SECOND_WAVE, seed=61, first_id=300_000_000, think=(0.1, 0.3)
    )
    async with BotProcess(server, tmp_path, survey_path) as bot:
        await run_all(first, timeout=60)

        stats = json.loads(ok(tool(bot, "stats", "--json", "--lang", "en")))
        assert stats["headline"]["responses"] == FIRST_WAVE
        assert stats["tables"], "stats showed no table"
        # The tool cut the publication and recorded its disclosure history before showing it.
        assert published(bot.database, survey.id) == (FIRST_WAVE, [FIRST_WAVE])

        written = ok(tool(bot, "export", "--out", str(tmp_path / "out"), "--lang", "en"))
        tallies = tmp_path / "out" / f"{survey.id}-tallies.csv"
        assert f"wrote {tallies}" in written
        rows = list(csv.reader(io.StringIO(tallies.read_text(CSV_ENCODING)), delimiter=";"))
        assert len(rows) > 10, rows

        ok(tool(bot, "report", "--out", str(tmp_path / "report.json"), "--lang", "en"))
        report = json.loads((tmp_path / "report.json").read_text("utf-8"))
        assert report["headline"]["responses"] == FIRST_WAVE
        assert report["questions"], "the report has no question"

        # A second bot is still refused, with one line.
        refused = tool(bot, "run")
        assert refused.returncode == 2, refused.stderr
        lines = refused.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("survey-bot: another bot is using"), lines
        assert "Traceback" not in refused.stderr

        # Residents keep answering while a tool reads and publishes.
        pressed = len(server.callback_answers)
        answering = asyncio.create_task(run_all(second, timeout=90))
        try:
            await server.wait_for(lambda: len(server.callback_answers) > pressed, 20)
            during = json.loads(ok(await asyncio.to_thread(tool, bot, "stats", "--json")))
            assert during["headline"]["responses"] >= FIRST_WAVE
            await answering
        finally:
            answering.cancel()
        after = json.loads(ok(tool(bot, "stats", "--json")))
        everyone = FIRST_WAVE + SECOND_WAVE
        assert after["headline"]["responses"] == everyone
        assert published(bot.database, survey.id) == (everyone, [FIRST_WAVE, everyone])

        # At rest, with the bot still running: no completion marker in the write-ahead log.
        await server.wait_idle(timeout=10)
        pseudonyms = Pseudonyms(load_secret(TEST_SECRET, None, None))
        wal = wal_bytes(bot.database)
        for taker in first + second:
            assert pseudonyms.completion_marker(survey.id, taker.chat_id) not in wal
        assert await bot.stop() == 0
    assert all(taker.finished for taker in first + second)
    assert_clean_log(bot.log_text(), [x.chat_id for x in first + second])

    # No bot running: the tools still work.
    assert json.loads(ok(tool(bot, "stats", "--json")))["headline"]["responses"] == everyone

    # A tool has the store open: the bot still starts, and the tool keeps reading.
    reader = await SQLiteStore.open(bot.database, mode="tool")
    try:
        await bot.start()
        assert await reader.count_responses(survey.id) == everyone
        assert await bot.stop() == 0
    finally:
        await reader.close()
