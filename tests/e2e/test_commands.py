"""Commands, the command menu, closed and already-answered surveys, and clean-up after the end."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path

import pytest

from bot.conversation.texts import COMMANDS
from bot.survey.loader import load_survey
from bot.survey.model import Survey
from tests.analysis_key import ANALYSIS_PRIVATE
from tests.e2e.driver import step_of
from tests.e2e.harness import running_bot
from tests.fakes.bot_api import FakeBotApi, User
from tests.fakes.residents import Resident

SMALL = Path(__file__).with_name("small_survey.yaml")


@pytest.fixture
def small() -> Survey:
    return load_survey(SMALL)


@pytest.fixture
async def resident(server: FakeBotApi, small: Survey, tmp_path: Path) -> AsyncIterator[Resident]:
    async with running_bot(server, small, tmp_path / "s.db"):
        yield Resident(server, User(700_000_002, "Olle", language_code="sv"))


async def test_the_command_menu_is_registered_in_every_language(
    server: FakeBotApi, resident: Resident
) -> None:
    menus = (
        ("sv", "Börja eller fortsätt enkäten"),
        ("en", "Begin or continue"),
        ("ar", "ابدأ الاستبيان أو تابعه"),
        ("fa", "شروع یا ادامهٔ نظرسنجی"),
        ("so", "Bilow ama sii wad sahanka"),
        ("ti", "መጽናዕቲ ጀምር ወይ ቀጽል"),
    )
    for language, start in menus:
        commands = server.commands_for(language_code=language)
        assert [c["command"] for c in commands] == list(COMMANDS)
        assert start in commands[0]["description"]
    assert [c["command"] for c in server.commands_for()] == list(COMMANDS)


async def test_help_privacy_and_language(resident: Resident) -> None:
    await resident.send_command("/help", settle=0.05)
    assert "/cancel" in resident.messages()[-1] and "112" in resident.messages()[-1]
    await resident.send_command("/privacy", settle=0.05)
    assert "Inga id sparas" in resident.messages()[-1]
    screen = await resident.send_command("/language", settle=0.05)
    assert {b.callback_data for b in screen.buttons} == {"l:sv", "l:en"}
    screen = await resident.press(data="l:en", settle=0.05)
    assert "Welcome to the test." in screen.text, "the chooser became the survey, in English"
    screen = await resident.press(data=f"{step_of(screen)}:go", settle=0.05)
    assert "Where do you live?" in screen.text


async def test_cancel_deletes_the_answers_and_the_survey_message(
    server: FakeBotApi, resident: Resident
) -> None:
    screen = await resident.send_command("/start", settle=0.05)
    screen = await resident.press(data=f"{step_of(screen)}:go", settle=0.05)
    await resident.press(data=f"{step_of(screen)}:c:north", settle=0.05)
    await resident.send_command("/cancel", settle=0.05)
    visible = server.bot_messages(resident.chat_id)
    assert len(visible) == 1 and "raderade" in visible[0].shown_text
    screen = await resident.send_command("/start", settle=0.05)
    assert "Välkommen till testet." in screen.text, "a fresh start after /cancel"


async def test_restart_goes_back_to_the_first_question(resident: Resident) -> None:
    screen = await resident.send_command("/start", settle=0.05)
    screen = await resident.press(data=f"{step_of(screen)}:go", settle=0.05)
    screen = await resident.press(data=f"{step_of(screen)}:c:south", settle=0.05)
    assert "Hur trygg" in screen.text
    screen = await resident.send_command("/restart", settle=0.05)
    assert "Var bor du?" in screen.text and "Fråga 1 av" in screen.text
    assert not any(b.text.startswith("✔️") for b in screen.buttons), "answers were cleared"


async def test_typed_answers_are_removed_and_a_second_response_is_refused(
    server: FakeBotApi, resident: Resident
) -> None:
    screen = await resident.send_command("/start", settle=0.05)
    screen = await resident.press(data=f"{step_of(screen)}:go", settle=0.05)
    screen = await resident.press(data=f"{step_of(screen)}:c:north", settle=0.05)
    screen = await resident.press(data=f"{step_of(screen)}:c:safe", settle=0.05)
    screen = await resident.send_text("12", settle=0.05)
    screen = await resident.send_text("Bra belysning, tack", settle=0.1)
    assert "Tack för dina svar!" in screen.text
    chat = server.chat(resident.chat_id)
    assert chat is not None
    typed = [m for m in chat.messages.values() if not m.from_bot and not m.deleted]
    commands_only = [m for m in typed if (m.text or "").startswith("/")]
    assert typed == commands_only, "typed answers were deleted from the chat"
    visible = server.bot_messages(resident.chat_id)
    assert len(visible) == 1 and not visible[0].buttons
    await resident.send_command("/start", settle=0.05)
    assert "redan svarat" in resident.messages()[-1]


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (datetime.fromisoformat("2025-06-01T12:00:00+02:00"), "inte öppnat än"),
        (datetime.fromisoformat("2028-01-02T12:00:00+01:00"), "stängd"),
    ],
)
async def test_outside_the_survey_window_residents_get_a_polite_message(
    server: FakeBotApi, small: Survey, tmp_path: Path, now: datetime, expected: str
) -> None:
    async with running_bot(server, small, tmp_path / "s.db", clock=lambda: now):
        resident = Resident(server, User(700_000_003, "Kim", language_code="sv"))
        screen = await resident.send_command("/start", settle=0.05)
    assert expected in screen.text and not screen.buttons


async def test_a_bot_restart_mid_survey_loses_nothing(
    server: FakeBotApi, small: Survey, tmp_path: Path
) -> None:
    user = User(700_000_004, "Sam", language_code="en")
    resident = Resident(server, user)
    async with running_bot(server, small, tmp_path / "s.db"):
        screen = await resident.send_command("/start", settle=0.05)
        screen = await resident.press(data=f"{step_of(screen)}:go", settle=0.05)
        screen = await resident.press(data=f"{step_of(screen)}:c:south", settle=0.05)
    async with running_bot(server, small, tmp_path / "s.db") as bot:
        screen = await resident.press(data=f"{step_of(screen)}:c:unsafe", settle=0.05)
        assert "Why do you feel unsafe?" in screen.text
        screen = await resident.press(data=f"{step_of(screen)}:t:dunno", settle=0.05)
        screen = await resident.press(data=f"{step_of(screen)}:d", settle=0.05)
        screen = await resident.send_text("4", settle=0.05)
        screen = await resident.press(data=f"{step_of(screen)}:s", settle=0.05)
        assert "Thank you" in screen.text
        (response,) = await bot.service.store.responses(small.id, ANALYSIS_PRIVATE)
    assert dict(response.answers) == {
        "area": "south",
        "safe": "unsafe",
        "why": ["dunno"],
        "years": 4,
    }
