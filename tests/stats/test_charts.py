"""`bot.stats.charts`: PNG charts that show only what a table publishes, in its language."""

from __future__ import annotations

import functools
import random
import re
import struct
from dataclasses import replace

import pytest
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from matplotlib.text import Text

from benchmarks.answers import random_answers, shipped_survey
from bot.stats import tables as stats
from bot.stats.charts import chart_figure, chart_png
from bot.stats.tables import Suppressed, Table
from bot.survey.model import Survey
from storage.base import Snapshot
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


def test_hidden_cells_say_hidden_and_show_no_number() -> None:
    table = stats.split_table(SURVEY, SNAPSHOT, "places", "area", "en")
    # South: 7 chose the street; as if hidden (the grid draws what the table gives).
    hidden = Suppressed(5)
    cells = (table.cells[0], (table.cells[1][0], hidden, table.cells[1][2]), table.cells[2])
    texts = _texts(replace(table, cells=cells))
    assert texts.count("hidden") == 1
    assert "39%" not in texts and "7" not in texts  # 7 of 18 in the south
    assert not [t for t in texts if t.startswith("<")]
    legend = "hidden: fewer than 5 answers, or hidden so that a small number cannot be worked out."
    assert legend in " ".join(t.replace("\n", " ") for t in texts)


def test_an_overall_chart_hides_small_counts() -> None:
    residents = varied(10, places=("park",)) + varied(2, 10, places=("station",))
    table = stats.overall_table(SURVEY, snapshot_of(SURVEY, residents), "places", "en")
    texts = _texts(table)
    # 2 at the station: hidden (several choices allowed: 12 - 10 does not give them away).
    assert texts.count("hidden") == 1
    assert "83% (10)" in texts and "0% (0)" in texts
    assert not [t for t in texts if "(2)" in t or "17%" in t]
    assert any("Number who answered: 12" in t for t in texts)


def test_words_follow_the_language() -> None:
    swedish = " ".join(_texts(stats.overall_table(SURVEY, SNAPSHOT, "places", "sv")))
    english = " ".join(_texts(stats.overall_table(SURVEY, SNAPSHOT, "places", "en")))
    assert "Andel av dem som svarade" in swedish and "park sv" in swedish
    assert "Share of those who answered" in english and "park en" in english
    split = " ".join(_texts(stats.split_table(SURVEY, SNAPSHOT, "places", "area", "sv")))
    assert "Alla" in split and "park sv" in split and "Flera val" in split
    assert "Svaren uppdelade efter frågan ”Where do you live? (sv)”" in split


def test_a_number_question_chart_says_how_many_answered() -> None:
    residents = [answers(visits=3)] * 6
    table = stats.overall_table(SURVEY, snapshot_of(SURVEY, residents), "visits", "en")
    assert chart_png(table).startswith(PNG)
    assert any("Number who answered: 6" in t for t in _texts(table))


# --- issue 11 item 14: the kind of chart, words kept whole, titles as sentences --------------


def _bars_of(figure: Figure) -> list[Rectangle]:
    """The filled bars drawn (not the hatched stubs, not the background)."""
    return [
        p
        for axes in figure.axes
        for p in axes.patches
        if isinstance(p, Rectangle) and to_rgba(p.get_facecolor())[3] > 0 and p.get_width() > 0
    ]


@functools.cache
def _shipped() -> tuple[Survey, Snapshot]:
    survey = shipped_survey()
    rng = random.Random(3)
    responses = [random_answers(survey, rng) for _ in range(400)]
    return survey, snapshot_of(survey, responses)


def test_a_scale_is_a_diverging_bar_with_answers_outside_the_scale_beside_it() -> None:
    survey, snapshot = _shipped()
    table = stats.split_table(survey, snapshot, "safe_evening_area", "age", "en")
    figure = chart_figure(table, survey)
    scale, outside = figure.axes
    bars = [p for p in scale.patches if isinstance(p, Rectangle)]
    # The favourable steps (very safe, fairly safe) left of zero, the others right of it.
    assert bars and min(p.get_x() for p in bars) < 0 < max(p.get_x() + p.get_width() for p in bars)
    drawn = [(round(p.get_x(), 6), round(p.get_width(), 6)) for p in bars]
    groups = len(table.column_ids or ()) + 1
    assert len(drawn) == 4 * groups  # four steps per bar; nothing hidden at 400 responses
    first_bar = sorted(drawn[:4])
    assert first_bar[1][0] + first_bar[1][1] == pytest.approx(0)  # "fairly safe" ends at 0
    # "I don't go out late", "Don't know": outside the scale, in the panel beside it.
    assert len([p for p in outside.patches if isinstance(p, Rectangle)]) == 3 * groups
    texts = [t.get_text() for t in figure.findobj(Text)]
    assert "Answers split by the question “How old are you?”" in texts
    assert not [t for t in texts if t.startswith(("by ", "per ", "— "))]
    assert "n = " in " ".join(texts) and "Outside the scale" in texts


def test_without_steps_every_choice_of_a_scale_is_a_step() -> None:
    figure = chart_figure(stats.overall_table(SURVEY, SNAPSHOT, "feel", "sv"))
    assert len(figure.axes) == 1  # no panel for answers outside the scale
    (bar_axes,) = figure.axes
    bars = [p for p in bar_axes.patches if isinstance(p, Rectangle)]
    safe, unsure, unsafe = sorted(bars, key=lambda p: p.get_x())
    # An odd number of steps: the middle one straddles zero.
    assert safe.get_x() + safe.get_width() == pytest.approx(unsure.get_x())
    assert unsure.get_x() == pytest.approx(-unsure.get_width() / 2)
    assert unsafe.get_x() == pytest.approx(unsure.get_width() / 2)


def test_a_choice_question_is_bars_sorted_by_share_and_labels_wrap_between_words() -> None:
    survey, snapshot = _shipped()
    table = stats.overall_table(survey, snapshot, "safer_if", "sv")
    figure = chart_figure(table, survey)
    (axes,) = figure.axes
    widths = [p.get_width() for p in _bars_of(figure)]
    assert widths == sorted(widths, reverse=True) and len(widths) >= 5
    labels = [t.get_text() for t in axes.get_yticklabels()]
    shares = {table.row_labels[r]: table.row_percent(r) for r in range(len(table.row_ids))}
    ordered = [shares[label.replace("\n", " ")] or 0 for label in labels]
    assert ordered == sorted(ordered, reverse=True)
    area = chart_figure(stats.overall_table(survey, snapshot, "area", "sv"), survey)
    names = [t.get_text() for t in area.axes[0].get_yticklabels()]
    assert "Harplinge/Steninge/\nHaverdal" in names or "Harplinge/Steninge/Haverdal" in names
    words = {w for label in table.row_labels for w in label.split()}
    for name in labels:
        assert all(w in words for w in name.split())  # every line is whole words


def test_a_breakdown_question_keeps_its_order_and_a_split_names_groups_in_full() -> None:
    survey, snapshot = _shipped()
    age = chart_figure(stats.overall_table(survey, snapshot, "age", "en"), survey)
    labels = [t.get_text() for t in age.axes[0].get_yticklabels()]
    assert labels == ["16–24", "25–44", "45–64", "65 or older", "Prefer not to say"]
    split = chart_figure(stats.split_table(survey, snapshot, "gender", "area", "en"), survey)
    texts = [t.get_text() for t in split.findobj(Text)]
    assert any(t.startswith("Harplinge/Steninge/\nHaverdal\nn = ") for t in texts)
    assert not [t for t in texts if re.fullmatch(r"\d+", t.strip())]  # no bare column numbers


def test_every_kind_renders_to_a_png_in_both_languages() -> None:
    survey, snapshot = _shipped()
    for question, by, language in (
        ("safe_home", None, "sv"),
        ("safe_centre", "gender", "en"),
        ("area", None, "en"),
        ("unsafe_places", "age", "sv"),
    ):
        if by is None:
            table = stats.overall_table(survey, snapshot, question, language)
        else:
            table = stats.split_table(survey, snapshot, question, by, language)
        png = chart_png(table, survey)
        assert png.startswith(PNG) and _size(png)[0] == 1080


def test_a_scale_bar_stops_at_a_hidden_share_and_says_so() -> None:
    """Segments are placed from the middle outwards; one hidden share leaves what lies
    beyond it undrawn (its place is unknown) and reads "hidden"."""
    table = stats.overall_table(SURVEY, SNAPSHOT, "feel", "en")
    hidden = replace(table, row_totals=(*table.row_totals[:2], Suppressed(5)))
    figure = chart_figure(hidden)
    bars = [p for p in figure.axes[0].patches if isinstance(p, Rectangle)]
    assert len(bars) == 2  # "safe" and the middle step; not "unsafe"
    texts = [t.get_text() for t in figure.findobj(Text)]
    assert texts.count("hidden") == 1 and "18" not in texts  # unsafe: 9 of 51, 18%
