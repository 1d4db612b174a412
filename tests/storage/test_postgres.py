"""`PostgresStore` beyond the shared contract: opening by URL, errors an operator can act on,
migrations that several replicas may run at once, and a newer schema refused."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from storage import PostgresStore, SchemaTooNew, StoreError, open_store
from storage.pg_schema import SCHEMA_VERSION
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
