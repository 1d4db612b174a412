"""`PostgresStore` beyond the shared contract: opening by URL, errors an operator can act on,
migrations that several replicas may run at once (and from schema 2), a newer schema refused,
and batches left pending released by the maintenance."""

from __future__ import annotations

import asyncio
import secrets
from datetime import date

import asyncpg
import pytest

from storage import PostgresStore, Response, SchemaTooNew, StoreError, open_store, pg_pool
from storage.pg_schema import MIGRATIONS, SCHEMA_VERSION, migrate
from storage.sealing import public_key
from tests.analysis_key import ANALYSIS_PRIVATE, ANALYSIS_PUBLIC
from tests.postgres import free_port


async def test_open_store_takes_postgresql_urls(postgres_dsn: str) -> None:
    for url in (postgres_dsn, postgres_dsn.replace("postgresql://", "postgres://", 1)):
        store = await open_store(url)
        assert isinstance(store, PostgresStore)
        await store.close()


async def test_an_unreachable_server_is_one_line_without_the_password() -> None:
    url = f"postgresql://survey:hunter2-secret@127.0.0.1:{free_port()}/survey"
    with pytest.raises(StoreError) as caught:
        await open_store(url)
    message = str(caught.value)
    assert message.startswith("cannot connect to PostgreSQL at postgresql://127.0.0.1:")
    assert "hunter2" not in message and "\n" not in message


async def test_replicas_starting_together_migrate_once(postgres_dsn: str) -> None:
    stores = await asyncio.gather(*(PostgresStore.open(postgres_dsn) for _ in range(4)))
    for store in stores:
        await store.close()
    db = await asyncpg.connect(postgres_dsn)
    try:
        assert await db.fetchval("SELECT version FROM schema_version") == SCHEMA_VERSION
        assert await db.fetchval("SELECT count(*) FROM schema_version") == 1
    finally:
        await db.close()


async def test_a_newer_schema_is_refused_and_left_alone(postgres_dsn: str) -> None:
    await (await PostgresStore.open(postgres_dsn)).close()
    db = await asyncpg.connect(postgres_dsn)
    try:
        await db.execute("UPDATE schema_version SET version = 99")
        with pytest.raises(SchemaTooNew, match="schema version 99"):
            await PostgresStore.open(postgres_dsn)
        assert await db.fetchval("SELECT version FROM schema_version") == 99
    finally:
        await db.close()


async def test_a_schema_2_database_keeps_its_plain_responses_and_pools_its_free_texts(
    postgres_dsn: str,
) -> None:
    db = await asyncpg.connect(postgres_dsn)
    try:
        assert await migrate(db, "test", MIGRATIONS[:2]) == 2
        plain = "SELECT $1::bytea, 's', 'v1', DATE '2025-05-12', 'sv', '{\"q\": \"a\"}'::jsonb"
        await db.execute(f"INSERT INTO responses {plain}", secrets.token_bytes(16))
        await db.execute(f"INSERT INTO incoming_responses {plain}", secrets.token_bytes(16))
        await db.execute(
            "INSERT INTO incoming_free_texts VALUES ($1, 's', 'why', 'mörkt')",
            secrets.token_bytes(16),
        )
        store = await PostgresStore.open(postgres_dsn, analysis_key=ANALYSIS_PUBLIC, batch=2)
        try:
            assert await db.fetchval("SELECT version FROM schema_version") == SCHEMA_VERSION == 4
            old = Response("s", "v1", date(2025, 5, 12), "sv", {"q": "a"})
            assert await store.responses("s", ANALYSIS_PRIVATE) == [old, old]
            assert await store.free_texts("s") == []  # pending, as a schema-2 bot left it
            new = Response("s", "v1", date(2025, 5, 13), "sv", {"q": "b"}, {"why": "ljust"})
            assert await store.complete(session_key=b"k", marker=b"m", response=new, cells=[])
            assert sorted(await store.free_texts("s")) == [("why", "ljust"), ("why", "mörkt")]
            assert len(await store.responses("s", ANALYSIS_PRIVATE)) == 3
        finally:
            await store.close()
    finally:
        await db.close()


async def test_a_batch_left_pending_is_released_by_the_hourly_maintenance(
    postgres_dsn: str,
) -> None:
    """A crash between a completion's commit and its release leaves a full batch pending."""
    store = await PostgresStore.open(postgres_dsn, analysis_key=ANALYSIS_PUBLIC, batch=3)
    db = await asyncpg.connect(postgres_dsn)
    try:
        for n in range(3):  # the completion statement alone: the release never ran
            response = Response("s", "v1", date(2025, 5, 12), "sv", {"n": n}, {"why": f"t{n}"})
            done = await pg_pool.complete(
                db,
                session_key=b"k",
                marker=bytes([n]),
                response=response,
                cells=[],
                analysis=public_key(ANALYSIS_PUBLIC),
                batch=3,
            )
            assert done.stored
        assert await store.free_texts("s") == []
        assert await db.fetchval("SELECT count(*) FROM sealed_responses") == 0
        await store.purge_sessions(date(2025, 5, 1))
        assert sorted(t for _, t in await store.free_texts("s")) == ["t0", "t1", "t2"]
        assert await db.fetchval("SELECT count(*) FROM sealed_responses") == 3
        assert await db.fetchval("SELECT cardinality(boxes) FROM pending") == 0
    finally:
        await db.close()
        await store.close()


async def test_a_failed_release_keeps_the_completion_and_is_retried(
    postgres_dsn: str, caplog: pytest.LogCaptureFixture
) -> None:
    store = await PostgresStore.open(postgres_dsn, analysis_key=ANALYSIS_PUBLIC, batch=1)
    db = await asyncpg.connect(postgres_dsn)
    try:
        await db.execute("ALTER TABLE free_texts RENAME TO broken")  # the release fails
        response = Response("s", "v1", date(2025, 5, 12), "sv", {"n": 1}, {"why": "mörkt"})
        assert await store.complete(session_key=b"k", marker=b"m", response=response, cells=[])
        assert "releasing a batch failed, retried later" in caplog.text
        assert await store.is_completed(b"m")
        assert await db.fetchval("SELECT jsonb_array_length(texts) FROM pending") == 1
        await db.execute("ALTER TABLE broken RENAME TO free_texts")
        await store.purge_sessions(date(2025, 5, 1))
        assert await store.free_texts("s") == [("why", "mörkt")]
        assert len(await store.responses("s", ANALYSIS_PRIVATE)) == 1
    finally:
        await db.close()
        await store.close()
