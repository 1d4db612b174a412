"""Staff and admin work: published tallies, exports, survey reloads and the audit log.

What must hold:
- every number staff see comes from the published snapshot through `bot.stats.tables` (the one
  disclosure-control layer); nothing here reads responses;
- a reload never replaces the running survey with a broken one, nor with one that would orphan
  collected answers (a removed or renamed question or choice that has answers, or a question
  whose kind changed), unless the admin kept the old id with `retired: true`; residents in the
  middle of the survey continue on the new version (the engine fits their session to it);
- the suppression audit and charts are CPU work (up to ~1 s): they run in a worker thread, so
  residents' steps never wait for a staff member's /stats;
- every staff and admin action is audited with role, actor id and the minute (staff are
  employees, not respondents, so their ids may be kept).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from bot.conversation.service import SurveyService
from bot.stats.disclosure import history_after
from bot.stats.export import free_texts_csv, tallies_csv
from bot.stats.tables import Headline, Table, available_tables, headline, overall_table, split_table
from bot.survey.loader import SurveyError, load_survey
from bot.survey.model import Survey
from bot.survey.questions import DEFAULT_ZONE, MultiQuestion, ScaleQuestion, SingleQuestion
from storage.base import ANSWERED, OVERALL, AuditEntry, Snapshot

STAFF, ADMIN = "staff", "admin"


@dataclass(frozen=True)
class ReloadOutcome:
    """What a reload did: `ok` with a summary, or the problems that kept the old survey."""

    ok: bool
    summary: str
    problems: tuple[str, ...] = ()


@dataclass(frozen=True)
class Export:
    """Files for /export: the published tallies, and the free texts only on request."""

    tallies_csv: str
    free_texts_csv: str | None


class StaffService:
    """The staff's and admins' view of the running survey."""

    def __init__(
        self, residents: SurveyService, survey_path: Path, clock: Callable[[], datetime]
    ) -> None:
        self._residents = residents
        self._path = survey_path
        self._clock = clock

    @property
    def survey(self) -> Survey:
        return self._residents.survey

    async def snapshot(self) -> Snapshot:
        """The published tallies, advanced if a new batch of responses is complete; a new
        publication's disclosure history is recorded before anyone sees it."""
        survey, store = self.survey, self._residents.store
        snapshot = await store.publish_if_due(survey.id, survey.min_group_size)
        if snapshot.responses and not snapshot.disclosure_recorded:
            history = await asyncio.to_thread(history_after, survey, snapshot)
            await store.record_disclosure(survey.id, snapshot.responses, history)
        return snapshot

    async def headline(self, language: str) -> Headline:
        snapshot = await self.snapshot()
        in_progress = await self._residents.store.count_sessions(self.survey.id)
        return await asyncio.to_thread(headline, self.survey, snapshot, in_progress, language)

    async def table(self, question_id: str, by_question_id: str | None, language: str) -> Table:
        """One question's tally, overall or split (raises `bot.stats.tables.StatsError` if none)."""
        snapshot = await self.snapshot()
        if by_question_id is None:
            return await asyncio.to_thread(
                overall_table, self.survey, snapshot, question_id, language
            )
        return await asyncio.to_thread(
            split_table, self.survey, snapshot, question_id, by_question_id, language
        )

    async def all_tables(self, language: str) -> list[Table]:
        """Every question's overall tally, in survey order."""
        snapshot, survey = await self.snapshot(), self.survey

        def build() -> list[Table]:
            return [
                overall_table(survey, snapshot, question_id, language)
                for question_id, by in available_tables(survey)
                if by is None
            ]

        return await asyncio.to_thread(build)

    async def export(self, language: str, *, with_free_text: bool) -> Export:
        snapshot = await self.snapshot()
        tallies = await asyncio.to_thread(tallies_csv, self.survey, snapshot, language)
        texts = None
        if with_free_text:
            texts = free_texts_csv(await self._residents.store.free_texts(self.survey.id))
        return Export(tallies, texts)

    async def reload(self) -> ReloadOutcome:
        """Re-read the survey file; keep the running survey on any problem."""
        old = self.survey
        try:
            new = load_survey(self._path)
        except SurveyError as err:
            problems = tuple(str(p) for p in err.problems)
            return ReloadOutcome(False, f"{len(problems)} problem(s) in {self._path}", problems)
        if new.id == old.id:
            orphans = await self._orphans(old, new)
            if orphans:
                return ReloadOutcome(False, "the change would orphan collected answers", orphans)
        self._residents.survey = new
        if new.version == old.version:
            return ReloadOutcome(True, f"no change in meaning (version {new.version})")
        return ReloadOutcome(
            True, f"now running {new.id} version {new.version} (was {old.id} {old.version})"
        )

    async def _orphans(self, old: Survey, new: Survey) -> tuple[str, ...]:
        store = self._residents.store
        cells = await store.tallies(old.id)
        answered = {
            (c.question, c.choice) for c, n in cells.items() if n and c.by_question == OVERALL
        }
        answered |= {(q, ANSWERED) for q, _ in await store.free_texts(old.id)}
        problems: list[str] = []
        for question_id in sorted({q for q, _ in answered}):
            before, after = old.question(question_id), new.question(question_id)
            if after is None:
                problems.append(
                    f"questions: {question_id} has answers; keep it with 'retired: true' "
                    "instead of removing or renaming it"
                )
            elif before is not None and _kind_family(before) != _kind_family(after):
                problems.append(
                    f"questions.{question_id}.kind: changed from {before.kind} to {after.kind} "
                    "but it has answers; retire it and add a new question with a new id"
                )
        for question_id, choice_id in sorted(answered):
            after = new.question(question_id)
            if not isinstance(after, SingleQuestion | ScaleQuestion | MultiQuestion):
                continue
            if choice_id != ANSWERED and after.choice(choice_id) is None:
                problems.append(
                    f"questions.{question_id}.choices: {choice_id} has answers; keep it with "
                    "'retired: true' instead of removing or renaming it"
                )
        return tuple(problems)

    async def close(self) -> None:
        """Close the store (for the command-line tools)."""
        await self._residents.store.close()

    async def audit(self, role: str, actor_id: int, action: str) -> None:
        """Record a staff or admin action, to the minute."""
        minute = self._clock().astimezone(DEFAULT_ZONE).strftime("%Y-%m-%d %H:%M")
        await self._residents.store.record_audit(AuditEntry(minute, role, actor_id, action))


def _kind_family(question: object) -> str:
    """Kinds whose stored answers mean the same: single and scale are interchangeable."""
    kind = getattr(question, "kind", "")
    return "choice" if kind in ("single", "scale") else str(kind)
