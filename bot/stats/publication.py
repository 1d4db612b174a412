"""A publication: the published tallies advanced when a new batch is due, with what it lets
staff compute recorded before anyone sees it.

What must hold: every reader of published figures (staff views, exports, the report, the
resident's thank-you results) goes through `publish`, so no publication is ever shown without
its disclosure history being stored first; the next publication is audited against it
(`bot.stats.history`).
"""

from __future__ import annotations

import asyncio

from bot.stats.disclosure import history_after
from bot.survey.model import Survey
from storage.base import Snapshot, Store


async def publish(store: Store, survey: Survey) -> Snapshot:
    """The published snapshot, advanced if a new batch of responses is complete."""
    snapshot = await store.publish_if_due(survey.id, survey.min_group_size)
    if snapshot.responses and not snapshot.disclosure_recorded:
        history = await asyncio.to_thread(history_after, survey, snapshot)
        await store.record_disclosure(survey.id, snapshot.responses, history)
    return snapshot
