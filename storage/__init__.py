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
from storage.sqlite import SQLiteStore, Synchronous

__all__ = [
    "ANSWERED",
    "OVERALL",
    "AuditEntry",
    "Cell",
    "MemoryStore",
    "PostgresStore",
    "Response",
    "SQLiteStore",
    "SchemaTooNew",
    "Snapshot",
    "Store",
    "StoreError",
    "StoreLocked",
    "StoredAnswer",
    "open_store",
]

_SQLITE_PREFIX = "sqlite:///"
_POSTGRES_SCHEMES = ("postgresql://", "postgres://")


async def open_store(url: str, synchronous: Synchronous = "FULL") -> Store:
    """Open the store named by `url`.

    - `memory:` -> a fresh `MemoryStore` (nothing is kept);
    - `sqlite:///relative/survey.db` or `sqlite:////absolute/survey.db` (as in SQLAlchemy: what
      follows the third slash is the path) -> `SQLiteStore`;
    - `postgresql://user@host:port/database` (or `postgres://`, libpq's URI form) ->
      `PostgresStore` (`synchronous` does not apply: PostgreSQL's own settings decide);
    - anything else is taken as a plain file path -> `SQLiteStore`.
    """
    if url == "memory:":
        return MemoryStore()
    if url.startswith(_POSTGRES_SCHEMES):
        return await PostgresStore.open(url)
    if url.startswith(_SQLITE_PREFIX):
        url = url[len(_SQLITE_PREFIX) :]
    elif "://" in url:
        raise StoreError(
            f"unknown store URL {url!r}: "
            "use a file path, sqlite:///PATH, postgresql://... or memory:"
        )
    if not url:
        raise StoreError("the store URL names no database file")
    return await SQLiteStore.open(Path(url), synchronous=synchronous)
