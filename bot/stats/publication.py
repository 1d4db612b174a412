"""A publication: the published tallies advanced when the survey's release schedule says a
release is due, with what it lets staff compute recorded before anyone sees it.

What must hold: every reader of published figures (staff views, exports, the report, the
resident's thank-you results) goes through `publish`, so no publication is ever shown without
its disclosure history being stored first; the next publication is audited against it
(`bot.stats.history`). A release happens only at the next milestone of the survey's schedule
(`bot.survey.releases`, `Survey.release_due`), and once the survey has closed: looking more
often never makes more publications.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from bot.stats.disclosure import history_after
from bot.survey.model import Survey
from storage.base import Snapshot, Store


async def publish(store: Store, survey: Survey, now: datetime | None = None) -> Snapshot:
    """The published snapshot, advanced if the next release of the schedule is due at `now`
    (default: the current time, which only matters once the survey has closed)."""
    moment = now or datetime.now(UTC)
    snapshot = await store.publish_if_due(
        survey.id, lambda published: survey.release_due(published, moment)
    )
    if snapshot.responses and not snapshot.disclosure_recorded:
        history = await asyncio.to_thread(history_after, survey, snapshot)
        await store.record_disclosure(survey.id, snapshot.responses, history)
    return snapshot
