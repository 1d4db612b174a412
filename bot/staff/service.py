"""The staff's and admins' view of the running survey, in one object for the adapters.

`StaffService` ties the parts together for the Telegram adapter and the command line: views
(`bot.staff.views`), export (`bot.staff.export`), reload (`bot.staff.reload`) and roles with
the audit log (`bot.staff.roles`). It holds no logic of its own beyond which survey is running.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from bot.conversation.service import SurveyService
from bot.staff.export import Export, export_files
from bot.staff.reload import ReloadOutcome, reload_survey
from bot.staff.report import report_pdf_bytes, staff_indicators
from bot.staff.roles import ADMIN, STAFF, audit
from bot.staff.views import all_tables_view, headline_view, published, table_view
from bot.stats.lagesbild import IndicatorResult
from bot.stats.tables import Headline, Table
from bot.survey.model import Survey
from storage.base import Snapshot

__all__ = ["ADMIN", "STAFF", "Export", "ReloadOutcome", "StaffService"]


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
        """The published tallies, advanced if the schedule's next release is due."""
        return await published(self._residents.store, self.survey, self._clock())

    async def headline(self, language: str) -> Headline:
        return await headline_view(self._residents.store, self.survey, language, self._clock())

    async def table(self, question_id: str, by_question_id: str | None, language: str) -> Table:
        """One question's tally, overall or split (raises `bot.stats.tables.StatsError` if none)."""
        return await table_view(
            self._residents.store, self.survey, question_id, by_question_id, language
        )

    async def all_tables(self, language: str) -> list[Table]:
        """Every question's overall tally, in survey order."""
        return await all_tables_view(self._residents.store, self.survey, language)

    async def export(self, language: str, *, with_free_text: bool) -> Export:
        return await export_files(
            self._residents.store,
            self.survey,
            language,
            with_free_text=with_free_text,
            now=self._clock(),
            survey_path=self._path,
        )

    async def indicators(self, language: str) -> list[IndicatorResult]:
        """The indicators of the published snapshot, now and in the kept earlier rounds."""
        return await staff_indicators(
            self._residents.store, self.survey, self._path, language, self._clock()
        )

    async def report_pdf(self, language: str) -> bytes:
        """The lägesbild report of the published snapshot, as PDF (sv or en)."""
        language = language if language in ("sv", "en") else "sv"
        return await report_pdf_bytes(
            self._residents.store, self.survey, self._path, language, self._clock()
        )

    async def reload(self) -> ReloadOutcome:
        """Re-read the survey file; keep the running survey on any problem."""
        return await reload_survey(self._residents, self._path)

    async def close(self) -> None:
        """Close the store (for the command-line tools)."""
        await self._residents.store.close()

    async def audit(self, role: str, actor_id: int, action: str) -> None:
        """Record a staff or admin action, to the minute."""
        await audit(self._residents.store, self._clock, role, actor_id, action)
