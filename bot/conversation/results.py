"""What others in a resident's area answered, for the thank-you screen: from the last
publication only.

`area_results(survey, snapshot, area, language)` reads the published snapshot through
`bot.stats.tables.split_table` (the question and area of `Survey.results_questions`), so it
shows exactly what the disclosure layer shows staff, never a live count.

What must hold: nothing at all (None) when nothing is published, the survey has no results
view, the area is not one of its groups, or the area's group is hidden; otherwise only the
shares whose count and base are both shown.
"""

from __future__ import annotations

from bot.conversation.vocabulary import AreaResults
from bot.stats.tables import split_table
from bot.survey.model import Survey
from storage.base import Snapshot


def area_results(
    survey: Survey, snapshot: Snapshot, area: str, language: str
) -> AreaResults | None:
    """The published shares of the area's residents (see the module docstring)."""
    view = survey.results_questions
    if view is None or snapshot.responses == 0:
        return None
    question_id, area_id = view
    table = split_table(survey, snapshot, question_id, area_id, language)
    columns, labels = table.column_ids or (), table.column_labels or ()
    if area not in columns:
        return None
    column = columns.index(area)
    residents = table.column_totals[column]
    if not isinstance(residents, int) or residents == 0:
        return None
    shares = tuple(
        (label, share)
        for row, label in enumerate(table.row_labels)
        if (share := table.percent(row, column)) is not None
    )
    if not shares:
        return None
    return AreaResults(table.language, labels[column], table.title, shares, residents)
