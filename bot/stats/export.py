"""CSV exports: the published tallies (through `bot.stats.tables`, so a hidden count stays hidden),
and, only on explicit request, the scrubbed free-text answers with no other columns.

The format is for an analyst who opens the file in Excel with Swedish settings (docs/exports.md):
UTF-8 with a byte-order mark (`CSV_ENCODING`, so Excel reads å, ä, ö right), `;` between fields
(Excel's list separator where the decimal separator is a comma) and decimal commas; one header
row, in the export's language, that names every column. The tallies are one wide table, as in a
survey report's table appendix: a line per answer choice of every tallied question (and one for
how many answered it), and for "all" and each group of each breakdown question three columns:
count, share in percent, and a hidden flag (1 = hidden: the count and share are empty).

What must hold: the tallies export holds exactly what the tables publish (every choice
question, overall and split by each breakdown question; number questions have no tally and are
left out): no count that a table hides, and a hidden count is never written as a number; the
free-text export holds only (question id, text), sorted, so its order says nothing about when an
answer came; no cell can start a spreadsheet formula (residents wrote the free texts; a leading
= + - @ is defused with an apostrophe), and no cell holds a control, bidi or invisible
format character (`bot.privacy.scrub.plain_text`).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

from bot.privacy.scrub import plain_text
from bot.stats.lagesbild import IndicatorResult
from bot.stats.tables import Suppressed, Table, available_tables, overall_table, split_table
from bot.survey.model import Survey
from bot.survey.questions import NumberQuestion
from storage.base import ANSWERED, Snapshot

#: Write the files in this encoding (UTF-8 with a byte-order mark).
CSV_ENCODING = "utf-8-sig"
#: Between fields: Excel with Swedish (comma-decimal) settings splits on it when opening a file.
DELIMITER = ";"
FREE_TEXT_COLUMNS = ("question_id", "text")

_WORDS = {
    "question_id": {"sv": "fråga_id", "en": "question_id"},
    "question": {"sv": "Fråga", "en": "Question"},
    "choice_id": {"sv": "svar_id", "en": "choice_id"},
    "choice": {"sv": "Svar", "en": "Answer"},
    "all": {"sv": "Alla", "en": "All"},
    "count": {"sv": "antal", "en": "count"},
    "percent": {"sv": "andel %", "en": "share %"},
    "hidden": {"sv": "dold", "en": "hidden"},
    "hidden_first": {
        "sv": "dold (1 = färre än {k} svar, eller dolt så att ett litet tal inte kan räknas fram)",
        "en": "hidden (1 = fewer than {k} answers, or hidden so that a small number cannot be "
        "worked out)",
    },
    "answered": {"sv": "Antal svarande", "en": "Number who answered"},
}


def _w(key: str, language: str, **values: object) -> str:
    words = _WORDS[key]
    return words.get(language, words["en"]).format(**values)


def tallies_csv(survey: Survey, snapshot: Snapshot, language: str) -> str:
    """Every question's published tally, overall and split by each breakdown question, as one
    wide table (see the module docstring); write it with `CSV_ENCODING`."""
    questions: list[str] = []
    splits: dict[tuple[str, str], Table] = {}
    for question_id, by in available_tables(survey):
        if isinstance(survey.question(question_id), NumberQuestion):
            continue  # nothing but how many answered: not a tally
        if by is None:
            questions.append(question_id)
        else:
            splits[question_id, by] = split_table(survey, snapshot, question_id, by, language)
    groups = _groups(splits.values(), [b.id for b in survey.breakdown_questions])
    out = io.StringIO()
    writer = csv.writer(out, delimiter=DELIMITER, lineterminator="\r\n")
    overall = [overall_table(survey, snapshot, q, language) for q in questions]
    lang = overall[0].language if overall else language
    writer.writerow(_header(groups, lang, survey.min_group_size))
    for table in overall:
        by_group = [splits.get((table.question_id, by)) for by, _, _ in groups]
        for row in _lines(table, [(t, g) for t, (_, g, _) in zip(by_group, groups, strict=True)]):
            writer.writerow([_safe(cell) for cell in row])
    return out.getvalue()


def _groups(splits: Iterable[Table], order: list[str]) -> list[tuple[str, str, str]]:
    """(breakdown question id, group id, group label) for every group, in survey order."""
    found: dict[tuple[str, str], str] = {}
    for table in splits:
        assert table.by_question_id is not None and table.column_ids is not None
        labels = table.column_labels or table.column_ids
        for group, label in zip(table.column_ids, labels, strict=True):
            found.setdefault((table.by_question_id, group), label)
    ordered = sorted(found.items(), key=lambda item: order.index(item[0][0]))
    return [(by, group, label) for (by, group), label in ordered]


def _header(groups: Sequence[tuple[str, str, str]], lang: str, k: int) -> list[str]:
    head = [_w(key, lang) for key in ("question_id", "question", "choice_id", "choice")]
    names = [_w("all", lang), *(f"{label} ({by})" for by, _, label in groups)]
    for n, name in enumerate(names):
        hidden = _w("hidden_first", lang, k=k) if n == 0 else _w("hidden", lang)
        head += [f"{name}: {_w('count', lang)}", f"{name}: {_w('percent', lang)}"]
        head.append(f"{name}: {hidden}")
    return head


def _lines(table: Table, splits: Sequence[tuple[Table | None, str]]) -> list[list[str]]:
    """A line per choice and one for how many answered: overall, then each group's columns
    (empty where the question is the breakdown question itself)."""
    lines = []
    for r, (choice_id, label) in enumerate(zip(table.row_ids, table.row_labels, strict=True)):
        line = [table.question_id, table.title, choice_id, label]
        line += _cells(table.row_totals[r], table.row_percent(r))
        for split, group in splits:
            if split is None:
                line += ["", "", ""]
            else:
                assert split.column_ids is not None
                g = split.column_ids.index(group)
                line += _cells(split.cells[r][g], split.percent(r, g))
        lines.append(line)
    line = [table.question_id, table.title, ANSWERED, _w("answered", table.language)]
    line += _cells(table.total, None)
    for split, group in splits:
        if split is None:
            line += ["", "", ""]
        else:
            assert split.column_ids is not None
            line += _cells(split.column_totals[split.column_ids.index(group)], None)
    lines.append(line)
    return lines


def _cells(count: int | Suppressed, share: float | None) -> list[str]:
    """Count, share (decimal comma) and the hidden flag."""
    if isinstance(count, Suppressed):
        return ["", "", "1"]
    percent = "" if share is None else _number(share)
    return [str(count), percent, "0"]


def _safe(cell: str) -> str:
    """Defuse a cell a spreadsheet would run as a formula, or show reversed or hidden text
    (control and bidi characters a store written before scrubbing removed them may hold)."""
    cell = plain_text(cell)
    return f"'{cell}" if cell[:1] in ("=", "+", "-", "@", "\t", "\r") else cell


def free_texts_csv(texts: list[tuple[str, str]]) -> str:
    """The scrubbed free texts: only question id and text, sorted (never storage order); the
    same format as the tallies (`;`, written with `CSV_ENCODING`)."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=DELIMITER, lineterminator="\r\n")
    writer.writerow(FREE_TEXT_COLUMNS)
    for question_id, text in sorted(texts):
        writer.writerow((_safe(question_id), _safe(text)))
    return out.getvalue()


def indicators_csv(results: Sequence[IndicatorResult], language: str) -> str:
    """The indicators, now and in every earlier round, as the report shows them: one line per
    indicator and round (share as a percent with its interval, or an index value)."""
    sv = language == "sv"
    header = (
        ["indikator", "namn", "omgång", "värde", "antal", "bas", "låg", "hög"]
        if sv
        else [
            "indicator",
            "name",
            "round",
            "value",
            "count",
            "base",
            "interval low",
            "interval high",
        ]
    )
    out = io.StringIO()
    writer = csv.writer(out, delimiter=DELIMITER, lineterminator="\r\n")
    writer.writerow(header)
    for result in results:
        figures = [f for f in (result.now, *result.earlier) if f is not None]
        for figure in figures:
            scale = 100 if result.kind == "share" else 1
            low = high = ""
            if figure.interval is not None:
                low, high = _number(figure.interval.low * 100), _number(figure.interval.high * 100)
            writer.writerow(
                [
                    result.id,
                    _safe(result.label),
                    figure.round,
                    _number(figure.value * scale),
                    "" if figure.count is None else figure.count,
                    "" if figure.base is None else figure.base,
                    low,
                    high,
                ]
            )
    return out.getvalue()


def _number(value: float) -> str:
    """One decimal, with a decimal comma (Excel with Swedish settings)."""
    return f"{value:.1f}".replace(".", ",")
