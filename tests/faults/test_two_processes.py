"""Two bots on one database file: the second refuses politely, the first keeps working.

What this proves: the store's exclusive lock file stops a second `survey-bot run` on the same
database before it touches the file or Telegram (one clear line naming the problem, exit code 2,
no traceback), while the first bot goes on serving a resident who is in the middle of the
survey; afterwards the first stops cleanly on SIGTERM and the database is sound, holding
exactly that resident's response.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.survey.model import Survey
from tests.fakes.bot_api import FakeBotApi
from tests.faults.bot_process import BotProcess, run_cli_once
from tests.faults.conftest import (
    assert_clean_log,
    assert_store_matches,
    make_takers,
    read_store,
    run_all,
)


async def test_a_second_bot_on_the_same_database_refuses_and_the_first_keeps_working(
    server: FakeBotApi, survey: Survey, survey_path: Path, tmp_path: Path
) -> None:
    takers = make_takers(server, survey, 2, seed=2)
    async with BotProcess(server, tmp_path, survey_path) as first:
        # The residents are in the middle of the survey when the second bot starts (however
        # long its start takes), and finish it after the second bot gave up.
        await run_all(takers, timeout=40, max_answers=3)
        assert not any(x.is_finished() for x in takers)
        polls_before = len(server.calls_to("getUpdates"))
        second = await asyncio.to_thread(run_cli_once, ["run"], first.env(), tmp_path)
        await run_all(takers, timeout=40)
        assert first.running, "the first bot stopped"
        # The second never reached Telegram: one getMe (the first bot's), and the first bot's
        # long polls were never cut short by a second getUpdates (409 Conflict).
        assert server.counts["getMe"] == 1
        assert all(c.status != 409 for c in server.calls_to("getUpdates")[polls_before:])
        assert await first.stop() == 0

    assert second.returncode == 2, second.stderr
    lines = second.stderr.strip().splitlines()
    assert len(lines) == 1, second.stderr
    assert lines[0].startswith("survey-bot: another bot is using survey.db"), lines[0]
    assert "Traceback" not in second.stderr + second.stdout
    assert "Conflict" not in first.log_text()

    assert all(x.finished for x in takers)
    report = await read_store(first.database, survey)
    assert_store_matches(report, survey, takers)
    assert server.rejections == []
    assert_clean_log(first.log_text(), [x.chat_id for x in takers])
