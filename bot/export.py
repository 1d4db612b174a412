"""CSV exports: the published tallies (through `bot.stats`, so suppressed cells stay "<k"),
and, only on explicit request, the scrubbed free-text answers with no other columns.

What must hold: no column in the tallies export carries an unsuppressed count below k; the
free-text export holds only (question id, text), sorted, so its order says nothing about when
an answer came.
"""

from __future__ import annotations

import csv
import io

from bot.stats import StatsError, Table, available_tables, overall_table, split_table
from bot.survey import Survey
from storage.base import Snapshot

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


def tallies_csv(survey: Survey, snapshot: Snapshot, language: str) -> str:
    """Every question's published tally, overall and split by each breakdown question."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(TALLY_COLUMNS)
    for question_id, by in available_tables(survey):
        try:
            table = (
                overall_table(survey, snapshot, question_id, language)
                if by is None
                else split_table(survey, snapshot, question_id, by, language)
            )
        except StatsError:
            continue
        for row in _rows(survey, table):
            writer.writerow(row)
    return out.getvalue()


def _rows(survey: Survey, table: Table) -> list[list[str]]:
    rows: list[list[str]] = []
    head = [survey.id, survey.version, table.question_id, table.title]
    for r, (choice_id, label) in enumerate(zip(table.row_ids, table.row_labels, strict=True)):
        if table.column_ids is None or table.column_labels is None:
            share = table.row_percent(r)
            rows.append(
                [*head, "", "", "", choice_id, label, str(table.row_totals[r]), _pct(share)]
            )
            continue
        for g, (group_id, group) in enumerate(
            zip(table.column_ids, table.column_labels, strict=True)
        ):
            share = table.percent(r, g)
            by = table.by_question_id or ""
            cell = str(table.cells[r][g])
            rows.append([*head, by, group_id, group, choice_id, label, cell, _pct(share)])
    return rows


def _pct(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}"


def free_texts_csv(texts: list[tuple[str, str]]) -> str:
    """The scrubbed free texts: only question id and text, sorted (never storage order)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(("question_id", "text"))
    for question_id, text in sorted(texts):
        writer.writerow((question_id, text))
    return out.getvalue()
