"""At-least-once in polling mode: the real bot (`python -m bot run` with
SURVEYBOT_POLLING=confirm-after) is killed with SIGKILL while it handles a resident's /start;
the update was not confirmed (the offset moves only past handled updates), so the restarted bot
fetches it again and handles it: the resident does not have to send anything again.

(With python-telegram-bot's own updater, SURVEYBOT_POLLING=early, the next getUpdates confirms
the update before its handler ran, and the killed bot's update is gone: this test fails.)
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from aiohttp import web

from bot.survey.model import Survey
from tests.fakes.bot_api import FakeBotApi, User
from tests.faults.bot_process import BotProcess

#: The bot's environment for at-least-once polling.
CONFIRMING = {"SURVEYBOT_POLLING": "confirm-after"}


class Hang:
    """Makes the bot's next call of `method` hang until the bot is killed (`reached` is set
    when it arrives); the call then never reaches Telegram (it is not carried out). getUpdates
    stays fast: the fake's own `faults.latency` would delay the poll that confirms updates too.
    """

    def __init__(self, server: FakeBotApi, method: str) -> None:
        self.method = method
        self.armed = False
        self.reached = asyncio.Event()
        self._released = asyncio.Event()
        dispatch = server._dispatch

        async def hanging(request: Any, method: str, params: Any, uploads: Any) -> Any:
            if self.armed and method == self.method:
                self.armed = False
                self.reached.set()
                await self._released.wait()
                return web.Response(status=502)  # nobody reads it: the bot is dead
            return await dispatch(request, method, params, uploads)

        server._dispatch = hanging  # type: ignore[method-assign]

    def arm(self) -> None:
        self.armed = True
        self.reached.clear()

    def release(self) -> None:
        """Let the hung call end (its bot is dead: nobody reads the answer)."""
        self._released.set()


async def test_an_update_being_handled_when_the_bot_is_killed_is_fetched_again(
    server: FakeBotApi, survey: Survey, survey_path: Path, tmp_path: Path
) -> None:
    user = User(444_000_222, "Gustav", language_code="sv")
    hang = Hang(server, "sendMessage")
    async with BotProcess(server, tmp_path, survey_path, extra_env=CONFIRMING) as bot:
        hang.arm()  # the bot's reply now hangs: it is mid-update below
        before = len(server.calls)
        server.send_command(user, "/start")
        await asyncio.wait_for(hang.reached.wait(), 30)
        await bot.kill()
        hang.release()
        await bot.restart()
        await server.wait_for(lambda: server.last_bot_message(user.id) is not None, 30)
        await server.wait_idle(timeout=20)
        await bot.stop()
        log = bot.log_text()
    sends = [c for c in server.calls[before:] if c.chat_id == user.id]
    assert [c.method for c in sends if c.method == "sendMessage"], "handled after the restart"
    screen = server.last_bot_message(user.id, with_keyboard=True)
    assert screen is not None and screen.buttons, "the resident sees the survey"
    assert server.pending_updates == 0, "confirmed after the restart"
    assert "Traceback" not in log


async def test_one_resident_flooding_the_bot_does_not_hold_everyone_else_back(
    server: FakeBotApi, survey: Survey, survey_path: Path, tmp_path: Path
) -> None:
    """The offset waits for running updates, and Telegram shows only the 100 after it; one
    resident's updates run one after the other at Telegram's 1 send/s per chat. Without a cap
    on what one chat may hold back, 150 quick /starts from one resident kept everyone else's
    updates invisible for minutes (the other resident below waited for 51 of them)."""
    flooder = User(444_000_555, "Ivar", language_code="sv")
    other = User(444_000_666, "Jenny", language_code="sv")
    async with BotProcess(
        server, tmp_path, survey_path, per_chat_rate=1, extra_env=CONFIRMING
    ) as bot:
        for _ in range(150):
            server.send_command(flooder, "/start")
        server.send_command(other, "/start")
        await server.wait_for(lambda: server.last_bot_message(other.id) is not None, 90)
        flooder_sends = len([c for c in server.calls_to("sendMessage") if c.chat_id == flooder.id])
        await bot.kill()
    assert flooder_sends < 20, f"the other resident waited for {flooder_sends} of the flood"
