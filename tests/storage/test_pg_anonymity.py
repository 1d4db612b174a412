"""Anonymity of `PostgresStore` against someone who can read the database with SQL (a DBA, a
backup): PostgreSQL's system columns `xmin` (the writing transaction's id) and `ctid` (a row's
place in the heap) must link no marker to a response, and no free text to its response, and,
after the daily `reorder()`, say nothing about the order in which residents finished.

(The raw files are not searched here, unlike the SQLite test: the test server may be remote and
belongs to another user. What PostgreSQL keeps in files is described in docs/production.md.)
"""

from __future__ import annotations

import asyncio
import random
import secrets
from collections import Counter
from datetime import date

import asyncpg

from bot.privacy.pseudonyms import Pseudonyms
from storage import Cell, PostgresStore, Response
from storage.sealing import private_key, unseal
from tests.analysis_key import ANALYSIS_PRIVATE, ANALYSIS_PUBLIC

SURVEY = "halmstad-2025"
#: Enough for a rank correlation to mean something; not a multiple of the release batch, so
#: some responses are still pending at the end.
RESIDENTS = 203
#: The release batch (a survey's `min_group_size`).
BATCH = 5


async def finish_surveys(
    store: PostgresStore, pseudonyms: Pseudonyms, ids: list[int], at_once: int = 1
) -> None:
    """Each resident completes, in the order of `ids`, `at_once` residents at a time."""

    async def finish(n: int, user_id: int) -> None:
        response = Response(
            SURVEY, "v1", date(2025, 5, 12), "sv", {"safe_day": "very", "n": n}, {"why": f"t{n}"}
        )
        assert await store.complete(
            session_key=pseudonyms.session_key(SURVEY, user_id),
            marker=pseudonyms.completion_marker(SURVEY, user_id),
            response=response,
            cells=[Cell("safe_day", "very")],
        )

    for start in range(0, len(ids), at_once):
        chunk = list(enumerate(ids))[start : start + at_once]
        await asyncio.gather(*(finish(n, user_id) for n, user_id in chunk))


async def test_no_transaction_id_links_a_marker_to_a_response(postgres_dsn: str) -> None:
    pseudonyms = Pseudonyms(secrets.token_bytes(32), cost=2**8)  # the cost is tested elsewhere
    ids = random.Random(5).sample(range(10**8, 8 * 10**9), RESIDENTS)
    store = await PostgresStore.open(postgres_dsn, analysis_key=ANALYSIS_PUBLIC, batch=BATCH)
    try:
        await finish_surveys(store, pseudonyms, ids, at_once=12)  # batches cut concurrently
        db = await asyncpg.connect(postgres_dsn)
        try:
            marker_xids = {str(r[0]) for r in await db.fetch("SELECT xmin FROM markers")}
            moved = [str(r[0]) for r in await db.fetch("SELECT xmin FROM sealed_responses")]
            texts = [str(r[0]) for r in await db.fetch("SELECT xmin FROM free_texts")]
            pool = await db.fetchrow(
                "SELECT cardinality(boxes), jsonb_array_length(texts), xmin FROM pending"
            )
            assert pool is not None
            pending, pending_texts, pool_xid = pool
            pool_rows = await db.fetchval("SELECT count(*) FROM pending")
        finally:
            await db.close()
    finally:
        await store.close()
    print(
        f"\n{len(marker_xids)} marker xids; {len(moved)} released responses in "
        f"{len(set(moved))} transactions (smallest {min(Counter(moved).values())}, largest "
        f"{max(Counter(moved).values())}); {len(texts)} released free texts in "
        f"{len(set(texts))} transactions; pending {pending} responses, {pending_texts} texts; "
        f"released rows sharing a marker's xid: {len(marker_xids & (set(moved) | set(texts)))}; "
        f"pool row written by a completion: {str(pool_xid) in marker_xids}"
    )
    assert len(marker_xids) == RESIDENTS  # one transaction per completion
    assert len(moved) == RESIDENTS - pending and pending < BATCH
    assert len(texts) == RESIDENTS - pending_texts and pending_texts < BATCH
    assert not marker_xids & set(moved), "a response was written by a completion's transaction"
    assert not marker_xids & set(texts), "a free text was written by a completion's transaction"
    # Items waiting share one row, whose xid names one writer at most, never each item's.
    assert pool_rows == 1
    # Every released response and free text shares its transaction with at least a batch.
    assert min(Counter(moved).values()) >= BATCH
    assert min(Counter(texts).values()) >= BATCH


async def test_after_reorder_nothing_tells_the_order_of_arrival(postgres_dsn: str) -> None:
    pseudonyms = Pseudonyms(secrets.token_bytes(32), cost=2**8)  # the cost is tested elsewhere
    ids = random.Random(6).sample(range(10**8, 8 * 10**9), RESIDENTS)
    store = await PostgresStore.open(postgres_dsn, analysis_key=ANALYSIS_PUBLIC, batch=BATCH)
    try:
        await finish_surveys(store, pseudonyms, ids)
        await store.reorder()
        db = await asyncpg.connect(postgres_dsn)
        try:
            markers = await db.fetch("SELECT marker, xmin FROM markers ORDER BY ctid")
            responses = await db.fetch("SELECT id, box, xmin FROM sealed_responses ORDER BY ctid")
            texts = await db.fetch("SELECT id, text FROM free_texts ORDER BY ctid")
        finally:
            await db.close()
    finally:
        await store.close()
    # One rewriting transaction per table; rows in the order of their random keys.
    assert len({row["xmin"] for row in markers}) == 1
    assert len({row["xmin"] for row in responses}) == 1
    assert [row["marker"] for row in markers] == sorted(row["marker"] for row in markers)
    assert [row["id"] for row in responses] == sorted(row["id"] for row in responses)
    assert [row["id"] for row in texts] == sorted(row["id"] for row in texts)
    # The heap's order of responses and of markers says nothing about arrival.
    key = private_key(ANALYSIS_PRIVATE)
    arrivals = [unseal(SURVEY, row["box"], key).answers["n"] for row in responses]
    assert all(isinstance(n, int) for n in arrivals)
    ranks = {n: rank for rank, n in enumerate(sorted(arrivals))}  # type: ignore[type-var]
    assert abs(spearman([ranks[n] for n in arrivals])) < 0.3
    marker_of = {pseudonyms.completion_marker(SURVEY, user_id): n for n, user_id in enumerate(ids)}
    marker_arrivals = [marker_of[row["marker"]] for row in markers]
    assert abs(spearman(marker_arrivals)) < 0.3


def spearman(ranks: list[int]) -> float:
    """Rank correlation of a permutation of range(n) with range(n)."""
    n = len(ranks)
    return 1 - 6 * sum((r - i) ** 2 for i, r in enumerate(ranks)) / (n * (n * n - 1))
