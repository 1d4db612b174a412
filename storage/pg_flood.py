"""`PgWindows`: Telegram's flood limits kept in PostgreSQL, shared by every replica.

One bot may send about 30 messages a second in all and about one a second per chat. Replicas
that each kept their own windows would together send their number times that. Here every
window lives in one table of the database the replicas share: the limiter in
`bot.adapters.telegram.flood` asks `PgWindows` for a window per scope instead of keeping one in
memory.

What must hold:
- a window is the same sliding window as `bot.adapters.telegram.flood.SlidingWindow`, kept in
  the table `flood_slots`: at most `limit` slots of one scope at once, a slot counted from the
  moment it is taken until `period` seconds after it is released. Taking a slot is one
  statement (`flood_take`) under a transaction advisory lock on the scope, so two replicas never
  both see room for one more; all times are the database server's clock, so replicas' clocks
  do not matter (a forward step of that clock, an NTP step or a VM resumed from a snapshot,
  lets one window's worth through early once: Telegram's 429 then pauses every replica);
- a slot of a replica that died while its send was under way counts as released one period
  after the next taker notices (its owner, the replica's presence connection, is gone from
  `pg_stat_activity`), and then for a period like any other: nothing stays blocked, and a
  request the replica wrote just before dying still counts if it reaches Telegram up to a period
  after the death was noticed (when the slot was taken says nothing of when it was sent; the
  replica may have waited for a connection, and the request may still be on its way);
- a 429's pause (`pause`) holds every replica's sends to any chat until it has ended;
- no Telegram id reaches the database: a chat's scope is a 20-bit hash of its id (made by the
  limiter), shared by about a millionth of all accounts, and rows live for one period;
  `flood_slots` is UNLOGGED (not in the write-ahead log, emptied after a server crash: a
  window is worth seconds);
- a slot handed to a sender that is cancelled in that same moment is given back;
- one replica asks for a scope in one task at a time, for as many slots as it has sends
  waiting (one round trip for a crowd), and hands them out first come, first served; it asks
  again when the oldest slot leaves the window (or one period from now when every slot is
  under way: none can leave sooner).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Callable
from typing import Self

import asyncpg

from storage.base import StoreError

#: Connections per replica for taking and releasing slots (short statements only).
FLOOD_POOL_SIZE = 4
#: The scope of the bot's overall window (chats' scopes are 0 .. 2**20 - 1).
GLOBAL_SCOPE = -1
#: Advisory locks of this module are (FLOOD_LOCK, scope) pairs; setup takes (FLOOD_LOCK, -2).
FLOOD_LOCK = 0x464C4F44  # "FLOD"
_SETUP_LOCK = -2

_SETUP = (
    "CREATE UNLOGGED TABLE IF NOT EXISTS flood_slots (id bigint PRIMARY KEY, scope integer "
    "NOT NULL, owner integer NOT NULL, taken timestamptz NOT NULL, done timestamptz)",
    "CREATE INDEX IF NOT EXISTS flood_slots_scope ON flood_slots (scope)",
    "CREATE SEQUENCE IF NOT EXISTS flood_slot_ids",
    "CREATE UNLOGGED TABLE IF NOT EXISTS flood_pause (one boolean PRIMARY KEY DEFAULT true "
    "CHECK (one), until timestamptz NOT NULL)",
    f"""
CREATE OR REPLACE FUNCTION flood_take(p_scope integer, p_limit integer, p_period float8,
    p_owner integer, p_paused boolean, p_wanted integer) RETURNS TABLE (slot bigint, wait float8)
LANGUAGE plpgsql AS $take$
DECLARE
    t timestamptz;
    period interval := make_interval(secs => p_period);
    held integer;
    first_out timestamptz;
    pause_end timestamptz;
BEGIN
    PERFORM pg_advisory_xact_lock({FLOOD_LOCK}, p_scope);
    t := clock_timestamp();
    -- A slot of a replica that is gone ends a period from now: a request it wrote just before
    -- dying may still be on its way, and it counts for a period after it arrives.
    UPDATE flood_slots SET done = t + period WHERE scope = p_scope AND done IS NULL
        AND taken < t - interval '1 second'
        AND owner <> ALL (ARRAY(SELECT pid FROM pg_stat_activity WHERE pid IS NOT NULL));
    DELETE FROM flood_slots WHERE scope = p_scope AND done <= t - period;
    IF p_scope = {GLOBAL_SCOPE} AND random() < 0.01 THEN
        -- Chats nobody writes to any more: their rows are long out of every window.
        DELETE FROM flood_slots WHERE done <= t - interval '1 minute';
    END IF;
    IF p_paused THEN
        SELECT until INTO pause_end FROM flood_pause;
        IF pause_end > t THEN
            RETURN QUERY SELECT NULL::bigint, extract(epoch FROM pause_end - t)::float8;
            RETURN;
        END IF;
    END IF;
    SELECT count(*), min(done) INTO held, first_out FROM flood_slots WHERE scope = p_scope;
    IF held >= p_limit THEN
        -- Slots under way leave no sooner than one period from now.
        RETURN QUERY SELECT NULL::bigint,
            extract(epoch FROM coalesce(first_out + period - t, period))::float8;
        RETURN;
    END IF;
    RETURN QUERY INSERT INTO flood_slots (id, scope, owner, taken)
        SELECT nextval('flood_slot_ids'), p_scope, p_owner, t
        FROM generate_series(1, least(p_wanted, p_limit - held))
        RETURNING id, 0::float8;
END
$take$""",
)
_TAKE = "SELECT slot, wait FROM flood_take($1, $2, $3, $4, $5, $6)"
_RELEASE = "UPDATE flood_slots SET done = clock_timestamp() WHERE id = $1"
_PAUSE = (
    "INSERT INTO flood_pause (until) VALUES (clock_timestamp() + make_interval(secs => $1)) "
    "ON CONFLICT (one) DO UPDATE SET until = greatest(flood_pause.until, excluded.until)"
)


class PgWindows:
    """Every replica's windows on one database (the limiter's `SharedWindows`)."""

    def __init__(self, pool: asyncpg.Pool, presence: asyncpg.Connection) -> None:
        """Use `open()`."""
        self._pool = pool
        self._presence = presence
        self._owner = presence.get_server_pid()

    @classmethod
    async def open(cls, dsn: str, *, size: int = FLOOD_POOL_SIZE) -> Self:
        """Connect, create the tables if missing; `StoreError` if the server is unreachable."""
        try:
            presence = await asyncpg.connect(dsn)
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
            raise StoreError(
                f"cannot connect to PostgreSQL for the flood limits: {error}"
            ) from None
        try:
            await presence.execute("SELECT pg_advisory_lock($1, $2)", FLOOD_LOCK, _SETUP_LOCK)
            try:
                for statement in _SETUP:
                    await presence.execute(statement)
            finally:
                await presence.execute("SELECT pg_advisory_unlock($1, $2)", FLOOD_LOCK, _SETUP_LOCK)
            pool = await asyncpg.create_pool(dsn, min_size=1, max_size=size)
        except BaseException:
            await presence.close()
            raise
        return cls(pool, presence)

    def window(self, scope: int, limit: int, period: float) -> PgWindow:
        """The window of `scope` (`GLOBAL_SCOPE`, or a chat's 20-bit hash): `limit` per
        `period` seconds; the overall window also waits out a 429's pause."""
        return PgWindow(self, scope, limit, period, paused=scope == GLOBAL_SCOPE)

    async def take(
        self, scope: int, limit: int, period: float, paused: bool, wanted: int = 1
    ) -> tuple[list[int], float]:
        """Up to `wanted` slot ids, or none and the seconds until one may be free."""
        async with self._pool.acquire() as conn:
            rows = await conn.fetch(_TAKE, scope, limit, period, self._owner, paused, wanted)
        slots = [int(r["slot"]) for r in rows if r["slot"] is not None]
        return slots, float(rows[0]["wait"]) if rows else 0.0

    async def give_back(self, slot: int) -> None:
        """The send of `slot` is over: its period starts now."""
        async with self._pool.acquire() as conn:
            await conn.execute(_RELEASE, slot)

    async def pause(self, seconds: float) -> None:
        """Hold every replica's sends for `seconds` (Telegram answered 429 with retry_after)."""
        async with self._pool.acquire() as conn:
            await conn.execute(_PAUSE, seconds)

    async def close(self) -> None:
        """Close the connections."""
        await self._pool.close()
        await self._presence.close()


class PgWindow:
    """One scope's window, as seen by one replica: its waiting sends are served in order, by one
    task that takes as many slots as there are waiters in one statement (one round trip for a
    crowd, not one each)."""

    def __init__(
        self, windows: PgWindows, scope: int, limit: int, period: float, *, paused: bool
    ) -> None:
        self._windows = windows
        self._scope = scope
        self._limit = limit
        self._period = period
        self._paused = paused
        self._waiters: deque[asyncio.Future[int]] = deque()
        self._server: asyncio.Task[None] | None = None
        self._not_before: Callable[[], float] | None = None

    async def acquire(self, not_before: Callable[[], float] | None = None) -> int:
        """Wait until one more send fits in the shared window (and, if given, until the loop
        time `not_before()`); the caller must `release` the slot when the send is over."""
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[int] = loop.create_future()
        self._waiters.append(waiter)
        if not_before is not None:
            self._not_before = not_before
        if self._server is None or self._server.done():
            self._server = loop.create_task(self._serve())
        try:
            return await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled() and waiter.exception() is None:
                # Handed a slot in the moment its sender gave up: given back, or the slot
                # would stay taken for as long as this replica lives.
                with contextlib.suppress(asyncpg.PostgresError, asyncpg.InterfaceError, OSError):
                    await asyncio.shield(self._windows.give_back(waiter.result()))
            raise

    async def release(self, slot: int) -> None:
        """The send of `slot` is over (answered, refused or failed): its period starts now."""
        await self._windows.give_back(slot)

    async def _serve(self) -> None:
        """Hand out slots to the waiters, first come first served, until none waits."""
        loop = asyncio.get_running_loop()
        try:
            while self._live():
                not_before = self._not_before
                if not_before is not None and (hold := not_before() - loop.time()) > 0:
                    await asyncio.sleep(hold)
                    continue
                wanted = sum(1 for w in self._waiters if not w.done())
                slots, wait = await self._windows.take(
                    self._scope, self._limit, self._period, self._paused, wanted
                )
                for slot in slots:
                    if self._live():
                        self._waiters.popleft().set_result(slot)
                    else:  # its sender gave up meanwhile
                        await self._windows.give_back(slot)
                if not slots:
                    await asyncio.sleep(max(wait, 0.001))  # until the oldest slot leaves
        except BaseException as error:
            # The database failed (or the loop is closing): every waiter hears of it.
            for waiter in self._waiters:
                if not waiter.done():
                    if isinstance(error, asyncio.CancelledError):
                        waiter.cancel()
                    else:
                        waiter.set_exception(error)
            self._waiters.clear()
            if isinstance(error, asyncio.CancelledError):
                raise

    def _live(self) -> bool:
        """Whether a sender still waits (those that gave up are dropped from the front)."""
        while self._waiters and self._waiters[0].done():
            self._waiters.popleft()
        return bool(self._waiters)
