"""The `Store` contract, run against every implementation."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from bot.survey.releases import Releases
from storage import AuditEntry, Cell, MemoryStore, PostgresStore, Response, SQLiteStore, Store
from storage.base import Due, Snapshot, every, never
from tests.analysis_key import ANALYSIS_PRIVATE, ANALYSIS_PUBLIC

DAY = date(2025, 5, 12)
SURVEY = "halmstad-2025"


@pytest.fixture(params=["memory", "sqlite", "postgres"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    opened: Store
    # Batch 1: items are released at once (the batch itself is tested below).
    if request.param == "memory":
        opened = MemoryStore(analysis_key=ANALYSIS_PUBLIC, batch=1)
    elif request.param == "sqlite":
        opened = await SQLiteStore.open(
            tmp_path / "survey.db", analysis_key=ANALYSIS_PUBLIC, batch=1
        )
    else:
        opened = await PostgresStore.open(
            request.getfixturevalue("postgres_dsn"), analysis_key=ANALYSIS_PUBLIC, batch=1
        )
    yield opened
    await opened.close()


def key(n: int) -> bytes:
    return n.to_bytes(32, "big")


def marker(n: int) -> bytes:
    return (1_000_000 + n).to_bytes(32, "big")


def response(
    n: int = 0, *, day: date = DAY, texts: dict[str, str] | None = None, survey: str = SURVEY
) -> Response:
    return Response(
        survey_id=survey,
        survey_version="v1",
        day=day,
        language="sv",
        answers={"safe_day": "very", "places": ["park", "station"], "age": 30 + n, "skip": None},
        free_texts=texts or {},
    )


CELLS = [Cell("safe_day", "very"), Cell("places", "park"), Cell("safe_day", "very", "area", "a")]


async def complete(
    store: Store,
    n: int,
    cells: Sequence[Cell] = CELLS,
    *,
    day: date = DAY,
    texts: dict[str, str] | None = None,
    survey: str = SURVEY,
) -> bool:
    return await store.complete(
        session_key=key(n),
        marker=marker(n),
        response=response(n, day=day, texts=texts, survey=survey),
        cells=cells,
    )


async def test_session_round_trip_and_replace(store: Store) -> None:
    assert await store.load_session(key(1)) is None
    await store.save_session(key(1), SURVEY, '{"step": 1}', DAY)
    await store.save_session(key(1), SURVEY, '{"step": 2}', DAY)
    await store.save_session(key(2), "other", '{"step": 9}', DAY)
    assert await store.load_session(key(1)) == '{"step": 2}'
    assert await store.count_sessions(SURVEY) == 1
    assert await store.count_sessions("other") == 1


async def test_delete_session_also_when_missing(store: Store) -> None:
    await store.save_session(key(1), SURVEY, "{}", DAY)
    await store.delete_session(key(1))
    await store.delete_session(key(1))
    assert await store.load_session(key(1)) is None
    assert await store.count_sessions(SURVEY) == 0


async def test_purge_sessions_idle_before_a_day(store: Store) -> None:
    await store.save_session(key(1), SURVEY, "{}", date(2025, 5, 1))
    await store.save_session(key(2), SURVEY, "{}", date(2025, 5, 2))
    await store.save_session(key(3), SURVEY, "{}", date(2025, 5, 3))
    assert await store.purge_sessions(date(2025, 5, 3)) == 2
    assert await store.load_session(key(3)) == "{}"
    assert await store.load_session(key(1)) is None
    assert await store.purge_sessions(date(2025, 5, 3)) == 0


async def test_complete_writes_everything_at_once(store: Store) -> None:
    await store.save_session(key(1), SURVEY, '{"step": 7}', DAY)
    assert not await store.is_completed(marker(1))
    texts = {"why": "Dålig belysning vid stationen"}
    assert await complete(store, 1, texts=texts)
    assert await store.is_completed(marker(1))
    assert await store.load_session(key(1)) is None
    assert await store.count_responses(SURVEY) == 1
    [stored] = await store.responses(SURVEY, ANALYSIS_PRIVATE)
    assert stored == response(1)  # free texts are not part of the stored response
    assert stored.free_texts == {}
    assert await store.free_texts(SURVEY) == [("why", "Dålig belysning vid stationen")]
    assert await store.tallies(SURVEY) == {cell: 1 for cell in CELLS}


async def test_second_complete_with_same_marker_changes_nothing(store: Store) -> None:
    assert await complete(store, 1, texts={"why": "first"})
    before = (await store.tallies(SURVEY), await store.responses(SURVEY, ANALYSIS_PRIVATE))
    await store.save_session(key(1), SURVEY, "{}", DAY)
    again = Response(SURVEY, "v1", DAY, "en", {"safe_day": "not"}, {"why": "second"})
    assert not await store.complete(
        session_key=key(1), marker=marker(1), response=again, cells=[Cell("safe_day", "not")]
    )
    assert (await store.tallies(SURVEY), await store.responses(SURVEY, ANALYSIS_PRIVATE)) == before
    assert await store.free_texts(SURVEY) == [("why", "first")]
    assert await store.count_responses(SURVEY) == 1
    assert await store.load_session(key(1)) is None  # the session is still cleaned up


async def test_answers_come_back_as_json_data(store: Store) -> None:
    answers = {"places": ("park", "station"), "age": 41, "skip": None, "safe": "ja, så klart"}
    stored = Response(SURVEY, "v1", DAY, "sv", answers)  # type: ignore[arg-type]  # a tuple
    assert await store.complete(session_key=key(1), marker=marker(1), response=stored, cells=[])
    [back] = await store.responses(SURVEY, ANALYSIS_PRIVATE)
    assert back.answers == {**answers, "places": ["park", "station"]}
    back.answers["places"].append("x")  # type: ignore[union-attr]
    assert (await store.responses(SURVEY, ANALYSIS_PRIVATE))[0].answers["places"] == [
        "park",
        "station",
    ]


async def test_unstorable_answers_write_nothing(store: Store) -> None:
    bad = Response(SURVEY, "v1", DAY, "sv", {"q": {1, 2}})  # type: ignore[dict-item]
    with pytest.raises(TypeError):
        await store.complete(session_key=key(1), marker=marker(1), response=bad, cells=CELLS)
    assert not await store.is_completed(marker(1))
    assert await store.tallies(SURVEY) == {}


async def test_invalid_cell_writes_nothing(store: Store) -> None:
    await store.save_session(key(1), SURVEY, "{}", DAY)
    with pytest.raises(ValueError, match="question and a choice"):
        await complete(store, 1, [Cell("safe_day", "very"), Cell("", "x")])
    assert not await store.is_completed(marker(1))
    assert await store.load_session(key(1)) == "{}"
    assert await store.responses(SURVEY, ANALYSIS_PRIVATE) == []
    assert await store.tallies(SURVEY) == {}


async def test_tallies_are_the_sum_of_cells(store: Store) -> None:
    for n in range(6):
        cells = [Cell("safe_day", "very" if n % 2 else "not"), Cell("age", "*")]
        assert await complete(store, n, cells + ([Cell("age", "*")] if n == 0 else []))
    assert await store.tallies(SURVEY) == {
        Cell("safe_day", "very"): 3,
        Cell("safe_day", "not"): 3,
        Cell("age", "*"): 7,
    }
    assert await store.tallies("other") == {}


async def test_surveys_are_kept_apart(store: Store) -> None:
    assert await complete(store, 1, survey="a")
    assert await complete(store, 2, survey="b", texts={"why": "b"})
    assert await store.count_responses("a") == 1
    assert [r.survey_id for r in await store.responses("b", ANALYSIS_PRIVATE)] == ["b"]
    assert await store.free_texts("a") == []


async def look(store: Store, due: Due) -> Snapshot:
    """What a staff look does at store level (as `bot.stats.publication.publish`): publish if
    due, then record the publication's disclosure history if it has none yet."""
    snapshot = await store.publish_if_due(SURVEY, due)
    if snapshot.responses and not snapshot.disclosure_recorded:
        await store.record_disclosure(SURVEY, snapshot.responses, f"history {snapshot.responses}")
    return snapshot


async def test_publish_if_due_advances_in_batches(store: Store) -> None:
    empty = await look(store, every(3))
    assert (empty.responses, empty.waiting, dict(empty.cells)) == (0, 0, {})
    assert empty.first_day is None and empty.last_day is None
    seen = [0]
    for n in range(10):
        assert await complete(store, n, [Cell("q", "a")], day=date(2025, 5, 1 + n))
        snapshot = await look(store, every(3))
        assert snapshot.responses + snapshot.waiting == n + 1
        assert dict(snapshot.cells) == (
            {Cell("q", "a"): snapshot.responses} if snapshot.responses else {}
        )
        seen.append(snapshot.responses)
    assert seen == [0, 0, 0, 3, 3, 3, 6, 6, 6, 9, 9]
    for before, after in itertools.pairwise(seen):
        assert after == before or after - before >= 3
    last = await look(store, every(3))
    assert (last.first_day, last.last_day) == (date(2025, 5, 1), date(2025, 5, 9))
    assert last.waiting == 1
    with pytest.raises(ValueError):
        await store.publish_if_due(SURVEY, lambda published: published)


async def test_looking_after_every_response_publishes_only_at_milestones(store: Store) -> None:
    """Staff who call /stats after every response get no publication before the schedule's
    next milestone (5, 10, 20 here): the old rule published every `k` (5, 10, 15)."""
    schedule = Releases(first=5, growth=2, step=5)
    seen = []
    for n in range(19):
        assert await complete(store, n, [Cell("q", "a")])
        snapshot = await look(store, lambda p: schedule.due_after(p, 3))
        assert dict(snapshot.cells) == ({Cell("q", "a"): snapshot.responses} if n >= 4 else {})
        seen.append(snapshot.responses)
    assert seen == [0] * 4 + [5] * 5 + [10] * 10
    assert (await store.publish_if_due(SURVEY, never)).responses == 10
    assert await complete(store, 19, [Cell("q", "a")])
    assert (await store.publish_if_due(SURVEY, never)).responses == 10  # never only reads


async def test_no_cut_before_the_current_publications_history_is_recorded(store: Store) -> None:
    """Two publishers (two staff at once, a tool beside the bot, a replica), or a crash between
    cutting a publication and recording its history: the next cut waits for that history, so
    every publication is audited against every earlier one."""
    for n in range(5):
        assert await complete(store, n, [Cell("q", "a")])
    first = await store.publish_if_due(SURVEY, every(5))
    assert (first.responses, first.disclosure_recorded) == (5, False)
    for n in range(5, 10):
        assert await complete(store, n, [Cell("q", "a")])
    held = await store.publish_if_due(SURVEY, every(5))
    assert (held.responses, held.waiting, held.disclosure_recorded) == (5, 5, False)
    await store.record_disclosure(SURVEY, 5, "history 5")
    cut = await store.publish_if_due(SURVEY, every(5))
    assert (cut.responses, cut.disclosure_history) == (10, "history 5")


async def test_a_due_release_is_cut_once_however_many_look_at_once(store: Store) -> None:
    for n in range(7):
        assert await complete(store, n, [Cell("q", "a")])
    cuts: list[int] = []

    def due(published: int) -> int:
        cuts.append(published)
        return published + 5

    looks = await asyncio.gather(*(store.publish_if_due(SURVEY, due) for _ in range(6)))
    assert {s.responses for s in looks} == {7}
    assert cuts.count(0) == 1  # one look cut the batch; every other one saw it cut


async def test_responses_returns_all(store: Store) -> None:
    for n in range(25):
        assert await complete(store, n)
    stored = await store.responses(SURVEY, ANALYSIS_PRIVATE)
    assert sorted(r.answers["age"] for r in stored) == list(range(30, 55))  # type: ignore[type-var]


async def test_audit_log_newest_first(store: Store) -> None:
    entries = [AuditEntry(f"2025-05-12 10:0{i}", "staff", 42 + i, f"/stats {i}") for i in range(5)]
    for entry in entries:
        await store.record_audit(entry)
    assert await store.audit_log() == entries[::-1]
    assert await store.audit_log(limit=2) == [entries[4], entries[3]]


async def test_concurrent_residents_do_not_interleave(store: Store) -> None:
    async def resident(n: int) -> bool:
        await store.save_session(key(n), SURVEY, f'{{"n": {n}}}', DAY)
        assert await store.load_session(key(n)) == f'{{"n": {n}}}'
        return await complete(store, n, [Cell("q", "a")])

    assert all(await asyncio.gather(*(resident(n) for n in range(40))))
    assert await store.count_responses(SURVEY) == 40
    assert await store.tallies(SURVEY) == {Cell("q", "a"): 40}
    assert await store.count_sessions(SURVEY) == 0


async def open_kind(
    kind: str, request: pytest.FixtureRequest, tmp_path: Path, **options: Any
) -> Store:
    """A store of this kind with `options` (analysis_key, batch), apart from the fixture's."""
    if kind == "memory":
        return MemoryStore(**options)
    if kind == "sqlite":
        return await SQLiteStore.open(tmp_path / "kind.db", **options)
    return await PostgresStore.open(request.getfixturevalue("postgres_dsn"), **options)


@pytest.mark.parametrize("kind", ["memory", "sqlite", "postgres"])
async def test_free_texts_are_released_in_whole_batches(
    kind: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    opened = await open_kind(kind, request, tmp_path, analysis_key=ANALYSIS_PUBLIC, batch=3)
    try:
        seen = []
        for n in range(7):
            await complete(opened, n, texts={"why": f"text {n}"})
            seen.append(len(await opened.free_texts(SURVEY)))
        assert seen == [0, 0, 3, 3, 3, 6, 6]
        assert sorted(t for _, t in await opened.free_texts(SURVEY))[:1] == ["text 0"]
        # Pending responses are kept (sealed) and count at once; only their release waits.
        assert len(await opened.responses(SURVEY, ANALYSIS_PRIVATE)) == 7
        assert await opened.count_responses(SURVEY) == 7
    finally:
        await opened.close()


@pytest.mark.parametrize("kind", ["memory", "sqlite", "postgres"])
async def test_without_an_analysis_key_only_counters_are_kept(
    kind: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    store = await open_kind(kind, request, tmp_path, batch=1)
    try:
        await complete(store, 1, texts={"why": "mörkt"})
        assert await store.count_responses(SURVEY) == 1
        assert await store.tallies(SURVEY) != {}
        assert await store.responses(SURVEY, ANALYSIS_PRIVATE) == []
        assert await store.free_texts(SURVEY) == [("why", "mörkt")]
    finally:
        await store.close()
