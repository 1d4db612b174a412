"""The SQLite store's publications: cutting a batch of tallies, and the disclosure history.

What must hold: a publication advances only once the current one's disclosure history is
recorded, and only when the completed responses reach `due` (the
survey's release schedule, `storage.base.Due`) of the published ones; the
history of the publication before the current one is returned with it, so the stats layer can
audit the next publication against what staff already know (`bot.stats.history`).
"""

from __future__ import annotations

from datetime import date

import aiosqlite

from storage.base import Cell, Due, Snapshot, due_checked

#: The columns naming a tally cell.
CELL_COLUMNS = "question, choice, by_question, by_choice"


def day(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


async def history_recorded(db: aiosqlite.Connection, survey_id: str, shown: int) -> bool:
    """Whether the current publication's disclosure history is stored (or there is none yet):
    the next publication is cut only then, so it is always audited against every earlier one,
    even when two processes publish at once or one crashed between cutting and recording."""
    if not shown:
        return True
    query = "SELECT 1 FROM disclosure_history WHERE survey_id = ? AND responses = ?"
    return bool(list(await db.execute_fetchall(query, (survey_id, shown))))


async def publish_if_due(db: aiosqlite.Connection, survey_id: str, due: Due) -> Snapshot:
    """Advance the published tallies when the responses reach `due(published)` (inside the
    caller's transaction); the snapshot carries the disclosure history of the previous
    publication."""
    key = (survey_id,)
    counts = "SELECT responses, first_day, last_day FROM {} WHERE survey_id = ?"
    live = list(await db.execute_fetchall(counts.format("survey_counts"), key))
    published = list(await db.execute_fetchall(counts.format("publications"), key))
    live_count, first, last = live[0] if live else (0, None, None)
    shown, shown_first, shown_last = published[0] if published else (0, None, None)
    if await history_recorded(db, survey_id, int(shown)) and live_count >= due_checked(
        due, int(shown)
    ):
        await db.execute("DELETE FROM published_tallies WHERE survey_id = ?", key)
        await db.execute(
            f"INSERT INTO published_tallies (survey_id, {CELL_COLUMNS}, count) "
            f"SELECT survey_id, {CELL_COLUMNS}, count FROM tallies WHERE survey_id = ?",
            key,
        )
        await db.execute(
            "INSERT OR REPLACE INTO publications (survey_id, responses, first_day, last_day) "
            "VALUES (?, ?, ?, ?)",
            (survey_id, live_count, first, last),
        )
        shown, shown_first, shown_last = live_count, first, last
    rows = await db.execute_fetchall(
        f"SELECT {CELL_COLUMNS}, count FROM published_tallies WHERE survey_id = ?", key
    )
    query = "SELECT responses, history FROM disclosure_history WHERE survey_id = ? AND "
    kept = {
        int(n): str(h)
        for n, h in await db.execute_fetchall(query + "responses <= ?", (survey_id, shown))
    }
    earlier = [kept[n] for n in sorted(kept, reverse=True) if n < int(shown)]
    return Snapshot(
        survey_id=survey_id,
        responses=int(shown),
        waiting=int(live_count) - int(shown),
        cells={Cell(*row[:4]): int(row[4]) for row in rows},
        first_day=day(shown_first),
        last_day=day(shown_last),
        disclosure_history=earlier[0] if earlier else None,
        disclosure_recorded=int(shown) in kept,
    )


async def record_disclosure(
    db: aiosqlite.Connection, survey_id: str, responses: int, history: str
) -> None:
    """Keep this publication's history and the one before it (inside the caller's transaction)."""
    await db.execute(
        "INSERT OR IGNORE INTO disclosure_history (survey_id, responses, history) VALUES (?, ?, ?)",
        (survey_id, responses, history),
    )
    await db.execute(
        "DELETE FROM disclosure_history WHERE survey_id = ?1 AND responses < ("
        "SELECT max(responses) FROM disclosure_history "
        "WHERE survey_id = ?1 AND responses < ?2)",
        (survey_id, responses),
    )
