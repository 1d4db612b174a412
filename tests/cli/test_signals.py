"""`survey-bot run` as a process: SIGHUP reloads the survey file, SIGTERM stops cleanly."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import sys
from pathlib import Path

from tests.fakes.bot_api import FakeBotApi

ROOT = Path(__file__).resolve().parents[2]
SMALL = ROOT / "tests" / "e2e" / "small_survey.yaml"


async def _wait_for_log(log: Path, text: str, timeout: float = 20) -> str:
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        content = log.read_text(encoding="utf-8", errors="replace") if log.exists() else ""
        if text in content:
            return content
        await asyncio.sleep(0.1)
    raise AssertionError(f"{text!r} not in the log:\n{log.read_text(errors='replace')}")


async def test_sighup_reloads_and_sigterm_stops_cleanly(tmp_path: Path) -> None:
    survey = tmp_path / "survey.yaml"
    shutil.copy(SMALL, survey)
    log = tmp_path / "bot.log"
    async with FakeBotApi() as server:
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("SURVEYBOT_")},
            "SURVEYBOT_TOKEN": server.token,
            "SURVEYBOT_API_BASE_URL": server.url,
            "SURVEYBOT_DATABASE": str(tmp_path / "s.db"),
            "SURVEYBOT_SURVEY": str(survey),
            "SURVEYBOT_SECRET": "x" * 40,
            "SURVEYBOT_POLL_TIMEOUT": "1",
        }
        with log.open("wb") as sink:
            process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", "run", cwd=ROOT, env=env, stdout=sink, stderr=sink
            )
            try:
                await _wait_for_log(log, "the bot is running")
                survey.write_text(
                    SMALL.read_text(encoding="utf-8").replace("kind: scale", "kind: scael"),
                    encoding="utf-8",
                )
                process.send_signal(signal.SIGHUP)
                content = await _wait_for_log(log, "SIGHUP reload: 1 problem(s)")
                assert "scael" in content
                survey.write_text(
                    SMALL.read_text(encoding="utf-8").replace("Var bor du?", "Var bor du nu?"),
                    encoding="utf-8",
                )
                process.send_signal(signal.SIGHUP)
                await _wait_for_log(log, "SIGHUP reload: now running small_test version")
                process.send_signal(signal.SIGTERM)
                assert await asyncio.wait_for(process.wait(), 20) == 0
            finally:
                if process.returncode is None:
                    process.kill()
                    await process.wait()
    content = log.read_text(encoding="utf-8")
    assert "stopping" in content
    assert "Traceback" not in content
