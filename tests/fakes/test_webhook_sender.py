"""Tests of the fake Bot API's webhook sender (`tests/fakes/webhook.py`), driven by real PTB.

Owns: evidence that the sender delivers like Telegram where the replica tests depend on it: at
most `max_connections` requests open at once, and a bot calling `setWebhook` again (every
replica does when it starts, also while updates are in flight) never stops the delivery.
Must hold: loopback only; every wait is on an event.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from telegram import Bot

from tests.fakes.bot_api import FakeBotApi, User
from tests.fakes.webhook import WebhookSender

ALICE = User(1001, "Alice", "alice", "sv")


class HeldReceiver:
    """A webhook endpoint on loopback that keeps every request open until `release` is set."""

    def __init__(self) -> None:
        self.open = 0
        self.most_open = 0
        self.received: list[int] = []
        self.release = asyncio.Event()
        self.changed = asyncio.Event()
        self.port = 0
        self._runner: web.AppRunner | None = None

    async def _hook(self, request: web.Request) -> web.Response:
        update = await request.json()
        self.open += 1
        self.most_open = max(self.most_open, self.open)
        self.received.append(int(update["update_id"]))
        self.changed.set()
        try:
            await self.release.wait()
        finally:
            self.open -= 1
        return web.Response(text="ok")

    async def wait(self, predicate: object, timeout: float = 10.0) -> None:
        async def until() -> None:
            while not predicate():  # type: ignore[operator]
                self.changed.clear()
                await self.changed.wait()

        await asyncio.wait_for(until(), timeout)

    async def __aenter__(self) -> HeldReceiver:
        app = web.Application()
        app.router.add_post("/hook", self._hook)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.port = int(self._runner.addresses[0][1])
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.release.set()
        assert self._runner is not None
        await self._runner.cleanup()


@pytest.fixture
async def server() -> AsyncIterator[FakeBotApi]:
    async with FakeBotApi() as srv:
        yield srv


async def test_setting_the_webhook_again_while_every_connection_is_busy_keeps_delivering(
    server: FakeBotApi,
) -> None:
    # Found with 300 residents on 3 replicas: the restarted replica's setWebhook left the
    # sender waiting forever for a connection slot that was released elsewhere (1,000 updates
    # queued, none in flight).
    sender = WebhookSender(server)
    async with HeldReceiver() as receiver:
        url = f"http://127.0.0.1:{receiver.port}/hook"
        async with Bot(server.token, base_url=server.base_url) as bot:
            await bot.set_webhook(url, max_connections=2)
            for _ in range(3):
                server.send_command(ALICE, "/start")
            await receiver.wait(lambda: receiver.open == 2)
            await bot.set_webhook(url, max_connections=2)  # a replica (re)starts
            receiver.release.set()
            await receiver.wait(lambda: len(receiver.received) == 3)
    await sender.close()
    assert receiver.most_open == 2
    assert server.updates.queued == 0


async def test_at_most_max_connections_requests_are_open_at_once(server: FakeBotApi) -> None:
    sender = WebhookSender(server)
    async with HeldReceiver() as receiver:
        url = f"http://127.0.0.1:{receiver.port}/hook"
        async with Bot(server.token, base_url=server.base_url) as bot:
            await bot.set_webhook(url, max_connections=3)
            for _ in range(5):
                server.send_command(ALICE, "/start")
            await receiver.wait(lambda: receiver.open == 3)
            await bot.set_webhook(url, max_connections=4)  # more allowed: one more goes out
            await receiver.wait(lambda: receiver.open == 4)
            receiver.release.set()
            await receiver.wait(lambda: len(receiver.received) == 5)
    await sender.close()
    assert receiver.most_open == 4
