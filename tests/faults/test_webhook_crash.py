"""Webhook mode survives a hard crash: the real bot (`python -m bot run` with
SURVEYBOT_WEBHOOK_URL) is killed with SIGKILL while it handles a resident's /start, before it
answered Telegram's POST; the fake Bot API delivers the update again until a restarted bot
answers 200, and the new bot handles it: the resident does not have to send anything again.

(With PTB's built-in webhook server, which answers 200 before handling, the update would be
gone with the killed process.)
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path

from bot.survey.model import Survey
from tests.fakes.bot_api import FakeBotApi, User
from tests.fakes.webhook import WebhookSender
from tests.faults.bot_process import BotProcess
from tests.postgres import free_port

WEBHOOK_SECRET = "crash-test-webhook-secret"


async def wait_until(condition: Callable[[], bool], timeout: float = 20.0) -> None:
    """Poll a condition the fake does not signal (a request arriving), with a deadline."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.02)


async def test_an_update_being_handled_when_the_bot_is_killed_is_handled_after_restart(
    server: FakeBotApi, survey: Survey, survey_path: Path, tmp_path: Path
) -> None:
    port = free_port()
    sender = WebhookSender(server, retry_delay=0.1)
    env = {
        "SURVEYBOT_WEBHOOK_URL": f"http://127.0.0.1:{port}/telegram",
        "SURVEYBOT_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "SURVEYBOT_HTTP_PORT": str(port),
    }
    user = User(444_000_111, "Frida", language_code="sv")
    try:
        async with BotProcess(server, tmp_path, survey_path, extra_env=env) as bot:
            assert sender.state.url.endswith(f":{port}/telegram")
            server.faults.latency = 2.0  # the bot's calls now hang: it is mid-update below
            before = len(server.calls)
            update = server.send_command(user, "/start")
            await wait_until(lambda: bool(server.waiters.inflight))  # the bot is calling Telegram
            assert not sender.deliveries, "the POST must not be answered yet"
            await bot.kill()
            server.faults.latency = 0.0
            await bot.restart()
            await server.wait_for(lambda: any(d.status == 200 for d in sender.deliveries), 30)
            await server.wait_idle(timeout=20)
            log = bot.log_text()
    finally:
        await sender.close()
    statuses = [d.status for d in sender.deliveries]
    assert all(d.update_id == update["update_id"] for d in sender.deliveries)
    assert statuses[-1] == 200 and 0 in statuses[:-1], statuses  # no answer from the dead bot
    # Both bots acted on the same update: the second one without the resident doing anything.
    sends = [c for c in server.calls[before:] if c.chat_id == user.id]
    assert len([c for c in sends if c.method == "sendMessage"]) >= 2, sends
    screen = server.last_bot_message(user.id, with_keyboard=True)
    assert screen is not None and screen.buttons, "the resident sees the survey"
    assert "Traceback" not in log
