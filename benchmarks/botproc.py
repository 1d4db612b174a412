"""A bot under test as a subprocess against the fake Bot API running in this process.

What must hold: the bot is a separate process (so its CPU and memory are read from /proc,
apart from the fake server and the simulated residents); it reads its settings only from
SURVEYBOT_* variables and runs in a scratch directory (no developer `.env` is picked up); every
wait is bounded, and `stop()` sends SIGTERM, then SIGKILL if the bot has not exited in time.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from tests.fakes.bot_api import FakeBotApi

ROOT = Path(__file__).resolve().parents[1]
SURVEY = ROOT / "surveys" / "questions.yaml"
SECRET = "benchmark-secret-which-is-long-enough-0123456789"

#: The commands that start each kind of bot (run with this interpreter).
SHIPPED = ("-m", "bot", "run")
LAUNCH = ("-m", "benchmarks.launch")
BARE = ("-m", "benchmarks.bare_bot")


def scratch_survey(scratch: Path) -> Path:
    """The shipped survey without its opening dates (so the benchmark runs on any day; the dates
    do not change the survey's version or what residents see)."""
    text = SURVEY.read_text(encoding="utf-8")
    text = re.sub(r"(?m)^(opens|closes):.*$", "", text)
    path = scratch / "questions.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def bot_env(
    server: FakeBotApi, scratch: Path, name: str, **settings: str | int | float
) -> dict[str, str]:
    """The environment of a bot under test: SURVEYBOT_* settings, nothing from the caller's."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SURVEYBOT_")}
    env.update(
        {
            "PYTHONPATH": str(ROOT),
            "SURVEYBOT_TOKEN": server.token,
            "SURVEYBOT_API_BASE_URL": server.url,
            "SURVEYBOT_DATABASE": str(scratch / f"{name}.db"),
            "SURVEYBOT_SURVEY": str(scratch_survey(scratch)),
            "SURVEYBOT_SECRET": SECRET,
            "SURVEYBOT_POLL_TIMEOUT": "5",
            "SURVEYBOT_LOG_LEVEL": "INFO",
        }
    )
    env.update({f"SURVEYBOT_{k.upper()}": str(v) for k, v in settings.items()})
    return env


class BotProcess:
    """One bot subprocess; use `async with BotProcess(...) as bot:`."""

    def __init__(
        self,
        server: FakeBotApi,
        argv: Sequence[str],
        env: Mapping[str, str],
        scratch: Path,
        name: str,
        *,
        ready_timeout: float = 60.0,
        ready: Callable[[], bool] | None = None,
    ) -> None:
        """`ready()` says when the bot has started (default: it has called getUpdates)."""
        self.server = server
        self.argv = [sys.executable, *argv]
        self.env = dict(env)
        self.scratch = scratch
        self.log_path = scratch / f"{name}.log"
        self.ready_timeout = ready_timeout
        self._ready = ready
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def _failure(self, what: str) -> RuntimeError:
        tail = self.log_path.read_text(errors="replace")[-3000:] if self.log_path.exists() else ""
        return RuntimeError(f"{' '.join(self.argv[1:])}: {what}\n{tail}")

    async def __aenter__(self) -> BotProcess:
        polls = self.server.counts["getUpdates"]
        ready = self._ready or (lambda: self.server.counts["getUpdates"] > polls)
        with self.log_path.open("wb") as log:
            self.proc = subprocess.Popen(
                self.argv, env=self.env, cwd=self.scratch, stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + self.ready_timeout
        while not ready():
            if self.proc.poll() is not None:
                raise self._failure(f"exited with {self.proc.returncode} before it was ready")
            if time.monotonic() > deadline:
                await self.stop()
                raise self._failure(f"not ready within {self.ready_timeout} s")
            await asyncio.sleep(0.02)
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def stop(self, timeout: float = 20.0) -> int | None:
        """SIGTERM, wait (serving the fake API meanwhile), SIGKILL after `timeout` seconds."""
        proc = self.proc
        if proc is None or proc.poll() is not None:
            return None if proc is None else proc.returncode
        proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while proc.poll() is None and time.monotonic() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.02)
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=5)
        return proc.returncode
