"""The one disclosure-control layer: every published number (chat, chart, CSV, CLI) comes from
a `Table` or `Headline` built here, on the suppression pattern of `bot.stats.disclosure`. Pure: no
I/O, no Telegram, no storage beyond its dataclasses.

What must hold (k = the survey's `min_group_size`):
- primary suppression: a count of 1..k-1 is never shown ("<k", `Suppressed`); a group of 1..k-1
  residents (a breakdown group, or everyone who answered a question) is hidden whole, its zeros
  too, since "none of the three in Getinge chose x" says something about each of them. Zeros
  elsewhere are shown: a zero in a group of k or more is about no one. Residents who skipped a
  breakdown question form a group that is never shown but is protected like one;
- complementary suppression: no hidden count can be recovered exactly by adding and subtracting
  shown ones, across all tables of a snapshot (they share one suppression pattern, so combining
  views reveals no more than one view). The sums a reader can use are the relations of
  `bot.stats.model.TallyModel`: rows, columns and totals of every table, a question's overall
  tally
  shared by its splits, breakdown-by-breakdown tables in both orientations, group sizes against
  the breakdown question's own tally, totals against the number of responses, a follow-up
  against the answer that shows it. The audit also reasons from zeros as a reader can: nobody
  chose c, so nobody in any group did; a multi answer has at least one choice. A count a reader
  knows is zero anyway is shown as 0;
- how: primary cells, then complements (the smallest non-zero cell of a line first, totals and
  zeros last), then an exact audit (a hidden count is pinned iff its unit vector lies in the row
  space of the relations restricted to hidden counts: sparse elimination modulo a prime), more
  complements near every pinned count, until none is. Not audited: bounds short of exactness
  ("between 0 and 3"), and zeros chained through questions that are not breakdowns;
- a percentage is shown only where both its count and its base are shown. For a multi question
  the base is the residents who answered it, so percentages may add up to more than 100;
- live tallies advance in batches, at the milestones of the survey's release schedule
  (`bot.survey.releases`, `Store.publish_if_due`), never because someone looks; each batch
  holds at least k responses, and each publication is audited against every earlier one
  (`bot.stats.history`), so comparing publications gives away no newcomer's answer. The
  headline names the next milestone: a number of the schedule, not of what is waiting.
  Counts outside snapshots (in progress, waiting) are shown only as "<k" (0 included: "0 -> <k"
  would tell staff that someone just answered) or rounded down to a multiple of k.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from bot.stats.disclosure import PublishedCount, Suppressed, disclosure

__all__ = [
    "AtLeast",
    "Headline",
    "PublishedCount",
    "StatsError",
    "Suppressed",
    "Table",
    "available_tables",
    "coarse",
    "headline",
    "overall_table",
    "split_table",
]
from bot.stats.model import (
    RESPONSES,
    choice_ids,
    tallied_questions,
)
from bot.survey.model import Survey
from bot.survey.questions import NumberQuestion, Question, Text, TextQuestion
from storage.base import Snapshot


@dataclass(frozen=True)
class AtLeast:
    """A count outside the published snapshot, rounded down to a multiple of k."""

    count: int

    def __str__(self) -> str:
        return f"{self.count}+"


#: A count as published: the number, or hidden.


class StatsError(ValueError):
    """A table that does not exist: unknown question, free text, not a breakdown question."""


@dataclass(frozen=True)
class Table:
    """One question's published tally, overall (one column) or split by a breakdown question.

    `cells[row][column]`; an overall table has one column, equal to `row_totals`. In a split,
    `row_totals` is the question's overall tally (including residents who skipped the breakdown
    question), `column_totals` the residents of each group who answered, `total` everyone who
    answered the question.
    """

    survey_id: str
    question_id: str
    by_question_id: str | None
    language: str
    kind: str
    title: str
    by_title: str | None
    row_ids: tuple[str, ...]
    row_labels: tuple[str, ...]
    column_ids: tuple[str, ...] | None
    column_labels: tuple[str, ...] | None
    cells: tuple[tuple[PublishedCount, ...], ...]
    row_totals: tuple[PublishedCount, ...]
    column_totals: tuple[PublishedCount, ...]
    total: PublishedCount
    min_group_size: int

    @property
    def is_split(self) -> bool:
        return self.column_ids is not None

    @property
    def adds_up(self) -> bool:
        """Whether each resident counts in exactly one row (not multi, not number)."""
        return self.kind in ("single", "scale")

    def percent(self, row: int, column: int) -> float | None:
        """The cell as a share of its column's residents, if both are shown."""
        return _percent(self.cells[row][column], self.column_totals[column])

    def row_percent(self, row: int) -> float | None:
        """The row total as a share of everyone who answered, if both are shown."""
        return _percent(self.row_totals[row], self.total)


@dataclass(frozen=True)
class Headline:
    """The state of a survey's published tallies."""

    survey_id: str
    language: str
    title: str
    #: Responses in the published snapshot.
    responses: PublishedCount
    #: Responses since, waiting for the next batch.
    waiting: PublishedCount | AtLeast
    #: Residents answering right now (sessions not yet completed or expired).
    in_progress: PublishedCount | AtLeast
    first_day: date | None
    last_day: date | None
    min_group_size: int
    #: Responses at which the next release is due (the survey's schedule, the same for
    #: everyone, whatever is waiting); None once the survey has closed.
    next_release: int | None
    #: The reminder that residents chose to answer: not a sample of the population.
    caveat: str


_CAVEAT: Text = {
    "sv": (
        "Svaren kommer från invånare som själva valt att svara. De är inget slumpmässigt urval "
        "och kan inte räknas om till hela befolkningen."
    ),
    "en": (
        "Answers come from residents who chose to take part. They are not a random sample and "
        "do not represent the whole population."
    ),
}


def _percent(count: PublishedCount, base: PublishedCount) -> float | None:
    if isinstance(count, int) and isinstance(base, int) and base > 0:
        return 100.0 * count / base
    return None


def _text(survey: Survey, text: Text, language: str) -> str:
    return text.get(language) or text.get(survey.default_language) or next(iter(text.values()))


def _language(survey: Survey, language: str) -> str:
    return language if language in survey.languages else survey.default_language


def coarse(count: int, k: int) -> PublishedCount | AtLeast:
    """A count outside the snapshot: "<k" (also for none), or rounded down to a multiple of k."""
    return Suppressed(k) if count < k else AtLeast(count - count % k)


# --- tables -------------------------------------------------------------------------------


def available_tables(survey: Survey) -> list[tuple[str, str | None]]:
    """Every (question id, breakdown question id or None) a table can be built for."""
    found: list[tuple[str, str | None]] = []
    for question in tallied_questions(survey):
        found.append((question.id, None))
        found.extend((question.id, b.id) for b in survey.breakdown_questions if b.id != question.id)
    return found


def _tallied(survey: Survey, question_id: str) -> Question:
    question = survey.question(question_id)
    if question is None:
        raise StatsError(f"the survey has no question {question_id!r}")
    if isinstance(question, TextQuestion):
        raise StatsError(f"{question_id!r} is a free-text question: free text is never tallied")
    return question


def overall_table(survey: Survey, snapshot: Snapshot, question_id: str, language: str) -> Table:
    """A question's published tally over everyone who answered it."""
    question = _tallied(survey, question_id)
    shown = disclosure(survey, snapshot)
    language = _language(survey, language)
    rows = choice_ids(question)
    counts = tuple(shown.get(("O", question.id, c)) for c in rows)
    total = shown.get(("T", question.id))
    return Table(
        survey_id=survey.id,
        question_id=question.id,
        by_question_id=None,
        language=language,
        kind=question.kind,
        title=_text(survey, question.text, language),
        by_title=None,
        row_ids=rows,
        row_labels=_labels(survey, question, language),
        column_ids=None,
        column_labels=None,
        cells=tuple((count,) for count in counts),
        row_totals=counts,
        column_totals=(total,),
        total=total,
        min_group_size=survey.min_group_size,
    )


def split_table(
    survey: Survey, snapshot: Snapshot, question_id: str, by_question_id: str, language: str
) -> Table:
    """A question's published tally split by the answers to a breakdown question."""
    question = _tallied(survey, question_id)
    by = survey.question(by_question_id)
    if by is None or by.id not in {b.id for b in survey.breakdown_questions}:
        raise StatsError(f"{by_question_id!r} is not a breakdown question")
    if by.id == question.id:
        raise StatsError("a question cannot be split by itself")
    shown = disclosure(survey, snapshot)
    model = shown.model
    language = _language(survey, language)
    rows, columns = choice_ids(question), choice_ids(by)
    q, b = question.id, by.id
    return Table(
        survey_id=survey.id,
        question_id=q,
        by_question_id=b,
        language=language,
        kind=question.kind,
        title=_text(survey, question.text, language),
        by_title=_text(survey, by.text, language),
        row_ids=rows,
        row_labels=_labels(survey, question, language),
        column_ids=columns,
        column_labels=_labels(survey, by, language),
        cells=tuple(tuple(shown.get(model.split(q, c, b, g)) for g in columns) for c in rows),
        row_totals=tuple(shown.get(("O", q, c)) for c in rows),
        column_totals=tuple(shown.get(("N", q, b, g)) for g in columns),
        total=shown.get(("T", q)),
        min_group_size=survey.min_group_size,
    )


def _labels(survey: Survey, question: Question, language: str) -> tuple[str, ...]:
    if isinstance(question, NumberQuestion | TextQuestion):
        return ()
    return tuple(_text(survey, c.label, language) for c in question.choices)


def headline(
    survey: Survey,
    snapshot: Snapshot,
    in_progress: int,
    language: str,
    now: datetime | None = None,
) -> Headline:
    """The published response count, what waits for the next batch, who is answering, and
    when the next release is due (at `now`; without it, as if the survey were still open)."""
    language = _language(survey, language)
    k = survey.min_group_size
    published = snapshot.responses > 0
    closed = now is not None and survey.closes is not None and now >= survey.closes
    return Headline(
        survey_id=survey.id,
        language=language,
        title=_text(survey, survey.title, language),
        responses=disclosure(survey, snapshot).get(RESPONSES),
        waiting=coarse(snapshot.waiting, k),
        in_progress=coarse(in_progress, k),
        first_day=snapshot.first_day if published else None,
        last_day=snapshot.last_day if published else None,
        min_group_size=k,
        next_release=None if closed else survey.releases.due_after(snapshot.responses, k),
        caveat=_text(survey, _CAVEAT, language),
    )
