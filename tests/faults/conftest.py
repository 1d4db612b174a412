"""Fixtures and shared pieces of the crash, fault and flood tests.

Owns: the survey file the subprocess bot runs (the shipped survey, with its opening window
widened so the suite does not expire with the survey), the fake Bot API, the patient resident
(`PatientTaker`: answers the shipped survey at random like `tests.e2e.driver.SurveyTaker`, and
when a step is lost - the screen did not change - asks again with /start, as a person would),
and the checks every test in this directory makes on the store and on the bot's log.

Must hold: every wait has a deadline; the checks compare what the residents saw accepted with
what the store holds, never the bot's internals.
"""

from __future__ import annotations

import asyncio
import json
import random
import re
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from bot.conversation.texts import t
from bot.stats.counters import tally_cells
from bot.survey.loader import load_survey
from bot.survey.model import Survey
from bot.survey.questions import (
    ChoiceQuestion,
    MultiQuestion,
    NumberQuestion,
    Question,
    TextQuestion,
)
from bot.survey.sources import OTHER, SOURCE
from storage import Cell, Response, SQLiteStore
from tests.analysis_key import ANALYSIS_PRIVATE
from tests.e2e.driver import question_on, step_of
from tests.fakes.bot_api import JSON, FakeBotApi, Rejection, User
from tests.fakes.residents import Resident, Screen

ROOT = Path(__file__).resolve().parents[2]
SHIPPED_SURVEY = ROOT / "surveys" / "questions.yaml"
#: How a multi question's button shows a choice toggled on (render.py's mark).
CHECKED_MARKS = ("☑", "✅", "✔")
TEXTS = ["Mer belysning vid busshållplatsen.", "More police at night.", "Tryggt här."]

#: Rejections a real Telegram gives after a crash between two calls of one step (the message to
#: edit or delete was already gone, the press was answered before): the bot handles them.
CRASH_REJECTIONS = (
    "message to delete not found",
    "message to edit not found",
    "query is too old",
    "message is not modified",
)


# ------------------------------------------------------------------ fixtures
@pytest.fixture(scope="session")
def survey_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped survey, open from 2020 to 2099 (opens/closes do not change its version)."""
    text = SHIPPED_SURVEY.read_text(encoding="utf-8")
    text, opened = re.subn(r"(?m)^opens:.*$", "opens: 2020-01-01", text)
    text, closed = re.subn(r"(?m)^closes:.*$", "closes: 2099-12-31", text)
    assert opened == closed == 1, "the shipped survey's opens/closes lines moved"
    path = tmp_path_factory.mktemp("survey") / "questions.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def survey(survey_path: Path) -> Survey:
    loaded = load_survey(survey_path)
    assert loaded.version == load_survey(SHIPPED_SURVEY).version
    return loaded


@pytest.fixture
async def server() -> AsyncIterator[FakeBotApi]:
    """The fake Bot API. Tests check `server.rejections` themselves (crashes cause a few)."""
    async with FakeBotApi() as fake:
        yield fake


# ------------------------------------------------------------------ the patient resident
@dataclass
class PatientTaker:
    """A resident answering the survey at random, who does not give up when a step is lost.

    The resident decides each answer once (`plan`), so a repeated step repeats the same answer.
    After acting, they wait `patience` seconds for the screen to change; if it does not (the
    bot crashed and lost the step, or is restarting), or the press was answered with a toast
    (an old button), they send /start, which shows the current question again, and go on from
    what the screen shows. They never re-type an answer blindly: a typed answer that was only
    delayed would otherwise answer the next question too.
    """

    server: FakeBotApi
    resident: Resident
    survey: Survey
    language: str
    rng: random.Random
    patience: float = 3.0
    #: Seconds to think before each action (min, max).
    think: tuple[float, float] = (0.0, 0.0)
    skip_rate: float = 0.2
    #: What the resident decided to answer, by question id.
    plan: dict[str, object] = field(default_factory=dict)
    #: The answers the resident gave (and saw accepted, once finished).
    answers: dict[str, object] = field(default_factory=dict)
    #: /start sent because a step showed no effect.
    nudges: int = 0
    actions: int = 0
    #: Updates the resident caused: messages (/start, typed answers) and button presses.
    messages_sent: int = 0
    presses_sent: int = 0
    #: Each press (its update) and when it was made (time.monotonic, as the fake's clock).
    press_log: list[tuple[JSON, float]] = field(default_factory=list)
    #: Screens that showed an earlier step than one already acknowledged: a lost answer.
    regressions: list[tuple[int, int]] = field(default_factory=list)
    #: What the resident types into a free-text question (None: one of TEXTS at random).
    free_text: str | None = None
    finished: bool = False
    #: When the thank-you showed (time.monotonic).
    finished_at: float = 0.0
    _acked_step: int = -1

    @property
    def chat_id(self) -> int:
        return self.resident.chat_id

    def answer_delays(self) -> list[float | None]:
        """Seconds from each press to the bot's answer (None: never answered)."""
        delays: list[float | None] = []
        for update, pressed in self.press_log:
            answer = self.server.answer_for(update)
            delays.append(None if answer is None else answer.time - pressed)
        return delays

    def _done_texts(self) -> tuple[str, str]:
        thanks = self.survey.thanks[self.language].strip().splitlines()[0]
        return thanks, t("already_answered", self.language)

    def is_finished(self) -> bool:
        last = self.resident.last_message()
        if last is None:
            return False
        return any(text in last.shown_text for text in self._done_texts())

    async def answer_all(
        self,
        timeout: float = 55.0,
        *,
        max_answers: int | None = None,
    ) -> dict[str, object]:
        """Answer until the thank-you (or "already answered") shows, or until `max_answers`
        questions were answered and the screen moved on; returns the answers."""
        deadline = time.monotonic() + timeout
        screen = self.resident.current()
        self._send_start()  # opening the bot: not a nudge
        await self._wait(screen)
        for _ in range(400):
            if self.is_finished():
                self.finished, self.finished_at = True, time.monotonic()
                return self.answers
            if time.monotonic() > deadline:
                break
            if self.think[1] > 0:
                await asyncio.sleep(self.rng.uniform(*self.think))
            screen = self.resident.current()
            step = step_of(screen)
            acted = await self._act(screen)
            if acted and await self._wait(screen):
                if step is not None:
                    self._acked_step = max(self._acked_step, step)
                if max_answers is not None and len(self.answers) >= max_answers:
                    return self.answers
                continue
            await self._nudge()
        raise AssertionError(
            f"resident {self.chat_id} did not finish within {timeout} s "
            f"({self.actions} actions, {self.nudges} nudges); screen: {screen.text[:200]!r}"
        )

    async def _nudge(self) -> None:
        self.nudges += 1
        screen = self.resident.current()
        self._send_start()
        await self._wait(screen)

    def _send_start(self) -> None:
        self.resident._last_press = None
        self.messages_sent += 1
        self.server.send_command(self.resident.user, "/start")

    async def _wait(self, before: Screen) -> bool:
        """Whether the screen moved on from `before` within `patience` (False on a toast).

        Any change in the chat is not enough: a step may send the new screen and then delete an
        older message, and the deletion of the previous step's message must not count as the
        answer to this one (the resident would type their answer twice)."""

        def moved() -> bool:
            return self.resident.current() != before or self.is_finished()

        def moved_or_refused() -> bool:
            answer = self.resident.last_answer()
            return moved() or (answer is not None and answer.text is not None)

        try:
            await self.server.wait_for(moved_or_refused, self.patience, chat_id=self.chat_id)
        except TimeoutError:
            return False
        return moved()

    async def _act(self, screen: Screen) -> bool:
        """Do the next thing the screen asks for; False if it shows nothing to act on."""
        self.resident._last_press = None
        data = [b.callback_data or "" for b in screen.buttons]
        if not data:
            return False
        step = step_of(screen)
        if step is not None and step < self._acked_step:
            self.regressions.append((step, self._acked_step))
        if any(d.endswith(":go") for d in data):
            if f"l:{self.language}" in data:
                return self._press(f"l:{self.language}", screen)
            return self._press(f"{step}:go", screen)
        question = question_on(screen, self.survey, self.language)
        if question is None or step is None:
            return False
        if question.id not in self.plan:
            self.plan[question.id] = self._decide(question)
        wanted = self.plan[question.id]
        if wanted is None:
            self.answers[question.id] = None
            return self._press(f"{step}:s", screen)
        if isinstance(question, MultiQuestion):
            assert isinstance(wanted, list)
            for button in screen.buttons:
                prefix = f"{step}:t:"
                if not (button.callback_data or "").startswith(prefix):
                    continue
                choice = (button.callback_data or "").removeprefix(prefix)
                if button.text.startswith(CHECKED_MARKS) != (choice in wanted):
                    return self._press(button.callback_data or "", screen)
            self.answers[question.id] = list(wanted)
            return self._press(f"{step}:d", screen)
        self.answers[question.id] = wanted
        if isinstance(question, ChoiceQuestion):
            return self._press(f"{step}:c:{wanted}", screen)
        self.actions += 1
        self.messages_sent += 1
        self.server.send_text(self.resident.user, str(wanted))
        return True

    def _press(self, data: str, screen: Screen) -> bool:
        self.actions += 1
        try:
            update = self.server.press(self.resident.user, screen.message_id, data)
        except ValueError:  # the message went away meanwhile
            return False
        self.resident._last_press = update
        self.presses_sent += 1
        self.press_log.append((update, time.monotonic()))
        return True

    def _decide(self, question: Question) -> object:
        rng = self.rng
        if question.optional and rng.random() < self.skip_rate:
            return None
        if isinstance(question, MultiQuestion):
            choices = list(question.active_choices)
            normal = [c for c in choices if not c.exclusive]
            if rng.random() < 0.15 and len(normal) < len(choices):
                return [rng.choice([c for c in choices if c.exclusive]).id]
            limit = min(question.max or len(normal), len(normal))
            picked = {c.id for c in rng.sample(normal, rng.randint(1, limit))}
            return [c.id for c in choices if c.id in picked]
        if isinstance(question, ChoiceQuestion):
            return rng.choice(question.active_choices).id
        if isinstance(question, NumberQuestion):
            return rng.randint(question.min, question.max)
        assert isinstance(question, TextQuestion)
        return self.free_text if self.free_text is not None else rng.choice(TEXTS)


def make_takers(
    server: FakeBotApi,
    survey: Survey,
    count: int,
    seed: int,
    *,
    patience: float = 3.0,
    think: tuple[float, float] = (0.0, 0.0),
    first_id: int = 700_000_000,
) -> list[PatientTaker]:
    """`count` residents with distinct ids, half in Swedish and half in English."""
    rng = random.Random(seed)
    ids = rng.sample(range(first_id, first_id + 99_999_999), count)
    takers = []
    for i, user_id in enumerate(ids):
        language = ("sv", "en")[i % 2]
        user = User(user_id, f"Resident{i}", username=f"resident_{i}", language_code=language)
        taker = PatientTaker(
            server,
            Resident(server, user),
            survey,
            language,
            random.Random(rng.getrandbits(64)),
            patience=patience,
            think=think,
        )
        takers.append(taker)
    return takers


async def run_all(
    takers: Sequence[PatientTaker],
    timeout: float = 55.0,
    concurrency: int = 50,
    *,
    max_answers: int | None = None,
) -> None:
    """Every taker answers the survey (or `max_answers` questions), `concurrency` at a time,
    within `timeout` overall."""
    gate = asyncio.Semaphore(concurrency)

    async def one(taker: PatientTaker) -> None:
        async with gate:
            await taker.answer_all(timeout, max_answers=max_answers)

    await asyncio.wait_for(asyncio.gather(*(one(x) for x in takers)), timeout + 5)


# ------------------------------------------------------------------ checks
def stored_form(survey: Survey, language: str, answers: dict[str, object]) -> str:
    """What the store should hold for these answers, as canonical JSON."""
    out: dict[str, object] = {}
    for question_id, value in answers.items():
        question = survey.question(question_id)
        assert question is not None
        if not isinstance(question, TextQuestion):  # free text is kept apart, unmentioned
            out[question_id] = value
    if survey.sources and SOURCE not in out:  # residents here open with a plain /start
        out[SOURCE] = OTHER
    return json.dumps({"language": language, "answers": out}, sort_keys=True)


def response_form(response: Response) -> str:
    return json.dumps(
        {"language": response.language, "answers": dict(response.answers)}, sort_keys=True
    )


@dataclass
class StoreReport:
    """What the store holds after a run."""

    responses: list[Response]
    tallies: dict[Cell, int]
    count: int
    sessions: int
    integrity: str


async def read_store(database: Path, survey: Survey) -> StoreReport:
    """Open the store (the bot must be stopped: it holds the lock) and read everything."""
    store = await SQLiteStore.open(database)
    try:
        return StoreReport(
            responses=await store.responses(survey.id, ANALYSIS_PRIVATE),
            tallies=await store.tallies(survey.id),
            count=await store.count_responses(survey.id),
            sessions=await store.count_sessions(survey.id),
            integrity=await store.integrity_check(),
        )
    finally:
        await store.close()


def recount(survey: Survey, responses: Iterable[Response]) -> dict[Cell, int]:
    """The tallies computed again from the stored responses."""
    counts: Counter[Cell] = Counter()
    for response in responses:
        counts.update(tally_cells(survey, dict(response.answers)))
    return dict(counts)


def assert_store_matches(
    report: StoreReport, survey: Survey, takers: Sequence[PatientTaker], *, other_sessions: int = 0
) -> None:
    """Exactly one response per resident, each equal to what the resident answered; tallies
    equal a recount of the responses (so no partial response is counted); the file is sound."""
    assert report.integrity == "ok", report.integrity
    expected = sorted(stored_form(survey, x.language, x.answers) for x in takers)
    stored = sorted(response_form(r) for r in report.responses)
    assert len(stored) == len(takers), (len(stored), len(takers))
    assert report.count == len(takers)
    missing = Counter(expected) - Counter(stored)
    extra = Counter(stored) - Counter(expected)
    assert not missing and not extra, f"missing {list(missing)[:3]}, unexpected {list(extra)[:3]}"
    assert all(r.survey_version == survey.version for r in report.responses)
    assert report.tallies == recount(survey, report.responses)
    assert report.sessions == other_sessions, "a finished resident's session was left behind"


def unexpected_rejections(server: FakeBotApi, allowed: Sequence[str] = ()) -> list[Rejection]:
    """Calls Telegram would have refused, other than those whose description is `allowed`."""
    return [r for r in server.rejections if not any(a in r.description for a in allowed)]


#: A line the bot's log format (`bot.privacy.redaction.FORMAT`) starts a record with.
LOG_RECORD = re.compile(r"^(DEBUG|INFO|WARNING|ERROR|CRITICAL) [\w.]+: ")


class TracebackInLog(AssertionError):
    """The bot's log shows a traceback (its own type, so a test may expect exactly this)."""


def assert_clean_log(log: str, user_ids: Iterable[int], *, max_lines: int | None = None) -> None:
    """No resident id, at most `max_lines` log records (one line each), and no traceback."""
    for user_id in user_ids:
        assert str(user_id) not in log, "a resident's id is in the log"
    if max_lines is not None:
        records = [line for line in log.splitlines() if LOG_RECORD.match(line)]
        assert len(records) <= max_lines, "\n".join(records[-40:])
    if "Traceback" in log:
        start = log.index("Traceback")
        raise TracebackInLog(
            f"a traceback in the bot's log:\n{log[max(0, start - 300) : start + 1500]}"
        )
