"""The SQLite store opened as a tool beside a running bot (`storage.sqlite_lock`).

What this proves: a tool opens while the bot holds the runner lock, and a bot opens while a tool
is open, but a second bot is still refused; a tool creates nothing, never does the bot's
maintenance (completion, purge) and never migrates under a running bot; a publication asked for
by the bot and a tool at once is cut once; reading responses while the bot releases batches sees
each response exactly once; and a tool's reads leave no completion in the write-ahead log: after
every completion the bot made while a tool kept reading and publishing, the WAL holds no marker.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sqlite3
from datetime import date
from pathlib import Path

import aiosqlite
import pytest

from storage import Cell, Response, SQLiteStore, StoreError, StoreLocked, open_store, sqlite_pool
from storage.base import every
from storage.migrations import MIGRATIONS, SCHEMA_VERSION, migrate
from storage.pool import Pool
from storage.sqlite_lock import runner_lock
from tests.analysis_key import ANALYSIS_PRIVATE, ANALYSIS_PUBLIC

DAY = date(2025, 5, 12)
SURVEY = "halmstad-2025"
BATCH = 5


def response(n: int) -> Response:
    return Response(SURVEY, "v1", DAY, "sv", {"safe_day": "very", "n": n}, {"why": f"text {n}"})


def marker(n: int) -> bytes:
    return bytes([0xA5]) + n.to_bytes(31, "big")


async def complete(store: SQLiteStore, n: int) -> None:
    await store.save_session(n.to_bytes(32, "big"), SURVEY, "x" * 200, DAY)
    assert await store.complete(
        session_key=n.to_bytes(32, "big"),
        marker=marker(n),
        response=response(n),
        cells=[Cell("safe_day", "very")],
    )


async def open_bot(path: Path) -> SQLiteStore:
    return await SQLiteStore.open(
        path, synchronous="NORMAL", analysis_key=ANALYSIS_PUBLIC, batch=BATCH
    )


def wal(path: Path) -> bytes:
    file = path.with_name(path.name + "-wal")
    return file.read_bytes() if file.exists() else b""


async def test_a_tool_opens_beside_the_bot_and_a_second_bot_is_still_refused(
    tmp_path: Path,
) -> None:
    path = tmp_path / "survey.db"
    bot = await open_bot(path)
    try:
        await complete(bot, 1)
        tool = await open_store(str(path), mode="tool")
        try:
            assert await tool.count_responses(SURVEY) == 1
            with pytest.raises(StoreLocked, match=r"another bot is using survey\.db"):
                await SQLiteStore.open(path)
            await complete(bot, 2)  # the bot goes on; the tool sees it
            assert await tool.count_responses(SURVEY) == 2
        finally:
            await tool.close()
    finally:
        await bot.close()
    # A tool is open and no bot runs: a bot starts, and a second is refused.
    tool = await SQLiteStore.open(path, mode="tool")
    try:
        bot = await open_bot(path)
        try:
            with pytest.raises(StoreLocked):
                await SQLiteStore.open(path)
            await complete(bot, 3)
            assert await tool.count_responses(SURVEY) == 3
        finally:
            await bot.close()
    finally:
        await tool.close()


async def test_a_tool_creates_nothing_and_does_not_do_the_bots_work(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match=r"no database at .*nowhere\.db"):
        await SQLiteStore.open(tmp_path / "nowhere.db", mode="tool")
    assert os.listdir(tmp_path) == []

    path = tmp_path / "survey.db"
    bot = await open_bot(path)
    tool = await SQLiteStore.open(path, mode="tool")
    try:
        with pytest.raises(StoreError, match="open as a tool: only the bot may store"):
            await complete(tool, 1)
        with pytest.raises(StoreError, match="only the bot may purge"):
            await tool.purge_sessions(DAY)
        assert await bot.count_sessions(SURVEY) == 1  # saved, neither completed nor purged
        assert await bot.count_responses(SURVEY) == 0
    finally:
        await tool.close()
        await bot.close()


async def older_database(path: Path) -> None:
    """A database at the schema before the latest, as an older bot left it."""
    async with aiosqlite.connect(path, isolation_level=None) as db:
        await db.execute("PRAGMA journal_mode = WAL")
        await migrate(db, path.name, MIGRATIONS[:-1])


def user_version(path: Path) -> int:
    with sqlite3.connect(path) as db:
        version = int(db.execute("PRAGMA user_version").fetchone()[0])
    db.close()
    return version


async def test_a_tool_never_migrates_under_a_running_bot(tmp_path: Path) -> None:
    path = tmp_path / "survey.db"
    await older_database(path)
    held = runner_lock(path)  # an older bot runs (here: its lock alone)
    try:
        with pytest.raises(
            StoreError, match=r"older schema.*a bot is running on it: run this command again once"
        ) as refused:
            await SQLiteStore.open(path, mode="tool")
        assert "\n" not in str(refused.value)
        assert user_version(path) == SCHEMA_VERSION - 1
    finally:
        os.close(held)
    # No bot runs: the tool migrates, and lets go of the lock at once.
    tool = await SQLiteStore.open(path, mode="tool")
    try:
        assert user_version(path) == SCHEMA_VERSION
        bot = await open_bot(path)
        await bot.close()
    finally:
        await tool.close()


async def test_a_publication_asked_for_by_the_bot_and_a_tool_at_once_is_cut_once(
    tmp_path: Path,
) -> None:
    path = tmp_path / "survey.db"
    bot = await open_bot(path)
    tool = await SQLiteStore.open(path, mode="tool")
    try:
        seen: list[int] = []
        for n in range(4 * BATCH + 2):
            await complete(bot, n)
            mine, theirs = await asyncio.gather(
                bot.publish_if_due(SURVEY, every(BATCH)), tool.publish_if_due(SURVEY, every(BATCH))
            )
            assert mine == theirs  # one cut, seen alike from both sides
            if mine.responses and not mine.disclosure_recorded:
                await asyncio.gather(
                    bot.record_disclosure(SURVEY, mine.responses, f"history {mine.responses}"),
                    tool.record_disclosure(SURVEY, mine.responses, f"history {mine.responses}"),
                )
            seen.append(mine.responses)
        assert sorted(set(seen)) == [0, 5, 10, 15, 20]
        last = await tool.publish_if_due(SURVEY, every(BATCH))
        assert last.disclosure_recorded and last.disclosure_history == "history 15"
    finally:
        await tool.close()
        await bot.close()


async def test_reading_responses_while_the_bot_releases_a_batch_sees_each_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The bot releases a batch from the pool into `sealed_responses` right between the tool's
    read of `sealed_responses` and its read of the pool: the tool still sees each response once
    (one snapshot), never none of the batch."""
    path = tmp_path / "survey.db"
    bot = await open_bot(path)
    tool = await SQLiteStore.open(path, mode="tool")
    for n in range(BATCH - 1):  # the pool holds BATCH - 1 responses: the next one releases them
        await complete(bot, n)
    read_pool = sqlite_pool._pool
    released = False

    async def checkpoint_later() -> bool:  # the checkpoint would wait for the tool's read
        return True

    async def pool_after_a_release(db: aiosqlite.Connection, survey_id: str) -> Pool:
        nonlocal released
        if not released:
            released = True
            await complete(bot, BATCH - 1)
        return await read_pool(db, survey_id)

    monkeypatch.setattr(bot, "checkpoint", checkpoint_later)
    monkeypatch.setattr(sqlite_pool, "_pool", pool_after_a_release)
    try:
        found = await tool.responses(SURVEY, ANALYSIS_PRIVATE)
        assert released
        assert sorted(int(str(r.answers["n"])) for r in found) == list(range(BATCH - 1))
        monkeypatch.undo()
        found = await tool.responses(SURVEY, ANALYSIS_PRIVATE)
        assert sorted(int(str(r.answers["n"])) for r in found) == list(range(BATCH))
    finally:
        await tool.close()
        await bot.close()


async def test_a_tools_reads_leave_no_completion_in_the_wal(tmp_path: Path) -> None:
    """Each completion runs at the same time as a round of the tool's calls (publish, record,
    open every response, free texts): when `complete()` returns, its marker is not in the WAL
    (the bot's checkpoint waited for the tool's short reads), and once the tool closed and the
    bot is idle the WAL is empty."""
    path = tmp_path / "survey.db"
    bot = await open_bot(path)
    tool = await SQLiteStore.open(path, mode="tool")

    async def staff() -> None:
        snapshot = await tool.publish_if_due(SURVEY, every(BATCH))
        if snapshot.responses and not snapshot.disclosure_recorded:
            await tool.record_disclosure(SURVEY, snapshot.responses, "h")
        await tool.responses(SURVEY, ANALYSIS_PRIVATE)
        await tool.free_texts(SURVEY)

    async def resident(n: int) -> bytes:
        await complete(bot, n)
        return wal(path)  # the WAL as the completion left it

    copies: list[bytes] = []
    try:
        for n in range(40):
            copy, _ = await asyncio.gather(resident(n), staff())
            copies.append(copy)
        at_rest = wal(path)
        assert await tool.count_responses(SURVEY) == 40
    finally:
        await tool.close()
        await bot.close()
    for n, copy in enumerate(copies):
        assert not any(marker(m) in copy for m in range(n + 1)), f"completion {n} in the WAL"
    assert not any(marker(m) in at_rest for m in range(40))
    assert wal(path) == b""


async def test_a_reader_that_holds_up_the_checkpoint_is_logged_and_the_next_one_wipes(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A reader holding a snapshot longer than busy_timeout (a backup, a sqlite3 shell) keeps
    the completion's checkpoint from emptying the WAL: the bot says so, and a tool's close
    after the reader let go empties it."""
    path = tmp_path / "survey.db"
    bot = await open_bot(path)
    tool = await SQLiteStore.open(path, mode="tool")
    reader = sqlite3.connect(path, isolation_level=None)
    try:
        reader.execute("BEGIN")
        reader.execute("SELECT count(*) FROM markers").fetchone()
        with caplog.at_level(logging.WARNING, logger="storage.sqlite"):
            await complete(bot, 1)
        assert "write-ahead log could not be emptied" in caplog.text
        assert marker(1) in wal(path)
        reader.execute("COMMIT")
        await tool.close()
        assert marker(1) not in wal(path)
        assert wal(path) == b""
    finally:
        reader.close()
        await tool.close()
        await bot.close()


async def test_no_publication_is_cut_before_the_previous_ones_history_is_recorded(
    tmp_path: Path,
) -> None:
    """A tool cuts a publication and computes its history; meanwhile a batch of residents
    finishes and /stats in the bot cuts the next one: that one must be audited against the
    tool's publication, which staff may already have seen."""
    path = tmp_path / "survey.db"
    bot = await open_bot(path)
    tool = await SQLiteStore.open(path, mode="tool")
    try:
        for n in range(BATCH):
            await complete(bot, n)
        await bot.publish_if_due(SURVEY, every(BATCH))
        await bot.record_disclosure(SURVEY, BATCH, "history 5")
        for n in range(BATCH, 2 * BATCH):
            await complete(bot, n)
        cut = await tool.publish_if_due(SURVEY, every(BATCH))  # its history is not stored yet
        assert (cut.responses, cut.disclosure_recorded) == (2 * BATCH, False)
        for n in range(2 * BATCH, 3 * BATCH):
            await complete(bot, n)
        after = await bot.publish_if_due(SURVEY, every(BATCH))
        await tool.record_disclosure(SURVEY, cut.responses, "history 10")
        assert after.responses == cut.responses or after.disclosure_history == "history 10"
    finally:
        await tool.close()
        await bot.close()


async def test_a_tool_kept_waiting_by_the_bots_writes_gets_one_line(tmp_path: Path) -> None:
    """The bot holds the write lock for longer than busy_timeout (here: a raw connection in
    its place): the tool's publication gives up with one line, not a traceback of sqlite3."""
    path = tmp_path / "survey.db"
    bot = await open_bot(path)
    await complete(bot, 1)
    tool = await SQLiteStore.open(path, mode="tool")
    writer = sqlite3.connect(path, isolation_level=None)
    try:
        writer.execute("BEGIN IMMEDIATE")
        with pytest.raises(StoreError, match=r"survey\.db stayed busy for 5 s .*run this command"):
            await tool.publish_if_due(SURVEY, every(BATCH))
        writer.execute("ROLLBACK")
        assert (await tool.publish_if_due(SURVEY, every(1))).responses == 1  # usable again
    finally:
        writer.close()
        await tool.close()
        await bot.close()
