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
from bot.stats.report import Report, build_report
from bot.stats.rounds import load_rounds
from bot.survey.model import Survey
from bot.survey.questions import DEFAULT_ZONE
from storage.base import Store


def rounds_folder(survey_path: Path) -> Path:
    """Where earlier rounds are kept: `rounds/` beside the survey file."""
    return survey_path.parent / "rounds"


async def staff_report(
    store: Store, survey: Survey, survey_path: Path, language: str, now: datetime
) -> Report:
    """The report's content for the published snapshot and the kept earlier rounds."""
    snapshot = await published(store, survey)
    rounds = await asyncio.to_thread(load_rounds, rounds_folder(survey_path), survey)
    today = now.astimezone(DEFAULT_ZONE).date()
    return build_report(survey, snapshot, language, today, rounds)


async def report_pdf_bytes(
    store: Store, survey: Survey, survey_path: Path, language: str, now: datetime
) -> bytes:
    """The report as PDF (rendered in a worker thread)."""
    report = await staff_report(store, survey, survey_path, language, now)
    return await asyncio.to_thread(report_pdf, report)
