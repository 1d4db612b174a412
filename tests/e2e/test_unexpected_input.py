"""Every kind of unexpected input gets a short translated hint and changes nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.privacy.pseudonyms import Pseudonyms
from bot.survey.loader import load_survey
from bot.survey.model import Survey
from tests.e2e.driver import step_of
from tests.e2e.harness import SECRET, RunningBot, running_bot
from tests.fakes.bot_api import FakeBotApi, User
from tests.fakes.residents import Resident, Screen

SMALL = Path(__file__).with_name("small_survey.yaml")
#: The harness's pseudonyms (same secret), to open stored sessions.
PSEUDONYMS = Pseudonyms(SECRET)


@dataclass
class Chat:
    server: FakeBotApi
    bot: RunningBot
    resident: Resident
    survey: Survey

    async def stored_session(self) -> str | None:
        """The resident's session as the bot stored it, opened with their derived key."""
        keys = PSEUDONYMS.keys(self.survey.id, self.resident.user.id)
        sealed = await self.bot.service.store.load_session(keys.session_key)
        return None if sealed is None else keys.open_state(sealed)

    async def at_question(self, *presses: str) -> Screen:
        """Start, then press the choices given (ids of single/scale choices)."""
        screen = await self.resident.send_command("/start", settle=0.05)
        screen = await self.resident.press(data=f"{step_of(screen)}:go", settle=0.05)
        for choice in presses:
            screen = await self.resident.press(data=f"{step_of(screen)}:c:{choice}", settle=0.05)
        return screen


@pytest.fixture
async def chat(server: FakeBotApi, tmp_path: Path) -> AsyncIterator[Chat]:
    survey = load_survey(SMALL)
    async with running_bot(server, survey, tmp_path / "s.db") as bot:
        user = User(700_000_001, "Eva", language_code="en")
        yield Chat(server, bot, Resident(server, user), survey)


async def test_text_when_buttons_are_expected_moves_the_question_below_with_a_hint(
    chat: Chat,
) -> None:
    before = await chat.at_question()
    stored = await chat.stored_session()
    screen = await chat.resident.send_text("I feel fine", settle=0.05)
    assert "Where do you live?" in screen.text
    assert "Please answer with the buttons" in screen.text
    assert screen.message_id > before.message_id, "the question moved below the typed text"
    assert [m.message_id for m in chat.server.bot_messages(chat.resident.chat_id)] == [
        screen.message_id
    ]
    after = await chat.stored_session()
    assert stored is not None and after is not None
    assert _answers(stored) == _answers(after)


@pytest.mark.parametrize("kind", ["sticker", "photo", "voice", "location", "contact"])
async def test_media_gets_a_hint_and_changes_nothing(chat: Chat, kind: str) -> None:
    await chat.at_question("north")
    stored = await chat.stored_session()
    getattr(chat.server, f"send_{kind}")(chat.resident.user)
    screen = await chat.resident.wait_change(settle=0.05)
    assert "I can only take answers from the buttons or as text" in screen.text
    assert "How safe do you feel?" in screen.text
    assert _answers(await chat.stored_session()) == _answers(stored)


async def test_an_edited_message_is_not_read_as_an_answer(chat: Chat) -> None:
    await chat.at_question("north", "safe")
    typed = chat.server.send_text(chat.resident.user, "12")
    await chat.resident.wait_change(settle=0.05)
    chat.server.edit_text(chat.resident.user, typed["message"]["message_id"], "99")
    await chat.resident.wait_change(settle=0.05)
    assert "Edited messages are not read" in chat.resident.messages()[-1]
    assert _answers(await chat.stored_session())["years"] == 12


async def test_a_press_on_an_old_question_or_a_double_press_changes_nothing(chat: Chat) -> None:
    first = await chat.at_question()
    old_data = f"{step_of(first)}:c:north"
    await chat.resident.press(data=old_data, settle=0.05)
    stored = await chat.stored_session()
    # The same button again (a double press, or a redelivered press): a toast, no change.
    update = chat.server.press(chat.resident.user, first.message_id, old_data, strict=False)
    await chat.server.wait_for(lambda: chat.server.answer_for(update) is not None, 5)
    answer = chat.server.answer_for(update)
    assert answer is not None and "earlier question" in (answer.text or "")
    assert await chat.stored_session() == stored
    assert "How safe do you feel?" in chat.resident.current().text


async def test_numbers_out_of_range_and_words_are_refused_with_the_range(chat: Chat) -> None:
    await chat.at_question("north", "safe")
    screen = await chat.resident.send_text("250", settle=0.05)
    assert "between 0 and 100" in screen.text
    screen = await chat.resident.send_text("many", settle=0.05)
    assert "not a whole number" in screen.text
    assert "years" not in _answers(await chat.stored_session())
    screen = await chat.resident.send_text("7", settle=0.05)
    assert "Anything else?" in screen.text


async def test_text_over_the_limit_is_refused_and_can_be_sent_again(chat: Chat) -> None:
    await chat.at_question("north", "safe")
    await chat.resident.send_text("3", settle=0.05)
    screen = await chat.resident.send_text("x" * 41, settle=0.05)
    assert "at most 40 characters" in screen.text
    screen = await chat.resident.send_text("Short enough", settle=0.05)
    assert "Thank you for your answers!" in screen.text


async def test_a_multi_question_refuses_more_than_max_with_a_toast(chat: Chat) -> None:
    screen = await chat.at_question("north", "unsafe")
    for choice in ("dark", "people"):
        screen = await chat.resident.press(data=f"{step_of(screen)}:t:{choice}", settle=0.05)
    assert sum("☑️" in b.text for b in screen.buttons) == 2
    update = chat.server.press(
        chat.resident.user, screen.message_id, f"{step_of(screen)}:t:traffic"
    )
    await chat.server.wait_for(lambda: chat.server.answer_for(update) is not None, 5)
    answer = chat.server.answer_for(update)
    assert answer is not None and "at most 2" in (answer.text or "")
    assert sum("☑️" in b.text for b in chat.resident.current().buttons) == 2


async def test_group_chats_get_a_pointer_and_no_survey(server: FakeBotApi, chat: Chat) -> None:
    server.send_group_text(-100123, chat.resident.user, "/start")
    await server.wait_for(lambda: bool(server.bot_messages(-100123)), 5)
    (message,) = server.bot_messages(-100123)
    assert "private chat" in message.shown_text and "t.me/" in message.shown_text
    assert not message.buttons


async def test_an_unknown_command_gets_help(chat: Chat) -> None:
    await chat.resident.send_command("/frobnicate", settle=0.05)
    assert "I don't know that command" in chat.resident.messages()[-1]


def _answers(raw: str | None) -> dict[str, object]:
    import json

    assert raw is not None
    answers: dict[str, object] = json.loads(raw)["answers"]
    return answers


async def test_a_command_typed_without_a_command_entity_is_never_the_answer(chat: Chat) -> None:
    await chat.at_question("north", "safe")
    await chat.resident.send_text("12", settle=0.05)  # years; now the free-text question
    stored = await chat.stored_session()
    screen = await chat.resident.send_text("/privacy", settle=0.05)  # plain text, no entity
    assert "That is a command, not an answer" in screen.text
    assert "Anything else?" in screen.text
    assert _answers(await chat.stored_session()) == _answers(stored)
