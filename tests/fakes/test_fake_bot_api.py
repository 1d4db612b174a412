"""Tests of the fake Bot API itself, driven by real PTB (``Bot``/``Application``) over HTTP.

Owns: evidence that the fake behaves like Telegram where the bot depends on it - long polling
and offsets, validation with Telegram's descriptions (surfacing as PTB's real exception classes),
fault injection, send-rate measurement, uploads, and the resident helper.
Must hold: loopback only, each test well under a couple of seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import re
import struct
import time
import zlib
from collections.abc import AsyncIterator

import httpx
import pytest
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeAllPrivateChats,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, Conflict, NetworkError, RetryAfter, TelegramError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from tests.fakes.bot_api import (
    NOT_MODIFIED,
    QUERY_TOO_OLD,
    FakeBotApi,
    GroupChat,
    User,
    max_in_window,
    parse_html,
)
from tests.fakes.residents import Resident

# PTB itself reads RetryAfter.retry_after when building the exception, which warns in PTB 22.
ignore_retry_after_warning = pytest.mark.filterwarnings(
    "ignore:.*retry_after.*:telegram.warnings.PTBDeprecationWarning"
)

ALICE = User(1001, "Alice", "alice", "sv")
BOB = User(1002, "Bob", None, "en")


@pytest.fixture
async def server() -> AsyncIterator[FakeBotApi]:
    async with FakeBotApi() as srv:
        yield srv


@pytest.fixture
async def bot(server: FakeBotApi) -> AsyncIterator[Bot]:
    async with Bot(server.token, base_url=server.base_url, base_file_url=server.base_file_url) as b:
        yield b


def keyboard(*data: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(d.upper(), callback_data=d)] for d in data])


def assert_bad(err: TelegramError, description: str) -> None:
    """PTB strips 'Bad Request: ' and capitalizes; compare case-insensitively."""
    assert isinstance(err, BadRequest)
    assert err.message.lower() == description.removeprefix("Bad Request: ").lower()


def png(width: int = 3, height: int = 2) -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body)
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    raw = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_message is not None
    await update.effective_message.reply_text(f"echo: {update.effective_message.text}")


async def ask(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_message is not None
    await update.effective_message.reply_text(
        "Hur trygg känner du dig?", reply_markup=keyboard("a", "b")
    )


async def answer(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    assert query is not None
    await query.answer(f"got {query.data}")
    await query.edit_message_text(f"<b>Svar:</b> {query.data}", parse_mode=ParseMode.HTML)


async def running_app(server: FakeBotApi) -> Application:  # type: ignore[type-arg]
    app = (
        ApplicationBuilder()
        .token(server.token)
        .base_url(server.base_url)
        .base_file_url(server.base_file_url)
        .build()
    )
    app.add_handler(CommandHandler("start", ask))
    app.add_handler(
        MessageHandler(filters.UpdateType.MESSAGE & filters.TEXT & ~filters.COMMAND, echo)
    )
    app.add_handler(CallbackQueryHandler(answer))
    await app.initialize()
    await app.start()
    assert app.updater is not None
    await app.updater.start_polling(
        timeout=1, poll_interval=0.0, allowed_updates=["message", "callback_query"]
    )
    return app


async def stop_app(app: Application) -> None:  # type: ignore[type-arg]
    assert app.updater is not None
    await app.updater.stop()
    await app.stop()
    await app.shutdown()


# ------------------------------------------------------------------ long polling with PTB
async def test_application_long_polling_delivers_and_confirms(server: FakeBotApi) -> None:
    app = await running_app(server)
    try:
        server.send_text(ALICE, "hej")
        await server.wait_for(lambda: bool(server.bot_messages(ALICE.id)), 3)
        assert [m.text for m in server.bot_messages(ALICE.id)] == ["echo: hej"]
        server.send_text(ALICE, "igen")
        await server.wait_for(lambda: len(server.bot_messages(ALICE.id)) == 2, 3)
        await server.wait_idle(quiet_for=0.1)
    finally:
        await stop_app(app)
    assert server.pending_updates == 0
    offsets = [c.params.get("offset") for c in server.calls_to("getUpdates")]
    assert any(isinstance(o, int) and o > 10_000 for o in offsets)
    assert server.updates.queued == 0  # the cleanup call confirmed everything
    assert server.rejections == []


async def test_get_updates_holds_until_an_update_arrives(server: FakeBotApi, bot: Bot) -> None:
    poll = asyncio.create_task(bot.get_updates(timeout=30))
    await server.wait_for(lambda: server.updates.polling, 5)  # the poll is open, queue empty
    assert not poll.done()
    server.send_text(ALICE, "late")
    # Answered on the update's arrival, long before the poll's 30 s timeout.
    updates = await asyncio.wait_for(poll, 5)
    assert [u.message.text for u in updates if u.message] == ["late"]


async def test_get_updates_returns_at_once_when_queued_and_honours_timeout(
    server: FakeBotApi, bot: Bot
) -> None:
    first = server.send_text(ALICE, "one")
    server.send_text(ALICE, "two")
    started = time.monotonic()
    updates = await bot.get_updates(timeout=5, limit=1)
    assert time.monotonic() - started < 0.5
    assert [u.update_id for u in updates] == [first["update_id"]]
    # not confirmed yet: delivered again, then confirmed by offset
    assert len(await bot.get_updates(timeout=0)) == 2
    rest = await bot.get_updates(offset=first["update_id"] + 1, timeout=0)
    assert [u.message.text for u in rest if u.message] == ["two"]
    assert await bot.get_updates(offset=rest[-1].update_id + 1, timeout=0) == ()
    started = time.monotonic()
    assert await bot.get_updates(timeout=1) == ()
    assert 0.9 < time.monotonic() - started < 2.0


async def test_allowed_updates_filters_types(server: FakeBotApi, bot: Bot) -> None:
    text = server.send_text(ALICE, "text")
    server.send_sticker(ALICE)
    updates = await bot.get_updates(timeout=0, allowed_updates=["message"])
    assert len(updates) == 2
    server.edit_text(ALICE, text["message"]["message_id"], "edited")  # an edited_message
    assert await bot.get_updates(offset=updates[-1].update_id + 1, timeout=0) == ()
    assert server.pending_updates == 0


async def test_concurrent_poll_gets_conflict_not_rejection(server: FakeBotApi, bot: Bot) -> None:
    first = asyncio.create_task(bot.get_updates(timeout=2))
    await server.wait_for(lambda: server.updates.polling, 5)
    async with httpx.AsyncClient(base_url=server.url) as other_instance:
        second = await other_instance.post(f"/bot{server.token}/getUpdates", data={"timeout": "0"})
    assert second.json() == {"ok": True, "result": []}
    with pytest.raises(Conflict):
        await first
    assert server.rejections == []


async def test_resident_updates_parse_as_real_telegram_updates(
    server: FakeBotApi, bot: Bot
) -> None:
    text = server.send_text(ALICE, "hej")
    server.send_command(ALICE, "/start kampanj")
    server.send_sticker(ALICE)
    server.send_photo(ALICE, caption="bild")
    server.send_voice(ALICE)
    server.send_location(ALICE)
    server.send_contact(ALICE)
    server.edit_text(ALICE, text["message"]["message_id"], "hej då")
    server.send_group_text(GroupChat(-100), BOB, "hallå")
    server.send_raw({"unknown_kind": {"x": 1}})
    updates = await bot.get_updates(timeout=0, allowed_updates=[])
    assert len(updates) == 10
    msgs = [u.effective_message for u in updates[:9]]
    assert all(m is not None for m in msgs)
    m = [x for x in msgs if x is not None]
    assert m[1].text == "/start kampanj"
    assert m[1].entities[0].type == "bot_command" and m[1].entities[0].length == 6
    assert m[2].sticker is not None and m[3].photo and m[3].caption == "bild"
    assert m[4].voice is not None and m[5].location is not None and m[6].contact is not None
    assert updates[7].edited_message is not None and updates[7].edited_message.text == "hej då"
    assert updates[8].effective_chat is not None and updates[8].effective_chat.type == "group"
    assert updates[0].effective_user is not None and updates[0].effective_user.username == "alice"


# ------------------------------------------------------------------ validation
async def test_text_rules(server: FakeBotApi, bot: Bot) -> None:
    server.send_text(ALICE, "hi")
    ok = await bot.send_message(ALICE.id, "  <b>" + "a" * 4094 + "</b> &amp;  ", parse_mode="HTML")
    assert ok.text == "a" * 4094 + " &" and ok.entities[0].length == 4094
    await bot.send_message(ALICE.id, "&lt;" * 4096, parse_mode="HTML")
    cases = [
        ("", None, "Bad Request: message text is empty"),
        ("   ", None, "Bad Request: message text is empty"),
        ("x" * 4097, None, "Bad Request: message is too long"),
        ("<b>" + "x" * 4097 + "</b>", "HTML", "Bad Request: message is too long"),
        ("<b>open", "HTML", "Bad Request: can't parse entities: Can't find end tag "
                            'corresponding to start tag "b"'),
        ("a <p>b</p>", "HTML", "Bad Request: can't parse entities: Unsupported start tag "
                               '"p" at byte offset 2'),
        ("<b>x</i>", "HTML", "Bad Request: can't parse entities: Unmatched end tag at byte "
                             'offset 4, expected "</b>", found "</i>"'),
    ]  # fmt: skip
    for text, mode, description in cases:
        with pytest.raises(BadRequest) as info:
            await bot.send_message(ALICE.id, text, parse_mode=mode)
        assert_bad(info.value, description)
    assert [r.description for r in server.rejections] == [d for _, _, d in cases]
    assert all(r.error_code == 400 and r.chat_id == ALICE.id for r in server.rejections)


async def test_unknown_chat_and_blocked_user(server: FakeBotApi, bot: Bot) -> None:
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await bot.send_message(4242, "hi")
    server.block(BOB)
    with pytest.raises(TelegramError, match="blocked"):
        await bot.send_message(BOB.id, "hi")
    assert len(server.rejections) == 1  # blocking is the resident's choice, not a bot bug


async def test_keyboard_rules(server: FakeBotApi, bot: Bot) -> None:
    server.send_text(ALICE, "hi")
    fits = "å" * 32  # 64 UTF-8 bytes
    await bot.send_message(ALICE.id, "q", reply_markup=keyboard(fits))
    bad = [
        (keyboard("å" * 33), "Bad Request: BUTTON_DATA_INVALID"),
        (keyboard("x" * 65), "Bad Request: BUTTON_DATA_INVALID"),
        (InlineKeyboardMarkup([[InlineKeyboardButton("", callback_data="a")]]),
         "Bad Request: BUTTON_TEXT_INVALID"),
        (InlineKeyboardMarkup([[InlineKeyboardButton("only text")]]),
         "Bad Request: can't parse inline keyboard button: Text buttons are unallowed in the "
         "inline keyboard"),
        (InlineKeyboardMarkup([[InlineKeyboardButton(str(i), callback_data=str(i))]
                               for i in range(101)]),
         "Bad Request: reply markup is too long"),
    ]  # fmt: skip
    for markup, description in bad:
        with pytest.raises(BadRequest) as info:
            await bot.send_message(ALICE.id, "q", reply_markup=markup)
        assert_bad(info.value, description)
    assert len(server.rejections) == len(bad)


async def test_edit_rules(server: FakeBotApi, bot: Bot) -> None:
    server.send_text(ALICE, "hi")
    server.send_text(BOB, "hi")
    msg = await bot.send_message(
        ALICE.id, "<b>Fråga</b>", parse_mode="HTML", reply_markup=keyboard("a")
    )
    bob_msg = await bot.send_message(BOB.id, "other")
    # identical after parsing: same text, entities and markup
    with pytest.raises(BadRequest) as info:
        await bot.edit_message_text(
            "<b>Fråga</b>", ALICE.id, msg.message_id, parse_mode="HTML", reply_markup=keyboard("a")
        )
    assert_bad(info.value, NOT_MODIFIED)
    with pytest.raises(BadRequest) as info:
        await bot.edit_message_reply_markup(ALICE.id, msg.message_id, reply_markup=keyboard("a"))
    assert_bad(info.value, NOT_MODIFIED)
    # omitting reply_markup removes the keyboard, so that is a modification
    edited = await bot.edit_message_text(
        "<b>Fråga</b>", ALICE.id, msg.message_id, parse_mode="HTML"
    )
    assert isinstance(edited, Message)
    assert edited.reply_markup is None and edited.edit_date is not None
    assert server.last_bot_message(ALICE.id, with_keyboard=True) is None
    for chat_id, message_id in [(ALICE.id, 999), (ALICE.id, bob_msg.message_id + 5)]:
        with pytest.raises(BadRequest) as info:
            await bot.edit_message_text("x", chat_id, message_id)
        assert_bad(info.value, "Bad Request: message to edit not found")
    # a message id that exists only in Bob's chat
    with pytest.raises(BadRequest) as info:
        await bot.edit_message_text("x", ALICE.id, 3)
    assert_bad(info.value, "Bad Request: message to edit not found")
    assert await bot.delete_message(ALICE.id, msg.message_id)
    with pytest.raises(BadRequest) as info:
        await bot.edit_message_text("x", ALICE.id, msg.message_id)
    assert_bad(info.value, "Bad Request: message to edit not found")
    with pytest.raises(BadRequest) as info:
        await bot.delete_message(ALICE.id, msg.message_id)
    assert_bad(info.value, "Bad Request: message to delete not found")
    with pytest.raises(BadRequest) as info:
        await bot.edit_message_text("x", ALICE.id, 1)  # Alice's own message
    assert_bad(info.value, "Bad Request: message can't be edited")
    assert len(server.rejections) == 8


async def test_callback_query_rules(server: FakeBotApi, bot: Bot) -> None:
    server.send_text(ALICE, "hi")
    msg = await bot.send_message(ALICE.id, "q", reply_markup=keyboard("a", "b"))
    update = server.press(ALICE, msg.message_id, "a")
    assert (
        update["callback_query"]["message"]["reply_markup"]["inline_keyboard"][0][0][
            "callback_data"
        ]
        == "a"
    )
    with pytest.raises(ValueError):
        server.press(ALICE, msg.message_id, "zzz")  # no such button: no client could press it
    qid = update["callback_query"]["id"]
    with pytest.raises(BadRequest) as info:
        await bot.answer_callback_query(qid, text="x" * 201)
    assert_bad(info.value, "Bad Request: MESSAGE_TOO_LONG")
    assert await bot.answer_callback_query(qid, text="Tack!")
    answer = server.answer_for(update)
    assert answer is not None and answer.text == "Tack!"
    for bad_id in (qid, "no-such-id"):
        with pytest.raises(BadRequest) as info:
            await bot.answer_callback_query(bad_id)
        assert_bad(info.value, QUERY_TOO_OLD)
    server.callback_query_ttl = 0.05
    old = server.press(ALICE, msg.message_id, "b")
    await asyncio.sleep(0.1)  # the passing of time under test: the query outlives its ttl
    with pytest.raises(BadRequest) as info:
        await bot.answer_callback_query(old["callback_query"]["id"])
    assert_bad(info.value, QUERY_TOO_OLD)
    assert len(server.rejections) == 4


async def test_commands_actions_and_raw_http(server: FakeBotApi, bot: Bot) -> None:
    server.send_text(ALICE, "hi")
    await bot.set_my_commands([BotCommand("start", "Börja enkäten")])
    await bot.set_my_commands(
        [BotCommand("start", "Start the survey")],
        scope=BotCommandScopeAllPrivateChats(),
        language_code="en",
    )
    assert server.commands_for() == [{"command": "start", "description": "Börja enkäten"}]
    english = server.commands_for({"type": "all_private_chats"}, "en")
    assert english == [{"command": "start", "description": "Start the survey"}]
    got = await bot.get_my_commands(scope=BotCommandScopeAllPrivateChats(), language_code="en")
    assert [c.description for c in got] == ["Start the survey"]
    with pytest.raises(BadRequest):
        await bot.set_my_commands([BotCommand("Start!", "x")])
    assert await bot.send_chat_action(ALICE.id, "typing")
    async with httpx.AsyncClient(base_url=server.url) as client:
        r = await client.post(f"/bot{server.token}/noSuchMethod")
        assert r.status_code == 404
        assert r.json() == {
            "ok": False, "error_code": 404, "description": "Not Found: method not found"
        }  # fmt: skip
        r = await client.post(
            f"/bot{server.token}/sendmessage", json={"chat_id": ALICE.id, "text": "7"}
        )
        assert r.json()["result"]["text"] == "7"  # JSON bodies, case-insensitive method names
        r = await client.get(f"/bot{server.token}/getMe")
        assert r.json()["result"]["is_bot"] is True
        r = await client.get("/bot1:wrong/getMe")
        assert r.status_code == 401
    assert server.counts["sendMessage"] == 1 and server.counts["getMe"] >= 2
    assert len(server.rejections) == 3  # bad command, unknown method, wrong token


# ------------------------------------------------------------------ uploads
async def test_send_photo_and_document_keep_bytes(server: FakeBotApi, bot: Bot) -> None:
    server.send_text(ALICE, "hi")
    image = png(3, 2)
    msg = await bot.send_photo(ALICE.id, image, caption="<i>Diagram</i>", parse_mode="HTML")
    assert msg.photo[-1].width == 3 and msg.caption == "Diagram"
    stored = server.last_bot_message(ALICE.id)
    assert stored is not None and stored.upload is not None and stored.upload.data == image
    csv = "fråga;svar\nq1;3\n".encode()
    doc = await bot.send_document(ALICE.id, csv, filename="svar.csv")
    assert doc.document is not None and doc.document.file_name == "svar.csv"
    assert server.uploads[-1].data == csv and server.uploads[-1].filename == "svar.csv"
    with pytest.raises(BadRequest) as info:
        await bot.send_photo(ALICE.id, b"not an image")
    assert_bad(info.value, "Bad Request: IMAGE_PROCESS_FAILED")


# ------------------------------------------------------------------ faults
async def test_server_errors_and_dropped_connections(server: FakeBotApi, bot: Bot) -> None:
    server.send_text(ALICE, "hi")
    server.faults.fail_next("sendMessage", 2, status=502)
    server.faults.fail_next("sendMessage", 1, status=500)
    for _ in range(3):
        with pytest.raises(NetworkError):
            await bot.send_message(ALICE.id, "x")
    server.faults.drop_next(1, "sendMessage")
    with pytest.raises(NetworkError):
        await bot.send_message(ALICE.id, "x")
    assert server.bot_messages(ALICE.id) == []  # nothing happened
    server.faults.drop_next(1, "sendMessage", after_processing=True)
    with pytest.raises(NetworkError):
        await bot.send_message(ALICE.id, "x")
    assert len(server.bot_messages(ALICE.id)) == 1  # it happened, the answer was lost
    await bot.send_message(ALICE.id, "y")
    assert [c.status for c in server.calls_to("sendMessage")] == [502, 502, 500, 0, 0, 200]
    assert server.faults.pending == 0 and server.rejections == []


async def test_a_drop_after_processing_drops_a_refused_call_too(
    server: FakeBotApi, bot: Bot
) -> None:
    """A call Telegram refuses (here an edit that changes nothing) whose answer is then lost:
    the client sees a dropped connection, not the refusal, and the armed drop is used up."""
    server.send_text(ALICE, "hi")
    sent = await bot.send_message(ALICE.id, "x")
    server.faults.drop_next(1, "editMessageText", after_processing=True)
    with pytest.raises(NetworkError) as info:
        await bot.edit_message_text("x", chat_id=ALICE.id, message_id=sent.message_id)
    assert not isinstance(info.value, BadRequest)
    assert [c.status for c in server.calls_to("editMessageText")] == [0]
    assert server.faults.pending == 0
    assert [r.description for r in server.rejections] == [NOT_MODIFIED]
    server.rejections.clear()


async def test_random_faults_fail_each_call_at_the_rate_however_often_the_bot_polls(
    server: FakeBotApi, bot: Bot
) -> None:
    """Ten long polls for every send, one call in five failing: the sends fail at that rate
    too (faults armed at a rate of all calls for "a coming call" failed nearly every send).
    The decisions come from a seeded generator, so the outcome is the same every run."""
    server.send_text(ALICE, "hi")
    server.faults.fail_at_random(0.2, random.Random(13))
    for _ in range(60):
        for _ in range(10):
            with contextlib.suppress(NetworkError):
                await bot.get_updates(timeout=0)
        with contextlib.suppress(NetworkError):
            await bot.send_message(ALICE.id, "x")
    server.faults.clear()
    sends, polls = server.calls_to("sendMessage"), server.calls_to("getUpdates")
    failed_sends = sum(1 for c in sends if c.status != 200)
    failed_polls = sum(1 for c in polls if c.status != 200)
    assert 6 <= failed_sends <= 18, failed_sends  # 12 expected
    assert 60 <= failed_polls <= 180, failed_polls  # 120 expected
    assert {c.status for c in [*sends, *polls]} == {0, 200, 500, 502, 503}
    # A send dropped after processing was sent although the bot saw it fail.
    shown = len(server.bot_messages(ALICE.id))
    assert shown == sum(1 for c in sends if c.message_id is not None) > 60 - failed_sends
    assert server.faults.pending == 0 and server.rejections == []


@ignore_retry_after_warning
async def test_rate_limit_next(server: FakeBotApi, bot: Bot) -> None:
    server.send_text(ALICE, "hi")
    server.faults.rate_limit_next(1, retry_after=7)
    with pytest.raises(RetryAfter) as info:
        await bot.send_message(ALICE.id, "x")
    # str() rather than .retry_after, which warns about its future type change in PTB 22
    assert re.search(r"Retry in (7 seconds|0:00:07)", str(info.value))
    await bot.send_message(ALICE.id, "x")


async def test_latency_is_added(server: FakeBotApi, bot: Bot) -> None:
    server.faults.latency = 0.1
    started = time.monotonic()
    await bot.get_me()
    assert time.monotonic() - started >= 0.1


@ignore_retry_after_warning
async def test_enforced_flood_limits(server: FakeBotApi, bot: Bot) -> None:
    users = [User(2000 + i) for i in range(4)]
    for u in users:
        server.send_text(u, "hi")
    server.faults.enforce_flood = True
    server.faults.flood_chat_limit = 2
    server.faults.flood_global_limit = 5
    await bot.send_message(users[0].id, "1")
    await bot.send_message(users[0].id, "2")
    with pytest.raises(RetryAfter):
        await bot.send_message(users[0].id, "3")
    assert [v.scope for v in server.flood_violations] == ["chat"]
    for u in users[1:]:
        await bot.send_message(u.id, "1")
    with pytest.raises(RetryAfter):
        await bot.send_message(users[3].id, "2")
    assert [v.scope for v in server.flood_violations] == ["chat", "global"]
    assert server.rejections == []


async def test_duplicate_updates_are_redelivered_after_confirmation(
    server: FakeBotApi, bot: Bot
) -> None:
    server.faults.duplicate_next_updates(1)
    first = server.send_text(ALICE, "once")
    updates = await bot.get_updates(timeout=0)
    assert [u.update_id for u in updates] == [first["update_id"]]
    again = await bot.get_updates(offset=first["update_id"] + 1, timeout=1)
    assert [u.update_id for u in again] == [first["update_id"]]
    assert await bot.get_updates(offset=first["update_id"] + 1, timeout=0) == ()


# ------------------------------------------------------------------ rate measurement
def test_max_in_window() -> None:
    assert max_in_window([], 1.0) == 0
    assert max_in_window([0.0, 0.5, 0.99, 1.0, 1.2, 3.0], 1.0) == 4
    assert max_in_window([0.0, 1.0, 2.0], 1.0) == 1


async def test_send_rate_counts_sends_only(server: FakeBotApi, bot: Bot) -> None:
    server.send_text(ALICE, "hi")
    server.send_text(BOB, "hi")
    sent = [await bot.send_message(ALICE.id, str(i)) for i in range(4)]
    await bot.send_message(BOB.id, "b")
    await bot.edit_message_text("edited", ALICE.id, sent[0].message_id)
    await bot.delete_message(ALICE.id, sent[1].message_id)  # not a send
    await bot.send_chat_action(ALICE.id, "typing")  # not a send
    assert server.max_sends_in_window(1.0) == 6
    assert server.max_sends_in_window(1.0, chat_id=ALICE.id) == 5
    assert server.max_sends_per_chat() == 5
    assert server.max_sends_in_window(1e-9) == 1


# ------------------------------------------------------------------ HTML parser
def test_parse_html_entities_use_utf16_offsets() -> None:
    text, entities = parse_html('😀 <b>fet</b> &amp; <a href="https://x.se/?a=1&amp;b=2">länk</a>')
    assert text == "😀 fet & länk"
    assert entities == [
        {"type": "bold", "offset": 3, "length": 3},
        {"type": "text_link", "offset": 9, "length": 4, "url": "https://x.se/?a=1&b=2"},
    ]
    assert parse_html("a & b &unknown; &#228;")[0] == "a & b &unknown; ä"


# ------------------------------------------------------------------ residents
async def test_resident_plays_against_real_application(server: FakeBotApi) -> None:
    app = await running_app(server)
    try:
        alice = Resident(server, ALICE)
        first = await alice.send_command("/start")
        assert first.text == "Hur trygg känner du dig?" and first.labels == ["A", "B"]
        assert await alice.screen() == first
        after = await alice.press("b")
        assert after.text == "Svar: b" and after.buttons == ()
        await server.wait_for(lambda: alice.last_answer() is not None, 2)
        answered = alice.last_answer()
        assert answered is not None and answered.text == "got b"
        with pytest.raises(LookupError):
            await alice.press(0)  # no keyboard left on screen
        residents = [Resident(server, 3000 + i) for i in range(20)]
        screens = await asyncio.gather(*(r.send_command("/start") for r in residents))
        assert all(s.data == ["a", "b"] for s in screens)
        done = await asyncio.gather(*(r.press(i % 2) for i, r in enumerate(residents)))
        assert [s.text for s in done] == [f"Svar: {'ab'[i % 2]}" for i in range(20)]
        with pytest.raises(TimeoutError):
            await alice.send_command("/unknown", timeout=0.3)  # the app ignores it
        await server.wait_idle(quiet_for=0.1)
    finally:
        await stop_app(app)
    assert server.rejections == []
