"""The SQLite side of the release pool (`storage.pool`): what a completion writes, and reading
every stored response back with the analysis private key.

What must hold: called under `SQLiteStore`'s lock, inside its transaction (a completion's) or
in a read transaction of its own (reading back); the survey's pool is one `pending` row
rewritten whole, and a released batch goes into `sealed_responses` / `free_texts` in the pool's
random order, under fresh random ids (see `storage.sqlite` for why the bytes then say nothing
finer than a batch).
"""

from __future__ import annotations

import json
import secrets
from datetime import date

import aiosqlite
from nacl.public import PrivateKey, PublicKey

from storage.base import Response, StoredAnswer
from storage.pool import Pool
from storage.sealing import from_text, seal, to_text, unseal

_COUNTS = (
    "INSERT INTO survey_counts (survey_id, responses, first_day, last_day) "
    "VALUES (?1, 1, ?2, ?2) ON CONFLICT (survey_id) DO UPDATE SET "
    "responses = responses + 1, "
    "first_day = min(coalesce(first_day, excluded.first_day), excluded.first_day), "
    "last_day = max(coalesce(last_day, excluded.last_day), excluded.last_day)"
)


async def _pool(db: aiosqlite.Connection, survey_id: str) -> Pool:
    rows = list(
        await db.execute_fetchall("SELECT body FROM pending WHERE survey_id = ?", (survey_id,))
    )
    return Pool.from_json(rows[0][0] if rows else None)


async def pool_completion(
    db: aiosqlite.Connection, response: Response, analysis: PublicKey | None, batch: int
) -> None:
    """Add the response (sealed to `analysis`; not kept without it) and its free texts to the
    pool, release whatever makes a full batch, and count the response."""
    survey_id, day = response.survey_id, response.day.isoformat()
    pool = await _pool(db, survey_id)
    if analysis is not None:
        pool.add_response(to_text(seal(response, analysis)))
    for question, text in response.free_texts.items():
        pool.add_text(question, text)
    await db.executemany(
        "INSERT INTO sealed_responses (id, survey_id, box) VALUES (?, ?, ?)",
        [
            (secrets.token_bytes(16), survey_id, from_text(box))
            for box in pool.release_responses(batch)
        ],
    )
    await db.executemany(
        "INSERT INTO free_texts (id, survey_id, question_id, text) VALUES (?, ?, ?, ?)",
        [
            (secrets.token_bytes(16), survey_id, question, text)
            for question, text in pool.release_texts(batch)
        ],
    )
    await db.execute(
        "INSERT OR REPLACE INTO pending (survey_id, body) VALUES (?, ?)",
        (survey_id, pool.to_json()),
    )
    await db.execute(_COUNTS, (survey_id, day))


async def stored_responses(
    db: aiosqlite.Connection, survey_id: str, key: PrivateKey
) -> list[Response]:
    """Every response of the survey, released or pending, opened with `key`; and plain rows a
    bot before sealing (schema version 2) wrote, as they were.

    The reads share one snapshot (a bot in another process releasing a batch from the pool
    between two of them would make a response count twice or not at all); the opening runs
    after it, so a long read never holds up the bot's checkpoint."""
    await db.execute("BEGIN")
    try:
        sealed = await db.execute_fetchall(
            "SELECT box FROM sealed_responses WHERE survey_id = ?", (survey_id,)
        )
        pool = await _pool(db, survey_id)
        legacy = await db.execute_fetchall(
            "SELECT survey_version, day, language, answers FROM responses WHERE survey_id = ?",
            (survey_id,),
        )
    finally:
        await db.execute("COMMIT")
    boxes = [bytes(row[0]) for row in sealed] + [from_text(box) for box in pool.responses]
    result = [unseal(survey_id, box, key) for box in boxes]
    for version, day, language, answers in legacy:
        parsed: dict[str, StoredAnswer] = json.loads(answers)
        result.append(Response(survey_id, version, date.fromisoformat(day), language, parsed))
    return result
