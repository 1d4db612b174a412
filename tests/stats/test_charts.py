"""`bot.stats.charts`: PNG charts that show only what a table publishes, in its language."""

from __future__ import annotations

import re
import struct
import time

from matplotlib.text import Text

from bot.stats import tables as stats
from bot.stats.charts import chart_figure, chart_png
from bot.stats.tables import Table
from tests.stats import answers, make_survey, snapshot_of, varied
from tests.stats.test_stats_text import RESIDENTS

PNG = b"\x89PNG\r\n\x1a\n"
SURVEY = make_survey(k=5)
SNAPSHOT = snapshot_of(SURVEY, RESIDENTS)


def _texts(table: Table) -> list[str]:
    figure = chart_figure(table)
    return [t.get_text() for t in figure.findobj(Text) if t.get_text()]


def _size(png: bytes) -> tuple[int, int]:
    width, height = struct.unpack(">II", png[16:24])
    return width, height


def test_an_overall_chart_is_a_png_for_a_phone() -> None:
    png = chart_png(stats.overall_table(SURVEY, SNAPSHOT, "feel", "sv"))
    assert png.startswith(PNG)
    width, height = _size(png)
    assert width == 1080 and 400 < height < 3000


def test_a_split_chart_is_a_png_too() -> None:
    png = chart_png(stats.split_table(SURVEY, SNAPSHOT, "feel", "area", "en"))
    assert png.startswith(PNG) and _size(png)[0] == 1080


def test_hidden_cells_show_less_than_k_and_no_number() -> None:
    table = stats.split_table(SURVEY, SNAPSHOT, "feel", "area", "en")
    texts = _texts(table)
    assert texts.count("<5") == 4  # south and east: unsure and unsafe
    # The hidden counts (7 and 3 in the south, 5 and 6 in the east) appear nowhere, nor
    # their shares of the group.
    cells = [t for t in texts if re.fullmatch(r"\(?\d+%?\)?", t)]
    assert not {"(3)", "(7)", "(5)", "(6)", "17%", "39%", "45%", "55%"} & set(cells)
    assert "44%" in cells  # 8 of the 18 in the south feel safe


def test_an_overall_chart_hides_small_counts() -> None:
    residents = varied(10, feel="safe") + varied(2, feel="unsafe")
    table = stats.overall_table(SURVEY, snapshot_of(SURVEY, residents), "feel", "en")
    texts = _texts(table)
    # 2 unsafe: hidden, and the 10 safe with them (12 - 10 - 0 would give the 2 away).
    assert texts.count("<5") == 2
    assert "0% (0)" in texts
    assert not [t for t in texts if "(2)" in t or "(10)" in t or "17%" in t or "83%" in t]
    assert any(t.startswith("Answered: 12") for t in texts)


def test_words_follow_the_language() -> None:
    swedish = " ".join(_texts(stats.overall_table(SURVEY, SNAPSHOT, "feel", "sv")))
    english = " ".join(_texts(stats.overall_table(SURVEY, SNAPSHOT, "feel", "en")))
    assert "Andel av dem som svarade" in swedish and "safe sv" in swedish
    assert "Share of those who answered" in english and "safe en" in english
    split = " ".join(_texts(stats.split_table(SURVEY, SNAPSHOT, "places", "age", "sv")))
    assert "Alla" in split and "1 = park sv" in split and "Flera val" in split


def test_a_number_question_chart_says_how_many_answered() -> None:
    residents = [answers(visits=3)] * 6
    table = stats.overall_table(SURVEY, snapshot_of(SURVEY, residents), "visits", "en")
    assert chart_png(table).startswith(PNG)
    assert any("Answered: 6" in t for t in _texts(table))


def test_charts_are_quick() -> None:
    table = stats.split_table(SURVEY, SNAPSHOT, "places", "area", "sv")
    chart_png(table)
    started = time.perf_counter()
    chart_png(table)
    assert time.perf_counter() - started < 2.0
