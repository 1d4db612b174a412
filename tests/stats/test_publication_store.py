"""The store keeps what each publication told staff, so the next one is audited against it,
also after a restart (`Store.publish_if_due`, `Store.record_disclosure`)."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from datetime import date, datetime
from pathlib import Path

import pytest

from bot.stats.counters import tally_cells
from bot.stats.disclosure import disclosure, history_after
from bot.stats.history import History
from bot.stats.publication import publish
from bot.survey.model import Survey
from bot.survey.questions import DEFAULT_ZONE
from bot.survey.releases import Releases
from storage import MemoryStore, PostgresStore, Response, SQLiteStore, Store
from storage.base import every
from tests.stats import answers as resident
from tests.stats import make_survey, snapshot_of, varied

SURVEY = make_survey(k=5)
#: While the survey is open, and after it has closed.
OPEN = datetime(2026, 11, 2, 12, tzinfo=DEFAULT_ZONE)
CLOSED = datetime(2027, 1, 2, tzinfo=DEFAULT_ZONE)


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
    snapshot = await store.publish_if_due(SURVEY.id, every(5))
    assert snapshot.responses == 20
    assert snapshot.disclosure_history is None and not snapshot.disclosure_recorded
    record = history_after(SURVEY, snapshot)
    await store.record_disclosure(SURVEY.id, 20, record)
    await store.record_disclosure(SURVEY.id, 20, "a second recording is ignored")
    again = await store.publish_if_due(SURVEY.id, every(5))
    assert again.disclosure_recorded and again.disclosure_history is None

    await _complete(store, varied(6, 3), 100)
    second = await store.publish_if_due(SURVEY.id, every(5))
    assert second.responses == 26 and not second.disclosure_recorded
    assert second.disclosure_history == record
    expected = snapshot_of(SURVEY, first + varied(6, 3))
    assert dict(second.cells) == dict(expected.cells)
    await store.record_disclosure(SURVEY.id, 26, history_after(SURVEY, second))

    await _complete(store, varied(5, 9), 200)
    third = await store.publish_if_due(SURVEY.id, every(5))
    assert third.responses == 31
    kept = History.from_json(third.disclosure_history)  # the second one's record
    assert kept.known and third.disclosure_history != record
    # It carries both earlier publications, so the third is audited against each of them.
    assert [r.values[("R",)] for r in kept.releases] == [20, 26]


async def test_the_history_survives_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "survey.db"
    store = await SQLiteStore.open(path)
    await _complete(store, varied(10), 0)
    snapshot = await store.publish_if_due(SURVEY.id, every(5))
    await store.record_disclosure(SURVEY.id, 10, history_after(SURVEY, snapshot))
    await store.close()
    store = await SQLiteStore.open(path)
    try:
        await _complete(store, varied(5, 1), 50)
        later = await store.publish_if_due(SURVEY.id, every(5))
        assert later.responses == 15
        assert later.disclosure_history == history_after(SURVEY, snapshot)
    finally:
        await store.close()


def _scheduled(first: int, survey: Survey = SURVEY) -> Survey:
    return survey.model_copy(
        update={
            "releases": Releases(first=first, growth=2, step=first),
            "closes": datetime(2027, 1, 1, tzinfo=DEFAULT_ZONE),
        }
    )


async def test_looking_after_every_response_publishes_only_at_milestones(store: Store) -> None:
    """Staff calling /stats after every response: releases at 10 and 20 only (the old rule,
    a batch of k, released at 5, 10, 15, 20); once closed, the rest when half a step waits."""
    survey = _scheduled(10)
    seen = []
    for i, one in enumerate(varied(24)):
        await _complete(store, [one], i)
        seen.append((await publish(store, survey, OPEN)).responses)
    assert seen == [0] * 9 + [10] * 10 + [20] * 5
    assert (await publish(store, survey, CLOSED)).responses == 20  # 4 wait: not half a step
    await _complete(store, varied(6, 24), 24)
    assert (await publish(store, survey, OPEN)).responses == 20
    final = await publish(store, survey, CLOSED)
    assert final.responses == 30 and final.disclosure_history is not None


def _skewed(n: int, seed: int) -> list[dict[str, object]]:
    """Residents spread unevenly over four areas and three ages, as real ones are."""
    rng = random.Random(seed)
    places = ("park", "street", "station")
    return [
        resident(
            area=rng.choices(("north", "south", "east", "west"), (5, 3, 2, 1))[0],
            age=rng.choices(("young", "mid", "old"), (2, 4, 3))[0],
            feel=rng.choices(("safe", "unsure", "unsafe"), (6, 3, 2))[0],
            places=tuple(p for p in places if p in rng.sample(places, rng.choice((1, 2)))),
        )
        for _ in range(n)
    ]


async def test_the_schedule_keeps_the_tables_useful_however_often_staff_look() -> None:
    """300 residents, staff looking after every one: four releases (50, 100, 200, and at
    close), and the last one hides under half of the answer counts. The old rule (a release
    after every 5 responses) ended with about 90% hidden on this data."""
    base = make_survey(k=5, areas=("north", "south", "east", "west"), ages=("young", "mid", "old"))
    survey, store = _scheduled(50, base), MemoryStore()
    released = set()
    for i, one in enumerate(_skewed(300, seed=7)):
        stored = {q: list(v) if isinstance(v, tuple) else v for q, v in one.items()}
        response = Response(survey.id, survey.version, date(2026, 11, 2), "sv", stored)  # type: ignore[arg-type]
        key = i.to_bytes(4, "big")
        cells = tally_cells(survey, stored)
        assert await store.complete(
            session_key=b"s" + key, marker=b"m" + key, response=response, cells=cells
        )
        released.add((await publish(store, survey, OPEN)).responses)
    final = await publish(store, survey, CLOSED)
    assert sorted(released | {final.responses}) == [0, 50, 100, 200, 300]
    shown = disclosure(survey, final)
    counts = [q for q in shown.model.shown if q[0] in ("O", "S")]
    hidden = sum(1 for q in counts if q in shown.suppressed) / len(counts)
    assert hidden < 0.5, f"{hidden:.0%} of the answer counts hidden"
