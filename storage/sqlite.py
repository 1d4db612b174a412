"""`SQLiteStore`: the embedded default `Store`, one SQLite file driven through aiosqlite.

What must hold:
- durability: WAL journal with `synchronous=FULL` by default, so a completed response survives a
  power cut once `complete()` returned (`NORMAL` is faster and may lose the last commits, never
  corrupt); `busy_timeout` 5 s; foreign keys on.
- one method call is one transaction (`BEGIN IMMEDIATE` for writes); calls on one store are
  serialised by an asyncio lock, so concurrent residents never interleave inside a transaction.
  A call whose caller is cancelled (the purge at shutdown) still runs to its end, commit or
  rollback, before the cancellation goes on: aiosqlite runs a queued statement anyway, so
  stopping half-way would leave a transaction or a statement open on the shared connection.
- anonymity (DESIGN "whoever copies the files"): resident tables are WITHOUT ROWID, keyed by
  pseudonyms or random ids. A completed response is sealed to the analysis public key
  (`storage.sealing`) and waits with the free texts in the survey's `Pool` (one row rewritten
  whole per completion); both reach `sealed_responses` / `free_texts` only as shuffled batches
  of at least `batch`. So page offsets (SQLite fills a page's free space in insertion order)
  order batches, never responses inside one. `secure_delete` zeroes deleted cells and pages.
  One completion is one commit (marker, pool, tallies, session deletion), and the WAL keeps
  commits in order, so `complete()` checkpoints with TRUNCATE right after its commit: at rest
  the WAL holds no completion. `journal_size_limit=0` truncates it after automatic checkpoints.
- one bot at a time (`mode="bot"` holds the runner lock until `close()`), and tools beside it
  (`mode="tool"`, no lock): see `storage.sqlite_lock`. A tool only reads and publishes, each
  call one short transaction (reads spanning tables in one snapshot, writes `BEGIN IMMEDIATE`;
  both wait `busy_timeout` for the bot); it never completes or purges (the pool release and the
  checkpoint after each completion stay the bot's). Its close checkpoints (TRUNCATE) too.
- a checkpoint that readers kept from emptying the WAL (a tool's read, a backup) is logged; the
  next one (the next completion, the hourly purge, a tool's or the bot's close) empties it.
- files are created readable by the owner only (0600); SQLite gives `-wal`/`-shm` the same mode.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sqlite3
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Sequence
from datetime import date
from pathlib import Path
from typing import Any, Literal, TypeVar

import aiosqlite

from storage.base import (
    AuditEntry,
    Cell,
    Due,
    Response,
    Snapshot,
    StoreError,
    check_cells,
)
from storage.migrations import migrate, refuse_newer
from storage.sealing import private_key, public_key
from storage.sqlite_lock import Mode, check_tool_file, migrate_as_tool, runner_lock
from storage.sqlite_pool import pool_completion, stored_responses
from storage.sqlite_publication import CELL_COLUMNS, publish_if_due, record_disclosure

Synchronous = Literal["FULL", "NORMAL"]
T = TypeVar("T")
_BUSY_TIMEOUT_MS = 5000
#: The release batch when none is given: the surveys' default `min_group_size`.
DEFAULT_BATCH = 5
log = logging.getLogger(__name__)


class SQLiteStore:
    """The `Store` on one SQLite file. Create with `await SQLiteStore.open(path)`."""

    def __init__(
        self,
        db: aiosqlite.Connection,
        path: Path,
        lock_fd: int | None,
        analysis_key: str | None = None,
        batch: int = DEFAULT_BATCH,
    ) -> None:
        """Use `open()`: it configures and migrates the connection and takes the lock (a tool's
        store has no `lock_fd`)."""
        self._db = db
        self.path = path
        self._lock_fd = lock_fd
        self.mode: Mode = "tool" if lock_fd is None else "bot"
        self._open = True
        self._serial = asyncio.Lock()
        self._analysis = None if analysis_key is None else public_key(analysis_key)
        self._batch = batch

    @classmethod
    async def open(
        cls,
        path: str | Path,
        synchronous: Synchronous = "FULL",
        *,
        analysis_key: str | None = None,
        batch: int = DEFAULT_BATCH,
        mode: Mode = "bot",
    ) -> SQLiteStore:
        """Open the database at `path`: as the bot (`mode="bot"`, creating and migrating if
        needed, under the runner lock), or as a tool beside a running bot (`mode="tool"`).

        `analysis_key` is the analysis public key (hex) completed responses are sealed to; without
        it only counters are kept. `batch` is the release batch of responses and free texts.
        Raises `StoreLocked` if another bot holds it, `SchemaTooNew` if a newer bot wrote it, and
        `StoreError` for a tool on a missing file or on an older schema while a bot runs."""
        if synchronous not in ("FULL", "NORMAL"):
            raise ValueError(f"synchronous must be FULL or NORMAL, not {synchronous!r}")
        if mode not in ("bot", "tool"):
            raise ValueError(f"mode must be bot or tool, not {mode!r}")
        if batch < 1:
            raise ValueError(f"batch must be at least 1, not {batch}")
        if analysis_key is not None:
            public_key(analysis_key)  # a malformed key fails before the file is touched
        path = Path(path)
        if mode == "tool":
            check_tool_file(path)
        lock_fd = runner_lock(path) if mode == "bot" else None
        try:
            if not path.exists():
                os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
            db = await aiosqlite.connect(path, isolation_level=None)
        except BaseException:
            if lock_fd is not None:
                os.close(lock_fd)
            raise
        try:
            await db.execute(f"PRAGMA busy_timeout = {_BUSY_TIMEOUT_MS:d}")
            await refuse_newer(db, path.name)  # before anything writes to the file
            row = next(iter(await db.execute_fetchall("PRAGMA journal_mode = WAL")), None)
            if row is None or str(row[0]).lower() != "wal":
                raise StoreError(f"{path.name}: cannot switch to WAL journal mode ({row!r})")
            settings = (f"synchronous = {synchronous}", "foreign_keys = ON", "secure_delete = ON")
            for setting in (*settings, "journal_size_limit = 0"):
                await db.execute(f"PRAGMA {setting}")
            if lock_fd is None:
                await migrate_as_tool(db, path)
            else:
                await migrate(db, path.name)
        except BaseException:
            await db.close()
            if lock_fd is not None:
                os.close(lock_fd)
            raise
        return cls(db, path, lock_fd, analysis_key, batch)

    # --- plumbing -------------------------------------------------------------------------

    async def _fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        async with self._serial:
            return list(await self._db.execute_fetchall(sql, params))

    async def _fetchone(self, sql: str, params: Sequence[Any] = ()) -> Any:
        rows = await self._fetchall(sql, params)
        return rows[0] if rows else None

    async def _in_transaction(self, body: Callable[[aiosqlite.Connection], Awaitable[T]]) -> T:
        """`body` in a write transaction: committed if it returns, else rolled back; run to
        its end even if the caller is cancelled (see the module doc)."""

        async def transaction() -> T:
            async with self._serial:
                try:
                    await self._begin()
                    result = await body(self._db)
                    await self._db.commit()
                except BaseException:
                    await self._db.rollback()  # also after a failed commit or BEGIN
                    raise
                return result

        return await _to_the_end(transaction())

    async def _begin(self) -> None:
        """`BEGIN IMMEDIATE`; a tool that waited `busy_timeout` for the bot gets one line."""
        try:
            await self._db.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as err:
            if self.mode == "bot":
                raise
            raise StoreError(
                f"{self.path.name} stayed busy for {_BUSY_TIMEOUT_MS // 1000} s ({err}): "
                "the bot is writing without a pause; run this command again"
            ) from None

    async def _write(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run one statement in its own write transaction; returns the rows changed."""
        cursor = await self._in_transaction(lambda db: db.execute(sql, params))
        return cursor.rowcount  # the statement ran to its end (no rows to read)

    # --- sessions -------------------------------------------------------------------------

    async def load_session(self, key: bytes) -> str | None:
        row = await self._fetchone("SELECT state FROM sessions WHERE key = ?", (key,))
        return None if row is None else str(row[0])

    async def save_session(self, key: bytes, survey_id: str, state: str, day: date) -> None:
        # The hot path (one write per resident step), as one trip to aiosqlite's thread: a step
        # on the same day rewrites only `state`, leaving both indexed columns (and so both
        # indexes) alone; a new session or a new day takes the full upsert. Measured in
        # benchmarks/store_bench.py: 0.10x -> 0.93x of a plain aiosqlite insert loop.
        when = day.isoformat()

        def write(conn: sqlite3.Connection) -> None:
            same_day = conn.execute(
                "UPDATE sessions SET state = ? WHERE key = ? AND day = ?", (state, key, when)
            )
            if same_day.rowcount == 0:
                conn.execute(
                    "INSERT INTO sessions (key, survey_id, state, day) VALUES (?, ?, ?, ?) "
                    "ON CONFLICT (key) DO UPDATE SET "
                    "survey_id = excluded.survey_id, state = excluded.state, day = excluded.day",
                    (key, survey_id, state, when),
                )

        await self._in_one_trip(write)

    async def _in_one_trip(self, body: Callable[[sqlite3.Connection], None]) -> None:
        """Run `body` as one write transaction in aiosqlite's thread (one round trip instead
        of one per statement). Uses aiosqlite's `_execute`, its way to run a function in that
        thread, the same the public methods use."""
        db = self._db

        def transaction() -> None:
            conn = db._conn
            conn.execute("BEGIN IMMEDIATE")
            try:
                body(conn)
                conn.commit()
            except BaseException:
                conn.rollback()  # also after a failed commit: never left in a transaction
                raise

        async with self._serial:
            await db._execute(transaction)  # type: ignore[no-untyped-call]

    async def delete_session(self, key: bytes) -> None:
        await self._write("DELETE FROM sessions WHERE key = ?", (key,))

    async def purge_sessions(self, idle_before: date) -> int:
        self._bot_only("purge sessions")
        purged = await self._write("DELETE FROM sessions WHERE day < ?", (idle_before.isoformat(),))
        await self.checkpoint()
        return purged

    async def count_sessions(self, survey_id: str) -> int:
        row = await self._fetchone(
            "SELECT count(*) FROM sessions WHERE survey_id = ?", (survey_id,)
        )
        return int(row[0])

    # --- completion -----------------------------------------------------------------------

    async def is_completed(self, marker: bytes) -> bool:
        return await self._fetchone("SELECT 1 FROM markers WHERE marker = ?", (marker,)) is not None

    async def complete(
        self, *, session_key: bytes, marker: bytes, response: Response, cells: Sequence[Cell]
    ) -> bool:
        check_cells(cells)
        self._bot_only("store a completion")
        stored = await self._in_transaction(
            lambda _: self._complete(session_key, marker, response, cells)
        )
        # The commit just written links marker, pool, tallies and session deletion: wipe it.
        await self.checkpoint()
        return stored

    async def _complete(
        self, session_key: bytes, marker: bytes, response: Response, cells: Sequence[Cell]
    ) -> bool:
        """The body of `complete()`, inside its transaction (a hook for failure tests)."""
        db = self._db
        already = bool(
            await db.execute_fetchall("SELECT 1 FROM markers WHERE marker = ?", (marker,))
        )
        if not already:
            await db.execute("INSERT INTO markers (marker) VALUES (?)", (marker,))
            await self._insert_response(response)
            await self._add_cells(response.survey_id, cells)
        await db.execute("DELETE FROM sessions WHERE key = ?", (session_key,))
        return not already

    async def _insert_response(self, response: Response) -> None:
        """Add the response (sealed) and its free texts to the pool; release full batches."""
        await pool_completion(self._db, response, self._analysis, self._batch)

    async def _add_cells(self, survey_id: str, cells: Iterable[Cell]) -> None:
        await self._db.executemany(
            f"INSERT INTO tallies (survey_id, {CELL_COLUMNS}, count) VALUES (?, ?, ?, ?, ?, 1) "
            "ON CONFLICT DO UPDATE SET count = count + 1",
            [(survey_id, c.question, c.choice, c.by_question, c.by_choice) for c in cells],
        )

    # --- reading and publishing -----------------------------------------------------------

    async def count_responses(self, survey_id: str) -> int:
        row = await self._fetchone(
            "SELECT responses FROM survey_counts WHERE survey_id = ?", (survey_id,)
        )
        return 0 if row is None else int(row[0])

    async def tallies(self, survey_id: str) -> dict[Cell, int]:
        rows = await self._fetchall(
            f"SELECT {CELL_COLUMNS}, count FROM tallies WHERE survey_id = ?", (survey_id,)
        )
        return {Cell(*row[:4]): int(row[4]) for row in rows}

    async def publish_if_due(self, survey_id: str, due: Due) -> Snapshot:
        return await self._in_transaction(lambda db: publish_if_due(db, survey_id, due))

    async def record_disclosure(self, survey_id: str, responses: int, history: str) -> None:
        await self._in_transaction(lambda db: record_disclosure(db, survey_id, responses, history))

    async def responses(self, survey_id: str, analysis_private_key: str) -> list[Response]:
        key = private_key(analysis_private_key)

        async def read() -> list[Response]:
            async with self._serial:
                return await stored_responses(self._db, survey_id, key)

        return await _to_the_end(read())

    async def free_texts(self, survey_id: str) -> list[tuple[str, str]]:
        rows = await self._fetchall(
            "SELECT question_id, text FROM free_texts WHERE survey_id = ?", (survey_id,)
        )
        return [(str(question), str(text)) for question, text in rows]

    # --- audit ----------------------------------------------------------------------------

    async def record_audit(self, entry: AuditEntry) -> None:
        await self._write(
            "INSERT INTO audit (minute, role, actor_id, action) VALUES (?, ?, ?, ?)",
            (entry.minute, entry.role, entry.actor_id, entry.action),
        )

    async def audit_log(self, limit: int = 100) -> list[AuditEntry]:
        rows = await self._fetchall(
            "SELECT minute, role, actor_id, action FROM audit ORDER BY seq DESC LIMIT ?", (limit,)
        )
        return [AuditEntry(str(m), str(r), int(a), str(x)) for m, r, a, x in rows]

    # --- maintenance ----------------------------------------------------------------------

    async def checkpoint(self) -> bool:
        """Copy the WAL into the database and truncate it (dropping old page images); False,
        logged, if another connection kept it from that (a reader longer than `busy_timeout`,
        or another checkpoint running: the next checkpoint empties it)."""
        rows = await self._fetchall("PRAGMA wal_checkpoint(TRUNCATE)")  # no cursor left open
        emptied = bool(rows) and rows[0][0] == 0
        if not emptied:  # a tool's checkpoint may just meet the bot's: that one empties it
            log.log(
                logging.WARNING if self.mode == "bot" else logging.DEBUG,
                "%s: the write-ahead log could not be emptied now (another connection reads "
                "or checkpoints); the next checkpoint empties it",
                self.path.name,
            )
        return emptied

    def _bot_only(self, what: str) -> None:
        """Refuse the bot's own writes on a tool's store (they run maintenance: pool release,
        the checkpoint of a completion, the purge)."""
        if self.mode == "tool":
            raise StoreError(f"{self.path.name} is open as a tool: only the bot may {what}")

    async def integrity_check(self) -> str:
        """SQLite's `PRAGMA integrity_check`: "ok", or the problems found."""
        rows = await self._fetchall("PRAGMA integrity_check")
        return "\n".join(str(row[0]) for row in rows)

    async def settings(self) -> dict[str, int | str]:
        """The connection's durability and privacy settings, as SQLite reports them."""
        names = "journal_mode synchronous secure_delete foreign_keys busy_timeout user_version"
        return {name: (await self._fetchone(f"PRAGMA {name}"))[0] for name in names.split()}

    async def close(self) -> None:
        """Checkpoint, close the connection and release the lock. Closing twice is harmless."""
        if not self._open:
            return
        self._open = False
        try:
            try:
                await self.checkpoint()
            finally:
                await self._db.close()
        finally:
            if self._lock_fd is not None:
                os.close(self._lock_fd)


async def _to_the_end(work: Coroutine[Any, Any, T]) -> T:
    """Await `work`; a cancelled caller lets it finish (commit or rollback) first."""
    task = asyncio.ensure_future(work)
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        await asyncio.wait({task})
        if not task.cancelled():
            task.exception()  # nobody waits for the result now: retrieved, not logged
        raise
