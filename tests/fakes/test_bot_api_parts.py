"""The fake Bot API's modules one by one, without HTTP: what each promises in its docstring.

Owns: direct checks of ``tests.fakes.bot_api``'s parts (waiting, updates, faults, sends, params,
chats, text, markup, commands, callbacks). ``test_fake_bot_api.py`` drives the whole server
through real PTB; these pin the parts' own rules, so a broken part is named by its test.
Must hold: no network, no sleeping to wait for something (waits are on the parts' events).
"""

from __future__ import annotations

import asyncio

import pytest

from tests.fakes.bot_api import QUERY_TOO_OLD, ApiError, User, format_text, validate_markup
from tests.fakes.bot_api.callbacks import CallbackQueries
from tests.fakes.bot_api.chats import Chats
from tests.fakes.bot_api.commands import Commands
from tests.fakes.bot_api.faults import Faults
from tests.fakes.bot_api.params import as_int, coerce
from tests.fakes.bot_api.sends import SendLog
from tests.fakes.bot_api.updates import UpdateQueue
from tests.fakes.bot_api.waiting import ANY, Waiters, chat_key

ALICE = User(1001, "Alice", "alice", "sv")


def _nothing(key: object) -> None:
    """A notify that nobody listens to."""


# ------------------------------------------------------------------ waiting
async def test_wait_for_wakes_on_the_change_of_its_key_only() -> None:
    waiters = Waiters()
    state = {"n": 0}
    waiting = asyncio.create_task(waiters.wait_for(lambda: state["n"] == 1, 5, chat_key(7)))
    await asyncio.sleep(0)  # one loop turn: the waiter checks once and waits on its event
    state["n"] = 1
    waiters.notify(chat_key(8))  # another chat: not woken
    await asyncio.sleep(0)
    assert not waiting.done()
    waiters.notify(chat_key(7))
    await asyncio.wait_for(waiting, 1)
    with pytest.raises(TimeoutError):
        await waiters.wait_for(lambda: False, 0.05, ANY)


async def test_wait_idle_waits_for_calls_in_flight_and_for_the_queue() -> None:
    waiters = Waiters()
    queued = {"n": 1}
    waiters.call_started()
    idle = asyncio.create_task(waiters.wait_idle(lambda: queued["n"], 0.01, 5))
    await asyncio.sleep(0.05)  # much longer than the quiet period: still busy, not idle
    assert not idle.done()
    queued["n"] = 0
    waiters.call_ended(counted=True)  # the last call ends: quiet from now on
    await asyncio.wait_for(idle, 2)
    assert waiters.inflight == 0
    queued["n"] = 1
    with pytest.raises(TimeoutError):
        await waiters.wait_idle(lambda: queued["n"], 0.01, 0.05)


# ------------------------------------------------------------------ updates
def _text_update(text: str) -> dict[str, object]:
    return {"message": {"message_id": 1, "text": text}}


async def test_offsets_confirm_and_a_negative_offset_keeps_the_last() -> None:
    queue = UpdateQueue(Faults(), _nothing)
    ids = [queue.enqueue(_text_update(str(i)))["update_id"] for i in range(5)]
    assert ids == list(range(10_000, 10_005))
    assert queue.pending == 5
    batch = await queue.get_updates({"limit": 2})
    assert [u["update_id"] for u in batch] == ids[:2]
    assert queue.pending == 3 and queue.queued == 5  # delivered, not yet confirmed
    await queue.get_updates({"offset": ids[2], "limit": 0})
    assert queue.queued == 3
    await queue.get_updates({"offset": -1})
    assert queue.queued == 1
    assert queue.delete_webhook({"drop_pending_updates": True}, {}, 0.0)
    assert queue.queued == 0 and queue.pending == 0


async def test_default_allowed_types_drop_reactions_and_a_poll_wakes_on_an_update() -> None:
    queue = UpdateQueue(Faults(), _nothing)
    queue.enqueue({"message_reaction": {}})
    poll = asyncio.create_task(queue.get_updates({"timeout": 30}))
    await asyncio.sleep(0)  # the poll found nothing deliverable and waits
    assert queue.polling and not poll.done()
    update = queue.enqueue(_text_update("hej"))
    assert await asyncio.wait_for(poll, 2) == [update]
    assert not queue.polling


async def test_a_duplicated_update_comes_back_once_after_its_confirmation() -> None:
    faults = Faults()
    faults.duplicate_next_updates(1)
    queue = UpdateQueue(faults, _nothing)
    first = queue.enqueue(_text_update("a"))
    assert await queue.get_updates({}) == [first]
    assert faults.pending == 0
    assert await queue.get_updates({"offset": first["update_id"] + 1}) == [first]
    assert await queue.get_updates({"offset": first["update_id"] + 1}) == []


# ------------------------------------------------------------------ faults and sends
def test_faults_fire_as_often_as_armed_and_any_method_skips_get_updates() -> None:
    faults = Faults()
    faults.fail_next(None, 2, status=503)
    faults.drop_next(1, "sendMessage")
    assert faults.pending == 3
    assert faults.take("fail", "getUpdates") is None
    rule = faults.take("fail", "editMessageText")
    assert rule is not None and rule.status == 503
    assert faults.take("drop", "editMessageText") is None
    assert faults.take("drop", "sendMessage") is not None
    assert faults.take("fail", "sendMessage") is not None
    assert faults.take("fail", "sendMessage") is None
    assert faults.pending == 0


def test_flood_check_names_the_scope_and_the_wait() -> None:
    faults = Faults(flood_global_limit=3, flood_chat_limit=2, flood_window=1.0)
    sends = SendLog()
    sends.record(1, 10.0)
    sends.record(1, 10.2)
    assert sends.flood_check(faults, 1, 10.3) == ("chat", 1)
    assert sends.flood_check(faults, 2, 10.3) is None
    sends.record(2, 10.3)
    assert sends.flood_check(faults, 3, 10.4) == ("global", 1)
    assert sends.flood_check(faults, 3, 11.05) is None  # the first send left the window
    assert sends.max_per_chat(1.0) == 2 and sends.max_in_window(1.0) == 3
    assert sends.times(2) == [10.3]


# ------------------------------------------------------------------ params, chats
def test_params_are_decoded_like_telegram() -> None:
    assert coerce("chat_id", "42") == 42
    assert coerce("reply_markup", '{"inline_keyboard": []}') == {"inline_keyboard": []}
    assert coerce("text", "42") == "42"  # string-typed: kept as typed
    assert coerce("chat_id", "@channel") == "@channel"
    assert as_int("7") == 7 and as_int(True) is None and as_int("x") is None


def test_chats_refuse_unknown_and_blocked_and_notify_on_change() -> None:
    seen: list[object] = []
    chats = Chats(seen.append)
    with pytest.raises(ApiError) as unknown:
        chats.writable(ALICE.id)
    assert unknown.value.code == 400
    state = chats.open(ALICE.private_chat())
    msg = chats.new_message(state, {"id": 1, "is_bot": True}, True)
    msg.text = "hej"
    chats.changed(state)
    assert state.version == 1 and seen == [chat_key(ALICE.id)]
    assert msg.to_dict().keys() == {"message_id", "from", "chat", "date", "text"}
    state.blocked = True
    with pytest.raises(ApiError) as blocked:
        chats.writable(str(ALICE.id))
    assert blocked.value.code == 403


# ------------------------------------------------------------------ text and markup
def test_text_is_trimmed_with_its_entities_and_limited() -> None:
    text, entities = format_text(
        "  <b>fet</b> x ", "HTML", None, limit=10, empty="empty", too_long="long"
    )
    assert text == "fet x" and entities == [{"type": "bold", "offset": 0, "length": 3}]
    with pytest.raises(ApiError, match="Bad Request: empty"):
        format_text("  ", None, None, limit=10, empty="empty", too_long="long")
    with pytest.raises(ApiError, match="Bad Request: long"):
        format_text("x" * 11, None, None, limit=10, empty="empty", too_long="long")
    with pytest.raises(ApiError, match="can't parse entities"):
        format_text("<b>open", "HTML", None, limit=10, empty="empty", too_long="long")


def test_markup_splits_inline_from_other_keyboards_and_refuses_bad_buttons() -> None:
    inline = {"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]}
    assert validate_markup(inline, inline_only=True) == (inline, None)
    reply = {"keyboard": [[{"text": "A"}]]}
    assert validate_markup(reply, inline_only=False) == (None, reply)
    bad = [
        {"text": "A"},  # no action
        {"text": " ", "callback_data": "a"},
        {"text": "A", "callback_data": "x" * 65},
        {"text": "A", "url": "ftp://x"},
    ]
    for button in bad:
        with pytest.raises(ApiError):
            validate_markup({"inline_keyboard": [[button]]}, inline_only=False)
    with pytest.raises(ApiError, match="inline keyboard expected"):
        validate_markup(reply, inline_only=True)


# ------------------------------------------------------------------ commands, callbacks
def test_commands_are_kept_per_scope_and_language() -> None:
    commands = Commands()
    start = [{"command": "start", "description": "Börja"}]
    assert commands.set({"commands": start, "language_code": "sv"}, {}, 0.0)
    assert commands.for_scope(None, "sv") == start and commands.for_scope(None, "") == []
    for params in (
        {"commands": [{"command": "Start", "description": "x"}]},
        {"commands": [{"command": "start", "description": ""}]},
        {"commands": start, "language_code": "sve"},
    ):
        with pytest.raises(ApiError):
            commands.set(params, {}, 0.0)


def test_a_callback_query_is_answered_once_and_in_time() -> None:
    seen: list[object] = []
    queries = CallbackQueries(15.0, seen.append)
    qid = queries.open(ALICE.id, ALICE.id, 100.0)
    assert queries.chat_of(qid) == ALICE.id
    assert queries.answer({"callback_query_id": qid, "text": "Tack"}, {}, 101.0)
    assert queries.answers[qid].text == "Tack" and seen == [chat_key(ALICE.id)]
    with pytest.raises(ApiError, match=QUERY_TOO_OLD):
        queries.answer({"callback_query_id": qid}, {}, 101.0)  # twice
    late = queries.open(ALICE.id, ALICE.id, 100.0)
    with pytest.raises(ApiError, match=QUERY_TOO_OLD):
        queries.answer({"callback_query_id": late}, {}, 115.5)  # after 15 s
