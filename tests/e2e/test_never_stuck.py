"""A resident is never stuck (issue 13): lost edits and sends are retried, a step whose screen
never arrived is shown at the next press, a gone message is replaced, a double press costs no
extra call, odd updates break nothing, and buttons work only in one's own private chat.

The real bot (PTB over HTTP) runs in-process against the fake Bot API. Retries wait
`messages.BACKOFF` seconds first; the tests shorten it (our own constant, not PTB's).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup

from bot.adapters.telegram import messages
from bot.conversation.engine import ChoicePicked
from bot.survey.loader import load_survey
from bot.survey.model import Survey
from tests.e2e.driver import step_of
from tests.e2e.harness import RunningBot, running_bot
from tests.fakes.bot_api import JSON, FakeBotApi, GroupChat, User
from tests.fakes.residents import Resident, Screen

SMALL = Path(__file__).with_name("small_survey.yaml")
STAFF = User(900_000_101, "Staff", language_code="en")
GROUP = GroupChat(-100_555_001)
STALE = "earlier question"


@dataclass
class Chat:
    server: FakeBotApi
    bot: RunningBot
    resident: Resident
    survey: Survey

    async def stored(self) -> str:
        service = self.bot.service
        keys = service._pseudonyms.keys(self.survey.id, self.resident.user.id)
        raw = await service.store.load_session(keys.session_key)
        return (keys.open_state(raw) or "") if raw else ""

    async def handled(self) -> Screen:
        """What the resident sees once the bot has handled everything sent so far."""
        await self.bot.wait_handled()
        return self.resident.current()

    async def press(self, data: str, message_id: int | None = None) -> Screen:
        """Press a button of the survey message (or of `message_id`); the screen after it."""
        await self.resident.press(data=data, message_id=message_id, wait=False)
        return await self.handled()

    async def send(self, text: str) -> Screen:
        """Send a command or type text; the screen after it."""
        if text.startswith("/"):
            await self.resident.send_command(text, wait=False)
        else:
            await self.resident.send_text(text, wait=False)
        return await self.handled()

    async def at_question(self, *presses: str) -> Screen:
        screen = await self.send("/start")
        screen = await self.press(f"{step_of(screen)}:go")
        for choice in presses:
            screen = await self.press(f"{step_of(screen)}:c:{choice}")
        return screen

    def edits(self) -> int:
        """Edits that changed a message (not those Telegram answered "not modified")."""
        return sum(1 for c in self.server.calls_to("editMessageText") if c.status == 200)


@pytest.fixture(autouse=True)
def quick_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(messages, "BACKOFF", 0.02)


@pytest.fixture
async def chat(server: FakeBotApi, tmp_path: Path) -> AsyncIterator[Chat]:
    survey = load_survey(SMALL)
    async with running_bot(
        server, survey, tmp_path / "s.db", staff_ids=frozenset({STAFF.id})
    ) as bot:
        user = User(700_000_201, "Eva", language_code="en")
        yield Chat(server, bot, Resident(server, user), survey)


def _take_rejections(server: FakeBotApi, *allowed: str) -> None:
    """Expected refusals of this test (the fixture then checks there are no others)."""
    unexpected = [r for r in server.rejections if not any(a in r.description for a in allowed)]
    assert unexpected == []
    server.rejections.clear()


# --- item 2: retries, a lost screen shown again, a gone message replaced ----------------------


async def test_an_edit_that_fails_with_5xx_or_a_dropped_connection_is_retried(chat: Chat) -> None:
    screen = await chat.at_question()
    chat.server.faults.fail_next("editMessageText", 2, status=502)
    chat.server.faults.drop_next(1, "editMessageText")
    after = await chat.press(f"{step_of(screen)}:c:north")
    assert "How safe do you feel?" in after.text
    assert chat.server.faults.pending == 0


async def test_a_send_after_a_typed_answer_that_fails_is_retried(chat: Chat) -> None:
    await chat.at_question("north", "safe")
    chat.server.faults.fail_next("sendMessage", 1, status=500)
    chat.server.faults.drop_next(1, "sendMessage")
    after = await chat.send("7")
    assert "Anything else?" in after.text


async def test_a_step_whose_edit_never_arrived_is_drawn_at_the_next_press(chat: Chat) -> None:
    screen = await chat.at_question()
    chat.server.faults.fail_next("editMessageText", messages.ATTEMPTS, status=500)
    await chat.press(f"{step_of(screen)}:c:north")
    assert chat.server.faults.pending == 0
    assert chat.resident.current() == screen, "every edit failed: the old question shows"
    assert '"north"' in await chat.stored(), "the answer was stored before the edit"
    # Any button of the old screen: the current question is drawn on it, answers kept.
    after = await chat.press(f"{step_of(screen)}:c:south")
    assert "How safe do you feel?" in after.text
    assert after.message_id == screen.message_id
    answer = chat.resident.last_answer()
    assert answer is not None and STALE in (answer.text or "")
    stored = await chat.stored()
    assert '"north"' in stored and '"south"' not in stored


async def test_a_step_saved_by_a_process_that_died_before_showing_it_is_drawn(chat: Chat) -> None:
    screen = await chat.at_question()
    step = step_of(screen)
    assert step is not None
    # What a crash between saving the step and editing the message leaves behind.
    await chat.bot.service.step(chat.resident.user.id, ChoicePicked(step, "north"))
    after = await chat.press(f"{step}:c:north")
    assert "How safe do you feel?" in after.text
    # The press delivered again gets its toast only once the step it led to is drawn: a
    # resident reads it against the current question, never against the one they answered.
    answer = chat.resident.last_answer()
    drawn = [c for c in chat.server.calls_to("editMessageText") if c.status == 200]
    assert answer is not None and STALE in (answer.text or "")
    assert drawn and drawn[-1].time < answer.time


async def test_a_stale_press_on_an_older_message_leaves_the_survey_message_alone(
    chat: Chat,
) -> None:
    """A press of an earlier step on a message that is no longer the survey message (Telegram
    delivering it again after a crash, or a resident scrolling up): the toast, and the survey
    message only checked in place (an edit Telegram answers "not modified"). Drawing the step
    on the old message moved the survey message away from the one the resident was pressing,
    so their next press was stale too and moved it back: with the confirming poller's
    redeliveries, residents behind a backlog never got out."""
    first = await chat.at_question()
    step = step_of(first)
    await chat.press(f"{step}:c:north")
    survey = await chat.send("/start")  # the survey, anew below
    assert survey.message_id != first.message_id
    assert "How safe do you feel?" in survey.text
    sends, edits = len(chat.server.calls_to("sendMessage")), chat.edits()
    again = chat.server.press(chat.resident.user, first.message_id, f"{step}:c:south", strict=False)
    await chat.bot.wait_handled()
    answer = chat.server.answer_for(again)
    assert answer is not None and STALE in (answer.text or "")
    assert chat.resident.current() == survey, "the survey message moved"
    assert (len(chat.server.calls_to("sendMessage")), chat.edits()) == (sends, edits)
    _take_rejections(chat.server, "message is not modified")
    stored = await chat.stored()
    assert '"north"' in stored and '"south"' not in stored
    # Its own buttons still work.
    after = await chat.press(f"{step_of(survey)}:c:safe")
    assert after.message_id == survey.message_id


async def test_a_stale_press_on_an_older_message_when_the_survey_message_is_gone(
    chat: Chat,
) -> None:
    """A dropped connection after Telegram sent the survey message leaves an older copy with
    its buttons (the bot's retry sent the one it knows). When the survey message is gone
    later (the resident deleted it), that copy's buttons are all the resident has: pressing
    it again after the "earlier question" toast must bring the current step back."""
    await chat.at_question("north")
    chat.server.faults.drop_next(1, "sendMessage", after_processing=True)
    survey = await chat.send("/start")
    copies = [m for m in chat.server.bot_messages(chat.resident.chat_id) if m.has_keyboard]
    assert [m.message_id for m in copies] == [survey.message_id - 1, survey.message_id]
    copy = copies[0].message_id
    step = step_of(survey)
    after = await chat.press(f"{step}:c:safe")
    assert after.message_id == survey.message_id and "How many" in after.text
    state = chat.server.chat(chat.resident.chat_id)
    assert state is not None
    state.messages[survey.message_id].deleted = True  # the resident deleted it
    assert chat.resident.current().message_id == copy, "only the copy has buttons now"
    # The first press gets the toast only (a backlog after a crash replays each press once);
    # pressed again after the toast, the current step comes back.
    for attempt in range(2):
        again = chat.server.press(chat.resident.user, copy, f"{step}:c:unsafe")
        await chat.bot.wait_handled()
        answer = chat.server.answer_for(again)
        assert answer is not None and STALE in (answer.text or "")
        assert (chat.resident.current().message_id == copy) == (attempt == 0)
    now = chat.resident.current()
    assert now.text == after.text, "the current step is shown again"
    stored = await chat.stored()
    assert '"safe"' in stored and '"unsafe"' not in stored
    _take_rejections(chat.server, "message to edit not found")
    final = await chat.send("7")
    assert "Anything else?" in final.text


async def orphan_of(chat: Chat, screen: Screen) -> int:
    """What a crash between sending a screen and storing which message shows it leaves: a
    newer message with that screen's buttons, unknown to the session (sent here as the bot)."""
    markup = InlineKeyboardMarkup(
        [[InlineKeyboardButton(b.text, callback_data=b.callback_data)] for b in screen.buttons]
    )
    async with Bot(chat.server.token, base_url=chat.server.base_url) as bot:
        sent = await bot.send_message(chat.resident.chat_id, screen.text, reply_markup=markup)
    return sent.message_id


def text_of(chat: Chat, message_id: int) -> str:
    """What message `message_id` of the resident's chat shows ("" once deleted)."""
    state = chat.server.chat(chat.resident.chat_id)
    message = state.messages.get(message_id) if state else None
    return "" if message is None or message.deleted else message.shown_text


async def test_a_stale_press_on_a_newer_orphan_deletes_it_and_keeps_the_survey_message(
    chat: Chat,
) -> None:
    """Found by tests/faults/test_never_stuck.py (SIGKILLs): residents left with welcome
    screens the session did not know, below the survey message, whose buttons only toasted."""
    welcome = await chat.send("/start")
    orphan = await orphan_of(chat, welcome)
    await chat.press(f"{step_of(welcome)}:go", welcome.message_id)
    assert "Where do you live?" in text_of(chat, welcome.message_id)
    assert chat.resident.current().message_id == orphan, "the orphan is the newest screen"
    sends = len(chat.server.calls_to("sendMessage"))
    await chat.press(f"{step_of(welcome)}:go", orphan)
    answer = chat.resident.last_answer()
    assert answer is not None and STALE in (answer.text or "")
    survey = chat.resident.current()
    assert survey.message_id == welcome.message_id, "the orphan is gone, the survey stays"
    assert text_of(chat, orphan) == "" and "Where do you live?" in survey.text
    assert len(chat.server.calls_to("sendMessage")) == sends
    # The survey message was checked by showing the step on it again.
    _take_rejections(chat.server, "message is not modified")
    after = await chat.press(f"{step_of(survey)}:c:north")
    assert "How safe do you feel?" in after.text


async def test_an_orphan_whose_survey_message_is_gone_leaves_the_step_on_a_new_message(
    chat: Chat,
) -> None:
    welcome = await chat.send("/start")
    orphan = await orphan_of(chat, welcome)
    await chat.press(f"{step_of(welcome)}:go", welcome.message_id)
    question = text_of(chat, welcome.message_id)
    async with Bot(chat.server.token, base_url=chat.server.base_url) as bot:
        await bot.delete_message(chat.resident.chat_id, welcome.message_id)  # then a crash
    await chat.press(f"{step_of(welcome)}:go", orphan)
    now = chat.resident.current()
    assert now.message_id not in (welcome.message_id, orphan) and now.text == question
    assert chat.resident.messages() == [now.text], "one survey message, no orphan"
    _take_rejections(chat.server, "message to edit not found")
    after = await chat.press(f"{step_of(now)}:c:north")
    assert "How safe do you feel?" in after.text and after.message_id == now.message_id


async def test_a_double_press_is_one_edit_and_a_toast(chat: Chat) -> None:
    """The second press's message is a snapshot from before the first press's edit: it must
    not be read as "the message is behind"."""
    screen = await chat.at_question()
    data = f"{step_of(screen)}:c:north"
    edits = chat.edits()
    first = chat.server.press(chat.resident.user, screen.message_id, data)
    second = chat.server.press(chat.resident.user, screen.message_id, data)
    await chat.bot.wait_handled()
    assert chat.edits() == edits + 1
    first_answer, second_answer = chat.server.answer_for(first), chat.server.answer_for(second)
    assert first_answer is not None and first_answer.text is None
    assert second_answer is not None and STALE in (second_answer.text or "")
    assert "How safe do you feel?" in chat.resident.current().text


async def test_a_message_that_no_longer_exists_is_replaced_by_a_new_one(chat: Chat) -> None:
    screen = await chat.at_question()
    state = chat.server.chat(chat.resident.chat_id)
    assert state is not None
    state.messages[screen.message_id].deleted = True  # the resident deleted it meanwhile
    chat.server.press(
        chat.resident.user, screen.message_id, f"{step_of(screen)}:c:north", strict=False
    )
    after = await chat.handled()
    assert "How safe do you feel?" in after.text
    assert after.message_id > screen.message_id
    _take_rejections(chat.server, "message to edit not found")


# --- item 4: updates without a sender, chat or message; buttons only in one's own chat --------


async def test_updates_without_sender_chat_or_message_break_nothing(
    chat: Chat, caplog: pytest.LogCaptureFixture
) -> None:
    screen = await chat.at_question()
    message = chat.server.bot_messages(chat.resident.chat_id)[-1].to_dict()
    caplog.set_level(logging.WARNING)
    odd: list[JSON] = [
        {"callback_query": {"id": "q-1", "chat_instance": "1", "data": "1:go", "message": message}},
        {"callback_query": {"id": "q-2", "from": chat.resident.user.to_dict(),
                            "chat_instance": "1", "data": "1:go", "inline_message_id": "i"}},
        {"message": {"message_id": 9001, "date": 0, "text": "hej",
                     "chat": {"id": chat.resident.chat_id, "type": "private"}}},
        {"message": {"message_id": 9002, "date": 0, "text": "/stats",
                     "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
                     "chat": {"id": chat.resident.chat_id, "type": "private"}}},
        {"edited_message": {"message_id": 9003, "date": 0, "edit_date": 1, "text": "x",
                            "chat": {"id": chat.resident.chat_id, "type": "private"}}},
    ]  # fmt: skip
    for update in odd:
        chat.server.send_raw(update)
    await chat.bot.wait_handled()
    failures = [r for r in caplog.records if "failed to handle" in r.getMessage()]
    assert failures == []
    assert chat.resident.current().text == screen.text
    # Query ids the fake never issued are "too old" for it; Telegram gives real ones.
    _take_rejections(chat.server, "query is too old")


async def test_staff_buttons_work_only_in_the_staff_members_private_chat(chat: Chat) -> None:
    server = chat.server
    server.send_group_text(GROUP, STAFF, "/stats")
    await chat.bot.wait_handled()
    (pointer,) = server.bot_messages(GROUP.id)
    update = server.press(STAFF, pointer.message_id, "st:all", chat_id=GROUP.id, strict=False)
    await chat.bot.wait_handled()
    answer = server.answer_for(update)
    assert answer is not None and STALE in (answer.text or "")
    assert [m.message_id for m in server.bot_messages(GROUP.id)] == [pointer.message_id]
    assert pointer.edits == 0


async def test_a_residents_current_button_on_a_group_message_does_nothing(chat: Chat) -> None:
    screen = await chat.at_question()
    before = await chat.stored()
    server = chat.server
    server.send_group_text(GROUP, chat.resident.user, "/start")
    await chat.bot.wait_handled()
    (pointer,) = server.bot_messages(GROUP.id)
    data = f"{step_of(screen)}:c:north"
    update = server.press(
        chat.resident.user, pointer.message_id, data, chat_id=GROUP.id, strict=False
    )
    await chat.bot.wait_handled()
    assert server.answer_for(update) is not None
    assert pointer.edits == 0 and len(server.bot_messages(GROUP.id)) == 1
    assert await chat.stored() == before
