"""The lägesbild report for staff: the published snapshot, the earlier rounds kept beside the
survey file, rendered as PDF off the event loop.

What must hold: the report is built from the published snapshot only (`bot.stats.report`), so
/report shows nothing /stats would not; no weighting here (it needs the sealed responses and the
analysis private key, which never live on the server: `survey-bot report --margins` on the
analyst's machine); rendering (seconds of CPU) runs in a worker thread.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from pathlib import Path

from bot.staff.views import published
from bot.stats.document import report_pdf
from bot.stats.lagesbild import IndicatorResult, indicators
from bot.stats.report import Report, Weighting, build_report
from bot.stats.rounds import load_rounds
from bot.stats.tables import StatsError, overall_table
from bot.survey.model import Survey
from bot.survey.questions import DEFAULT_ZONE
from storage.base import Store


def rounds_folder(survey_path: Path) -> Path:
    """Where earlier rounds are kept: `rounds/` beside the survey file."""
    return survey_path.parent / "rounds"


async def staff_report(
    store: Store,
    survey: Survey,
    survey_path: Path,
    language: str,
    now: datetime,
    weighting: Weighting | None = None,
) -> Report:
    """The report's content for the published snapshot and the kept earlier rounds (with the
    weighting, when the analyst's command line made one)."""
    snapshot = await published(store, survey)
    rounds = await asyncio.to_thread(load_rounds, rounds_folder(survey_path), survey)
    today = now.astimezone(DEFAULT_ZONE).date()
    return build_report(survey, snapshot, language, today, rounds, weighting)


async def report_pdf_bytes(
    store: Store, survey: Survey, survey_path: Path, language: str, now: datetime
) -> bytes:
    """The report as PDF (rendered in a worker thread)."""
    report = await staff_report(store, survey, survey_path, language, now)
    return await asyncio.to_thread(report_pdf, report)


async def staff_indicators(
    store: Store, survey: Survey, survey_path: Path, language: str, now: datetime
) -> list[IndicatorResult]:
    """The survey's indicators from the published snapshot, with the kept earlier rounds: the
    same figures as the report's first page (for `stats --json` and the CSV export)."""
    snapshot = await published(store, survey)
    rounds = await asyncio.to_thread(load_rounds, rounds_folder(survey_path), survey)
    needed = {
        q for i in survey.indicators for q in getattr(i, "questions", (getattr(i, "question", ""),))
    }

    def build() -> list[IndicatorResult]:
        tables = {}
        for question_id in needed:
            try:
                tables[question_id] = overall_table(survey, snapshot, question_id, language)
            except StatsError:
                continue
        label = str(now.astimezone(DEFAULT_ZONE).year)
        return indicators(survey, tables, rounds, language, label)

    return await asyncio.to_thread(build)
