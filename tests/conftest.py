"""Test-wide settings, and the PostgreSQL fixtures (`postgres_dsn`: a fresh database per test).

What must hold: with `CI` set, a missing PostgreSQL server fails the tests that need it, it never
skips them; without `CI` and without a server on the machine they are skipped with the reason.
"""

import asyncio
import concurrent.futures
import os
import secrets
from collections.abc import Iterator

import asyncpg
import pytest

from tests.postgres import DSN_VARIABLE, LocalPostgres, NoPostgres, with_database

# PTB 22 warns on every RetryAfter unless opted in to its timedelta API; the bot handles both.
os.environ.setdefault("PTB_TIMEDELTA", "1")


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """The DSN of a PostgreSQL server: `.ci/run`'s, or one started here for this session."""
    given = os.environ.get(DSN_VARIABLE)
    if given:
        yield given
        return
    try:
        server = LocalPostgres.start()
    except NoPostgres as error:
        if os.environ.get("CI"):
            pytest.fail(f"CI needs PostgreSQL and has none: {error}")
        pytest.skip(str(error))
    try:
        yield server.dsn
    finally:
        server.stop()


def _run_admin(dsn: str, sql: str) -> None:
    """Run one statement on the server, from sync code (a fixture may run inside an event
    loop, so this one gets its own, in a thread)."""

    async def run() -> None:
        admin = await asyncpg.connect(dsn)
        try:
            await admin.execute(sql)
        finally:
            await admin.close()

    with concurrent.futures.ThreadPoolExecutor(1) as thread:
        thread.submit(asyncio.run, run()).result()


@pytest.fixture
def postgres_dsn(postgres_server: str) -> Iterator[str]:
    """The DSN of a new, empty database on the test server, dropped after the test (so it
    can be asked for with `request.getfixturevalue` from an async fixture as well)."""
    name = f"test_{secrets.token_hex(6)}"
    _run_admin(postgres_server, f"CREATE DATABASE {name}")
    yield with_database(postgres_server, name)
    _run_admin(postgres_server, f"DROP DATABASE {name} WITH (FORCE)")
