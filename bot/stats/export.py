"""CSV exports: the published tallies (through `bot.stats.tables`, so suppressed counts stay "<k"),
and, only on explicit request, the scrubbed free-text answers with no other columns.

What must hold: the tallies export holds exactly what the tables publish (every choice
question, overall and split by each breakdown question, with a `*` row for how many answered
in each; number questions have no tally and are left out): no count
below k that a table hides; the free-text export holds only (question id, text), sorted, so its
order says nothing about when an answer came; no cell can start a spreadsheet formula (residents
wrote the free texts; a leading = + - @ is defused with an apostrophe), and no cell holds a
control, bidi or invisible format character (`bot.privacy.pseudonyms.plain_text`).
"""

from __future__ import annotations

import csv
import io

from bot.privacy.pseudonyms import plain_text
from bot.stats.tables import PublishedCount, Table, available_tables, overall_table, split_table
from bot.survey.model import Survey
from bot.survey.questions import NumberQuestion
from storage.base import ANSWERED, Snapshot

TALLY_COLUMNS = (
    "survey_id",
    "survey_version",
    "question_id",
    "question",
    "by_question_id",
    "by_choice_id",
    "by_choice",
    "choice_id",
    "choice",
    "count",
    "percent",
)
FREE_TEXT_COLUMNS = ("question_id", "text")
_ANSWERED = {"sv": "Svar (antal som svarade)", "en": "Answered (number who answered)"}


def tallies_csv(survey: Survey, snapshot: Snapshot, language: str) -> str:
    """Every question's published tally, overall and split by each breakdown question."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(TALLY_COLUMNS)
    for question_id, by in available_tables(survey):
        if isinstance(survey.question(question_id), NumberQuestion):
            continue  # nothing but how many answered: not a tally
        if by is None:
            table = overall_table(survey, snapshot, question_id, language)
        else:
            table = split_table(survey, snapshot, question_id, by, language)
        writer.writerows([_safe(cell) for cell in row] for row in _rows(survey, table))
    return out.getvalue()


def _rows(survey: Survey, table: Table) -> list[list[str]]:
    head = [survey.id, survey.version, table.question_id, table.title]
    answered = _ANSWERED.get(table.language, _ANSWERED["en"])
    rows: list[list[str]] = []
    if table.column_ids is None or table.column_labels is None:
        for r, (choice_id, label) in enumerate(zip(table.row_ids, table.row_labels, strict=True)):
            count, share = table.row_totals[r], table.row_percent(r)
            rows.append([*head, "", "", "", choice_id, label, _count(count), _pct(share)])
        rows.append([*head, "", "", "", ANSWERED, answered, _count(table.total), ""])
        return rows
    by = table.by_question_id or ""
    groups = zip(table.column_ids, table.column_labels, table.column_totals, strict=True)
    for g, (group_id, group, size) in enumerate(groups):
        for r, (choice_id, label) in enumerate(zip(table.row_ids, table.row_labels, strict=True)):
            count, share = table.cells[r][g], table.percent(r, g)
            rows.append([*head, by, group_id, group, choice_id, label, _count(count), _pct(share)])
        rows.append([*head, by, group_id, group, ANSWERED, answered, _count(size), ""])
    return rows


def _count(count: PublishedCount) -> str:
    return str(count)


def _pct(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}"


def _safe(cell: str) -> str:
    """Defuse a cell a spreadsheet would run as a formula, or show reversed or hidden text
    (control and bidi characters a store written before scrubbing removed them may hold)."""
    cell = plain_text(cell)
    return f"'{cell}" if cell[:1] in ("=", "+", "-", "@", "\t", "\r") else cell


def free_texts_csv(texts: list[tuple[str, str]]) -> str:
    """The scrubbed free texts: only question id and text, sorted (never storage order)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(FREE_TEXT_COLUMNS)
    for question_id, text in sorted(texts):
        writer.writerow((_safe(question_id), _safe(text)))
    return out.getvalue()
