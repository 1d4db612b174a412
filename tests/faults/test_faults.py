"""The real bot (a subprocess, logging as `survey-bot run` does) under Bot API faults (issue
"Proof under load and faults", part 2).

Each test lets a few residents start the shipped survey, injects one kind of fault into the fake
Bot API while they answer, and then requires that:
- every resident finishes (a resident whose step showed no effect asks again with /start);
- the store holds exactly one response per resident, equal to what the resident answered (no
  answer lost, none counted twice), tallies equal a recount, no session is left;
- the bot's log has no traceback, no resident id, and at most a few lines per fault.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.survey import Survey
from tests.faults.bot_process import BotProcess
from tests.faults.conftest import (
    PatientTaker,
    assert_clean_log,
    assert_store_matches,
    make_takers,
    read_store,
    run_all,
    unexpected_rejections,
)
from tests.fakes.bot_api import Call, FakeBotApi, User

RESIDENTS = 6
#: Lines every run logs at INFO (started, running, stopping, stopping, stopped).
BASE_LINES = 5
#: "A few clear lines" per injected fault.
LINES_PER_FAULT = 2


@dataclass
class Outcome:
    """What a fault scenario left behind, for test-specific checks."""

    bot: BotProcess
    takers: list[PatientTaker]
    log: str
    seconds: float


async def scenario(
    server: FakeBotApi,
    survey: Survey,
    survey_path: Path,
    tmp_path: Path,
    inject: Callable[[], Awaitable[object]],
    *,
    faults: int,
    residents: int = RESIDENTS,
    seed: int = 1,
    warmup: float = 1.0,
    patience: float = 4.0,
    allowed_rejections: tuple[str, ...] = (),
) -> Outcome:
    """Residents answer; after `warmup` s `inject()` runs; everyone must finish unharmed."""
    takers = make_takers(server, survey, residents, seed, patience=patience, think=(0.02, 0.1))
    began = time.monotonic()
    async with BotProcess(server, tmp_path, survey_path) as bot:
        task = asyncio.create_task(run_all(takers, timeout=45))
        try:
            await asyncio.sleep(warmup)
            assert not task.done(), "the residents finished before the fault"
            await inject()
            await task
        finally:
            task.cancel()
        seconds = time.monotonic() - began
        assert await bot.stop() == 0
    log = bot.log_text()
    assert all(x.finished for x in takers)
    report = await read_store(bot.database, survey)
    assert_store_matches(report, survey, takers)
    assert unexpected_rejections(server, allowed_rejections) == []
    assert_clean_log(log, [x.chat_id for x in takers], max_lines=BASE_LINES + LINES_PER_FAULT * faults)
    return Outcome(bot, takers, log, seconds)


def bot_calls(server: FakeBotApi) -> list[Call]:
    """Calls other than getUpdates (which the flood limiter does not hold back)."""
    return [c for c in server.calls if c.method != "getUpdates"]


# ------------------------------------------------------------------ 429 Too Many Requests
async def test_429_with_retry_after_is_honoured(
    server: FakeBotApi, survey: Survey, survey_path: Path, tmp_path: Path
) -> None:
    async def burst() -> None:
        server.faults.rate_limit_next(5, retry_after=1)

    await scenario(server, survey, survey_path, tmp_path, burst, faults=5, seed=429)
    limited = [c for c in server.calls if c.status == 429]
    assert len(limited) == 5
    # After a 429 the bot sends nothing for retry_after seconds. A request already on its way
    # when the 429 was answered may still arrive (grace); every later one must wait.
    grace = 0.1
    for hit in limited:
        early = [
            c
            for c in bot_calls(server)
            if hit.time + grace < c.time < hit.time + 1.0 and c.status != 429
        ]
        assert early == [], f"{len(early)} call(s) within retry_after of a 429: {early[:3]}"


# ------------------------------------------------------------------ 5xx
async def test_5xx_on_sends_and_answers_lose_nothing(
    server: FakeBotApi, survey: Survey, survey_path: Path, tmp_path: Path
) -> None:
    async def fail() -> None:
        server.faults.fail_next("editMessageText", 2, status=500)
        server.faults.fail_next("answerCallbackQuery", 2, status=502)
        server.faults.fail_next("sendMessage", 1, status=500)
        server.faults.fail_next(None, 2, status=503)

    await scenario(server, survey, survey_path, tmp_path, fail, faults=7, seed=500)
    assert server.faults.pending == 0
    assert sum(1 for c in server.calls if c.status >= 500) == 7


async def test_5xx_on_get_updates_logs_no_traceback(
    server: FakeBotApi, survey: Survey, survey_path: Path, tmp_path: Path
) -> None:
    async def fail() -> None:
        server.faults.fail_next("getUpdates", 2, status=502)

    await scenario(server, survey, survey_path, tmp_path, fail, faults=2, seed=502)
    assert sum(1 for c in server.calls_to("getUpdates") if c.status == 502) == 2


# ------------------------------------------------------------------ slow responses
async def test_slow_responses(
    server: FakeBotApi, survey: Survey, survey_path: Path, tmp_path: Path
) -> None:
    slow_calls: list[int] = []

    async def slow() -> None:
        server.faults.latency = 0.3
        before = len(server.calls)
        await asyncio.sleep(6)  # residents keep answering at 0.3 s per Bot API call
        server.faults.latency = 0.0
        slow_calls.append(len(server.calls) - before)

    await scenario(server, survey, survey_path, tmp_path, slow, faults=0, seed=300)
    assert slow_calls[0] >= 20, "the residents made no progress while the API was slow"


# ------------------------------------------------------------------ dropped connections
@pytest.mark.parametrize("after_processing", [False, True], ids=["before", "after"])
async def test_dropped_connections_on_sends(
    server: FakeBotApi, survey: Survey, survey_path: Path, tmp_path: Path, after_processing: bool
) -> None:
    async def drop() -> None:
        server.faults.drop_next(2, "editMessageText", after_processing=after_processing)
        server.faults.drop_next(1, "sendMessage", after_processing=after_processing)
        server.faults.drop_next(2, "answerCallbackQuery", after_processing=after_processing)
        server.faults.drop_next(1, "deleteMessage", after_processing=after_processing)

    # A call that took effect although the bot saw it fail may be repeated or undone later:
    # the message it sent or deleted is then unknown to the bot (Telegram answers 400).
    allowed = ("message to delete not found", "message to edit not found") if after_processing else ()
    await scenario(
        server, survey, survey_path, tmp_path, drop, faults=6, seed=13, allowed_rejections=allowed
    )
    assert sum(1 for c in server.calls if c.status == 0) == 6


@pytest.mark.parametrize("after_processing", [False, True], ids=["before", "after"])
async def test_dropped_connections_on_get_updates(
    server: FakeBotApi, survey: Survey, survey_path: Path, tmp_path: Path, after_processing: bool
) -> None:
    async def drop() -> None:
        server.faults.drop_next(2, "getUpdates", after_processing=after_processing)

    await scenario(server, survey, survey_path, tmp_path, drop, faults=2, seed=14)
    assert sum(1 for c in server.calls_to("getUpdates") if c.status == 0) == 2


# ------------------------------------------------------------------ duplicated updates
async def test_updates_delivered_twice_are_handled_once(
    server: FakeBotApi, survey: Survey, survey_path: Path, tmp_path: Path
) -> None:
    async def duplicate() -> None:
        server.faults.duplicate_next_updates(30)

    outcome = await scenario(server, survey, survey_path, tmp_path, duplicate, faults=0, seed=2)
    assert server.faults.pending == 0, "the fake did not deliver every duplicate"
    takers = outcome.takers
    # Handled once: one sendMessage per message a resident sent (/start or a typed answer),
    # one answer per press (a second answerCallbackQuery would also be refused by the fake).
    assert server.counts["sendMessage"] == sum(x.messages_sent for x in takers)
    assert server.counts["answerCallbackQuery"] == sum(x.presses_sent for x in takers)


# ------------------------------------------------------------------ malformed updates
def odd_updates(user: User, other: User) -> list[dict[str, object]]:
    """Updates the bot does not expect but PTB can read: missing optional parts, unknown
    content, a chat that is not private, an edit of a message never seen, foreign buttons."""
    chat = user.private_chat()
    me = user.to_dict()
    return [
        {"message": {"message_id": 9001, "date": 0}},  # no chat, no sender
        {"message": {"message_id": 9002, "date": 0, "chat": chat}},  # no sender, no content
        {"message": {"message_id": 9003, "date": 0, "chat": chat, "from": me}},  # no content
        {"message": {"message_id": 9004, "date": 0, "chat": chat, "from": me, "text": 12345}},
        {
            "message": {
                "message_id": 9005, "date": 0, "chat": chat, "from": me,
                "giveaway": {"chats": [], "winners_selection_date": 0, "winner_count": 1},
                "some_future_field": {"x": 1},
            }
        },  # fmt: skip
        {"message": None},
        {"edited_message": {"message_id": 9006, "date": 0, "chat": chat, "from": me, "text": "x"}},
        {
            "message": {
                "message_id": 9007, "date": 0, "from": me, "text": "/start",
                "chat": {"id": -100123, "type": "channel", "title": "Kanal"},
                "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
            }
        },  # fmt: skip
        {
            "message": {
                "message_id": 9008, "date": 0, "chat": other.private_chat(),
                "from": me, "text": "hej",
            }
        },  # fmt: skip
        {"callback_query": {"id": "9009", "chat_instance": "1", "data": "x"}},  # no sender
    ]


async def test_malformed_and_unexpected_updates_leave_the_bot_working(
    server: FakeBotApi, survey: Survey, survey_path: Path, tmp_path: Path
) -> None:
    stranger = User(612_345_678, "Stranger", username="stranger", language_code="en")
    other = User(623_456_789, "Other", language_code="sv")

    async def odd() -> None:
        for person in (stranger, other):  # they have a chat with the bot
            server.send_command(person, "/start")
            await server.wait_for(lambda p=person: server.chat_version(p.id) > 1, 10)
        for update in odd_updates(stranger, other):
            server.send_raw(update)
        # Buttons that are not ours, or no button data at all, on no message.
        for data in ("not-ours", "", "99999999999:c:x", "l:xx", "1:zz", "x" * 64):
            server.press(stranger, 0, data, strict=False)

    outcome = await scenario(
        server,
        survey,
        survey_path,
        tmp_path,
        odd,
        faults=16,
        seed=77,
        # The raw callback query has an id the fake never issued: answering it is refused.
        allowed_rejections=("query is too old",),
    )
    assert len(server.rejections) <= 1
    assert str(stranger.id) not in outcome.log and str(other.id) not in outcome.log
    # The stranger got hints, never a traceback; the residents were not disturbed.
    await server.wait_idle(timeout=5)


@pytest.mark.xfail(
    strict=True,
    reason="bug: one update PTB cannot parse blocks polling for everyone (PTB's updater logs a "
    "critical traceback and fetches the same batch again, forever); see the report",
)
async def test_an_unparsable_update_does_not_block_the_bot(
    server: FakeBotApi, survey: Survey, survey_path: Path, tmp_path: Path
) -> None:
    user = User(634_567_890, "Poison", language_code="sv")
    async with BotProcess(server, tmp_path, survey_path) as bot:
        # A message without its required `date`: PTB's Update.de_json raises KeyError.
        server.send_raw({"message": {"message_id": 1, "chat": user.private_chat(), "from": user.to_dict()}})
        taker = make_takers(server, survey, 1, seed=5, patience=2.0)[0]
        try:
            await asyncio.wait_for(taker.answer_all(8), 10)
        finally:
            log = bot.log_text()
            bot.force_kill()
    assert taker.finished
    assert "Traceback" not in log
