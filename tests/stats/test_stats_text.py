"""`bot.stats.text`: tables and the headline as chat HTML, plain text and JSON."""

from __future__ import annotations

import html
import json
import re
from dataclasses import replace

from hypothesis import given
from hypothesis import strategies as st

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
from bot.stats.wrapping import wrap_words
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
        "Antal svarande: 51",
    ]


def test_a_split_is_a_grid_of_shares_with_hidden_cells_named_hidden() -> None:
    table = stats.split_table(SURVEY, SNAPSHOT, "feel", "area", "en")
    lines = table_plain(table, width=60).splitlines()
    assert lines[:2] == [
        "How safe do you feel?",
        "Answers split by the question “Where do you live?”",
    ]
    assert lines[2:7] == [
        "           n        safe en      unsure en      unsafe en",
        "north en  22            73%            27%             0%",
        "south en  18            44%         hidden         hidden",  # 3 feel unsafe: hidden
        "east en   11             0%         hidden         hidden",
        "All       51            47%            35%            18%",
    ]
    assert "hidden: fewer than 5 answers, or hidden so that a small" in lines
    assert "<5" not in "\n".join(lines)
    # Neither the 3 nor anything that gives it away (7 unsure in the south) is printed.
    assert not re.search(r"\b[37]\b", "\n".join(lines[3:7]))


def test_labels_that_do_not_fit_wrap() -> None:
    table = replace(
        stats.overall_table(SURVEY, SNAPSHOT, "feel", "en"),
        row_labels=("Goes out only in daylight, feels unsafe", "unsure", "unsafe"),
    )
    assert table_plain(table, width=40).splitlines()[1:5] == [
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
    # The same words and numbers; only where long lines wrap may differ (40 vs 80 columns).
    assert _visible(text).split() == table_plain(table).split()


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
    assert lines[2:6] == [
        "north en hidden",
        "south en hidden",
        "east en       0",
        "All           8",
    ]


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


# --- issue 11 items 13 and 15: honest labels, whole words, the terminal's width --------------


@given(st.lists(st.text(alphabet="abcåäö/-", min_size=1, max_size=15), min_size=1, max_size=12))
def test_wrapping_never_breaks_inside_a_word(words: list[str]) -> None:
    text = " ".join(words)
    for width in (1, 8, 20):
        lines = wrap_words(text, width)
        # The lines are the text in order; each break is at a space or after a "/" or "-".
        at = 0
        for n, line in enumerate(lines):
            assert text.startswith(line, at), (text, lines)
            at += len(line)
            if n < len(lines) - 1:
                if text[at] == " ":
                    at += 1
                else:
                    assert text[at - 1] in "/-", (text, lines)
            # Longer than the width only when it cannot break.
            assert len(line) <= width or not re.search(r" |[/-][^/ -]", line), (line, width)
        assert at == len(text)


def test_a_seven_choice_split_is_one_block_at_200_columns_with_whole_labels() -> None:
    seven = tuple(f"c{i}" for i in range(7))
    labels = tuple(f"Går inte ut sent: skäl nummer {i}" for i in range(7))
    table = stats.split_table(SURVEY, SNAPSHOT, "feel", "area", "sv")
    wide = replace(
        table,
        row_ids=seven,
        row_labels=labels,
        cells=table.cells[:1] * 7,
        row_totals=table.row_totals[:1] * 7,
    )
    lines = table_plain(wide, width=200).splitlines()
    heads = [line for line in lines if line.split()[:1] == ["n"]]
    assert len(heads) == 1  # one block, not two
    assert max(len(line) for line in lines) <= 200 and "…" not in "\n".join(lines)
    # Every label is there in full, in words (column heads wrap between words).
    words = " ".join(lines).split()
    assert all(w in words for label in labels for w in label.split())
    narrow = table_plain(wide, width=60).splitlines()
    assert sum(1 for line in narrow if line.split()[:1] == ["n"]) > 1  # blocks when needed


def test_a_group_hidden_to_protect_another_shows_no_size_and_no_zero_in_brackets() -> None:
    """A group of 7 hidden only to protect another count: its size reads "hidden", never
    "<5", and its cells are not "(0)"."""
    table = stats.split_table(SURVEY, SNAPSHOT, "feel", "area", "en")
    hidden = stats.Suppressed(5)
    sizes = (table.column_totals[0], table.column_totals[1], hidden)
    cells = tuple((row[0], row[1], 0) for row in table.cells)
    text = table_plain(replace(table, column_totals=sizes, cells=cells), width=80)
    east = next(line for line in text.splitlines() if line.startswith("east en"))
    assert east.split() == ["east", "en", "hidden", "0", "0", "0"]
    assert "<5" not in text and "(0)" not in text
    assert "A group whose n is hidden shows counts, not shares." in text
    assert "hidden: fewer than 5 answers, or hidden so that a small number cannot be" in text
