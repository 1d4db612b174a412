"""What `SQLiteStore` adds to the contract: migrations, durability settings, atomicity on
failure, the one-process lock, physical order and secure deletion."""

from __future__ import annotations

import asyncio
import sqlite3
import stat
import sys
import threading
from collections.abc import Awaitable, Callable, Iterable
from datetime import date
from pathlib import Path

import aiosqlite
import pytest

from storage import (
    Cell,
    MemoryStore,
    Response,
    SchemaTooNew,
    SQLiteStore,
    StoreError,
    StoreLocked,
    open_store,
)
from storage.base import every
from storage.migrations import MIGRATIONS, SCHEMA_VERSION
from tests.analysis_key import ANALYSIS_PRIVATE, ANALYSIS_PUBLIC

DAY = date(2025, 5, 12)
SURVEY = "halmstad-2025"


def response(n: int = 0) -> Response:
    return Response(SURVEY, "v1", DAY, "sv", {"safe_day": "very", "n": n}, {"why": f"text {n}"})


def raw(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(path, isolation_level=None)


def user_version(path: Path) -> int:
    with raw(path) as db:
        return int(db.execute("PRAGMA user_version").fetchone()[0])


async def test_new_database_has_latest_schema_and_settings(tmp_path: Path) -> None:
    store = await SQLiteStore.open(tmp_path / "survey.db")
    try:
        assert await store.settings() == {
            "journal_mode": "wal",
            "synchronous": 2,  # FULL
            "secure_delete": 1,
            "foreign_keys": 1,
            "busy_timeout": 5000,
            "user_version": SCHEMA_VERSION,
        }
        assert await store.integrity_check() == "ok"
    finally:
        await store.close()
    assert user_version(tmp_path / "survey.db") == SCHEMA_VERSION == len(MIGRATIONS)
    assert stat.S_IMODE((tmp_path / "survey.db").stat().st_mode) == 0o600


async def test_synchronous_normal_on_request(tmp_path: Path) -> None:
    store = await SQLiteStore.open(tmp_path / "survey.db", synchronous="NORMAL")
    try:
        assert (await store.settings())["synchronous"] == 1
    finally:
        await store.close()


async def test_opening_an_old_database_migrates_it(tmp_path: Path) -> None:
    path = tmp_path / "survey.db"
    with raw(path) as db:
        for statement in MIGRATIONS[0]:
            db.execute(statement)
        db.execute("PRAGMA user_version = 1")
        db.execute(
            "INSERT INTO responses VALUES (?, ?, 'v1', '2025-05-02', 'sv', '{\"q\": \"a\"}')",
            (b"\x01" * 16, SURVEY),
        )
    db.close()
    store = await SQLiteStore.open(path)
    try:
        assert (await store.settings())["user_version"] == SCHEMA_VERSION
        assert await store.count_responses(SURVEY) == 1  # counters backfilled by migration 2
        assert [r.answers for r in await store.responses(SURVEY, ANALYSIS_PRIVATE)] == [{"q": "a"}]
        snapshot = await store.publish_if_due(SURVEY, every(1))
        assert (snapshot.responses, snapshot.first_day) == (1, date(2025, 5, 2))
    finally:
        await store.close()


async def test_a_newer_database_is_refused_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "survey.db"
    with raw(path) as db:
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.close()
    newer = SCHEMA_VERSION + 1
    before = path.read_bytes()
    for _ in range(2):  # the lock is released after refusing
        with pytest.raises(SchemaTooNew, match=rf"survey\.db has schema version {newer}.*newer"):
            await SQLiteStore.open(path)
    assert path.read_bytes() == before  # not even switched to WAL


async def test_completed_responses_survive_reopening(tmp_path: Path) -> None:
    path = tmp_path / "survey.db"
    store = await SQLiteStore.open(path, analysis_key=ANALYSIS_PUBLIC, batch=1)
    assert await store.complete(
        session_key=b"k" * 32, marker=b"m" * 32, response=response(), cells=[Cell("q", "a")]
    )
    await store.save_session(b"s" * 32, SURVEY, '{"step": 3}', DAY)
    await store.close()
    await store.close()  # closing twice is harmless
    store = await SQLiteStore.open(path)
    try:
        assert await store.is_completed(b"m" * 32)
        assert await store.responses(SURVEY, ANALYSIS_PRIVATE) == [
            Response(SURVEY, "v1", DAY, "sv", {"safe_day": "very", "n": 0})
        ]
        assert await store.tallies(SURVEY) == {Cell("q", "a"): 1}
        assert await store.free_texts(SURVEY) == [("why", "text 0")]
        assert await store.load_session(b"s" * 32) == '{"step": 3}'
    finally:
        await store.close()


class _Crash(Exception):
    pass


class FailingStore(SQLiteStore):
    """Fails inside `complete()` after the marker, response and free texts were written."""

    async def _add_cells(self, survey_id: str, cells: Iterable[Cell]) -> None:
        await super()._add_cells(survey_id, cells)
        raise _Crash


async def test_complete_failing_midway_rolls_everything_back(tmp_path: Path) -> None:
    store = await FailingStore.open(tmp_path / "survey.db")
    try:
        await store.save_session(b"k" * 32, SURVEY, "{}", DAY)
        with pytest.raises(_Crash):
            await store.complete(
                session_key=b"k" * 32, marker=b"m" * 32, response=response(), cells=[Cell("q", "a")]
            )
        assert not await store.is_completed(b"m" * 32)
        assert await store.load_session(b"k" * 32) == "{}"
        assert await store.responses(SURVEY, ANALYSIS_PRIVATE) == []
        assert await store.free_texts(SURVEY) == []
        assert await store.tallies(SURVEY) == {}
        assert await store.count_responses(SURVEY) == 0
        # The store is still usable: the next call starts a fresh transaction.
        await store.save_session(b"k" * 32, SURVEY, '{"again": 1}', DAY)
        assert await store.load_session(b"k" * 32) == '{"again": 1}'
        assert await store.integrity_check() == "ok"
    finally:
        await store.close()


async def test_a_second_store_on_the_same_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "survey.db"
    store = await SQLiteStore.open(path)
    try:
        with pytest.raises(StoreLocked, match=r"another bot is using survey\.db"):
            await SQLiteStore.open(path)
        script = (
            "import asyncio, sys\n"
            "from storage import SQLiteStore, StoreLocked\n"
            "try:\n"
            f"    asyncio.run(SQLiteStore.open({str(path)!r}))\n"
            "except StoreLocked as e:\n"
            "    sys.exit(str(e))\n"
        )
        other = await asyncio.create_subprocess_exec(
            sys.executable, "-c", script, stderr=asyncio.subprocess.PIPE
        )
        _, stderr = await asyncio.wait_for(other.communicate(), timeout=60)
        assert other.returncode == 1
        assert "another bot is using survey.db" in stderr.decode()
        assert await store.integrity_check() == "ok"  # the first store is unaffected
    finally:
        await store.close()
    reopened = await SQLiteStore.open(path)  # released on close
    await reopened.close()


async def test_the_aiosqlite_internals_the_store_relies_on_are_there(tmp_path: Path) -> None:
    """`save_session` runs its transaction in aiosqlite's thread through the private
    `Connection._execute` and `_conn` (one thread trip per step instead of three or four: see
    benchmarks/store_bench.py, `steps` against `public_steps`). pyproject pins aiosqlite below
    0.23; this test is what to run before raising the bound."""
    async with aiosqlite.connect(tmp_path / "x.db") as db:
        major, minor = (int(part) for part in aiosqlite.__version__.split(".")[:2])
        assert (major, minor) < (0, 23)

        def body() -> int:
            assert isinstance(db._conn, sqlite3.Connection)
            return int(db._conn.execute("SELECT 41 + 1").fetchone()[0])

        assert await db._execute(body) == 42  # type: ignore[no-untyped-call]


@pytest.mark.parametrize("call", ["checkpoint", "purge_sessions", "delete_session", "complete"])
async def test_a_store_call_cancelled_in_flight_leaves_no_transaction_open(
    tmp_path: Path, call: str
) -> None:
    """The bot cancels its hourly purge at shutdown, possibly while one of the purge's
    statements waits in aiosqlite's queue; the queued statement still runs in aiosqlite's
    thread. A cancelled `BEGIN IMMEDIATE` left its transaction open, the closing checkpoint
    failed with "database table is locked" and the process ended with a traceback (seen in
    CI: exit 1 instead of 2 when the token was revoked right after the start). Whatever
    point a call is cancelled at, the store is left without an open transaction: the next
    write works and the close empties the write-ahead log."""
    path = tmp_path / "survey.db"
    store = await SQLiteStore.open(path)
    await store.save_session(b"k" * 32, SURVEY, "{}", DAY)
    operations: dict[str, Callable[[], Awaitable[object]]] = {
        "checkpoint": store.checkpoint,
        "purge_sessions": lambda: store.purge_sessions(date(2025, 5, 13)),
        "delete_session": lambda: store.delete_session(b"k" * 32),
        "complete": lambda: store.complete(
            session_key=b"k" * 32, marker=b"m" * 32, response=response(), cells=[]
        ),
    }
    gate = threading.Event()
    # aiosqlite's one thread is busy: the call's first statement is queued behind it.
    busy = asyncio.ensure_future(store._db._execute(gate.wait))  # type: ignore[no-untyped-call]
    pending = asyncio.ensure_future(operations[call]())
    for _ in range(10):  # let the call reach aiosqlite's queue (the thread does nothing here)
        await asyncio.sleep(0)
    pending.cancel()
    gate.set()
    await busy
    await asyncio.gather(pending, return_exceptions=True)
    await store.save_session(b"j" * 32, SURVEY, "{}", DAY)  # "within a transaction" before
    await store.close()  # "database table is locked" before the fix
    wal = path.with_name(path.name + "-wal")
    assert not wal.exists() or wal.stat().st_size == 0
    with raw(path) as db:
        keys = {row[0] for row in db.execute("SELECT key FROM sessions")}
    assert b"j" * 32 in keys


async def test_deleted_sessions_leave_no_bytes_behind(tmp_path: Path) -> None:
    path = tmp_path / "survey.db"
    store = await SQLiteStore.open(path)
    try:
        for n in range(50):
            state = f'{{"answers": {{"why": "UNIQUE-IN-PROGRESS-{n:03d}"}}}}'
            await store.save_session(n.to_bytes(32, "big"), SURVEY, state, DAY)
        await store.checkpoint()
        assert b"UNIQUE-IN-PROGRESS-007" in path.read_bytes()
        for n in range(25):
            await store.complete(
                session_key=n.to_bytes(32, "big"),
                marker=b"m" + n.to_bytes(31, "big"),
                response=response(n),
                cells=[],
            )
        assert await store.purge_sessions(date(2025, 5, 13)) == 25  # also checkpoints
        wal = path.with_name(path.name + "-wal")
        assert wal.stat().st_size == 0
        data = path.read_bytes()
        assert b"UNIQUE-IN-PROGRESS" not in data
        assert b"m" + (7).to_bytes(31, "big") in data  # markers are kept
    finally:
        await store.close()


async def test_open_store_urls(tmp_path: Path) -> None:
    memory = await open_store("memory:")
    assert isinstance(memory, MemoryStore)
    await memory.close()
    for url in (f"sqlite:///{tmp_path}/a.db", str(tmp_path / "b.db")):
        store = await open_store(url)
        assert isinstance(store, SQLiteStore)
        await store.close()
    assert (tmp_path / "a.db").exists() and (tmp_path / "b.db").exists()
    with pytest.raises(StoreError, match="unknown store URL"):
        await open_store("mysql://db/survey")
