"""Text, chart and CSV outputs show only what the disclosure layer publishes."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from bot.stats.charts import chart_png
from bot.stats.counters import tally_cells
from bot.stats.export import free_texts_csv, tallies_csv
from bot.stats.tables import overall_table, split_table
from bot.stats.text import table_html, table_json, table_plain
from bot.survey.loader import load_survey
from storage.base import Cell, Snapshot

SMALL = Path(__file__).resolve().parents[1] / "e2e" / "small_survey.yaml"
SURVEY = load_survey(SMALL)


def _snapshot(answers: list[dict[str, object]]) -> Snapshot:
    cells: dict[Cell, int] = {}
    for given in answers:
        for cell in tally_cells(SURVEY, given):
            cells[cell] = cells.get(cell, 0) + 1
    return Snapshot(SURVEY.id, len(answers), 0, cells)


# 9 in the north (8 safe, 1 unsafe), 3 in the south (all safe): several cells below 5.
ANSWERS = (
    [{"area": "north", "safe": "safe", "years": 1}] * 8
    + [{"area": "north", "safe": "unsafe", "why": ["dark"], "years": 2}]
    + [{"area": "south", "safe": "safe", "years": 3}] * 3
)


def test_text_shows_suppressed_cells_as_less_than_k_and_never_their_count() -> None:
    table = overall_table(SURVEY, _snapshot(ANSWERS), "safe", "en")
    text = table_plain(table)
    assert "Number who answered: 12" in text
    # Unsafe (1) is hidden, and so is Safe (11): it would give Unsafe away as 12 - 11.
    assert re.search(r"Unsafe\s+hidden", text) and re.search(r"Safe\s+hidden", text)
    assert not re.search(r"\b(11|1)\b(?!\d)", text.split("\n", 2)[2])
    html_text = table_html(table)
    assert html_text.startswith("<b>How safe do you feel?</b>") and "hidden" in html_text
    assert len(html_text) <= 4096


def test_a_split_hides_the_small_group_whole() -> None:
    table = split_table(SURVEY, _snapshot(ANSWERS), "safe", "area", "sv")
    data = table_json(table)
    assert data["groups"]["south"] == "<5"
    assert all(row["cells"]["south"] == "<5" for row in data["rows"])
    assert "Söder" in table_plain(table)


def test_a_chart_is_a_png_in_the_table_language() -> None:
    for language in ("sv", "en"):
        png = chart_png(overall_table(SURVEY, _snapshot(ANSWERS), "safe", language))
        assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 5_000
    split = chart_png(split_table(SURVEY, _snapshot(ANSWERS), "safe", "area", "en"))
    assert split.startswith(b"\x89PNG")


def test_the_tallies_csv_has_no_small_published_count() -> None:
    text = tallies_csv(SURVEY, _snapshot(ANSWERS), "en")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert {r[0] for r in rows[1:]} == {"area", "safe", "why"}
    counts = [(name, cell) for row in rows[1:] for name, cell in zip(rows[0], row, strict=True)]
    for name, cell in counts:
        if name.endswith(": count") and cell:
            assert int(cell) == 0 or int(cell) >= SURVEY.min_group_size
    assert any(name.startswith("All: hidden") and cell == "1" for name, cell in counts)


def test_the_free_text_csv_has_only_question_and_text_in_sorted_order() -> None:
    text = free_texts_csv([("comment", "b"), ("comment", "a")])
    assert list(csv.reader(io.StringIO(text), delimiter=";")) == [
        ["question_id", "text"],
        ["comment", "a"],
        ["comment", "b"],
    ]
