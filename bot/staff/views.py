"""What staff see: the headline and tables of the published snapshot, built off the event loop.

What must hold: every number comes from the published snapshot through `bot.stats.tables` (the
one disclosure-control layer); nothing here reads responses. The suppression audit and charts
are CPU work (up to ~1 s): they run in a worker thread, so residents' steps never wait for a
staff member's /stats.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from bot.stats.publication import publish
from bot.stats.tables import Headline, Table, available_tables, headline, overall_table, split_table
from bot.survey.model import Survey
from storage.base import Snapshot, Store


async def published(store: Store, survey: Survey, now: datetime | None = None) -> Snapshot:
    """The published tallies (`bot.stats.publication.publish`)."""
    return await publish(store, survey, now)


async def headline_view(
    store: Store, survey: Survey, language: str, now: datetime | None = None
) -> Headline:
    """The /stats headline: responses published, waiting, in progress, the next release."""
    moment = now or datetime.now(UTC)
    snapshot = await published(store, survey, moment)
    in_progress = await store.count_sessions(survey.id)
    return await asyncio.to_thread(headline, survey, snapshot, in_progress, language, moment)


async def table_view(
    store: Store, survey: Survey, question_id: str, by_question_id: str | None, language: str
) -> Table:
    """One question's tally, overall or split (raises `bot.stats.tables.StatsError` if none)."""
    snapshot = await published(store, survey)
    if by_question_id is None:
        return await asyncio.to_thread(overall_table, survey, snapshot, question_id, language)
    return await asyncio.to_thread(
        split_table, survey, snapshot, question_id, by_question_id, language
    )


async def all_tables_view(store: Store, survey: Survey, language: str) -> list[Table]:
    """Every question's overall tally, in survey order."""
    snapshot = await published(store, survey)

    def build() -> list[Table]:
        return [
            overall_table(survey, snapshot, question_id, language)
            for question_id, by in available_tables(survey)
            if by is None
        ]

    return await asyncio.to_thread(build)
