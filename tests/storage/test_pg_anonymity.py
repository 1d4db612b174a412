"""Anonymity of `PostgresStore` against someone who can read the database with SQL (a DBA, a
backup): PostgreSQL's system columns `xmin` (the writing transaction's id) and `ctid` (a row's
place in the heap) must link no marker to a response, and no free text to its response, and,
after the daily `reorder()`, say nothing about the order in which residents finished.

(The raw files are not searched here, unlike the SQLite test: the test server may be remote and
belongs to another user. What PostgreSQL keeps in files is described in docs/production.md.)
"""

from __future__ import annotations

import asyncio
import json
import random
import secrets
from collections import Counter
from datetime import date

import asyncpg

from bot.privacy.pseudonyms import Pseudonyms
from storage import Cell, PostgresStore, Response

SURVEY = "halmstad-2025"
#: Enough for a rank correlation to mean something; not a multiple of the mix batch, so some
#: responses are still incoming at the end.
RESIDENTS = 203


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
    pseudonyms = Pseudonyms(secrets.token_bytes(32))
    ids = random.Random(5).sample(range(10**8, 8 * 10**9), RESIDENTS)
    store = await PostgresStore.open(postgres_dsn)
    try:
        await finish_surveys(store, pseudonyms, ids, at_once=12)  # batches cut concurrently
        db = await asyncpg.connect(postgres_dsn)
        try:
            marker_xids = {str(r[0]) for r in await db.fetch("SELECT xmin FROM markers")}
            moved = [str(r[0]) for r in await db.fetch("SELECT xmin FROM responses")]
            texts = [str(r[0]) for r in await db.fetch("SELECT xmin FROM free_texts")]
            incoming = await db.fetchval("SELECT count(*) FROM incoming_responses")
        finally:
            await db.close()
    finally:
        await store.close()
    assert len(marker_xids) == RESIDENTS  # one transaction per completion
    assert len(moved) == RESIDENTS - incoming and incoming < store.mix_batch
    assert not marker_xids & set(moved), "a response was written by a completion's transaction"
    assert not marker_xids & set(texts), "a free text was written by a completion's transaction"
    # Every moved response shares its transaction with at least a batch of others.
    assert min(Counter(moved).values()) >= store.mix_batch


async def test_after_reorder_nothing_tells_the_order_of_arrival(postgres_dsn: str) -> None:
    pseudonyms = Pseudonyms(secrets.token_bytes(32))
    ids = random.Random(6).sample(range(10**8, 8 * 10**9), RESIDENTS)
    store = await PostgresStore.open(postgres_dsn)
    try:
        await finish_surveys(store, pseudonyms, ids)
        await store.reorder()
        db = await asyncpg.connect(postgres_dsn)
        try:
            markers = await db.fetch("SELECT marker, xmin FROM markers ORDER BY ctid")
            responses = await db.fetch("SELECT id, answers, xmin FROM responses ORDER BY ctid")
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
    arrivals = [json.loads(row["answers"])["n"] for row in responses]
    ranks = {n: rank for rank, n in enumerate(sorted(arrivals))}
    assert abs(spearman([ranks[n] for n in arrivals])) < 0.3
    marker_of = {pseudonyms.completion_marker(SURVEY, user_id): n for n, user_id in enumerate(ids)}
    marker_arrivals = [marker_of[row["marker"]] for row in markers]
    assert abs(spearman(marker_arrivals)) < 0.3


def spearman(ranks: list[int]) -> float:
    """Rank correlation of a permutation of range(n) with range(n)."""
    n = len(ranks)
    return 1 - 6 * sum((r - i) ** 2 for i, r in enumerate(ranks)) / (n * (n * n - 1))
