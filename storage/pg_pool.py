"""The PostgreSQL side of the release pool (`storage.pool` semantics): what a completion writes,
how a full batch is released, and reading every stored response back with the analysis private
key. All the SQL of completing and releasing lives here; `storage.postgres` calls it.

What must hold (as `storage.sqlite_pool`, plus what PostgreSQL's transaction ids require):
- the pool of a survey is its rows in `pending_responses` (sealed boxes) and
  `pending_free_texts`; a completion adds to them in the same statement (one transaction) that
  claims the marker, counts the response and deletes the session, so nothing is half stored;
- every row keeps the id of the transaction that wrote it (`xmin`), so pool rows share theirs
  with a marker. `release()` therefore runs in a transaction of its own, under a per-survey
  advisory lock (replicas never cut a batch twice or smaller than `batch`): once at least
  `batch` sealed responses (or free texts) of a survey are waiting it moves all of them on, under
  fresh random ids, in the order of those ids. A released row shares its xmin with at least
  `batch` - 1 others and never with a marker, its id says nothing of its pending row, and its
  place in the heap orders batches, never the rows inside one. Responses and free texts fill
  their batches separately, as in `storage.pool`;
- without an analysis key no response is pooled (only counters and free texts are kept).
"""

from __future__ import annotations

import json
import secrets
from collections import Counter
from collections.abc import Sequence
from typing import NamedTuple

from nacl.public import PrivateKey, PublicKey

from storage.base import Cell, Response, StoredAnswer
from storage.pg_schema import Connection
from storage.sealing import seal, unseal

#: A whole completion as one statement (one round trip; one implicit transaction): claim the
#: marker, and only if that worked pool the sealed response ($3; NULL without an analysis key)
#: and the free texts, and count the response and its tallies; delete the session either way.
#: Returns whether the marker was claimed and how many responses and free texts of the survey
#: were pending before this one (the statement's own rows are not visible to it). Tally rows
#: come sorted: one lock order for all completions, so two never deadlock.
_COMPLETE = """
WITH claim AS (
    INSERT INTO markers (marker) VALUES ($1) ON CONFLICT DO NOTHING RETURNING 1
), response AS (
    INSERT INTO pending_responses (id, survey_id, box)
    SELECT $4, $2, $3 FROM claim WHERE $3::bytea IS NOT NULL
), texts AS (
    INSERT INTO pending_free_texts (id, survey_id, question_id, text)
    SELECT t.id, $2, t.question, t.text
    FROM claim, unnest($6::bytea[], $7::text[], $8::text[]) AS t (id, question, text)
), counted AS (
    INSERT INTO survey_counts (survey_id, responses, first_day, last_day)
    SELECT $2, 1, $5, $5 FROM claim
    ON CONFLICT (survey_id) DO UPDATE SET responses = survey_counts.responses + 1,
        first_day = least(survey_counts.first_day, excluded.first_day),
        last_day = greatest(survey_counts.last_day, excluded.last_day)
), cells AS (
    INSERT INTO tallies (survey_id, question, choice, by_question, by_choice, count)
    SELECT $2, c.question, c.choice, c.by_question, c.by_choice, c.n
    FROM claim, unnest($9::text[], $10::text[], $11::text[], $12::text[], $13::int[])
        AS c (question, choice, by_question, by_choice, n)
    ON CONFLICT (survey_id, question, choice, by_question, by_choice)
    DO UPDATE SET count = tallies.count + excluded.count
), gone AS (
    DELETE FROM sessions WHERE key = $14
)
SELECT EXISTS (SELECT FROM claim),
    (SELECT count(*) FROM pending_responses WHERE survey_id = $2),
    (SELECT count(*) FROM pending_free_texts WHERE survey_id = $2)
"""

#: Release the survey's ($1) pending responses and free texts, each kind only if at least $2 of
#: it are waiting: all of them, under fresh random ids, inserted in the order of those ids.
_RELEASE = """
WITH responses_out AS (
    DELETE FROM pending_responses
    WHERE survey_id = $1
        AND (SELECT count(*) FROM pending_responses WHERE survey_id = $1) >= $2
    RETURNING survey_id, box
), responses_in AS (
    INSERT INTO sealed_responses (id, survey_id, box)
    SELECT * FROM (
        SELECT uuid_send(gen_random_uuid()) AS id, survey_id, box FROM responses_out
    ) AS fresh ORDER BY id
), texts_out AS (
    DELETE FROM pending_free_texts
    WHERE survey_id = $1
        AND (SELECT count(*) FROM pending_free_texts WHERE survey_id = $1) >= $2
    RETURNING survey_id, question_id, text
), texts_in AS (
    INSERT INTO free_texts (id, survey_id, question_id, text)
    SELECT * FROM (
        SELECT uuid_send(gen_random_uuid()) AS id, survey_id, question_id, text FROM texts_out
    ) AS fresh ORDER BY id
)
SELECT (SELECT count(*) FROM responses_out), (SELECT count(*) FROM texts_out)
"""


class Completion(NamedTuple):
    """What `complete()` did: whether the marker was new, and whether a batch is now full."""

    stored: bool
    due: bool


async def complete(
    conn: Connection,
    *,
    session_key: bytes,
    marker: bytes,
    response: Response,
    cells: Sequence[Cell],
    analysis: PublicKey | None,
    batch: int,
) -> Completion:
    """Run the completion statement (see `_COMPLETE`). Sealing and JSON happen first, so an
    unstorable response raises before anything is written."""
    box = None if analysis is None else seal(response, analysis)
    texts = list(response.free_texts.items())
    counted = sorted(Counter(cells).items())
    columns = [
        list(column)
        for column in zip(
            *((c.question, c.choice, c.by_question, c.by_choice, n) for c, n in counted),
            strict=True,
        )
    ]
    row = await conn.fetchrow(
        _COMPLETE,
        marker,
        response.survey_id,
        box,
        secrets.token_bytes(16),
        response.day,
        [secrets.token_bytes(16) for _ in texts],
        [question for question, _ in texts],
        [text for _, text in texts],
        *(columns or [[], [], [], [], []]),
        session_key,
    )
    assert row is not None  # the statement always returns one row
    claimed, responses_before, texts_before = row
    due = bool(claimed) and (
        (box is not None and responses_before + 1 >= batch)
        or (bool(texts) and texts_before + len(texts) >= batch)
    )
    return Completion(bool(claimed), due)


async def release(conn: Connection, survey_id: str, batch: int) -> tuple[int, int]:
    """Release full batches of the survey (see `_RELEASE`) in a transaction of its own;
    returns how many responses and free texts moved. A crash before this leaves them pending:
    nothing is lost, the next completion of the survey releases them."""
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock(hashtext('release:' || $1))", survey_id)
        row = await conn.fetchrow(_RELEASE, survey_id, batch)
    assert row is not None
    return int(row[0]), int(row[1])


async def pooled_surveys(conn: Connection) -> list[str]:
    """The surveys with anything pending."""
    rows = await conn.fetch(
        "SELECT survey_id FROM pending_responses UNION SELECT survey_id FROM pending_free_texts"
    )
    return [str(row[0]) for row in rows]


async def stored_responses(conn: Connection, survey_id: str, key: PrivateKey) -> list[Response]:
    """Every response of the survey, released or pending, opened with `key`; and the plain rows
    a bot before sealing (schema version 2) wrote, as they were."""
    async with conn.transaction(isolation="repeatable_read", readonly=True):
        boxes = await conn.fetch(
            "SELECT box FROM sealed_responses WHERE survey_id = $1 "
            "UNION ALL SELECT box FROM pending_responses WHERE survey_id = $1",
            survey_id,
        )
        legacy = await conn.fetch(
            "SELECT survey_version, day, language, answers FROM responses WHERE survey_id = $1",
            survey_id,
        )
    result = [unseal(survey_id, bytes(row[0]), key) for row in boxes]
    for version, day, language, answers in legacy:
        parsed: dict[str, StoredAnswer] = json.loads(answers)
        result.append(Response(survey_id, version, day, language, parsed))
    return result
