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
- a turn is held on a connection of its own pool (`size` per replica), never on the store's:
  a holder needs store connections to run its step, so sharing one pool could deadlock;
- a block that is cancelled or fails still unlocks (asyncpg's pool reset also runs
  `pg_advisory_unlock_all()` on a connection it takes back).
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg

from storage.base import StoreError

#: Turns held at once by one replica (each holds a connection); PostgreSQL allows 100 in all.
TURNS_POOL_SIZE = 10
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

    def __init__(self, pool: asyncpg.Pool) -> None:
        """Use `open()`."""
        self._pool = pool

    @classmethod
    async def open(cls, dsn: str, *, size: int = TURNS_POOL_SIZE) -> PgTurns:
        """Connect a pool of `size` connections for turns; `StoreError` if unreachable."""
        try:
            pool = await asyncpg.create_pool(dsn, min_size=1, max_size=size)
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
            raise StoreError(
                f"cannot connect to PostgreSQL for residents' turns: {error}"
            ) from None
        return cls(pool)

    @asynccontextmanager
    async def hold(self, key: bytes) -> AsyncIterator[None]:
        """Hold the turn of the resident whose pseudonym is `key` for the block."""
        number = lock_number(key)
        async with self._pool.acquire() as conn:
            await conn.execute("SELECT pg_advisory_lock($1)", number)
            try:
                yield
            finally:
                # A connection that is gone took its lock with it (and the pool took it back:
                # asyncpg then raises InterfaceError for any use of it).
                with contextlib.suppress(*_GONE):
                    await conn.execute("SELECT pg_advisory_unlock($1)", number)

    async def close(self) -> None:
        """Close the pool (held turns end with their connections)."""
        await self._pool.close()
