"""`PgTurns`: one resident at a time across replicas, by PostgreSQL advisory locks.

Several bot replicas behind a load balancer share one PostgreSQL. Telegram may POST two updates
of one resident at once (it keeps up to `max_connections` requests open, and redelivers an update
whose answer is late), and the load balancer may give them to two replicas. Each replica keeps a
resident's updates in order itself (`bot.adapters.telegram.ordering`); this keeps them in order
between replicas: an update is handled while its replica holds the resident's turn.

What must hold:
- `hold(key)` waits until no other holder (in any replica on the same database) holds `key`,
  and holds it until the block ends; waiters are served in the order PostgreSQL's lock queue
  gives (first come, first served);
- the lock's number is a hash of `key`, a resident's pseudonym (`bot.privacy.pseudonyms`), never
  of a Telegram id: what `pg_locks` shows says no more than the `sessions` table already does;
- a replica that dies (SIGKILL, lost network) loses its connections, and PostgreSQL ends their
  locks with them: no resident stays blocked;
- turns are held on connections of their own, never the store's (a holder needs store
  connections to run its step, so sharing one pool could deadlock). A session-level lock does
  not tie up its connection, so a free turn is taken with `pg_try_advisory_lock` on one of
  `HOLDERS` connections that hold many residents' turns at once (one round trip, however many
  residents are in flight); only a turn another replica holds is waited for, in PostgreSQL's
  queue, on a connection of a small pool (`size`), held until the turn ends. Such locks are
  re-entrant within a session: a replica must not take one resident's turn twice at once
  (`bot.adapters.telegram.ordering` takes it inside the chat's own lock);
- a block that is cancelled or fails still unlocks (asyncpg's pool reset also runs
  `pg_advisory_unlock_all()` on a connection it takes back).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg

from storage.base import StoreError

#: Connections on which a replica holds its uncontended turns (many turns each).
HOLDERS = 2
#: Turns a replica may wait for at once while another replica holds them (each waits on a
#: connection of its own); PostgreSQL allows 100 connections in all.
TURNS_POOL_SIZE = 8
_PERSON = b"surveybot-turn:"
#: What unlocking on a lost connection raises.
_GONE = (
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,
    asyncpg.OperatorInterventionError,
    OSError,
)


def lock_number(key: bytes) -> int:
    """The advisory lock (a signed 64-bit number) for a resident's pseudonym `key`."""
    digest = hashlib.blake2b(_PERSON + key, digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


class PgTurns:
    """Residents' turns shared by every replica on one database (`storage.base.ResidentTurns`)."""

    def __init__(self, dsn: str, pool: asyncpg.Pool, holders: int = HOLDERS) -> None:
        """Use `open()`."""
        self._dsn = dsn
        self._pool = pool
        self._holders: list[asyncpg.Connection | None] = [None] * holders
        self._guards = [asyncio.Lock() for _ in range(holders)]

    @classmethod
    async def open(cls, dsn: str, *, size: int = TURNS_POOL_SIZE) -> PgTurns:
        """Connect a pool of `size` connections for turns; `StoreError` if unreachable."""
        try:
            pool = await asyncpg.create_pool(dsn, min_size=1, max_size=size)
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
            raise StoreError(f"no PostgreSQL for residents' turns: {error}") from None
        return cls(dsn, pool)

    @asynccontextmanager
    async def hold(self, key: bytes) -> AsyncIterator[None]:
        """Hold the turn of the resident whose pseudonym is `key` for the block."""
        number = lock_number(key)
        index = number % len(self._holders)
        async with self._guards[index]:
            holder = await self._holder(index)
            taken = await holder.fetchval("SELECT pg_try_advisory_lock($1)", number)
        if taken:
            try:
                yield
            finally:
                async with self._guards[index]:
                    with contextlib.suppress(*_GONE):
                        await holder.execute("SELECT pg_advisory_unlock($1)", number)
            return
        # Another replica runs this resident's update: wait in PostgreSQL's queue for the lock.
        async with self._pool.acquire() as conn:
            await conn.execute("SELECT pg_advisory_lock($1)", number)
            try:
                yield
            finally:
                # A connection that is gone took its lock with it (and the pool took it back:
                # asyncpg then raises InterfaceError for any use of it).
                with contextlib.suppress(*_GONE):
                    await conn.execute("SELECT pg_advisory_unlock($1)", number)

    async def _holder(self, index: int) -> asyncpg.Connection:
        """The holder connection `index`, connected again if it was lost (with its locks)."""
        holder = self._holders[index]
        if holder is None or holder.is_closed():
            holder = self._holders[index] = await asyncpg.connect(self._dsn)
        return holder

    async def close(self) -> None:
        """Close the connections (held turns end with them)."""
        for holder in self._holders:
            if holder is not None:
                await holder.close()
        await self._pool.close()
