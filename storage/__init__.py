"""Storage: the `Store` protocol (`storage.base`) and its implementations, and `open_store`.

What must hold: nothing here imports `telegram`; callers get a `Store` from `open_store(url)`
and depend only on the protocol.
"""

from __future__ import annotations

from pathlib import Path

from storage.base import (
    ANSWERED,
    OVERALL,
    AuditEntry,
    Cell,
    Response,
    SchemaTooNew,
    Snapshot,
    Store,
    StoredAnswer,
    StoreError,
    StoreLocked,
)
from storage.memory import MemoryStore
from storage.postgres import PostgresStore
from storage.sealing import SealError, generate_keypair
from storage.sqlite import DEFAULT_BATCH, SQLiteStore, Synchronous
from storage.sqlite_lock import Mode

__all__ = [
    "ANSWERED",
    "DEFAULT_BATCH",
    "OVERALL",
    "AuditEntry",
    "Cell",
    "MemoryStore",
    "Mode",
    "PostgresStore",
    "Response",
    "SQLiteStore",
    "SchemaTooNew",
    "SealError",
    "Snapshot",
    "Store",
    "StoreError",
    "StoreLocked",
    "StoredAnswer",
    "generate_keypair",
    "open_store",
]

_SQLITE_PREFIX = "sqlite:///"
_POSTGRES_SCHEMES = ("postgresql://", "postgres://")


async def open_store(
    url: str,
    synchronous: Synchronous = "FULL",
    *,
    analysis_key: str | None = None,
    batch: int = DEFAULT_BATCH,
    mode: Mode = "bot",
) -> Store:
    """Open the store named by `url`, sealing responses to `analysis_key` (the analysis public
    key, hex; without it only counters are kept) and releasing them in batches of `batch`.

    - `memory:` -> a fresh `MemoryStore` (nothing is kept);
    - `sqlite:///relative/survey.db` or `sqlite:////absolute/survey.db` (as in SQLAlchemy: what
      follows the third slash is the path) -> `SQLiteStore`;
    - `postgresql://user@host:port/database` (or `postgres://`, libpq's URI form) ->
      `PostgresStore` (`synchronous` does not apply: PostgreSQL's own settings decide);
    - anything else is taken as a plain file path -> `SQLiteStore`.

    `mode="tool"` opens an existing SQLite file beside a running bot, without its lock
    (`storage.sqlite`: `survey-bot stats/export/report`); other stores need no lock.
    """
    if url == "memory:":
        return MemoryStore(analysis_key=analysis_key, batch=batch)
    if url.startswith(_POSTGRES_SCHEMES):
        return await PostgresStore.open(url, analysis_key=analysis_key, batch=batch)
    if url.startswith(_SQLITE_PREFIX):
        url = url[len(_SQLITE_PREFIX) :]
    elif "://" in url:
        raise StoreError(
            f"unknown store URL {url!r}: "
            "use a file path, sqlite:///PATH, postgresql://... or memory:"
        )
    if not url:
        raise StoreError("the store URL names no database file")
    return await SQLiteStore.open(
        Path(url), synchronous=synchronous, analysis_key=analysis_key, batch=batch, mode=mode
    )
