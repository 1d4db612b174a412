"""The bot's aiohttp request backend speaks the Bot API like PTB's own and raises PTB's errors."""

from __future__ import annotations

import pytest
from telegram import Bot, InputFile
from telegram.error import BadRequest, NetworkError, RetryAfter, TimedOut

from bot.adapters.telegram.aiohttp_request import AiohttpRequest
from tests.fakes.bot_api import FakeBotApi, User


def _bot(server: FakeBotApi, read_timeout: float = 5) -> Bot:
    return Bot(
        server.token,
        base_url=server.base_url,
        base_file_url=server.base_file_url,
        request=AiohttpRequest(4, read_timeout=read_timeout, write_timeout=5),
        get_updates_request=AiohttpRequest(1, read_timeout=read_timeout, write_timeout=5),
    )


async def test_calls_uploads_and_updates_work() -> None:
    async with FakeBotApi() as server:
        user = User(42_000_001, "Ann")
        server.send_text(user, "hello")
        async with _bot(server) as bot:
            (update,) = await bot.get_updates(timeout=0)
            assert update.message is not None and update.message.text == "hello"
            sent = await bot.send_message(user.id, "<b>hi</b>", parse_mode="HTML")
            assert sent.text == "hi"
            await bot.send_document(user.id, InputFile(b"a,b\n1,2\n", filename="t.csv"))
        assert server.uploads[-1].data == b"a,b\n1,2\n"
        assert server.rejections == []


async def test_errors_are_ptbs_own() -> None:
    async with FakeBotApi() as server:
        user = User(42_000_002, "Bo")
        server.send_text(user, "hi")
        async with _bot(server, read_timeout=0.3) as bot:
            with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
                await bot.edit_message_text("x", chat_id=user.id, message_id=999)
            server.faults.fail_next("sendMessage", 1, status=502)
            with pytest.raises(NetworkError):
                await bot.send_message(user.id, "x")
            server.faults.rate_limit_next(1, retry_after=3)
            with pytest.raises(RetryAfter):
                await bot.send_message(user.id, "x")
            server.faults.drop_next(1)
            with pytest.raises(NetworkError):
                await bot.send_message(user.id, "x")
            server.faults.latency = 1.0
            with pytest.raises(TimedOut):
                await bot.send_message(user.id, "x")
