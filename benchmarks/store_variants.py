"""Experimental variants of `storage.sqlite.SQLiteStore`, measured by `benchmarks.store_bench`
before anyone changes `storage/`.

`TodayStore`: the store as it was before issue 12 (the baseline row of the anonymity work):
`complete()` writes the response as plain JSON into the version-2 `responses` table and the free
texts straight into `free_texts`, in one multi-trip transaction, with no pool and no checkpoint.

`OneTripStore`: each transaction takes ONE trip to aiosqlite's thread.

`storage.sqlite.SQLiteStore` sends every statement of a transaction to aiosqlite's worker thread
separately (BEGIN IMMEDIATE, each statement, each cursor close, COMMIT): a step's one-statement
write costs four thread round trips, a completion about a dozen. Here the same SQL runs as one
function in that thread (`aiosqlite.Connection._execute`), so the rows written, the transaction
boundaries and the durability are exactly the store's; only the trips differ.

`SameDayStore`: the shipped store with only `save_session` changed: a step that stays on the
same day rewrites only the session's `state` column (details below), with the store's own
multi-trip transaction.

`StateOnlyStore`: the same, with one trip per transaction: a step that stays on the same day
rewrites only the session's `state` column (`UPDATE ... SET state = ? WHERE key = ? AND
day = ?`), falling back to the full upsert when the row is missing or the day changed.

Why: the shipped upsert also sets `survey_id` and `day` (to the same values), which rewrites
both secondary indexes' entries (`sessions_by_day`, `sessions_by_survey`) on every step;
measured, that is what makes a durable step slow. `survey_id` never changes for a key (the
key is a keyed hash of the survey id and the resident), so nothing else changes.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
from collections.abc import Callable, Sequence
from datetime import date
from typing import TypeVar

import aiosqlite

from storage.base import Cell, Response, check_cells
from storage.sqlite import SQLiteStore

T = TypeVar("T")
#: The upsert `SQLiteStore.save_session` runs.
SAVE_SESSION_SQL = (
    "INSERT INTO sessions (key, survey_id, state, day) VALUES (?, ?, ?, ?) "
    "ON CONFLICT (key) DO UPDATE SET "
    "survey_id = excluded.survey_id, state = excluded.state, day = excluded.day"
)
_CELLS = (
    "INSERT INTO tallies (survey_id, question, choice, by_question, by_choice, count) "
    "VALUES (?, ?, ?, ?, ?, 1) ON CONFLICT DO UPDATE SET count = count + 1"
)
_COUNTS = (
    "INSERT INTO survey_counts (survey_id, responses, first_day, last_day) "
    "VALUES (?1, 1, ?2, ?2) ON CONFLICT (survey_id) DO UPDATE SET "
    "responses = responses + 1, "
    "first_day = min(coalesce(first_day, excluded.first_day), excluded.first_day), "
    "last_day = max(coalesce(last_day, excluded.last_day), excluded.last_day)"
)


_SAME_DAY = "UPDATE sessions SET state = ? WHERE key = ? AND day = ?"


class OneTripStore(SQLiteStore):
    """`SQLiteStore` with one thread round trip per transaction (writes shown here)."""

    async def _one_trip(self, body: Callable[[sqlite3.Connection], T]) -> T:
        db = self._db

        def transaction() -> T:
            conn = db._conn
            conn.execute("BEGIN IMMEDIATE")
            try:
                result = body(conn)
            except BaseException:
                conn.rollback()
                raise
            conn.commit()
            return result

        async with self._serial:
            return await db._execute(transaction)  # type: ignore[no-untyped-call,no-any-return]

    async def save_session(self, key: bytes, survey_id: str, state: str, day: date) -> None:
        params = (key, survey_id, state, day.isoformat())
        await self._one_trip(lambda conn: conn.execute(SAVE_SESSION_SQL, params).close())

    async def complete(
        self, *, session_key: bytes, marker: bytes, response: Response, cells: Sequence[Cell]
    ) -> bool:
        check_cells(cells)
        day = response.day.isoformat()
        answers = json.dumps(dict(response.answers), ensure_ascii=False, sort_keys=True)
        row = (
            secrets.token_bytes(16),
            response.survey_id,
            response.survey_version,
            day,
            response.language,
            answers,
        )
        texts = [
            (secrets.token_bytes(16), response.survey_id, question, text)
            for question, text in response.free_texts.items()
        ]
        sid = response.survey_id
        counters = [(sid, c.question, c.choice, c.by_question, c.by_choice) for c in cells]

        def body(conn: sqlite3.Connection) -> bool:
            found = conn.execute("SELECT 1 FROM markers WHERE marker = ?", (marker,)).fetchone()
            if found is None:
                conn.execute("INSERT INTO markers (marker) VALUES (?)", (marker,))
                conn.execute(
                    "INSERT INTO responses (id, survey_id, survey_version, day, language, "
                    "answers) VALUES (?, ?, ?, ?, ?, ?)",
                    row,
                )
                conn.executemany(
                    "INSERT INTO free_texts (id, survey_id, question_id, text) VALUES (?, ?, ?, ?)",
                    texts,
                )
                conn.execute(_COUNTS, (sid, day))
                conn.executemany(_CELLS, counters)
            conn.execute("DELETE FROM sessions WHERE key = ?", (session_key,))
            return found is None

        return await self._one_trip(body)


class TodayStore(SQLiteStore):
    """`complete()` as shipped before issue 12: plain response rows, no pool, no checkpoint."""

    async def complete(
        self, *, session_key: bytes, marker: bytes, response: Response, cells: Sequence[Cell]
    ) -> bool:
        check_cells(cells)
        sid, day = response.survey_id, response.day.isoformat()
        answers = json.dumps(dict(response.answers), ensure_ascii=False, sort_keys=True)

        async def transaction(db: aiosqlite.Connection) -> bool:
            async with db.execute("SELECT 1 FROM markers WHERE marker = ?", (marker,)) as cursor:
                already = await cursor.fetchone() is not None
            if not already:
                await db.execute("INSERT INTO markers (marker) VALUES (?)", (marker,))
                await db.execute(
                    "INSERT INTO responses (id, survey_id, survey_version, day, language, "
                    "answers) VALUES (?, ?, ?, ?, ?, ?)",
                    (secrets.token_bytes(16), sid, response.survey_version, day,
                     response.language, answers),
                )  # fmt: skip
                await db.executemany(
                    "INSERT INTO free_texts (id, survey_id, question_id, text) VALUES (?, ?, ?, ?)",
                    [
                        (secrets.token_bytes(16), sid, question, text)
                        for question, text in response.free_texts.items()
                    ],
                )
                await db.execute(_COUNTS, (sid, day))
                await db.executemany(
                    _CELLS, [(sid, c.question, c.choice, c.by_question, c.by_choice) for c in cells]
                )
            await db.execute("DELETE FROM sessions WHERE key = ?", (session_key,))
            return not already

        return await self._in_transaction(transaction)


class StateOnlyStore(OneTripStore):
    """`OneTripStore` whose same-day steps leave the indexed columns alone."""

    async def save_session(self, key: bytes, survey_id: str, state: str, day: date) -> None:
        when = day.isoformat()

        def body(conn: sqlite3.Connection) -> None:
            if conn.execute(_SAME_DAY, (state, key, when)).rowcount == 0:
                conn.execute(SAVE_SESSION_SQL, (key, survey_id, state, when)).close()

        await self._one_trip(body)


class SameDayStore(SQLiteStore):
    """The shipped store, except that same-day steps leave the indexed columns alone."""

    async def save_session(self, key: bytes, survey_id: str, state: str, day: date) -> None:
        when = day.isoformat()

        async def transaction(db: aiosqlite.Connection) -> None:
            async with db.execute(_SAME_DAY, (state, key, when)) as cursor:
                if cursor.rowcount:
                    return
            await db.execute(SAVE_SESSION_SQL, (key, survey_id, state, when))

        await self._in_transaction(transaction)
