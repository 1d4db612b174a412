"""An update handled again after a crash changes nothing twice (issue 16 item 2): the real bot
(`python -m bot run`, SURVEYBOT_POLLING=confirm-after) is killed with SIGKILL after a
resident's step was stored but before Telegram was told the update was handled (the bot hangs
on showing the next screen), so the restarted bot handles the same update again.

- A typed answer is applied once: it is not taken as the answer to the next question (a number
  typed for "years" would otherwise also answer "children"); the resident sees the next
  question without typing anything again, and the store holds each answer once.
- A press is stale by its step; the restarted bot draws the current step on the pressed
  message, so the resident has buttons without pressing again.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.survey.loader import load_survey
from tests.fakes.bot_api import FakeBotApi, User
from tests.fakes.residents import Resident, Screen
from tests.faults.bot_process import BotProcess
from tests.faults.conftest import CRASH_REJECTIONS, read_store, unexpected_rejections
from tests.faults.test_polling_crash import CONFIRMING, Hang

SURVEY = """\
id: redelivery_test
title: {sv: Testenkät, en: Test survey}
languages: [sv, en]
opens: 2020-01-01
closes: 2099-12-31
intro: {sv: Välkommen till testet., en: Welcome to the test.}
privacy: {sv: "Inga id sparas. Nödläge 112.", en: "No ids are stored. Emergency 112."}
thanks: {sv: Tack för dina svar!, en: Thank you for your answers!}
questions:
  - id: area
    kind: single
    breakdown: true
    text: {sv: Var bor du?, en: Where do you live?}
    choices:
      - {id: north, label: {sv: Norr, en: North}}
      - {id: south, label: {sv: Söder, en: South}}
  - id: years
    kind: number
    min: 0
    max: 100
    text: {sv: Hur många år har du bott här?, en: How many years have you lived here?}
  - id: children
    kind: number
    min: 0
    max: 20
    text: {sv: Hur många barn bor hos dig?, en: How many children live with you?}
"""
YEARS = "Hur många år har du bott här?"
CHILDREN = "Hur många barn bor hos dig?"


@pytest.fixture
def survey_file(tmp_path: Path) -> Path:
    path = tmp_path / "redelivery.yaml"
    path.write_text(SURVEY, encoding="utf-8")
    return path


async def wait_for_screen(resident: Resident, server: FakeBotApi, text: str) -> Screen:
    """The survey message once it shows `text` with buttons (30 s at most)."""

    def shown() -> bool:
        screen = resident.current()
        return text in screen.text and bool(screen.buttons)

    await server.wait_for(shown, 30, chat_id=resident.chat_id)
    return resident.current()


async def test_a_typed_answer_handled_again_after_a_crash_is_applied_once(
    server: FakeBotApi, survey_file: Path, tmp_path: Path
) -> None:
    resident = Resident(server, User(444_000_333, "Greta", language_code="sv"))
    hang = Hang(server, "sendMessage")
    async with BotProcess(server, tmp_path, survey_file, extra_env=CONFIRMING) as bot:
        await resident.send_command("/start", timeout=30)
        await resident.press(data=f"{_step(resident)}:go", timeout=30)  # Start
        await resident.press(data=f"{_step(resident)}:c:north", timeout=30)
        await wait_for_screen(resident, server, YEARS)

        hang.arm()  # the step is stored before the next screen is sent: kill it right there
        await resident.send_text("7", wait=False)
        await asyncio.wait_for(hang.reached.wait(), 30)
        await bot.kill()
        hang.release()
        await bot.restart()

        # The same update is handled again; the resident did nothing since typing 7.
        await wait_for_screen(resident, server, CHILDREN)
        await resident.send_text("2", timeout=30)
        await server.wait_for(lambda: "Tack för dina svar" in resident.current().text, 30)
        await server.wait_idle(timeout=20)
        await bot.stop()
        log = bot.log_text()

    report = await read_store(bot.database, load_survey(survey_file))
    assert [dict(r.answers) for r in report.responses] == [
        {"area": "north", "years": 7, "children": 2}
    ]
    assert report.count == 1 and report.sessions == 0
    assert unexpected_rejections(server, CRASH_REJECTIONS) == []
    assert "Traceback" not in log


async def test_a_press_handled_again_after_a_crash_draws_the_current_step(
    server: FakeBotApi, survey_file: Path, tmp_path: Path
) -> None:
    resident = Resident(server, User(444_000_444, "Hugo", language_code="sv"))
    hang = Hang(server, "editMessageText")
    async with BotProcess(server, tmp_path, survey_file, extra_env=CONFIRMING) as bot:
        await resident.send_command("/start", timeout=30)
        await resident.press(data=f"{_step(resident)}:go", timeout=30)  # Start
        pressed_on = resident.current().message_id

        hang.arm()  # the answer is stored, the press answered; the edit hangs: kill there
        await resident.press(data=f"{_step(resident)}:c:south", wait=False)
        await asyncio.wait_for(hang.reached.wait(), 30)
        await bot.kill()
        hang.release()
        await bot.restart()

        screen = await wait_for_screen(resident, server, YEARS)
        assert screen.message_id == pressed_on, "drawn on the message the resident pressed"
        await resident.send_text("12", timeout=30)
        await wait_for_screen(resident, server, CHILDREN)
        await resident.send_text("0", timeout=30)
        await server.wait_for(lambda: "Tack för dina svar" in resident.current().text, 30)
        await server.wait_idle(timeout=20)
        await bot.stop()

    report = await read_store(bot.database, load_survey(survey_file))
    assert [dict(r.answers) for r in report.responses] == [
        {"area": "south", "years": 12, "children": 0}
    ]
    assert unexpected_rejections(server, CRASH_REJECTIONS) == []


def _step(resident: Resident) -> int:
    """The step the survey message's buttons carry."""
    for button in resident.current().buttons:
        head = (button.callback_data or "").split(":")[0]
        if head.isdigit():
            return int(head)
    raise AssertionError(f"no survey buttons on {resident.current().text[:80]!r}")
