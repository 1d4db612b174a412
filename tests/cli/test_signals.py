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


async def _wait_for_line(
    stream: asyncio.StreamReader, text: str, seen: list[str], timeout: float = 20
) -> str:
    """Read the bot's output until a line holds `text` (woken by each line the bot writes);
    returns everything read so far."""

    async def scan() -> str:
        while line := await stream.readline():
            seen.append(line.decode("utf-8", errors="replace"))
            if text in seen[-1]:
                return "".join(seen)
        raise AssertionError(f"{text!r} not in the output:\n{''.join(seen)}")

    try:
        return await asyncio.wait_for(scan(), timeout)
    except TimeoutError:
        raise AssertionError(f"{text!r} not in the output:\n{''.join(seen)}") from None


async def test_sighup_reloads_and_sigterm_stops_cleanly(tmp_path: Path) -> None:
    survey = tmp_path / "survey.yaml"
    shutil.copy(SMALL, survey)
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
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", cwd=ROOT, env=env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip
        assert process.stdout is not None
        seen: list[str] = []
        try:
            await _wait_for_line(process.stdout, "the bot is running", seen)
            survey.write_text(
                SMALL.read_text(encoding="utf-8").replace("kind: scale", "kind: scael"),
                encoding="utf-8",
            )
            process.send_signal(signal.SIGHUP)
            await _wait_for_line(process.stdout, "SIGHUP reload: 1 problem(s)", seen)
            await _wait_for_line(process.stdout, "scael", seen)  # the problem, named
            survey.write_text(
                SMALL.read_text(encoding="utf-8").replace("Var bor du?", "Var bor du nu?"),
                encoding="utf-8",
            )
            process.send_signal(signal.SIGHUP)
            await _wait_for_line(process.stdout, "SIGHUP reload: now running small_test", seen)
            process.send_signal(signal.SIGTERM)
            rest, _ = await asyncio.wait_for(process.communicate(), 20)
            assert process.returncode == 0
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()
    content = "".join(seen) + rest.decode("utf-8", errors="replace")
    assert "stopping" in content
    assert "Traceback" not in content
