"""At-least-once in polling mode: the real bot (`python -m bot run`, default polling) is killed
with SIGKILL while it handles a resident's /start; the update was not confirmed (the offset
moves only past handled updates), so the restarted bot fetches it again and handles it: the
resident does not have to send anything again.

(With python-telegram-bot's own updater, SURVEYBOT_POLLING=early, the next getUpdates confirms
the update before its handler ran, and the killed bot's update is gone: this test fails.)
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from bot.survey.model import Survey
from tests.fakes.bot_api import FakeBotApi, User
from tests.faults.bot_process import BotProcess
from tests.faults.test_webhook_crash import wait_until


def slow_sends(server: FakeBotApi) -> list[bool]:
    """Make sendMessage take 2 s while the returned switch is on (getUpdates stays fast: the
    fake's own `faults.latency` would delay the poll that confirms updates too)."""
    switch = [False]
    dispatch = server._dispatch

    async def slow(request: Any, method: str, params: Any, uploads: Any) -> Any:
        if switch[0] and method == "sendMessage":
            await asyncio.sleep(2.0)
        return await dispatch(request, method, params, uploads)

    server._dispatch = slow  # type: ignore[method-assign]
    return switch


async def test_an_update_being_handled_when_the_bot_is_killed_is_fetched_again(
    server: FakeBotApi, survey: Survey, survey_path: Path, tmp_path: Path
) -> None:
    user = User(444_000_222, "Gustav", language_code="sv")
    slow = slow_sends(server)
    async with BotProcess(
        server, tmp_path, survey_path, extra_env={"SURVEYBOT_POLLING": "confirm-after"}
    ) as bot:
        slow[0] = True  # the bot's reply now hangs: it is mid-update below
        before = len(server.calls)
        server.send_command(user, "/start")
        await wait_until(lambda: bool(server.waiters.inflight))  # the bot is calling Telegram
        await bot.kill()
        slow[0] = False
        await bot.restart()
        await server.wait_for(
            lambda: len([c for c in server.calls[before:] if c.chat_id == user.id]) >= 2, 30
        )
        await server.wait_idle(timeout=20)
        await bot.stop()
        log = bot.log_text()
    sends = [c for c in server.calls[before:] if c.chat_id == user.id]
    assert len([c for c in sends if c.method == "sendMessage"]) >= 2, sends
    screen = server.last_bot_message(user.id, with_keyboard=True)
    assert screen is not None and screen.buttons, "the resident sees the survey"
    assert server.pending_updates == 0, "confirmed after the restart"
    assert "Traceback" not in log
