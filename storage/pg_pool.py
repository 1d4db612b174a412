"""The PostgreSQL side of the release pool (`storage.pool` semantics): what a completion writes,
how a full batch is released, and reading every stored response back with the analysis private
key. All the SQL of completing and releasing lives here; `storage.postgres` calls it.

What must hold (as `storage.sqlite_pool`, plus what PostgreSQL's transaction ids require):
- the pool of a survey is ONE row of `pending` (sealed boxes, and [question, text] pairs),
  rewritten whole and reshuffled by each completion in the same statement (one transaction)
  that claims the marker, counts the response and deletes the session, so nothing is half
  stored and the pool's order says nothing of arrival;
- every row keeps the id of the transaction that wrote it (`xmin`). One row per survey means the
  pool's xmin names only its last writer, not each item's. `release()` runs in a transaction of
  its own, with the pool row locked (replicas never cut a batch twice or smaller than `batch`):
  once at least `batch` sealed responses (or free texts) wait it moves all of them on, under
  fresh random ids, in the order of those ids. A released row shares its xmin with at least
  `batch` - 1 others and never with a marker, and its place in the heap orders batches, never
  the rows inside one. Responses and free texts fill their batches separately (`Pool`'s rule);
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
from storage.pool import Pool
from storage.sealing import from_text, seal, to_text, unseal

_RANDOM = secrets.SystemRandom()

#: A whole completion as one statement (one round trip; one implicit transaction): claim the
#: marker, and only if that worked add the sealed response ($3; NULL without an analysis key)
#: and the free texts ($4, [[question, text], ...]) to the survey's pool row, reshuffled whole
#: (strong randomness: `gen_random_uuid()`), and count the response and its tallies; delete the
#: session either way. Returns whether the marker was claimed and the pool's sizes after it
#: (exact: the pool row is locked until commit). Tally rows come sorted: one lock order for all
#: completions, so two never deadlock.
_COMPLETE = """
WITH claim AS (
    INSERT INTO markers (marker) VALUES ($1) ON CONFLICT DO NOTHING RETURNING 1
), pooled AS (
    INSERT INTO pending AS p (survey_id, boxes, texts)
    SELECT $2, CASE WHEN $3::bytea IS NULL THEN '{}'::bytea[] ELSE ARRAY[$3::bytea] END,
        $4::jsonb
    FROM claim
    ON CONFLICT (survey_id) DO UPDATE SET
        boxes = ARRAY(
            SELECT b FROM unnest(p.boxes || excluded.boxes) AS b ORDER BY gen_random_uuid()
        ),
        texts = (
            SELECT coalesce(jsonb_agg(e ORDER BY gen_random_uuid()), '[]'::jsonb)
            FROM jsonb_array_elements(p.texts || excluded.texts) AS e
        )
    RETURNING cardinality(boxes) AS responses, jsonb_array_length(texts) AS texts
), counted AS (
    INSERT INTO survey_counts (survey_id, responses, first_day, last_day)
    SELECT $2, 1, $5, $5 FROM claim
    ON CONFLICT (survey_id) DO UPDATE SET responses = survey_counts.responses + 1,
        first_day = least(survey_counts.first_day, excluded.first_day),
        last_day = greatest(survey_counts.last_day, excluded.last_day)
), cells AS (
    INSERT INTO tallies (survey_id, question, choice, by_question, by_choice, count)
    SELECT $2, c.question, c.choice, c.by_question, c.by_choice, c.n
    FROM claim, unnest($6::text[], $7::text[], $8::text[], $9::text[], $10::int[])
        AS c (question, choice, by_question, by_choice, n)
    ON CONFLICT (survey_id, question, choice, by_question, by_choice)
    DO UPDATE SET count = tallies.count + excluded.count
), gone AS (
    DELETE FROM sessions WHERE key = $11
)
SELECT EXISTS (SELECT FROM claim), (SELECT responses FROM pooled), (SELECT texts FROM pooled)
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
    texts = [[question, text] for question, text in response.free_texts.items()]
    _RANDOM.shuffle(texts)
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
        json.dumps(texts, ensure_ascii=False),
        response.day,
        *(columns or [[], [], [], [], []]),
        session_key,
    )
    assert row is not None  # the statement always returns one row
    claimed, responses, pooled_texts = row
    due = bool(claimed) and (
        (box is not None and responses >= batch) or (bool(texts) and pooled_texts >= batch)
    )
    return Completion(bool(claimed), due)


async def release(conn: Connection, survey_id: str, batch: int) -> tuple[int, int]:
    """Release the survey's full batches (`storage.pool.Pool`'s rule: a kind leaves whole once
    at least `batch` of it wait) in a transaction of its own, the pool row locked meanwhile;
    returns how many responses and free texts moved. A crash before this leaves them pending:
    nothing is lost, the next completion of the survey or the hourly maintenance releases them.
    Released rows get fresh random ids and are inserted in the order of those ids."""
    async with conn.transaction():
        row = await conn.fetchrow(
            "SELECT boxes, texts FROM pending WHERE survey_id = $1 FOR UPDATE", survey_id
        )
        if row is None:
            return 0, 0
        pool = Pool(
            [to_text(bytes(box)) for box in row["boxes"]],
            [(str(q), str(t)) for q, t in json.loads(row["texts"])],
        )
        boxes = sorted(
            (secrets.token_bytes(16), from_text(b)) for b in pool.release_responses(batch)
        )
        texts = sorted((secrets.token_bytes(16), q, t) for q, t in pool.release_texts(batch))
        if not boxes and not texts:
            return 0, 0
        await conn.execute(
            "INSERT INTO sealed_responses (id, survey_id, box) "
            "SELECT id, $1, box FROM unnest($2::bytea[], $3::bytea[]) AS r (id, box)",
            survey_id,
            [i for i, _ in boxes],
            [b for _, b in boxes],
        )
        await conn.execute(
            "INSERT INTO free_texts (id, survey_id, question_id, text) SELECT id, $1, q, t "
            "FROM unnest($2::bytea[], $3::text[], $4::text[]) AS f (id, q, t)",
            survey_id,
            [i for i, _, _ in texts],
            [q for _, q, _ in texts],
            [t for _, _, t in texts],
        )
        await conn.execute(
            "UPDATE pending SET boxes = $2, texts = $3::jsonb WHERE survey_id = $1",
            survey_id,
            [from_text(b) for b in pool.responses],
            json.dumps([list(pair) for pair in pool.texts], ensure_ascii=False),
        )
    return len(boxes), len(texts)


async def pooled_surveys(conn: Connection) -> list[str]:
    """The surveys with anything pending."""
    rows = await conn.fetch(
        "SELECT survey_id FROM pending WHERE cardinality(boxes) > 0 OR texts <> '[]'::jsonb"
    )
    return [str(row[0]) for row in rows]


async def stored_responses(conn: Connection, survey_id: str, key: PrivateKey) -> list[Response]:
    """Every response of the survey, released or pending, opened with `key`; and the plain rows
    a bot before sealing (schema version 2) wrote, as they were."""
    async with conn.transaction(isolation="repeatable_read", readonly=True):
        boxes = await conn.fetch(
            "SELECT box FROM sealed_responses WHERE survey_id = $1 "
            "UNION ALL SELECT unnest(boxes) FROM pending WHERE survey_id = $1",
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
