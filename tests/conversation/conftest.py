"""A small branching survey built in code, and a driver that plays a resident.

The survey: `safe` (scale) -> `why` (multi, only if unsafe; max 2, `none` exclusive, `litter`
retired) -> `where` (optional text, only if `why` has dark or people) -> `age` (number 16..110)
-> `area` (optional single, `old_town` retired) -> `police` (retired) -> `comment` (optional
text).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.conversation.engine import (
    Began,
    ChoicePicked,
    ChoiceToggled,
    Event,
    LanguageChosen,
    MultiDone,
    Opened,
    Reply,
    Session,
    Skipped,
    TextSent,
    Transition,
    WentBack,
    advance,
)
from bot.survey.model import Survey

ZONE = ZoneInfo("Europe/Stockholm")
#: Inside the survey's open period.
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=ZONE)
BEFORE_OPENING = datetime(2026, 10, 31, 23, 59, tzinfo=ZONE)
AFTER_CLOSING = datetime(2027, 4, 1, 0, 0, tzinfo=ZONE)


def text(words: str) -> dict[str, str]:
    return {"sv": f"{words} (sv)", "en": words}


def choices(*ids: str, **flags: dict[str, bool]) -> list[dict[str, Any]]:
    return [{"id": i, "label": text(i.replace("_", " ")), **flags.get(i, {})} for i in ids]


def survey_data() -> dict[str, Any]:
    """The test survey as the admin would write it (a fresh copy each call)."""
    unsafe = ["fairly_unsafe", "very_unsafe"]
    return copy.deepcopy(
        {
            "id": "test_survey",
            "title": text("Safety"),
            "languages": ["sv", "en"],
            "opens": "2026-11-01",
            "closes": "2027-03-31",
            "intro": text("Hello"),
            "privacy": text("Anonymous"),
            "thanks": text("Thanks"),
            "questions": [
                {
                    "id": "safe",
                    "kind": "scale",
                    "text": text("How safe do you feel?"),
                    "choices": choices(
                        "very_safe", "fairly_safe", "fairly_unsafe", "very_unsafe", "dont_know"
                    ),
                },
                {
                    "id": "why",
                    "kind": "multi",
                    "text": text("Why?"),
                    "max": 2,
                    "show_if": {"safe": unsafe},
                    "choices": choices(
                        "dark",
                        "people",
                        "traffic",
                        "litter",
                        "none",
                        litter={"retired": True},
                        none={"exclusive": True},
                    ),
                },
                {
                    "id": "where",
                    "kind": "text",
                    "text": text("Where?"),
                    "optional": True,
                    "max_length": 20,
                    "show_if": {"why": ["dark", "people"]},
                },
                {"id": "age", "kind": "number", "text": text("Age?"), "min": 16, "max": 110},
                {
                    "id": "area",
                    "kind": "single",
                    "text": text("Area?"),
                    "optional": True,
                    "breakdown": True,
                    "choices": choices(
                        "centre", "north", "south", "old_town", old_town={"retired": True}
                    ),
                },
                {
                    "id": "police",
                    "kind": "single",
                    "text": text("Police?"),
                    "retired": True,
                    "choices": choices("yes", "no"),
                },
                {"id": "comment", "kind": "text", "text": text("Anything else?"), "optional": True},
            ],
        }
    )


def build(data: dict[str, Any]) -> Survey:
    return Survey.model_validate(data)


def edited(change: Callable[[dict[str, Any]], None]) -> Survey:
    """The test survey after an admin's edit."""
    data = survey_data()
    change(data)
    return build(data)


def question_data(data: dict[str, Any], question_id: str) -> dict[str, Any]:
    return next(q for q in data["questions"] if q["id"] == question_id)


class Resident:
    """Plays one resident: sends events with the current step and keeps the session.

    Actions are short strings: "open", "open:en", "begin", "pick:ID", "toggle:ID", "done",
    "skip", "back", "type:TEXT", "lang:LL". A leading "old " sends the button with the
    previous step (a press on an old message).
    """

    def __init__(self, survey: Survey, session: Session | None = None) -> None:
        self.survey = survey
        self.session = session
        self.now = NOW
        self.last: Transition | None = None

    @property
    def step(self) -> int:
        return self.session.step if self.session is not None else 0

    @property
    def reply(self) -> Reply:
        assert self.last is not None and len(self.last.replies) == 1
        return self.last.replies[0]

    def send(self, event: Event) -> Transition:
        self.last = advance(self.survey, self.session, event, self.now)
        self.session = self.last.session
        return self.last

    def do(self, *actions: str) -> Transition:
        for action in actions:
            self.send(self.event(action))
        assert self.last is not None
        return self.last

    def event(self, action: str) -> Event:
        step = self.step
        if action.startswith("old "):
            action, step = action[4:], step - 1
        name, _, arg = action.partition(":")
        match name:
            case "open":
                return Opened(arg or "sv")  # a resident whose Telegram is in Swedish
            case "begin":
                return Began(step)
            case "pick":
                return ChoicePicked(step, arg)
            case "toggle":
                return ChoiceToggled(step, arg)
            case "done":
                return MultiDone(step)
            case "skip":
                return Skipped(step)
            case "back":
                return WentBack(step)
            case "type":
                return TextSent(arg)
            case "lang":
                return LanguageChosen(arg)
        raise ValueError(action)


@pytest.fixture(scope="session")
def survey() -> Survey:
    return build(survey_data())


@pytest.fixture
def resident(survey: Survey) -> Resident:
    return Resident(survey)
