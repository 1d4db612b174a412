"""`bot.stats.export` (CSV files), and the store's batching that live tallies rely on."""

from __future__ import annotations

import asyncio
import csv
import io
import tempfile
from collections import Counter
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.stats.counters import tally_cells
from bot.stats.export import CSV_ENCODING, FREE_TEXT_COLUMNS, free_texts_csv, tallies_csv
from storage import MemoryStore, Response, SQLiteStore, Store
from storage.base import Cell, StoredAnswer, every
from tests.stats import answers, make_survey, snapshot_of
from tests.stats.test_stats_text import RESIDENTS

SURVEY = make_survey(k=5)
SNAPSHOT = snapshot_of(SURVEY, RESIDENTS)


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text), delimiter=";"))


def test_the_tallies_csv_holds_every_table_as_published_one_line_per_choice() -> None:
    text = tallies_csv(SURVEY, SNAPSHOT, "en")
    rows = _rows(text)
    header = list(rows[0])
    assert header[:4] == ["question_id", "Question", "choice_id", "Answer"]
    assert header[4:7] == [
        "All: count",
        "All: share %",
        "All: hidden (1 = fewer than 5 answers, or hidden so that a small number cannot be "
        "worked out)",
    ]
    # Three columns for each group of each breakdown question, in survey order.
    groups = [h.removesuffix(": count") for h in header if h.endswith(": count")]
    assert groups == [
        "All",
        "north en (area)",
        "south en (area)",
        "east en (area)",
        "young en (age)",
        "old en (age)",
    ]
    # A line per choice of every tallied question and one for how many answered it.
    assert [(r["question_id"], r["choice_id"]) for r in rows] == [
        (q, c)
        for q, cs in (
            ("area", ("north", "south", "east")),
            ("age", ("young", "old")),
            ("feel", ("safe", "unsure", "unsafe")),
            ("places", ("park", "street", "station")),
        )
        for c in (*cs, "*")
    ]
    feel = {r["choice_id"]: r for r in rows if r["question_id"] == "feel"}
    south = {
        c: tuple(r[f"south en (area): {k}"] for k in ("count", "share %", "hidden"))
        for c, r in feel.items()
    }
    assert south == {
        "safe": ("8", "44,4", "0"),
        "unsure": ("", "", "1"),
        "unsafe": ("", "", "1"),
        "*": ("18", "", "0"),
    }
    assert [(r["Answer"], r["All: count"]) for r in feel.values()] == [
        ("safe en", "24"),
        ("unsure en", "18"),
        ("unsafe en", "9"),
        ("Number who answered", "51"),
    ]
    # A breakdown question is not split by itself: its own group columns are empty.
    area = [r for r in rows if r["question_id"] == "area"]
    assert {r["north en (area): count"] for r in area} == {""}
    assert "note" not in {r["question_id"] for r in rows}  # free text is never tallied


def test_the_tallies_csv_is_for_excel_with_swedish_settings() -> None:
    text = tallies_csv(SURVEY, SNAPSHOT, "sv")
    lines = text.split("\r\n")
    assert lines[0].startswith("fråga_id;Fråga;svar_id;Svar;Alla: antal;Alla: andel %;Alla: dold")
    widths = {len(row) for row in csv.reader(io.StringIO(text), delimiter=";")}
    assert len(widths) == 1  # every line has every column
    assert "44,4" in text and "44.4" not in text  # decimal comma
    assert CSV_ENCODING == "utf-8-sig"


def test_no_small_or_hidden_count_is_exported_as_a_number() -> None:
    residents = [answers(area="north")] * 6 + [answers(area="east", feel="unsafe")] * 2
    snapshot = snapshot_of(SURVEY, residents)
    rows = _rows(tallies_csv(SURVEY, snapshot, "sv"))
    flagged = 0
    for row in rows:
        for name, value in row.items():
            if name.endswith(": antal") and value:
                assert not 0 < int(value) < 5, (name, row)
            if ": dold" in name and value == "1":
                flagged += 1
                base = name.split(": dold")[0]
                assert row[f"{base}: antal"] == row[f"{base}: andel %"] == ""
    assert flagged > 0
    assert "<" not in tallies_csv(SURVEY, snapshot, "sv")


def test_free_texts_are_only_question_and_text_sorted_and_defused() -> None:
    texts = [("note", "zebra crossing is dark"), ("note", "=HYPERLINK(1)"), ("note", "a, b")]
    rows = list(csv.reader(io.StringIO(free_texts_csv(texts)), delimiter=";"))
    assert rows[0] == list(FREE_TEXT_COLUMNS)
    assert all(len(row) == 2 for row in rows)
    assert rows[1:] == [
        ["note", "'=HYPERLINK(1)"],
        ["note", "a, b"],
        ["note", "zebra crossing is dark"],
    ]
    assert free_texts_csv(list(reversed(texts))) == free_texts_csv(texts)


# --- the store publishes in batches ----------------------------------------------------------


async def _run_store(store: Store, plan: list[int], k: int) -> list[tuple[int, dict[Cell, int]]]:
    """Complete responses in the planned bursts, looking at the published snapshot after each."""
    survey = make_survey(k=k)
    seen: list[tuple[int, dict[Cell, int]]] = []
    completed = 0
    for burst in plan:
        for _ in range(burst):
            resident = answers(area=("north", "south", "east")[completed % 3])
            response = Response(
                survey.id, survey.version, date(2026, 11, 3), "sv", _stored(resident)
            )
            cells = tally_cells(survey, resident)
            key = completed.to_bytes(4, "big")
            assert await store.complete(
                session_key=b"s" + key, marker=b"m" + key, response=response, cells=cells
            )
            completed += 1
        snapshot = await store.publish_if_due(survey.id, every(k))
        assert snapshot.responses + snapshot.waiting == completed
        seen.append((snapshot.responses, dict(snapshot.cells)))
    await store.close()
    return seen


def _stored(answers: dict[str, object]) -> dict[str, StoredAnswer]:
    """The answers as the store keeps them (a multiple choice as a list)."""
    stored: dict[str, StoredAnswer] = {}
    for question, value in answers.items():
        if isinstance(value, tuple):
            stored[question] = [str(v) for v in value]
        elif value is None or isinstance(value, str | int):
            stored[question] = value
        else:
            raise TypeError(f"not a stored answer: {value!r}")
    return stored


@pytest.mark.parametrize("kind", ["memory", "sqlite"])
@settings(max_examples=25, deadline=None)
@given(plan=st.lists(st.integers(0, 7), min_size=1, max_size=12), k=st.integers(3, 10))
def test_two_publications_differ_by_nobody_or_at_least_k(
    kind: str, plan: list[int], k: int
) -> None:
    with tempfile.TemporaryDirectory() as folder:

        async def run() -> list[tuple[int, dict[Cell, int]]]:
            store: Store
            if kind == "memory":
                store = MemoryStore()
            else:
                store = await SQLiteStore.open(Path(folder) / "s.db", synchronous="NORMAL")
            return await _run_store(store, plan, k)

        seen = asyncio.run(run())
    previous: tuple[int, dict[Cell, int]] = (0, {})
    survey = make_survey(k=k)
    for responses, cells in seen:
        assert responses == previous[0] or responses - previous[0] >= k
        # The counters are those of exactly the first `responses` residents.
        expected: Counter[Cell] = Counter()
        for n in range(responses):
            expected.update(tally_cells(survey, answers(area=("north", "south", "east")[n % 3])))
        assert {c: v for c, v in cells.items() if v} == dict(expected)
        previous = (responses, cells)
