"""The PostgreSQL schema as forward migrations, recorded in the table `schema_version`.

What must hold:
- `MIGRATIONS[i]` takes a database from version i to i + 1; a released migration never changes
  (add a new one). Each runs in one transaction together with the version bump (PostgreSQL's DDL
  is transactional), under an advisory lock, so replicas starting at once migrate exactly once.
- a database newer than `SCHEMA_VERSION` is refused (`SchemaTooNew`), never touched.
- the same tables and anonymity rules as the SQLite schema (`storage.migrations`): resident
  tables keyed by random ids or pseudonyms; markers have no column but the marker; responses
  are kept only sealed to the analysis key (`sealed_responses`; plain `responses` rows are a
  schema-2 bot's); free texts have no link to responses. PostgreSQL stores rows in heaps in
  arrival order (not key order, unlike SQLite's WITHOUT ROWID tables), and every row keeps the
  id of the transaction that wrote it: completions go to the survey's `pending` row (the
  release pool) first, and `storage.pg_pool` moves them on in batches (see there).
"""

from __future__ import annotations

from typing import TypeAlias

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from storage.base import SchemaTooNew

#: A connection of its own or one borrowed from a pool.
Connection: TypeAlias = "asyncpg.Connection[asyncpg.Record] | PoolConnectionProxy[asyncpg.Record]"

#: Any constant; the advisory lock that serialises migrations between replicas.
MIGRATION_LOCK = 0x5355_5256_4559  # "SURVEY"

_V1_RESIDENT_DATA = (
    """CREATE TABLE sessions (
        key bytea PRIMARY KEY,
        survey_id text NOT NULL,
        state text NOT NULL,
        day date NOT NULL
    )""",
    "CREATE INDEX sessions_by_day ON sessions (day)",
    "CREATE INDEX sessions_by_survey ON sessions (survey_id)",
    "CREATE TABLE markers (marker bytea PRIMARY KEY)",
    """CREATE TABLE responses (
        id bytea PRIMARY KEY,
        survey_id text NOT NULL,
        survey_version text NOT NULL,
        day date NOT NULL,
        language text NOT NULL,
        answers jsonb NOT NULL
    )""",
    "CREATE INDEX responses_by_survey ON responses (survey_id)",
    """CREATE TABLE free_texts (
        id bytea PRIMARY KEY,
        survey_id text NOT NULL,
        question_id text NOT NULL,
        text text NOT NULL
    )""",
    # Completions land here first, and are moved to `responses` / `free_texts` in shuffled
    # batches by a transaction of their own (see `PostgresStore`): rows keep the id of the
    # transaction that wrote them (xmin), and the completion's also wrote the marker.
    """CREATE TABLE incoming_responses (
        id bytea PRIMARY KEY,
        survey_id text NOT NULL,
        survey_version text NOT NULL,
        day date NOT NULL,
        language text NOT NULL,
        answers jsonb NOT NULL
    )""",
    """CREATE TABLE incoming_free_texts (
        id bytea PRIMARY KEY,
        survey_id text NOT NULL,
        question_id text NOT NULL,
        text text NOT NULL
    )""",
    """CREATE TABLE tallies (
        survey_id text NOT NULL,
        question text NOT NULL CHECK (question <> ''),
        choice text NOT NULL CHECK (choice <> ''),
        by_question text NOT NULL,
        by_choice text NOT NULL,
        count integer NOT NULL CHECK (count > 0),
        PRIMARY KEY (survey_id, question, choice, by_question, by_choice)
    )""",
)

_V2_PUBLICATION_AND_AUDIT = (
    """CREATE TABLE survey_counts (
        survey_id text PRIMARY KEY,
        responses integer NOT NULL,
        first_day date,
        last_day date
    )""",
    """CREATE TABLE publications (
        survey_id text PRIMARY KEY,
        responses integer NOT NULL,
        first_day date,
        last_day date
    )""",
    """CREATE TABLE published_tallies (
        survey_id text NOT NULL,
        question text NOT NULL,
        choice text NOT NULL,
        by_question text NOT NULL,
        by_choice text NOT NULL,
        count integer NOT NULL,
        PRIMARY KEY (survey_id, question, choice, by_question, by_choice)
    )""",
    """CREATE TABLE audit (
        seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        minute text NOT NULL,
        role text NOT NULL,
        actor_id bigint NOT NULL,
        action text NOT NULL
    )""",
)

#: Responses sealed to the analysis key, and the release pool (`storage.pg_pool`): one
#: `pending` row per survey holds the sealed responses and free texts waiting, rewritten whole
#: by each completion; a transaction of its own moves them on in shuffled batches of the
#: survey's `min_group_size`. Plain `responses` rows (and the plain responses still incoming)
#: of a schema-2 bot stay readable as they were, as in SQLite; its incoming free texts are pooled.
_V3_SEALED_AND_POOLED = (
    """CREATE TABLE sealed_responses (
        id bytea PRIMARY KEY,
        survey_id text NOT NULL,
        box bytea NOT NULL
    )""",
    "CREATE INDEX sealed_responses_by_survey ON sealed_responses (survey_id)",
    """CREATE TABLE pending (
        survey_id text PRIMARY KEY,
        boxes bytea[] NOT NULL,
        texts jsonb NOT NULL
    )""",
    "INSERT INTO responses SELECT * FROM incoming_responses ORDER BY id",
    """INSERT INTO pending (survey_id, boxes, texts)
        SELECT survey_id, '{}', jsonb_agg(jsonb_build_array(question_id, text) ORDER BY id)
        FROM incoming_free_texts GROUP BY survey_id""",
    "DROP TABLE incoming_responses, incoming_free_texts",
    "CREATE INDEX free_texts_by_survey ON free_texts (survey_id)",
)

#: Version 4: what earlier publications told staff (`bot.stats.history`), to audit the next one.
_V4_DISCLOSURE_HISTORY = (
    """CREATE TABLE disclosure_history (
        survey_id TEXT NOT NULL,
        responses INTEGER NOT NULL,
        history TEXT NOT NULL,
        PRIMARY KEY (survey_id, responses)
    )""",
)

MIGRATIONS: tuple[tuple[str, ...], ...] = (
    _V1_RESIDENT_DATA,
    _V2_PUBLICATION_AND_AUDIT,
    _V3_SEALED_AND_POOLED,
    _V4_DISCLOSURE_HISTORY,
)
SCHEMA_VERSION = len(MIGRATIONS)
#: The tables `reorder()` rewrites in primary-key order (their keys are random or pseudonyms).
RANDOM_KEYED = ("markers", "sealed_responses", "free_texts", "responses")


async def schema_version(conn: Connection) -> int:
    """The database's schema version (0 for an empty database)."""
    exists = await conn.fetchval("SELECT to_regclass('schema_version') IS NOT NULL")
    if not exists:
        return 0
    return int(await conn.fetchval("SELECT version FROM schema_version"))


async def migrate(
    conn: Connection, name: str, migrations: tuple[tuple[str, ...], ...] = MIGRATIONS
) -> int:
    """Bring the database (shown to people as `name`) to the latest version; returns it.

    Holds a session-level advisory lock throughout, so transactions begin only once it is
    held: a transaction already running while it waited could miss tables created meanwhile
    (waiting for an advisory lock does not refresh PostgreSQL's catalog caches)."""
    await conn.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK)
    try:
        async with conn.transaction():
            version = await schema_version(conn)
            if version > len(migrations):
                raise SchemaTooNew(
                    f"{name} has schema version {version}, but this bot knows only up to "
                    f"{len(migrations)}: it was written by a newer bot. Upgrade the bot; "
                    "do not downgrade a database."
                )
            if version == 0:
                await conn.execute("CREATE TABLE schema_version (version integer NOT NULL)")
                await conn.execute("INSERT INTO schema_version VALUES (0)")
        for target in range(version + 1, len(migrations) + 1):
            async with conn.transaction():
                for statement in migrations[target - 1]:
                    await conn.execute(statement)
                await conn.execute("UPDATE schema_version SET version = $1", target)
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", MIGRATION_LOCK)
    return len(migrations)
