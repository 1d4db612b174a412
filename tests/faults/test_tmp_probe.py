"""probe"""
import time
from pathlib import Path
from bot.survey import Survey
from tests.faults.bot_process import BotProcess
from tests.faults.conftest import make_takers, run_all, read_store, assert_store_matches
from tests.fakes.bot_api import FakeBotApi

async def test_probe(server: FakeBotApi, survey: Survey, survey_path: Path, tmp_path: Path) -> None:
    bot = BotProcess(server, tmp_path, survey_path)
    async with bot:
        print("start", bot.start_seconds)
        takers = make_takers(server, survey, 20, 1)
        t0 = time.monotonic()
        await run_all(takers, 50)
        print("took", time.monotonic() - t0, [x.nudges for x in takers], [x.actions for x in takers])
        code = await bot.stop()
        print("exit", code)
    report = await read_store(bot.database, survey)
    assert_store_matches(report, survey, takers)
    print(bot.log_text())
    print(server.rejections)
