"""Test-wide settings, the order files run in, and the PostgreSQL fixtures (`postgres_dsn`: a
fresh database per test).

What must hold:
- with `CI` set, a missing PostgreSQL server fails the tests that need it, it never skips them;
  without `CI` and without a server on the machine they are skipped with the reason.
- the suite runs on pytest-xdist workers (`-n auto --dist loadfile` in pyproject.toml): each file
  runs whole in one worker, so a module fixture (the flood burst, a rendered report) is built
  once. Each worker is its own process with its own PostgreSQL server (or shares `.ci/run`'s),
  and every test database is named after its worker and a random token, so none collide.
- the files that take longest run first (`SLOW_FIRST`), so the workers finish together instead
  of one of them starting a two-minute file at the end. Only the order changes, never what runs.
"""

import asyncio
import concurrent.futures
import os
import secrets
from collections.abc import Iterator

import asyncpg
import pytest
from xdist.scheduler import LoadFileScheduling

from tests.postgres import DSN_VARIABLE, LocalPostgres, NoPostgres, with_database

# PTB 22 warns on every RetryAfter unless opted in to its timedelta API; the bot handles both.
os.environ.setdefault("PTB_TIMEDELTA", "1")

#: Files (or folders) that take longest, longest first: they are handed to the workers before the
#: rest. A file missing here only runs later; measured with `pytest --durations=60`.
SLOW_FIRST = (
    "tests/faults/",
    "tests/stats/test_publication_property.py",
    "tests/test_benchmarks_smoke.py",
    "tests/e2e/test_many_residents.py",
    "tests/adapters/terminal/test_chat_input.py",
    "tests/stats/test_report.py",
    "tests/cli/test_report.py",
    "tests/cli/test_main.py",
    "tests/e2e/",
    "tests/cli/",
)
#: Folders whose files run one after another in one worker (one xdist work unit): the fault
#: tests each run a subprocess bot against deadlines (patience, retry windows), as they did
#: before the suite ran on two workers; two of them at once would halve each one's CPU.
ONE_WORKER = ("tests/faults/",)


def _slowness(item: pytest.Item) -> int:
    """The place of the item's file in `SLOW_FIRST` (files not listed come after, in order)."""
    path = item.nodeid.split("::", 1)[0]
    for rank, prefix in enumerate(SLOW_FIRST):
        if path == prefix or (prefix.endswith("/") and path.startswith(prefix)):
            return rank
    return len(SLOW_FIRST)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The slowest files first; a stable sort, so each file's tests stay together and in order."""
    items.sort(key=_slowness)


class FoldersTogether(LoadFileScheduling):  # type: ignore[misc]  # xdist has no type hints
    """xdist's `--dist loadfile`, except that each `ONE_WORKER` folder is a single work unit."""

    def _split_scope(self, nodeid: str) -> str:
        scope: str = super()._split_scope(nodeid)
        return next((folder for folder in ONE_WORKER if scope.startswith(folder)), scope)


def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object:
    """The scheduler for `--dist loadfile` (pyproject.toml); xdist's own for other modes."""
    return FoldersTogether(config, log) if config.getoption("dist") == "loadfile" else None


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
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")  # gw0, gw1, ... under xdist
    name = f"test_{worker}_{secrets.token_hex(6)}"
    _run_admin(postgres_server, f"CREATE DATABASE {name}")
    yield with_database(postgres_server, name)
    _run_admin(postgres_server, f"DROP DATABASE {name} WITH (FORCE)")
