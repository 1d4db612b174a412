"""`bot.stats.text`: tables and the headline as chat HTML, plain text and JSON."""

from __future__ import annotations

import html
import json
import re
from dataclasses import replace

from bot.stats import tables as stats
from bot.stats.text import (
    as_json,
    headline_html,
    headline_json,
    headline_plain,
    table_html,
    table_json,
    table_plain,
)
from tests.stats import answers, make_survey, snapshot_of

SURVEY = make_survey(k=5)
RESIDENTS = (
    [answers(area="north", feel="safe", age="young")] * 10
    + [answers(area="north", feel="safe", age="old", places=("street",))] * 6
    + [answers(area="north", feel="unsure", age="old")] * 6
    + [answers(area="south", feel="safe", age="young", places=("station",))] * 8
    + [answers(area="south", feel="unsure", age="old", places=("park", "street"))] * 7
    + [answers(area="south", feel="unsafe", age="old")] * 3
    + [answers(area="east", feel="unsafe", age="young", places=("station",))] * 6
    + [answers(area="east", feel="unsure", age="old")] * 5
)
# No group answered alike (everyone in the east young, everyone in the north chose "park"):
# such a group is hidden (`bot.stats.disclosure`), which is not what these tests are about.
SNAPSHOT = snapshot_of(SURVEY, RESIDENTS, waiting=2)


def _visible(text: str) -> str:
    """What Telegram shows of an HTML message."""
    return html.unescape(re.sub(r"<[^>]+>", "", text))


def test_an_overall_tally_has_counts_shares_and_bars_in_swedish() -> None:
    text = table_plain(stats.overall_table(SURVEY, SNAPSHOT, "feel", "sv"))
    assert text.splitlines() == [
        "How safe do you feel? (sv)",
        "safe sv      24  47% █████░░░░░",
        "unsure sv    18  35% ████░░░░░░",
        "unsafe sv     9  18% ██░░░░░░░░",
        "Totalt svarade: 51",
    ]


def test_a_split_is_a_grid_of_shares_with_hidden_cells_as_less_than_k() -> None:
    table = stats.split_table(SURVEY, SNAPSHOT, "feel", "area", "en")
    lines = table_plain(table).splitlines()
    assert lines[0] == "How safe do you feel? — by Where do you live?"
    assert lines[1:6] == [
        "             n    1    2    3",
        "north en    22  73%  27%   0%",
        "south en    18  44%   <5   <5",  # three feel unsafe: hidden, and "unsure" with them
        "east en     11   0%   <5   <5",
        "All         51  47%  35%  18%",
    ]
    assert lines[7:10] == ["1 = safe en", "2 = unsure en", "3 = unsafe en"]
    assert "<5 = hidden: fewer than 5, or hidden to protect such a number." in lines
    # Neither the 3 nor anything that gives it away (7 unsure in the south) is printed.
    assert not re.search(r"\b[37]\b", "\n".join(lines[2:6]))


def test_labels_that_do_not_fit_wrap() -> None:
    table = replace(
        stats.overall_table(SURVEY, SNAPSHOT, "feel", "en"),
        row_labels=("Goes out only in daylight, feels unsafe", "unsure", "unsafe"),
    )
    assert table_plain(table).splitlines()[1:5] == [
        "Goes out only in",
        "daylight, feels",
        "unsafe                24  47% █████░░░░░",
        "unsure                18  35% ████░░░░░░",
    ]


def test_html_is_escaped_and_reads_like_the_plain_text() -> None:
    nasty = make_survey(areas=("north", "south"))
    question = nasty.question("feel")
    assert question is not None
    table = replace(
        stats.overall_table(nasty, snapshot_of(nasty, RESIDENTS[:21]), "feel", "en"),
        title="Safe <b>&</b> sound?",
    )
    text = table_html(table)
    assert "<b>Safe &lt;b&gt;&amp;&lt;/b&gt; sound?</b>" in text
    assert "<pre>" in text and "</pre>" in text
    assert _visible(text) == table_plain(table)


def test_chat_texts_stay_within_telegrams_limit() -> None:
    table = stats.split_table(SURVEY, SNAPSHOT, "feel", "area", "sv")
    long_labels = tuple(label * 40 for label in table.row_labels * 30)
    many = replace(
        table,
        title="x" * 5000,
        row_ids=tuple(f"c{i}" for i in range(len(long_labels))),
        row_labels=long_labels,
        cells=table.cells * 30,
        row_totals=table.row_totals * 30,
    )
    text = table_html(many)
    assert len(text) <= 4096
    assert "för långt" in text


def test_a_split_of_a_number_question_lists_group_sizes() -> None:
    residents = [answers(area="north", visits=2)] * 6 + [answers(area="south", visits=1)] * 2
    table = stats.split_table(SURVEY, snapshot_of(SURVEY, residents), "visits", "area", "en")
    lines = table_plain(table).splitlines()
    # Two in the south: hidden, and the north too, or 8 - 6 would give them away.
    assert lines[1:5] == ["north en    <5", "south en    <5", "east en      0", "All          8"]


def test_the_headline_in_both_languages() -> None:
    head = stats.headline(SURVEY, SNAPSHOT, in_progress=7, language="sv")
    text = headline_plain(head)
    assert text.splitlines()[1] == "Svar: 51 (<5 väntar på nästa omgång; 5+ påbörjade)"
    assert "2026-11-02 – 2026-11-20" in text
    assert "slumpmässigt urval" in text
    english = headline_html(stats.headline(SURVEY, SNAPSHOT, in_progress=0, language="en"))
    assert english.startswith("<b>📊 Safety</b>")
    assert "Responses: 51 (&lt;5 waiting for the next batch; &lt;5 in progress)" in english
    assert "<i>Answers come from residents" in english


def test_json_is_serialisable_and_keeps_suppression() -> None:
    table = stats.split_table(SURVEY, SNAPSHOT, "feel", "area", "en")
    data = json.loads(json.dumps(table_json(table)))
    assert as_json(table) == table_json(table)
    assert data["question"] == "feel" and data["by"] == "area"
    south = {row["choice"]: row["cells"]["south"] for row in data["rows"]}
    assert south == {"safe": 8, "unsure": "<5", "unsafe": "<5"}
    assert data["rows"][0]["percents"]["south"] == 8 / 18 * 100
    assert all(
        isinstance(v, int) or v == "<5" for row in data["rows"] for v in row["cells"].values()
    )
    assert data["groups"] == {"north": 22, "south": 18, "east": 11}
    assert data["group_labels"]["east"] == "east en"
    head = json.loads(json.dumps(headline_json(stats.headline(SURVEY, SNAPSHOT, 0, "en"))))
    assert head["responses"] == 51 and head["waiting"] == "<5"
