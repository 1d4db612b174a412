"""The SQLite schema as forward migrations keyed on `PRAGMA user_version`.

What must hold:
- `MIGRATIONS[i]` takes a database from version i to i + 1; a migration, once released, never
  changes (add a new one instead). Each runs in its own transaction together with the version bump.
- a database newer than `SCHEMA_VERSION` is refused (`SchemaTooNew`), never touched.
- anonymity is part of the schema: resident tables are WITHOUT ROWID and keyed by random ids or
  HMAC pseudonyms, so physical order is key order, not arrival order; completion markers have no
  column but the marker; responses carry only a coarse day; free texts have no link to responses.
"""

from __future__ import annotations

import aiosqlite

from storage.base import SchemaTooNew

#: Version 1: what residents produce.
_V1_RESIDENT_DATA = (
    """CREATE TABLE sessions (
        key BLOB PRIMARY KEY,
        survey_id TEXT NOT NULL,
        state TEXT NOT NULL,
        day TEXT NOT NULL
    ) WITHOUT ROWID""",
    "CREATE INDEX sessions_by_day ON sessions (day)",
    "CREATE INDEX sessions_by_survey ON sessions (survey_id)",
    "CREATE TABLE markers (marker BLOB PRIMARY KEY) WITHOUT ROWID",
    """CREATE TABLE responses (
        id BLOB PRIMARY KEY,
        survey_id TEXT NOT NULL,
        survey_version TEXT NOT NULL,
        day TEXT NOT NULL,
        language TEXT NOT NULL,
        answers TEXT NOT NULL CHECK (json_valid(answers))
    ) WITHOUT ROWID""",
    """CREATE TABLE free_texts (
        id BLOB PRIMARY KEY,
        survey_id TEXT NOT NULL,
        question_id TEXT NOT NULL,
        text TEXT NOT NULL
    ) WITHOUT ROWID""",
    """CREATE TABLE tallies (
        survey_id TEXT NOT NULL,
        question TEXT NOT NULL CHECK (question <> ''),
        choice TEXT NOT NULL CHECK (choice <> ''),
        by_question TEXT NOT NULL,
        by_choice TEXT NOT NULL,
        count INTEGER NOT NULL CHECK (count > 0),
        PRIMARY KEY (survey_id, question, choice, by_question, by_choice)
    ) WITHOUT ROWID""",
)

#: Version 2: live counters, the published (batched) tallies, and the staff audit log.
_V2_PUBLICATION_AND_AUDIT = (
    """CREATE TABLE survey_counts (
        survey_id TEXT PRIMARY KEY,
        responses INTEGER NOT NULL,
        first_day TEXT,
        last_day TEXT
    ) WITHOUT ROWID""",
    """INSERT INTO survey_counts (survey_id, responses, first_day, last_day)
        SELECT survey_id, count(*), min(day), max(day) FROM responses GROUP BY survey_id""",
    """CREATE TABLE publications (
        survey_id TEXT PRIMARY KEY,
        responses INTEGER NOT NULL,
        first_day TEXT,
        last_day TEXT
    ) WITHOUT ROWID""",
    """CREATE TABLE published_tallies (
        survey_id TEXT NOT NULL,
        question TEXT NOT NULL,
        choice TEXT NOT NULL,
        by_question TEXT NOT NULL,
        by_choice TEXT NOT NULL,
        count INTEGER NOT NULL,
        PRIMARY KEY (survey_id, question, choice, by_question, by_choice)
    ) WITHOUT ROWID""",
    """CREATE TABLE audit (
        seq INTEGER PRIMARY KEY,
        minute TEXT NOT NULL,
        role TEXT NOT NULL,
        actor_id INTEGER NOT NULL,
        action TEXT NOT NULL
    )""",
)

#: Version 3: responses sealed to the analysis key, and the pool waiting for its batch
#: (`storage.pool`). Plain `responses` rows of version 2 stay where they are.
_V3_SEALED_AND_POOLED = (
    """CREATE TABLE sealed_responses (
        id BLOB PRIMARY KEY,
        survey_id TEXT NOT NULL,
        box BLOB NOT NULL
    ) WITHOUT ROWID""",
    """CREATE TABLE pending (
        survey_id TEXT PRIMARY KEY,
        body TEXT NOT NULL
    ) WITHOUT ROWID""",
)

#: Version 4: what earlier publications told staff (`bot.stats.history`), to audit the next one.
_V4_DISCLOSURE_HISTORY = (
    """CREATE TABLE disclosure_history (
        survey_id TEXT NOT NULL,
        responses INTEGER NOT NULL,
        history TEXT NOT NULL,
        PRIMARY KEY (survey_id, responses)
    ) WITHOUT ROWID""",
)

MIGRATIONS: tuple[tuple[str, ...], ...] = (
    _V1_RESIDENT_DATA,
    _V2_PUBLICATION_AND_AUDIT,
    _V3_SEALED_AND_POOLED,
    _V4_DISCLOSURE_HISTORY,
)
SCHEMA_VERSION = len(MIGRATIONS)


async def schema_version(db: aiosqlite.Connection) -> int:
    """The database's `user_version`."""
    async with db.execute("PRAGMA user_version") as cursor:
        row = await cursor.fetchone()
    return int(row[0]) if row else 0


async def refuse_newer(
    db: aiosqlite.Connection, name: str, migrations: tuple[tuple[str, ...], ...] = MIGRATIONS
) -> int:
    """The database's version; raises `SchemaTooNew` if this bot does not know it."""
    version = await schema_version(db)
    if version > len(migrations):
        raise SchemaTooNew(
            f"{name} has schema version {version}, but this bot knows only up to "
            f"{len(migrations)}: it was written by a newer bot. Upgrade the bot; "
            "do not downgrade a database."
        )
    return version


async def migrate(
    db: aiosqlite.Connection,
    name: str,
    migrations: tuple[tuple[str, ...], ...] = MIGRATIONS,
) -> int:
    """Bring the database (shown to people as `name`) to the latest version; returns it.

    The connection must be in autocommit mode (`isolation_level=None`)."""
    version = await refuse_newer(db, name, migrations)
    for target in range(version + 1, len(migrations) + 1):
        await db.execute("BEGIN IMMEDIATE")
        try:
            for statement in migrations[target - 1]:
                await db.execute(statement)
            await db.execute(f"PRAGMA user_version = {target:d}")
        except BaseException:
            await db.rollback()
            raise
        await db.commit()
    return len(migrations)
