"""The real bot as a subprocess (`python -m bot run`) against the fake Bot API on loopback.

Owns: starting the bot with a test environment, waiting until it polls, stopping it (SIGTERM),
crashing it (SIGKILL), restarting it on the same database, and its log (stderr and stdout, all
runs appended to one file).

Must hold:
- the child sees only our `SURVEYBOT_*` settings (any from the caller's environment are removed)
  and runs in the test's scratch directory, so no `.env` of a developer is read;
- every wait has a deadline; a child that is still running when the test ends is killed
  (`BotProcess` is an async context manager);
- a child that dies while we wait for it to get ready fails the test with the tail of its log;
- waits wake on the event itself, never on a polling tick: readiness is the bot's first long poll
  reaching the fake (``FakeBotApi.wait_for``), an exit is the child's pidfd becoming readable.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType

from tests.analysis_key import ANALYSIS_PUBLIC
from tests.fakes.bot_api import FakeBotApi

ROOT = Path(__file__).resolve().parents[2]
#: `survey-bot run` with the overall flood limit off (30 sends/s would make a 200-resident run
#: take minutes; the in-process harness allows the same). Everything else is the CLI's own.
UNLIMITED_RUN = """
import bot.cli.run
from bot.adapters.telegram.app import BotOptions
from bot.cli.main import main


class Unlimited(BotOptions):
    def __init__(self, *args, **kwargs):
        kwargs["overall_rate"] = 0
        super().__init__(*args, **kwargs)


bot.cli.run.BotOptions = Unlimited
raise SystemExit(main(["run"]))
"""
#: A fixed pseudonym secret for the subprocess bot (at least 32 characters).
TEST_SECRET = "faults-suite-test-secret-0123456789-abcdefghijklmnop"
START_TIMEOUT = 30.0
STOP_TIMEOUT = 20.0


class BotProcess:
    """One bot, started and restarted as a child process on one database."""

    def __init__(
        self,
        server: FakeBotApi,
        workdir: Path,
        survey: Path,
        *,
        database: Path | None = None,
        per_chat_rate: float | None = 50,
        log_level: str = "INFO",
        extra_env: dict[str, str] | None = None,
        name: str = "bot",
        flood_limits: bool = True,
    ) -> None:
        self.server = server
        self.workdir = workdir
        self.survey = survey
        self.database = database or workdir / "survey.db"
        self.per_chat_rate = per_chat_rate
        self.log_level = log_level
        self.extra_env = dict(extra_env or {})
        self.flood_limits = flood_limits
        self.log_path = workdir / f"{name}.log"
        self.proc: subprocess.Popen[bytes] | None = None
        #: How often the bot was started, and killed with SIGKILL.
        self.starts = 0
        self.kills = 0
        #: Seconds each start took until the bot polled.
        self.start_seconds: list[float] = []

    # ------------------------------------------------------------ environment
    def env(self) -> dict[str, str]:
        """The child's environment: ours, without any SURVEYBOT_* of the caller, plus the test's."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("SURVEYBOT_")}
        env.update(
            SURVEYBOT_TOKEN=self.server.token,
            SURVEYBOT_API_BASE_URL=self.server.url,
            SURVEYBOT_DATABASE=str(self.database),
            SURVEYBOT_SURVEY=str(self.survey),
            SURVEYBOT_SECRET=TEST_SECRET,
            SURVEYBOT_ANALYSIS_KEY=ANALYSIS_PUBLIC,
            SURVEYBOT_POLL_TIMEOUT="1",
            SURVEYBOT_LOG_LEVEL=self.log_level,
            PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")])),
            PYTHONUNBUFFERED="1",
        )
        if self.per_chat_rate is not None:
            env["SURVEYBOT_PER_CHAT_RATE"] = str(self.per_chat_rate)
        env.update(self.extra_env)
        return env

    def command(self) -> list[str]:
        if not self.flood_limits:
            return [sys.executable, "-c", UNLIMITED_RUN]
        return [sys.executable, "-m", "bot", "run"]

    # ------------------------------------------------------------ log
    def log_text(self) -> str:
        """Everything every run of the bot wrote (stderr and stdout)."""
        if not self.log_path.exists():
            return ""
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def log_tail(self, lines: int = 30) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])

    # ------------------------------------------------------------ lifecycle
    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    async def start(self, *, wait_ready: bool = True, timeout: float = START_TIMEOUT) -> None:
        """Start the bot; with `wait_ready`, return once it receives updates (polls, or has set
        its webhook)."""
        assert not self.running, "the bot is already running"
        polls_before = self._ready_calls()
        began = time.monotonic()
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                self.command(),
                cwd=self.workdir,
                env=self.env(),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
            )
        self.starts += 1
        if wait_ready:
            await self._wait_ready(polls_before, timeout)
            self.start_seconds.append(time.monotonic() - began)

    def _ready_calls(self) -> int:
        """Calls that show a bot receiving updates: a long poll, or setting its webhook."""
        return self.server.counts["getUpdates"] + self.server.counts["setWebhook"]

    async def _wait_ready(self, polls_before: int, timeout: float) -> None:
        """Until the bot's first long poll (or its webhook) reaches the fake, or the child
        exits."""
        server = self.server
        polled = asyncio.ensure_future(
            server.wait_for(lambda: self._ready_calls() > polls_before, timeout)
        )
        exited = asyncio.ensure_future(self._exited())
        try:
            await asyncio.wait({polled, exited}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (polled, exited):
                task.cancel()
            await asyncio.gather(polled, exited, return_exceptions=True)
        if not self.running:
            raise AssertionError(f"the bot exited while starting:\n{self.log_tail()}")
        if polled.cancelled() or polled.exception() is not None:
            raise AssertionError(f"the bot did not start within {timeout} s:\n{self.log_tail()}")

    async def _exited(self) -> None:
        """Return once the child has exited (its pidfd turns readable; Linux 5.3+)."""
        assert self.proc is not None
        loop = asyncio.get_running_loop()
        fd = os.pidfd_open(self.proc.pid)
        try:
            gone: asyncio.Future[None] = loop.create_future()

            def wake() -> None:
                if not gone.done():
                    gone.set_result(None)

            loop.add_reader(fd, wake)
            try:
                if self.proc.poll() is None:
                    await gone
            finally:
                loop.remove_reader(fd)
        finally:
            os.close(fd)

    async def wait_exit(self, timeout: float = STOP_TIMEOUT) -> int:
        """Wait until the child exits; returns its exit code (negative: killed by a signal)."""
        assert self.proc is not None
        try:
            await asyncio.wait_for(self._exited(), timeout)
        except TimeoutError:
            raise AssertionError(
                f"the bot did not exit within {timeout} s:\n{self.log_tail()}"
            ) from None
        return self.proc.wait()

    async def stop(self, timeout: float = STOP_TIMEOUT) -> int:
        """SIGTERM, then wait for a clean exit; returns the exit code."""
        assert self.proc is not None
        if self.running:
            self.proc.send_signal(signal.SIGTERM)
        return await self.wait_exit(timeout)

    async def kill(self) -> None:
        """SIGKILL: a hard crash, nothing gets to run."""
        assert self.running, "the bot is not running"
        assert self.proc is not None
        self.proc.kill()
        await self.wait_exit()
        self.kills += 1

    async def restart(self, *, timeout: float = START_TIMEOUT) -> None:
        """Start again on the same database (after `kill` or `stop`)."""
        await self.start(timeout=timeout)

    def force_kill(self) -> None:
        """Cleanup: kill the child if it still runs (no counting, no waiting for readiness)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            with contextlib.suppress(subprocess.TimeoutExpired):  # a kernel problem
                self.proc.wait(timeout=10)

    async def __aenter__(self) -> BotProcess:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.force_kill()


def run_cli_once(
    args: list[str], env: dict[str, str], cwd: Path, timeout: float = 30.0
) -> subprocess.CompletedProcess[str]:
    """Run `python -m bot ARGS` to its end (bounded) and capture its output."""
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
