"""The store keeps what each publication told staff, so the next one is audited against it,
also after a restart (`Store.publish_if_due`, `Store.record_disclosure`)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path

import pytest

from bot.stats.counters import tally_cells
from bot.stats.disclosure import history_after
from bot.stats.history import History
from storage import MemoryStore, PostgresStore, Response, SQLiteStore, Store
from tests.stats import make_survey, snapshot_of, varied

SURVEY = make_survey(k=5)


@pytest.fixture(params=["memory", "sqlite", "postgres"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    opened: Store
    if request.param == "memory":
        opened = MemoryStore()
    elif request.param == "sqlite":
        opened = await SQLiteStore.open(tmp_path / "survey.db")
    else:
        opened = await PostgresStore.open(request.getfixturevalue("postgres_dsn"))
    yield opened
    await opened.close()


async def _complete(store: Store, residents: list[dict[str, object]], start: int) -> None:
    for i, answers in enumerate(residents, start):
        stored = {q: list(v) if isinstance(v, tuple) else v for q, v in answers.items()}
        response = Response(SURVEY.id, SURVEY.version, date(2026, 11, 2), "sv", stored)  # type: ignore[arg-type]
        cells = tally_cells(SURVEY, stored)
        done = await store.complete(
            session_key=i.to_bytes(32, "big"),
            marker=(10**6 + i).to_bytes(32, "big"),
            response=response,
            cells=cells,
        )
        assert done


async def test_each_publication_is_audited_against_the_one_before(store: Store) -> None:
    first = varied(20)
    await _complete(store, first, 0)
    snapshot = await store.publish_if_due(SURVEY.id, 5)
    assert snapshot.responses == 20
    assert snapshot.disclosure_history is None and not snapshot.disclosure_recorded
    record = history_after(SURVEY, snapshot)
    await store.record_disclosure(SURVEY.id, 20, record)
    await store.record_disclosure(SURVEY.id, 20, "a second recording is ignored")
    again = await store.publish_if_due(SURVEY.id, 5)
    assert again.disclosure_recorded and again.disclosure_history is None

    await _complete(store, varied(6, 3), 100)
    second = await store.publish_if_due(SURVEY.id, 5)
    assert second.responses == 26 and not second.disclosure_recorded
    assert second.disclosure_history == record
    expected = snapshot_of(SURVEY, first + varied(6, 3))
    assert dict(second.cells) == dict(expected.cells)
    await store.record_disclosure(SURVEY.id, 26, history_after(SURVEY, second))

    await _complete(store, varied(5, 9), 200)
    third = await store.publish_if_due(SURVEY.id, 5)
    assert third.responses == 31
    assert History.from_json(third.disclosure_history).known  # the second one's record
    assert third.disclosure_history != record


async def test_the_history_survives_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "survey.db"
    store = await SQLiteStore.open(path)
    await _complete(store, varied(10), 0)
    snapshot = await store.publish_if_due(SURVEY.id, 5)
    await store.record_disclosure(SURVEY.id, 10, history_after(SURVEY, snapshot))
    await store.close()
    store = await SQLiteStore.open(path)
    try:
        await _complete(store, varied(5, 1), 50)
        later = await store.publish_if_due(SURVEY.id, 5)
        assert later.responses == 15
        assert later.disclosure_history == history_after(SURVEY, snapshot)
    finally:
        await store.close()
