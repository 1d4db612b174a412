"""What admins export: the published tallies and the indicators as CSV, and the scrubbed free
texts on request.

What must hold: the tallies come from the published snapshot through `bot.stats.export` (the
same disclosure layer as /stats); free text is included only when asked for, in its own file.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from bot.staff.report import staff_indicators
from bot.staff.views import published
from bot.stats.export import free_texts_csv, indicators_csv, tallies_csv
from bot.survey.model import Survey
from storage.base import Store


@dataclass(frozen=True)
class Export:
    """Files for /export: the published tallies, and the free texts only on request."""

    tallies_csv: str
    free_texts_csv: str | None
    #: The indicators now and in earlier rounds (empty when the survey declares none).
    indicators_csv: str = ""


async def export_files(
    store: Store,
    survey: Survey,
    language: str,
    *,
    with_free_text: bool,
    now: datetime,
    survey_path: Path,
) -> Export:
    """The export files for the published snapshot."""
    snapshot = await published(store, survey)
    tallies = await asyncio.to_thread(tallies_csv, survey, snapshot, language)
    texts = None
    if with_free_text:
        texts = free_texts_csv(await store.free_texts(survey.id))
    found = await staff_indicators(store, survey, survey_path, language, now)
    return Export(tallies, texts, indicators_csv(found, language) if found else "")
