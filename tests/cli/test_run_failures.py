"""`survey-bot run` when Telegram is not there or refuses it: one line, never a traceback or the
token, and an exit status a supervisor can act on (issue 11 items 1-3, issue 13 item 3).

Each scenario runs the real command as a process against the fake Bot API on loopback (or a
closed port, or a socket that never answers) and asserts on the whole of its stdout+stderr.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from tests.analysis_key import ANALYSIS_PUBLIC
from tests.fakes.bot_api import FakeBotApi

ROOT = Path(__file__).resolve().parents[2]
SMALL = ROOT / "tests" / "e2e" / "small_survey.yaml"
#: A token that looks real but is not the fake server's (so it answers 401).
#: A token the fake does not know, built at run time (no token-shaped literal in the repo).
OTHER_TOKEN = "987654321:" + "AAOther" + "TokenThatTheServerDoesNotKnowX"
READY = "the bot is running"


def _env(tmp_path: Path, base_url: str, token: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SURVEYBOT_")}
    env.update(
        SURVEYBOT_TOKEN=token,
        SURVEYBOT_API_BASE_URL=base_url,
        SURVEYBOT_DATABASE=str(tmp_path / "s.db"),
        SURVEYBOT_SURVEY=str(SMALL),
        SURVEYBOT_SECRET="s" * 40,
        SURVEYBOT_ANALYSIS_KEY=ANALYSIS_PUBLIC,
        SURVEYBOT_POLL_TIMEOUT="1",
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


class Run:
    """One `survey-bot run` process with its combined output in a file."""

    def __init__(self, process: asyncio.subprocess.Process, log: Path) -> None:
        self.process = process
        self.log = log

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    async def wait_for(self, text: str, timeout: float = 30) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while text not in self.output():
            if self.process.returncode is not None or loop.time() > deadline:
                raise AssertionError(f"{text!r} not in the output:\n{self.output()}")
            await asyncio.sleep(0.05)

    async def exit_status(self, timeout: float = 30) -> int:
        return await asyncio.wait_for(self.process.wait(), timeout)


@asynccontextmanager
async def survey_bot_run(tmp_path: Path, env: dict[str, str]) -> AsyncIterator[Run]:
    log = tmp_path / f"run-{len(list(tmp_path.glob('run-*')))}.log"
    with log.open("wb") as sink:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", cwd=tmp_path, env=env, stdout=sink, stderr=sink
        )
    try:
        yield Run(process, log)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


def assert_clean(output: str, *secrets: str) -> None:
    assert "Traceback" not in output, output
    assert "Unclosed" not in output, output
    for secret in secrets:
        assert secret not in output, output
        assert secret.split(":")[1] not in output, output


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@pytest.mark.parametrize("client", ["aiohttp", "httpx"])
async def test_a_rejected_token_a_closed_port_and_sigterm_while_the_server_is_down(
    tmp_path: Path, client: str
) -> None:
    async with FakeBotApi() as server:
        # 1. Telegram answers 401 to getMe: one line, exit 2.
        env = _env(tmp_path, server.url, OTHER_TOKEN, SURVEYBOT_HTTP_CLIENT=client)
        async with survey_bot_run(tmp_path, env) as run:
            assert await run.exit_status() == 2
        output = run.output()
        assert_clean(output, OTHER_TOKEN, server.token)
        assert output.splitlines() == [
            f"survey-bot: Telegram rejected the token (401/404 from {server.url}): check "
            "SURVEYBOT_TOKEN and SURVEYBOT_API_BASE_URL"
        ]

        # 2. Nothing listens on the port: one line, exit 1 (a supervisor restarts the bot).
        port = _closed_port()
        env = _env(tmp_path, f"http://127.0.0.1:{port}", server.token, SURVEYBOT_HTTP_CLIENT=client)
        async with survey_bot_run(tmp_path, env) as run:
            assert await run.exit_status() == 1
        output = run.output()
        assert_clean(output, server.token)
        (line,) = output.splitlines()
        assert line.startswith(f"survey-bot: cannot reach Telegram at http://127.0.0.1:{port} (")

        # 3. The bot runs; the server goes away; SIGTERM: the stop is clean, exit 0.
        env = _env(tmp_path, server.url, server.token, SURVEYBOT_HTTP_CLIENT=client)
        async with survey_bot_run(tmp_path, env) as run:
            await run.wait_for(READY)
            await server.stop()
            await run.wait_for("getUpdates failed")
            before = len(run.output().splitlines())
            run.process.send_signal(signal.SIGTERM)
            assert await run.exit_status() == 0
        output = run.output()
        assert_clean(output, server.token)
        # Each failed poll is one line, and the stop adds "stopping", the line about the
        # updates it could not confirm, and PTB's own stop lines (no traceback).
        after = output.splitlines()[before:]
        assert any(line.endswith("stopping") for line in after), output
        assert len(after) <= 6, output


async def test_a_token_revoked_while_running_ends_the_process_with_one_line(
    tmp_path: Path,
) -> None:
    async with FakeBotApi() as server:
        token = server.token
        async with survey_bot_run(tmp_path, _env(tmp_path, server.url, token)) as run:
            await run.wait_for(READY)
            before = len(run.output().splitlines())
            server.token = OTHER_TOKEN  # every call now answers 401
            assert await run.exit_status() == 2
        output = run.output()
        assert_clean(output, token, OTHER_TOKEN)
        after = output.splitlines()[before:]
        revoked = [line for line in after if "rejected the token" in line]
        assert revoked == [
            f"survey-bot: Telegram rejected the token while the bot was running (revoked?) "
            f"(401/404 from {server.url}): check SURVEYBOT_TOKEN and SURVEYBOT_API_BASE_URL"
        ], output
        assert len(after) <= 6, output


async def test_sigterm_while_telegram_does_not_answer_at_start(tmp_path: Path) -> None:
    """getMe hangs (a server that accepts and never answers): SIGTERM ends it at once."""
    answered = asyncio.Event()

    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        answered.set()
        await reader.read()  # never answer
        writer.close()

    silent_server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = silent_server.sockets[0].getsockname()[1]
    token = "123456789:AAFakeTokenForTrygghetsbotTests"
    try:
        async with survey_bot_run(
            tmp_path, _env(tmp_path, f"http://127.0.0.1:{port}", token)
        ) as run:
            await asyncio.wait_for(answered.wait(), 30)
            run.process.send_signal(signal.SIGTERM)
            assert await run.exit_status() == 0
    finally:
        silent_server.close()
    output = run.output()
    assert_clean(output, token)
    assert output.splitlines() == [
        "INFO bot.adapters.telegram.app: stopped before Telegram answered"
    ]


async def test_the_base_url_may_end_in_bot_as_ptb_examples_write_it(tmp_path: Path) -> None:
    async with FakeBotApi() as server:
        env = _env(tmp_path, f"{server.url}/bot/", server.token, SURVEYBOT_LOG_LEVEL="info")
        async with survey_bot_run(tmp_path, env) as run:
            await run.wait_for(READY)
            run.process.send_signal(signal.SIGTERM)
            assert await run.exit_status() == 0
        assert_clean(run.output(), server.token)
        assert server.calls_to("getMe"), "the bot did not reach the server"
