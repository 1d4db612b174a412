"""One resident's step: load the session, advance the engine, persist, return the replies.

What must hold:
- the resident is known here only by keyed pseudonyms (`bot.privacy.pseudonyms.Pseudonyms`): the
  Telegram user id never reaches the store, and the session state is stored encrypted under the
  resident's own key (so a partial answer is as hard to link as a completion marker);
- one step runs against ONE survey, captured when it starts: a `/reload` meanwhile never makes
  an answer to the old version be tallied, marked or stored as the new one;
- one step is one store transaction, written before the replies are shown (persist first, then
  acknowledge: a crash after the write loses nothing the resident saw accepted);
- a completed survey is written atomically with its completion marker and tallies; a second
  completion for the same resident is refused by the marker;
- free text is scrubbed of personal data before it is kept anywhere, even in a session;
- where the resident found the survey is kept only as a declared source code or "other"
  (`bot.survey.sources`), as the answer to the never-asked `SOURCE` question: in the sealed
  response and the tallies, never with a time or anything else about the resident.

Callers must not run two steps of the same resident at once (the Telegram adapter keeps each
resident's updates in order; the terminal chat has one resident). Replicas sharing one database
take the resident's `turn()` around an update as well (`storage.base.ResidentTurns`, keyed by the
resident's pseudonym): then no other replica runs a step of that resident meanwhile.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from pydantic import ValidationError

from bot.conversation.engine import (
    AlreadyAnswered,
    Completed,
    Event,
    Reply,
    Session,
    TextSent,
    advance,
)
from bot.conversation.results import area_results
from bot.conversation.vocabulary import AreaResults
from bot.privacy.pseudonyms import Pseudonyms, ResidentKeys
from bot.privacy.scrub import scrub
from bot.stats.counters import tally_cells
from bot.stats.publication import publish
from bot.survey.model import Survey
from bot.survey.questions import DEFAULT_ZONE, TextQuestion
from bot.survey.sources import SOURCE, source_of
from storage.base import ResidentTurns, Response, Store, never

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class StepResult:
    """What one step did: the replies to show and the session before and after it."""

    replies: tuple[Reply, ...]
    before: Session | None
    after: Session | None

    @property
    def language(self) -> str | None:
        session = self.after or self.before
        return session.language if session else None


class SurveyService:
    """Runs residents' steps against the current survey and the store."""

    def __init__(
        self,
        survey: Survey,
        store: Store,
        pseudonyms: Pseudonyms,
        *,
        clock: Callable[[], datetime],
        session_ttl: timedelta = timedelta(days=7),
        turns: ResidentTurns | None = None,
    ) -> None:
        self.survey = survey
        self.store = store
        self._pseudonyms = pseudonyms
        self._clock = clock
        self._ttl = session_ttl
        self.turns = turns

    @property
    def pseudonyms(self) -> Pseudonyms:
        """The residents' pseudonyms (for their counters on `/metrics`)."""
        return self._pseudonyms

    @asynccontextmanager
    async def turn(self, user_id: int) -> AsyncIterator[None]:
        """Hold this resident's turn across replicas for the block (a no-op without `turns`):
        the lock is keyed by the resident's session pseudonym, never by the Telegram id."""
        if self.turns is None:
            yield
            return
        keys = await self._pseudonyms.resident(self.survey.id, user_id)
        async with self.turns.hold(keys.session_key):
            yield

    def language_for(self, telegram_language: str | None) -> str:
        """The survey language for a resident's Telegram language code (e.g. "sv-SE")."""
        return _language(self.survey, telegram_language)

    async def step(
        self, user_id: int, event: Event, *, telegram_language: str | None = None
    ) -> StepResult:
        """Apply one event for this resident and persist the outcome."""
        survey, now = self.survey, self._clock()
        keys = await self._pseudonyms.resident(survey.id, user_id)
        key = keys.session_key
        before = await self._load(keys)
        if before is None and await self.store.is_completed(keys.marker):
            language = _language(survey, telegram_language)
            return StepResult((AlreadyAnswered(language),), None, None)
        if isinstance(event, TextSent):
            event = replace(event, text=scrub(event.text))
        transition = advance(survey, before, event, now)
        after = transition.session
        if transition.completed is not None:
            stored = await self._complete(survey, keys, transition.completed, now)
            if not stored:
                return StepResult((AlreadyAnswered(transition.completed.language),), before, None)
        elif after is None:
            if before is not None:
                await self.store.delete_session(key)
        elif after != before:
            state = keys.seal_state(after.model_dump_json())
            await self.store.save_session(key, survey.id, state, _day(now))
        return StepResult(transition.replies, before, after)

    async def set_screen(self, user_id: int, message_id: int, typed: int | None = None) -> None:
        """Remember which chat message shows the survey (and a typed answer to delete later)."""
        survey_id = self.survey.id
        keys = await self._pseudonyms.resident(survey_id, user_id)
        session = await self._load(keys)
        if session is None:
            return
        typed_ids = session.typed
        if typed is not None and typed not in typed_ids:  # (a message shown again: kept once)
            typed_ids += (typed,)
        updated = session.model_copy(update={"screen": message_id, "typed": typed_ids})
        if updated != session:
            day = _day(self._clock())
            state = keys.seal_state(updated.model_dump_json())
            await self.store.save_session(keys.session_key, survey_id, state, day)

    async def has_publication(self) -> bool:
        """Whether anything is published that a resident's results could come from: a cheap
        read (it never advances the publication nor runs the disclosure audit), so the
        thank-you screen costs a resident nothing; the figures are made only when asked for."""
        survey = self.survey
        if survey.results_questions is None:
            return False
        current = await self.store.publish_if_due(survey.id, never)
        return current.responses > 0

    async def area_results(self, area: str, language: str) -> AreaResults | None:
        """How others in `area` answered, from the published snapshot only (see
        `bot.conversation.results`); the disclosure audit runs off the event loop."""
        survey = self.survey
        if survey.results_questions is None:
            return None
        snapshot = await publish(self.store, survey, self._clock())
        return await asyncio.to_thread(area_results, survey, snapshot, area, language)

    async def purge_idle(self) -> int:
        """Delete sessions idle longer than the TTL; returns how many."""
        cutoff = _day(self._clock()) - self._ttl
        return await self.store.purge_sessions(cutoff)

    async def _load(self, keys: ResidentKeys) -> Session | None:
        sealed = await self.store.load_session(keys.session_key)
        if sealed is None:
            return None
        raw = keys.open_state(sealed)
        try:
            if raw is None:
                raise ValueError("not sealed with this resident's key")
            return Session.model_validate_json(raw)
        except (ValidationError, ValueError):
            # A session from an incompatible release: start over rather than crash.
            log.warning("discarded an unreadable session")
            return None

    async def _complete(
        self, survey: Survey, keys: ResidentKeys, done: Completed, now: datetime
    ) -> bool:
        answers: dict[str, str | int | list[str] | None] = {}
        free_texts: dict[str, str] = {}
        tallied = dict(done.answers)
        if survey.sources:
            # Where the resident found the survey: a declared code (as the survey now declares
            # them) or "other", answered for them as the never-asked `SOURCE` question.
            tallied[SOURCE] = source_of(done.source, survey.sources)
        for question_id, value in tallied.items():
            question = survey.question(question_id)
            if isinstance(question, TextQuestion):
                # Kept apart and unlinked: the response says nothing about its free texts.
                if isinstance(value, str) and value:
                    free_texts[question_id] = value
            else:
                answers[question_id] = list(value) if isinstance(value, tuple) else value
        response = Response(
            survey_id=survey.id,
            survey_version=survey.version,
            day=_day(now),
            language=done.language,
            answers=answers,
            free_texts=free_texts,
        )
        return await self.store.complete(
            session_key=keys.session_key,
            marker=keys.marker,
            response=response,
            cells=tally_cells(survey, tallied),
        )


def _language(survey: Survey, telegram_language: str | None) -> str:
    """The survey language for a Telegram language code, as the engine picks it."""
    return survey.offered_language(telegram_language) or survey.default_language


def _day(now: datetime) -> date:
    """The coarse date stored with responses and sessions (Europe/Stockholm)."""
    return now.astimezone(DEFAULT_ZONE).date()
