"""Webhook mode end to end: the fake Bot API POSTs updates to the real bot (real PTB, real
`WebhookTransport`) over HTTP on loopback.

Checked: a resident completes the survey; the answer to each POST comes only after the bot has
acted on the update; a wrong secret gets 403 and nothing happens; a redelivered update is
handled once; an update that takes longer than the deadline is answered 503 and its
redelivery joins the running handling (handled once).
"""

from __future__ import annotations

import contextlib
import random
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
from pydantic import SecretStr

from bot.adapters.telegram.app import BotOptions, build_application, stop_polling
from bot.adapters.telegram.webhook import SECRET_HEADER, WebhookOptions, WebhookTransport
from bot.conversation.service import SurveyService
from bot.privacy.pseudonyms import Pseudonyms
from bot.survey.model import Survey
from storage import open_store
from tests.e2e.driver import SurveyTaker
from tests.e2e.harness import OPEN_NOW, SECRET
from tests.fakes.bot_api import FakeBotApi, User
from tests.fakes.residents import Resident
from tests.fakes.webhook import WebhookSender
from tests.postgres import free_port

WEBHOOK_SECRET = "webhook-secret_0123456789"


@dataclass
class WebhookBot:
    transport: WebhookTransport
    service: SurveyService
    url: str


@contextlib.asynccontextmanager
async def webhook_bot(
    server: FakeBotApi, survey: Survey, database: Path, *, deadline: float = 50.0
) -> AsyncIterator[WebhookBot]:
    store = await open_store(str(database))
    service = SurveyService(survey, store, Pseudonyms(SECRET), clock=lambda: OPEN_NOW)
    options = BotOptions(token=SecretStr(server.token), api_base_url=server.url, per_chat_rate=50)
    application = build_application(service, options)
    url = f"http://127.0.0.1:{free_port()}/telegram/hook"
    webhook = WebhookOptions(url=url, secret=WEBHOOK_SECRET, host="127.0.0.1", deadline=deadline)
    webhook.port = int(url.split(":")[2].split("/")[0])
    transport = WebhookTransport(application, webhook, options)
    try:
        await transport.start()
        yield WebhookBot(transport, service, url)
    finally:
        await transport.stop()
        await stop_polling(application)
        await store.close()


async def test_a_resident_completes_the_survey_by_webhook(
    server: FakeBotApi, survey: Survey, tmp_path: Path
) -> None:
    sender = WebhookSender(server)
    try:
        async with webhook_bot(server, survey, tmp_path / "s.db") as bot:
            assert sender.state.url == bot.url and sender.state.secret == WEBHOOK_SECRET
            user = User(555_000_222, "Anna", language_code="sv")
            taker = SurveyTaker(server, Resident(server, user), survey, "sv", random.Random(3))
            await taker.answer_all()
            assert await bot.service.store.count_responses(survey.id) == 1
            counts = bot.transport.receiver.counts
    finally:
        await sender.close()
    assert sender.deliveries and all(d.status == 200 for d in sender.deliveries)
    assert counts.handled == len(sender.deliveries) and counts.redelivered == 0
    assert not server.calls_to("getUpdates")


async def test_the_answer_comes_after_the_bot_acted(
    server: FakeBotApi, survey: Survey, tmp_path: Path
) -> None:
    sender = WebhookSender(server)
    server.faults.latency = 0.2  # every Bot API call takes a while
    try:
        async with webhook_bot(server, survey, tmp_path / "s.db"):
            user = User(555_000_333, "Bo", language_code="en")
            update = server.send_command(user, "/start")
            await server.wait_for(lambda: bool(sender.deliveries), timeout=10)
            [delivery] = sender.deliveries
            replies = [c for c in server.calls if c.chat_id == user.id and c.method != "getMe"]
    finally:
        await sender.close()
    assert delivery.update_id == update["update_id"] and delivery.status == 200
    # The bot's reply to /start was already made when the POST was answered.
    assert replies and server.calls.index(replies[0]) < delivery.calls_before_answer


async def test_a_wrong_secret_is_refused(
    server: FakeBotApi, survey: Survey, tmp_path: Path
) -> None:
    WebhookSender(server, deliver=False)
    async with (
        webhook_bot(server, survey, tmp_path / "s.db") as bot,
        aiohttp.ClientSession() as http,
    ):
        update = {"update_id": 1, "message": {"message_id": 1, "date": 0, "text": "/start",
                  "chat": {"id": 7, "type": "private"}, "from": {"id": 7, "is_bot": False,
                  "first_name": "X"}}}  # fmt: skip
        for headers in ({}, {SECRET_HEADER: "wrong"}, {SECRET_HEADER: WEBHOOK_SECRET + "x"}):
            async with http.post(bot.url, json=update, headers=headers) as answer:
                assert answer.status == 403
        counts = bot.transport.receiver.counts
    assert (counts.forbidden, counts.handled) == (3, 0)
    assert not [c for c in server.calls if c.chat_id == 7]


async def test_a_redelivered_update_is_handled_once(
    server: FakeBotApi, survey: Survey, tmp_path: Path
) -> None:
    WebhookSender(server, deliver=False)
    async with (
        webhook_bot(server, survey, tmp_path / "s.db") as bot,
        aiohttp.ClientSession() as http,
    ):
        user = User(555_000_444, "Cai", language_code="en")
        update = server.send_command(user, "/start")  # queued, but no webhook sender: we POST
        headers = {SECRET_HEADER: WEBHOOK_SECRET}
        for _ in range(3):
            async with http.post(bot.url, json=update, headers=headers) as answer:
                assert answer.status == 200
        counts = bot.transport.receiver.counts
    assert (counts.handled, counts.redelivered) == (1, 2)
    assert len(server.calls_to("sendMessage")) == 1


async def test_a_slow_update_is_answered_503_and_its_redelivery_joins_it(
    server: FakeBotApi, survey: Survey, tmp_path: Path
) -> None:
    sender = WebhookSender(server, retry_delay=0.01)
    server.faults.latency = 0.3
    try:
        async with webhook_bot(server, survey, tmp_path / "s.db", deadline=0.1) as bot:
            user = User(555_000_555, "Dana", language_code="en")
            server.send_command(user, "/start")
            await server.wait_for(
                lambda: any(d.status == 200 for d in sender.deliveries), timeout=10
            )
            counts = bot.transport.receiver.counts
    finally:
        await sender.close()
    statuses = [d.status for d in sender.deliveries]
    assert statuses[0] == 503 and statuses[-1] == 200, statuses
    assert counts.handled == 1 and counts.redelivered == len(statuses) - 1
    assert len(server.calls_to("sendMessage")) == 1
