"""The real bot (a subprocess, logging as `survey-bot run` does) under Bot API faults (issue
"Proof under load and faults", part 2).

Each end-to-end test lets a few residents start the shipped survey, injects one kind of fault
into the fake Bot API while they answer, and then requires that:
- every resident finishes (a resident whose step showed no effect asks again with /start);
- the store holds exactly one response per resident, equal to what the resident answered (no
  answer lost, none counted twice), tallies equal a recount, no session is left behind;
- the bot's log has no resident id, at most a few lines per fault, and no traceback.

Two tests drive the bot's flood limiter (`bot.adapters.telegram.flood.FloodLimiter`) directly, with
real PTB
`RetryAfter` errors and real time, because the timing they need cannot be forced through HTTP.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from telegram.error import RetryAfter

from bot.adapters.telegram.flood import FloodLimiter
from bot.adapters.telegram.messages import ATTEMPTS
from bot.survey.model import Survey
from tests.fakes.bot_api import Call, FakeBotApi, User
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

RESIDENTS = 4
#: Records every run logs at INFO (started, running, stopping, stopping, stopped).
BASE_LINES = 5
#: "A few clear lines" per injected fault.
LINES_PER_FAULT = 2
#: Seconds an awaited event may take, and seconds for every resident to finish: deadlines only
#: (every wait ends on its event), far above what a loaded two-core machine needs, so that
#: only a bot that never gets there fails (6 residents finish in 10-40 s there).
DEADLINE = 30.0
RUN_DEADLINE = 120.0


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
    warmup: int | None = None,
    patience: float = 4.0,
    skip_rate: float = 0.2,
    allowed_rejections: tuple[str, ...] = (),
    other_sessions: int = 0,
) -> Outcome:
    """Residents answer; once the bot has answered `warmup` presses (default: one per
    resident) `inject()` runs; everyone must finish unharmed.

    `patience` is how long a resident waits for a reaction before sending /start: long enough
    that only a lost step (not a slow one) makes them ask again; `skip_rate` how often they
    skip an optional question (0: everyone types the comment)."""
    takers = make_takers(server, survey, residents, seed, patience=patience)
    for taker in takers:
        taker.skip_rate = skip_rate
    began = time.monotonic()
    async with BotProcess(server, tmp_path, survey_path) as bot:
        task = asyncio.create_task(run_all(takers, timeout=RUN_DEADLINE))
        try:
            presses = residents if warmup is None else warmup
            await server.wait_for(lambda: len(server.callback_answers) >= presses, DEADLINE)
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
    assert_store_matches(report, survey, takers, other_sessions=other_sessions)
    assert unexpected_rejections(server, allowed_rejections) == []
    max_lines = BASE_LINES + LINES_PER_FAULT * faults
    assert_clean_log(log, [x.chat_id for x in takers], max_lines=max_lines)
    return Outcome(bot, takers, log, seconds)


def bot_calls(server: FakeBotApi) -> list[Call]:
    """Calls other than getUpdates (which PTB never sends through the rate limiter)."""
    return [c for c in server.calls if c.method != "getUpdates"]


def early_calls(server: FakeBotApi, hit: Call, retry_after: float) -> list[Call]:
    """Calls made within `retry_after` of the 429 `hit`. A request already on its way when the
    429 was answered may still arrive in the first 0.1 s (and get a 429 itself)."""
    grace = 0.1
    return [
        c
        for c in bot_calls(server)
        if hit.time + grace < c.time < hit.time + retry_after and c.status != 429
    ]


async def wait_for_calls(server: FakeBotApi, check: Callable[[], bool], timeout: float) -> None:
    """Wait until `check()` holds; re-checked each time the fake answers a call."""
    try:
        await server.wait_for(check, timeout)
    except TimeoutError:
        raise AssertionError("the expected calls did not happen") from None


# ------------------------------------------------------------------ 429 Too Many Requests
async def test_429_pauses_new_requests_and_a_burst_loses_nothing(
    server: FakeBotApi, survey: Survey, survey_path: Path, tmp_path: Path
) -> None:
    limited: list[Call] = []

    async def flood() -> None:
        server.faults.rate_limit_next(1, retry_after=1)
        await wait_for_calls(server, lambda: any(c.status == 429 for c in server.calls), DEADLINE)
        hit = next(c for c in server.calls if c.status == 429)
        after_hit = server.calls.index(hit)
        # The pause is over once a call past its retry_after was answered.
        await wait_for_calls(
            server,
            lambda: any(
                c.status == 200 and c.method != "getUpdates" and c.time >= hit.time + 1.0
                for c in server.calls[after_hit:]
            ),
            10,
        )
        limited.extend(c for c in server.calls if c.status == 429)
        server.faults.rate_limit_next(5, retry_after=1)  # then a burst of five

    outcome = await scenario(
        server, survey, survey_path, tmp_path, flood, faults=6, seed=429, residents=6
    )
    assert len(limited) == 1
    burst = [c for c in server.calls if c.status == 429][1:]
    assert len(burst) == 5
    # Measured at the API: after each 429, nothing but getUpdates (which is not rate limited)
    # reaches Telegram for retry_after seconds, also sends that were waiting for their turn.
    for hit in [*limited, *burst]:
        assert early_calls(server, hit, 1.0) == [], "a call within retry_after of a 429"
    print(
        f"\n429: 1 + {len(burst)} 429s (the burst over {burst[-1].time - burst[0].time:.2f} s), "
        f"no call within retry_after of any; residents done in {outcome.seconds:.1f} s"
    )


def _retry_after(seconds: int) -> RetryAfter:
    return RetryAfter(seconds)


async def test_flood_limiter_keeps_the_pause_of_a_later_429() -> None:
    """Two 429s 0.3 s apart: nothing is sent until the later one's retry_after has passed (the
    first pause to end must not cancel a later one)."""
    limiter = FloodLimiter(overall_rate=30, per_chat_rate=1, per_chat_burst=3)
    loop = asyncio.get_running_loop()
    start = loop.time()
    limited_at: dict[str, float] = {}
    sent_at: dict[str, list[float]] = {}

    def request(name: str, delay: float, refuse: int) -> Callable[..., Coroutine[Any, Any, bool]]:
        attempts = 0

        async def call(*args: object, **kwargs: object) -> bool:
            nonlocal attempts
            attempts += 1
            sent_at.setdefault(name, []).append(loop.time() - start)
            await asyncio.sleep(delay)  # the request's round trip
            if attempts <= refuse:
                limited_at[name] = loop.time() - start
                raise _retry_after(1)
            return True

        return call

    async def send(name: str, delay: float, refuse: int, after: float) -> None:
        await asyncio.sleep(after)
        await limiter.process_request(
            request(name, delay, refuse), (), {}, "answerCallbackQuery", {}, None
        )

    # A is refused at once; B was already on its way and is refused 0.3 s later; C comes next.
    await asyncio.wait_for(
        asyncio.gather(send("A", 0.0, 1, 0.0), send("B", 0.3, 1, 0.0), send("C", 0.0, 0, 0.5)),
        10,
    )
    honoured_from = limited_at["B"] + 1.0
    first_sends = {name: times[-1] for name, times in sent_at.items()}
    assert first_sends["C"] >= honoured_from - 0.02, (limited_at, sent_at)
    assert sent_at["A"][-1] >= honoured_from - 0.02, (limited_at, sent_at)


async def test_flood_limiter_holds_a_request_that_waited_for_its_turn() -> None:
    """A send waiting for its chat's turn when a 429 arrives also waits out the pause."""
    # Three sends per second in a chat: its turn comes after 1 s, well before the 2 s pause
    # ends (with a turn later than the pause, the check below could not fail).
    limiter = FloodLimiter(overall_rate=30, per_chat_rate=3, per_chat_burst=3)
    loop = asyncio.get_running_loop()
    start = loop.time()
    sent: list[tuple[str, float]] = []
    refused_at: list[float] = []

    async def send(name: str, chat: int, refuse: bool) -> None:
        async def call(*args: object, **kwargs: object) -> bool:
            sent.append((name, loop.time() - start))
            if refuse and not refused_at:
                refused_at.append(loop.time() - start)
                raise _retry_after(2)
            return True

        await limiter.process_request(call, (), {}, "editMessageText", {"chat_id": chat}, None)

    # Chat 1 uses its burst of three; its fourth edit waits about 1 s for its turn.
    for i in range(3):
        await send(f"burst{i}", 1, False)
    # gather starts them in order: "waiting" runs until it waits for chat 1's turn, and only
    # then "refused" gets the 429 (a deterministic order, no sleep).
    await asyncio.wait_for(asyncio.gather(send("waiting", 1, False), send("refused", 2, True)), 10)
    when = dict(sent)
    assert refused_at, sent
    assert when["waiting"] >= refused_at[0] + 2.0 - 0.02, (refused_at, sent)
    assert when["refused"] >= refused_at[0] + 2.0 - 0.02, (refused_at, sent)  # its retry


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


async def test_a_failed_send_keeps_the_survey_message(
    server: FakeBotApi, survey: Survey, survey_path: Path, tmp_path: Path
) -> None:
    """When the new survey message cannot be sent, the old one stays (the resident is never
    left without buttons) and the next step does not try to delete a message twice."""
    user = User(645_678_901, "Kim", language_code="sv")
    async with BotProcess(server, tmp_path, survey_path) as bot:
        server.send_command(user, "/start")
        await server.wait_for(replied(server, user.id), DEADLINE)
        first = server.last_bot_message(user.id, with_keyboard=True)
        assert first is not None
        first_id, first_text, first_buttons = first.message_id, first.text, first.buttons
        # Every try fails (sends are retried up to ATTEMPTS times), so the send fails for good.
        server.faults.fail_next("sendMessage", ATTEMPTS, status=500)
        server.send_command(user, "/start")  # shows the intro anew: its send fails
        await wait_for_calls(server, lambda: server.faults.pending == 0, DEADLINE)
        await server.wait_idle(timeout=DEADLINE)
        shown = server.last_bot_message(user.id, with_keyboard=True)
        # The old one stays: the same message, as it was, still the one with buttons.
        assert shown is not None, "the resident was left without any survey message"
        assert (shown.message_id, shown.text, shown.buttons) == (
            first_id,
            first_text,
            first_buttons,
        )
        assert [m.message_id for m in server.bot_messages(user.id) if m.has_keyboard] == [first_id]
        server.send_command(user, "/start")  # and once more, now without a fault
        await server.wait_for(
            lambda: server.counts["sendMessage"] >= 3 and server.pending_updates == 0, DEADLINE
        )
        await server.wait_idle(timeout=DEADLINE)
        assert await bot.stop() == 0
    # The step after the failure replaced the old message once: a new one shows the intro, the
    # old one is gone, and no delete was refused (a second delete of it would be a rejection).
    now = server.last_bot_message(user.id, with_keyboard=True)
    assert now is not None and now.message_id != first_id and now.text == first_text
    assert server.bot_messages(user.id) == [now]
    assert len(server.calls_to("deleteMessage")) == 1
    assert server.rejections == []


async def test_get_updates_5xx_and_dropped_connections(
    server: FakeBotApi, survey: Survey, survey_path: Path, tmp_path: Path
) -> None:
    async def recovered() -> None:
        """Wait until the fault fired and a later poll succeeded (PTB's back-off grows with
        consecutive failures: 1, 1.5, 2.25 s...)."""
        await wait_for_calls(server, lambda: server.faults.pending == 0, DEADLINE)
        polls = len(server.calls_to("getUpdates"))
        await wait_for_calls(
            server,
            lambda: any(c.status == 200 for c in server.calls_to("getUpdates")[polls:]),
            DEADLINE,
        )

    async def fail() -> None:
        server.faults.fail_next("getUpdates", 1, status=502)
        await recovered()
        server.faults.drop_next(1, "getUpdates")
        await recovered()
        server.faults.drop_next(1, "getUpdates", after_processing=True)

    await scenario(server, survey, survey_path, tmp_path, fail, faults=3, seed=502, residents=6)
    polls = server.calls_to("getUpdates")
    assert sum(1 for c in polls if c.status == 502) == 1
    assert sum(1 for c in polls if c.status == 0) == 2


# ------------------------------------------------------------------ slow responses
async def test_slow_responses(
    server: FakeBotApi, survey: Survey, survey_path: Path, tmp_path: Path
) -> None:
    async def slow() -> None:
        server.faults.latency = 0.3
        before = len(server.calls)
        try:  # the residents keep answering, at 0.3 s per Bot API call
            await server.wait_for(lambda: len(server.calls) - before >= 20, 30)
        except TimeoutError:
            raise AssertionError("the residents made no progress while the API was slow") from None
        server.faults.latency = 0.0

    await scenario(server, survey, survey_path, tmp_path, slow, faults=0, seed=300)


# ------------------------------------------------------------------ dropped connections
async def test_dropped_connections_on_sends_before_and_after_processing(
    server: FakeBotApi, survey: Survey, survey_path: Path, tmp_path: Path
) -> None:
    async def drop() -> None:
        # All at once, on calls that certainly follow: after the warm-up every resident still
        # presses about 20 buttons (an answer and an edit each) and types a comment (a new
        # message for the thank-you and two deletions: the old survey message, the comment).
        # The first matching calls drop before processing, the next ones after.
        for after_processing in (False, True):
            server.faults.drop_next(2, "editMessageText", after_processing=after_processing)
            server.faults.drop_next(1, "sendMessage", after_processing=after_processing)
            server.faults.drop_next(2, "answerCallbackQuery", after_processing=after_processing)
            server.faults.drop_next(1, "deleteMessage", after_processing=after_processing)

    # A call that took effect although the bot saw it fail (after processing) leaves a
    # message the bot does not know about, or deletes one it will try to delete again.
    # The bot retries a call whose connection dropped; when the first try had taken effect,
    # Telegram answers the retry with "not modified" (an edit) or "query is too old" (an answer)
    # - and when that retry is the next matching call, its refusal is dropped too.
    allowed = (
        "message to delete not found",
        "message to edit not found",
        "message is not modified",
        "query is too old",
    )
    await scenario(
        server,
        survey,
        survey_path,
        tmp_path,
        drop,
        faults=12,
        seed=13,
        residents=6,
        skip_rate=0.0,
        allowed_rejections=allowed,
    )
    assert server.faults.pending == 0, "an armed drop never fired"
    dropped = Counter(c.method for c in server.calls if c.status == 0)
    assert dropped == {"editMessageText": 4, "sendMessage": 2, "answerCallbackQuery": 4,
                       "deleteMessage": 2}  # fmt: skip


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
def replied(server: FakeBotApi, chat_id: int) -> Callable[[], bool]:
    """Whether the bot has shown anything in this chat."""
    return lambda: server.last_bot_message(chat_id) is not None


def odd_updates(user: User, other: User) -> list[dict[str, object]]:
    """Updates the bot does not expect but PTB can read: missing optional parts, unknown
    content, a chat that is not private, an edit of a message never seen, no sender."""
    chat = user.private_chat()
    me = user.to_dict()
    return [
        {"message": {"message_id": 9001, "date": 0}},  # no chat, no sender
        {"message": {"message_id": 9002, "date": 0, "chat": chat}},  # no sender, no content
        {"message": {"message_id": 9003, "date": 0, "chat": chat, "from": me}},  # no content
        {"message": {"message_id": 9004, "date": 0, "chat": chat, "from": me, "text": 12345}},
        {
            "message": {
                "message_id": 9005,
                "date": 0,
                "chat": chat,
                "from": me,
                "giveaway": {"chats": [], "winners_selection_date": 0, "winner_count": 1},
                "some_future_field": {"x": 1},
            }
        },
        {"message": None},
        {"edited_message": {"message_id": 9006, "date": 0, "chat": chat, "from": me, "text": "x"}},
        {
            "message": {
                "message_id": 9007,
                "date": 0,
                "from": me,
                "text": "/start",
                "chat": {"id": -100123, "type": "channel", "title": "Kanal"},
                "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
            }
        },
        {
            "message": {
                "message_id": 9008,
                "date": 0,
                "chat": other.private_chat(),
                "from": me,
                "text": "hej",
            }
        },
        {"callback_query": {"id": "9009", "chat_instance": "1", "data": "x"}},  # no sender
    ]


async def test_malformed_and_unexpected_updates_leave_the_bot_working(
    server: FakeBotApi, survey: Survey, survey_path: Path, tmp_path: Path
) -> None:
    stranger = User(612_345_678, "Stranger", username="stranger", language_code="en")
    other = User(623_456_789, "Other", language_code="sv")
    presses: list[dict[str, Any]] = []

    async def odd() -> None:
        for person in (stranger, other):  # they have a chat with the bot
            server.send_command(person, "/start")
            await server.wait_for(replied(server, person.id), DEADLINE)
        for update in odd_updates(stranger, other):
            server.send_raw(update)
        # Buttons that are not ours (or no button data at all), on no message.
        for data in ("not-ours", "", "99999999999:c:x", "l:xx", "1:zz", "x" * 64):
            presses.append(server.press(stranger, 0, data, strict=False))

    outcome = await scenario(
        server,
        survey,
        survey_path,
        tmp_path,
        odd,
        faults=len(odd_updates(stranger, other)) + 6,
        seed=77,
        # The raw callback query has an id the fake never issued: answering it is refused.
        allowed_rejections=("query is too old",),
        other_sessions=2,  # the stranger and the other person opened the survey
    )
    assert len(server.rejections) <= 1
    assert str(stranger.id) not in outcome.log and str(other.id) not in outcome.log
    # Every foreign button was answered with a short notice.
    answers = [server.answer_for(p) for p in presses]
    assert all(a is not None and a.text for a in answers), answers


async def test_an_unparsable_update_does_not_block_the_bot(
    server: FakeBotApi, survey: Survey, survey_path: Path, tmp_path: Path
) -> None:
    """PTB parses a getUpdates batch as a whole: one update it cannot read must not stop
    polling for everyone, nor flood the log with the raw update (names, typed text)."""
    poison = User(634_567_890, "Poison", username="poison_pill", language_code="sv")
    takers = make_takers(server, survey, 2, seed=5)
    async with BotProcess(server, tmp_path, survey_path) as bot:
        # Messages without their required `date`: PTB's Update.de_json raises KeyError.
        for text in ("hemligt svar", "/start"):
            message = {"message_id": 1, "chat": poison.private_chat(), "from": poison.to_dict()}
            server.send_raw({"message": {**message, "text": text}})
        await run_all(takers, timeout=RUN_DEADLINE)
        assert await bot.stop() == 0
    log = bot.log_text()
    assert all(x.finished for x in takers)
    report = await read_store(bot.database, survey)
    assert_store_matches(report, survey, takers)
    assert_clean_log(log, [poison.id, *(x.chat_id for x in takers)], max_lines=BASE_LINES + 2)
    for private in ("Poison", "poison_pill", "hemligt svar"):
        assert private not in log, private
