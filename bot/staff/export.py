"""What admins export: the published tallies as CSV, and the scrubbed free texts on request.

What must hold: the tallies come from the published snapshot through `bot.stats.export` (the
same disclosure layer as /stats); free text is included only when asked for, in its own file.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from bot.staff.views import published
from bot.stats.export import free_texts_csv, tallies_csv
from bot.survey.model import Survey
from storage.base import Store


@dataclass(frozen=True)
class Export:
    """Files for /export: the published tallies, and the free texts only on request."""

    tallies_csv: str
    free_texts_csv: str | None


async def export_files(
    store: Store, survey: Survey, language: str, *, with_free_text: bool
) -> Export:
    """The export files for the published snapshot."""
    snapshot = await published(store, survey)
    tallies = await asyncio.to_thread(tallies_csv, survey, snapshot, language)
    texts = None
    if with_free_text:
        texts = free_texts_csv(await store.free_texts(survey.id))
    return Export(tallies, texts)
