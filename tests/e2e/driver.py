"""A simulated resident who answers a survey through the fake Bot API, like a person would:
reading the question on the screen, pressing buttons or typing, and remembering what they chose.

It knows the survey only to read the screen (which question this is) and to say afterwards what
it answered; it drives the bot solely through what a Telegram client shows.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from bot.conversation.direction import unmarked
from bot.survey.model import Survey
from bot.survey.questions import ChoiceQuestion, MultiQuestion, NumberQuestion, Question
from tests.fakes.bot_api import FakeBotApi
from tests.fakes.residents import Resident, Screen

TIMEOUT = 20.0


def step_of(screen: Screen) -> int | None:
    """The step number the screen's buttons carry (None without survey buttons)."""
    for button in screen.buttons:
        head = (button.callback_data or "").split(":")[0]
        if head.isdigit():
            return int(head)
    return None


def question_on(screen: Screen, survey: Survey, language: str) -> Question | None:
    """The question the screen shows, by its text in the resident's language."""
    shown = unmarked(screen.text)  # right-to-left screens carry direction marks
    found = [q for q in survey.active_questions if q.text[language].strip() in shown]
    return max(found, key=lambda q: len(q.text[language])) if found else None


@dataclass
class SurveyTaker:
    """One resident answering at random, recording what they answered."""

    server: FakeBotApi
    resident: Resident
    survey: Survey
    language: str
    rng: random.Random
    answers: dict[str, object] = field(default_factory=dict)
    skip_rate: float = 0.2
    #: Actions taken (presses, typed messages, commands): the resident's steps.
    actions: int = 0
    #: How the resident opens the survey: "/start", or a deep link's "/start <source>".
    start: str = "/start"

    async def act(self, action: object) -> Screen:
        """Run `action` (an awaitable) and wait until the bot showed something new."""
        before = self.resident.current()
        self.actions += 1
        await action  # type: ignore[misc]
        chat = self.resident.chat_id

        def moved() -> bool:
            now = self.resident.current()
            return (
                now.message_id != before.message_id
                or now.text != before.text
                or (now.buttons != before.buttons)
            )

        await self.server.wait_for(moved, TIMEOUT, chat_id=chat)
        return self.resident.current()

    async def begin(self) -> Screen:
        screen = await self.act(self.resident.send_command(self.start, wait=False))
        # The language screen's buttons carry a deep link's source: "l:<language>[:<source>]".
        pick = [
            data for data in screen.data if data and data.split(":")[:2] == ["l", self.language]
        ]
        if pick:
            screen = await self.act(self.resident.press(data=pick[0], wait=False))
        return await self.act(self.resident.press(data=f"{step_of(screen)}:go", wait=False))

    async def answer_all(self) -> dict[str, object]:
        """Answer until the thank-you shows; returns the answers given."""
        screen = await self.begin()
        thanks = self.survey.thanks[self.language].strip().splitlines()[0]
        for _ in range(200):
            if thanks in unmarked(screen.text):
                return self.answers
            screen = await self.answer_one(screen)
        raise AssertionError(f"no thank-you after 200 steps; last screen: {screen.text!r}")

    async def answer_one(self, screen: Screen) -> Screen:
        question = question_on(screen, self.survey, self.language)
        assert question is not None, f"no question on screen: {screen.text!r}"
        step = step_of(screen)
        if question.optional and self.rng.random() < self.skip_rate:
            self.answers[question.id] = None
            return await self.act(self.resident.press(data=f"{step}:s", wait=False))
        if isinstance(question, MultiQuestion):
            return await self._multi(question, screen)
        if isinstance(question, ChoiceQuestion):
            choice = self.rng.choice(question.active_choices)
            self.answers[question.id] = choice.id
            return await self.act(self.resident.press(data=f"{step}:c:{choice.id}", wait=False))
        if isinstance(question, NumberQuestion):
            value = self.rng.randint(question.min, question.max)
            self.answers[question.id] = value
            return await self.act(self.resident.send_text(str(value), wait=False))
        text = self.rng.choice(["Mer belysning vid busshållplatsen.", "More police at night."])
        self.answers[question.id] = text
        return await self.act(self.resident.send_text(text, wait=False))

    async def _multi(self, question: MultiQuestion, screen: Screen) -> Screen:
        choices = list(question.active_choices)
        normal = [c for c in choices if not c.exclusive]
        if self.rng.random() < 0.15 and len(normal) < len(choices):
            picked = [self.rng.choice([c for c in choices if c.exclusive])]
        else:
            limit = min(question.max or len(normal), len(normal))
            picked = self.rng.sample(normal, self.rng.randint(1, limit))
        for choice in picked:
            step = step_of(screen)
            screen = await self.act(self.resident.press(data=f"{step}:t:{choice.id}", wait=False))
        self.answers[question.id] = [c.id for c in choices if c in picked]
        return await self.act(self.resident.press(data=f"{step_of(screen)}:d", wait=False))
