"""Replicas on one PostgreSQL: a resident's steps never interleave between replicas
(`storage.pg_turns`), and Telegram's flood limits hold for all replicas together
(`storage.pg_flood` behind `bot.adapters.telegram.flood.FloodLimiter`)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from bot.adapters.telegram.flood import FloodLimiter, chat_scope
from bot.conversation.engine import Began, ChoicePicked, Opened
from bot.conversation.service import StepResult, SurveyService
from bot.privacy.pseudonyms import Pseudonyms
from bot.survey.loader import load_survey
from storage import PostgresStore
from storage.pg_flood import GLOBAL_SCOPE, PgWindows
from storage.pg_turns import PgTurns, lock_number
from tests.analysis_key import ANALYSIS_PUBLIC
from tests.fakes.bot_api.sends import max_in_window

SMALL = Path(__file__).resolve().parents[1] / "e2e" / "small_survey.yaml"
NOW = datetime.fromisoformat("2026-11-27T12:00:00+01:00")
SECRET = b"s" * 32
USER = 555_000_111


class GatedStore(PostgresStore):
    """Stops after loading a session until `gate` returns (to hold a step half done)."""

    gate: Callable[[], Awaitable[None]] | None = None
    loaded: asyncio.Event

    async def load_session(self, key: bytes) -> str | None:
        found = await super().load_session(key)
        self.loaded.set()
        if self.gate is not None:
            await self.gate()
        return found


async def waiting_for_a_turn(dsn: str) -> bool:
    """Whether some connection waits for an advisory lock (a replica waiting for a turn)."""
    conn = await asyncpg.connect(dsn)
    try:
        waiting = await conn.fetchval(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
        )
    finally:
        await conn.close()
    return bool(waiting)


async def until(condition: Callable[[], Awaitable[bool]], timeout: float = 20.0) -> None:
    """Wait for a condition of the database (it sends no event), with a deadline."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not await condition():
        assert loop.time() < deadline, "the condition was not met in time"
        await asyncio.sleep(0.01)


async def replica(dsn: str, *, turns: bool) -> tuple[SurveyService, GatedStore]:
    store = await GatedStore.open(dsn, analysis_key=ANALYSIS_PUBLIC, batch=1)
    assert isinstance(store, GatedStore)
    store.loaded = asyncio.Event()
    service = SurveyService(
        load_survey(SMALL),
        store,
        Pseudonyms(SECRET, cost=2**8),
        clock=lambda: NOW,
        turns=await PgTurns.open(dsn) if turns else None,
    )
    return service, store


async def press(service: SurveyService, event: Any) -> StepResult:
    async with service.turn(USER):
        return await service.step(USER, event)


async def double_press(dsn: str, *, turns: bool) -> list[StepResult]:
    """A resident taps two answers of one question; Telegram's two updates reach two replicas
    at once. Replica A is held just after loading the session until replica B has either
    loaded it too or is waiting for the resident's turn."""
    (a, store_a), (b, store_b) = [await replica(dsn, turns=turns) for _ in range(2)]
    try:
        result = await a.step(USER, Opened("sv"))
        assert result.after is not None
        result = await a.step(USER, Began(result.after.step))
        assert result.after is not None
        step = result.after.step
        store_a.loaded.clear()

        async def b_arrived() -> bool:
            return store_b.loaded.is_set() or await waiting_for_a_turn(dsn)

        async def hold() -> None:
            store_a.gate = None
            await until(b_arrived)

        store_a.gate = hold
        first = asyncio.create_task(press(a, ChoicePicked(step, "north")))
        await asyncio.wait_for(store_a.loaded.wait(), 20)
        second = asyncio.create_task(press(b, ChoicePicked(step, "south")))
        return list(await asyncio.wait_for(asyncio.gather(first, second), 30))
    finally:
        for service in (a, b):
            await service.store.close()
            if service.turns is not None:
                await service.turns.close()


def accepted(results: list[StepResult]) -> int:
    return sum(1 for r in results if r.after is not None and r.after != r.before)


async def test_two_replicas_never_run_one_residents_steps_at_once(postgres_dsn: str) -> None:
    results = await double_press(postgres_dsn, turns=True)
    # B waited for A's step, then saw the question answered: its press is an earlier step's.
    assert accepted(results) == 1, [(r.before, r.after) for r in results]
    assert results[1].before == results[0].after


async def test_without_turns_the_same_schedule_interleaves(postgres_dsn: str) -> None:
    """The control: the schedule above does reach the race, so the test above can fail."""
    results = await double_press(postgres_dsn, turns=False)
    assert accepted(results) == 2  # both presses accepted from the same state: one is lost


async def test_a_replica_that_dies_gives_its_turns_back(postgres_dsn: str) -> None:
    key = b"k" * 32
    holder = await PgTurns.open(postgres_dsn, size=1)
    waiter = await PgTurns.open(postgres_dsn, size=1)
    entered = asyncio.Event()
    release = asyncio.Event()
    try:

        async def hold_until_released() -> None:
            async with holder.hold(key):
                entered.set()
                await release.wait()

        held = asyncio.create_task(hold_until_released())
        await asyncio.wait_for(entered.wait(), 20)

        async def second() -> None:
            async with waiter.hold(key):
                pass

        blocked = asyncio.create_task(second())
        await until(lambda: waiting_for_a_turn(postgres_dsn))
        assert not blocked.done()
        # The holder's replica dies: PostgreSQL ends its connection, and its lock with it.
        admin = await asyncpg.connect(postgres_dsn)
        try:
            number = lock_number(key) & 0xFFFF_FFFF_FFFF_FFFF
            pid = await admin.fetchval(
                "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted "
                "AND objsubid = 1 AND classid::text::bigint = $1 AND objid::text::bigint = $2",
                number >> 32,
                number & 0xFFFF_FFFF,
            )
            assert pid is not None
            await admin.execute("SELECT pg_terminate_backend($1)", pid)
        finally:
            await admin.close()
        await asyncio.wait_for(blocked, 20)
        release.set()
        await asyncio.wait_for(held, 20)  # its unlock finds the connection gone: no error
    finally:
        release.set()
        await holder.close()
        await waiter.close()


# ------------------------------------------------------------------ flood limits
LIMIT, PERIOD, CHAT_BURST = 4, 0.5, 2
CHAT = 700_123_456


async def sends_through_two_replicas(dsn: str, *, shared: bool) -> tuple[list[float], list[float]]:
    """Two replicas' limiters, each with three senders writing to many chats and to one chat
    in common; returns the arrival times of all sends and of the common chat's."""
    windows = [await PgWindows.open(dsn) for _ in range(2)] if shared else [None, None]
    limiters = [
        FloodLimiter(
            overall_rate=LIMIT,
            per_chat_rate=CHAT_BURST / (PERIOD * 2),
            per_chat_burst=CHAT_BURST,
            shared=w,
        )
        for w in windows
    ]
    loop = asyncio.get_running_loop()
    arrivals: list[float] = []
    common: list[float] = []

    async def send(chat_id: int) -> bool:
        arrivals.append(loop.time())
        if chat_id == CHAT:
            common.append(loop.time())
        await asyncio.sleep(0)  # the response coming back
        return True

    async def sender(limiter: FloodLimiter, first: int) -> None:
        for i in range(4):
            chat_id = CHAT if i % 2 else first + i
            data = {"chat_id": chat_id}
            await limiter.process_request(send, (chat_id,), {}, "sendMessage", data, None)

    try:
        await asyncio.gather(
            *(
                sender(limiter, 1000 * (n + 1) + 10 * k)
                for n, limiter in enumerate(limiters)
                for k in range(3)
            )
        )
    finally:
        for w in windows:
            if w is not None:
                await w.close()
    return arrivals, common


async def test_two_replicas_together_keep_one_flood_limit(postgres_dsn: str) -> None:
    arrivals, common = await sends_through_two_replicas(postgres_dsn, shared=True)
    assert len(arrivals) == 24
    assert max_in_window(arrivals, PERIOD) <= LIMIT
    assert max_in_window(common, PERIOD * 2) <= CHAT_BURST


async def test_replicas_keeping_their_own_windows_exceed_it(postgres_dsn: str) -> None:
    """The control: each replica alone keeps the limit, together they double it."""
    arrivals, common = await sends_through_two_replicas(postgres_dsn, shared=False)
    assert max_in_window(arrivals, PERIOD) > LIMIT
    assert max_in_window(common, PERIOD * 2) > CHAT_BURST


async def test_no_chat_id_reaches_the_database(postgres_dsn: str) -> None:
    await sends_through_two_replicas(postgres_dsn, shared=True)
    conn = await asyncpg.connect(postgres_dsn)
    try:
        scopes = {r["scope"] for r in await conn.fetch("SELECT DISTINCT scope FROM flood_slots")}
    finally:
        await conn.close()
    assert CHAT not in scopes and chat_scope(CHAT) in scopes
    assert all(-1 <= s < 2**20 for s in scopes)


async def test_a_dead_replicas_sends_count_a_period_after_its_death_is_noticed(
    postgres_dsn: str,
) -> None:
    """A replica killed just after writing its requests: they may reach Telegram after the
    others notice the death, so its slots end one period after that moment and then count for
    a period. (They used to end at the noticing: a clean-clone CI run of the three-replica test
    saw one send over the overall limit just after the kill.)"""
    dead, alive = await PgWindows.open(postgres_dsn), await PgWindows.open(postgres_dsn)
    admin = await asyncpg.connect(postgres_dsn)
    try:
        taken, _ = await dead.take(GLOBAL_SCOPE, LIMIT, PERIOD, False, LIMIT)
        assert len(taken) == LIMIT
        owner = await admin.fetchval("SELECT DISTINCT owner FROM flood_slots")
        await admin.execute("SELECT pg_terminate_backend($1)", owner)

        async def gone() -> bool:
            sql = "SELECT count(*) = 0 FROM pg_stat_activity WHERE pid = $1"
            return bool(await admin.fetchval(sql, owner))

        await until(gone)
        # Taken over a second ago (younger slots are left alone: their replica may be starting).
        await admin.execute("UPDATE flood_slots SET taken = taken - interval '2 seconds'")
        noticed = await admin.fetchval("SELECT extract(epoch FROM clock_timestamp())::float8")
        slots, wait = await alive.take(GLOBAL_SCOPE, LIMIT, PERIOD, False, 1)
        ends = await admin.fetch("SELECT extract(epoch FROM done)::float8 AS e FROM flood_slots")
    finally:
        await admin.close()
        await alive.close()
        with contextlib.suppress(asyncpg.InterfaceError, OSError):
            await dead.close()
    assert slots == [] and len(ends) == LIMIT
    assert all(e["e"] >= noticed + PERIOD for e in ends)
    assert wait > 1.5 * PERIOD  # a period until they end, and a period after


class CancelledAtHandOut(PgWindows):
    """Cancels `victim` in the moment its slot is handed to it (after the slot is set on its
    waiter, before it runs again): what a sender that gives up at the wrong time does."""

    victim: asyncio.Task[object] | None = None

    async def take(
        self, scope: int, limit: int, period: float, paused: bool, wanted: int = 1
    ) -> tuple[list[int], float]:
        taken = await super().take(scope, limit, period, paused, wanted)
        if taken[0] and self.victim is not None:
            # Queued before the victim's wake-up, which the hand-out queues right after this.
            asyncio.get_running_loop().call_soon(self.victim.cancel)
            self.victim = None
        return taken


async def test_a_slot_handed_to_a_sender_cancelled_in_that_moment_is_given_back(
    postgres_dsn: str,
) -> None:
    windows = await CancelledAtHandOut.open(postgres_dsn)
    try:
        window = windows.window(GLOBAL_SCOPE, 1, PERIOD)  # one slot in all
        victim = asyncio.create_task(window.acquire())
        windows.victim = victim
        with pytest.raises(asyncio.CancelledError):
            await victim
        # Kept, the only slot would never come back; given back, it is free a period later.
        slot = await asyncio.wait_for(window.acquire(), 10 * PERIOD)
        await window.release(slot)
    finally:
        await windows.close()


async def test_replicas_purging_at_once_do_not_deadlock(postgres_dsn: str) -> None:
    """Every replica runs the maintenance when it starts: their table rewrites (`reorder`)
    must queue, not deadlock (each read the table, then waited for the other to TRUNCATE)."""
    stores = [await PostgresStore.open(postgres_dsn, batch=1) for _ in range(4)]
    try:
        await asyncio.gather(*(s.purge_sessions(NOW.date()) for s in stores))
    finally:
        for store in stores:
            await store.close()
