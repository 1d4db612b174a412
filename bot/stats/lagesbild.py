"""The lägesbild's figures: indicators now and in earlier rounds, and how they changed.

An indicator's value now is computed from the PUBLISHED overall tables (`bot.stats.tables`), so
it never shows more than /stats does: if a count it needs is hidden, the indicator is hidden.
Earlier rounds come from `bot.stats.rounds`. A share carries Wilson's interval and a change
between rounds Newcombe's (`bot.stats.intervals`); an index carries none (its spread needs the
individual answers, which staff never see).

What must hold: one function computes each figure, and the report, `stats --json` and the CSV
all call it, so a document and a spreadsheet never disagree.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bot.stats.intervals import Interval, newcombe, wilson
from bot.stats.rounds import Round
from bot.stats.tables import Table
from bot.survey.indicators import IndexIndicator, ShareIndicator
from bot.survey.model import Survey

#: Counts by choice id (None where the published table hides it) and the number who answered.
Counts = tuple[Mapping[str, int | None], int]


@dataclass(frozen=True)
class Figure:
    """One indicator in one round: a share (0..1) with its count and base, or an index value."""

    round: str
    value: float
    count: int | None = None
    base: int | None = None
    interval: Interval | None = None


@dataclass(frozen=True)
class Change:
    """The difference now minus an earlier round (share points as 0..1), with its interval."""

    since: str
    difference: float
    interval: Interval | None


@dataclass(frozen=True)
class IndicatorResult:
    id: str
    kind: str
    label: str
    #: This round's figure; None when a count it needs is hidden (or nobody answered).
    now: Figure | None
    earlier: tuple[Figure, ...]
    changes: tuple[Change, ...]


def indicators(
    survey: Survey,
    tables: Mapping[str, Table],
    rounds: Sequence[Round],
    language: str,
    now_label: str,
) -> list[IndicatorResult]:
    """Every indicator of the survey, from the published overall tables and earlier rounds."""
    results: list[IndicatorResult] = []
    published = {q: counts for q, t in tables.items() if (counts := table_counts(t)) is not None}
    for indicator in survey.indicators:
        label = indicator.label.get(language) or indicator.label[survey.default_language]
        now = _figure(indicator, published, now_label)
        earlier = tuple(
            f
            for r in rounds
            if (
                f := _figure(
                    indicator, {q: (x.counts, x.n) for q, x in r.questions.items()}, r.label
                )
            )
        )
        changes = tuple(_change(now, before) for before in earlier if now is not None)
        results.append(IndicatorResult(indicator.id, indicator.kind, label, now, earlier, changes))
    return results


def table_counts(table: Table) -> Counts | None:
    """An overall table's counts by choice (None where hidden) and its total (None if hidden).

    An indicator may use only shown counts: a sum that included a hidden count would reveal it
    (the sum minus the shown ones), so a figure needing one is hidden itself (`_figure`)."""
    if not isinstance(table.total, int):
        return None
    counts = {
        choice_id: count if isinstance(count, int) else None
        for choice_id, count in zip(table.row_ids, table.row_totals, strict=True)
    }
    return counts, table.total


def _figure(
    indicator: ShareIndicator | IndexIndicator, data: Mapping[str, Counts], label: str
) -> Figure | None:
    if isinstance(indicator, ShareIndicator):
        if indicator.question not in data:
            return None
        counts, answered = data[indicator.question]
        needed = [counts.get(c, 0) for c in (*indicator.choices, *indicator.exclude)]
        if any(n is None for n in needed):
            return None  # a hidden count would be revealed by the figure
        base = answered - sum(counts.get(c, 0) or 0 for c in indicator.exclude)
        count = sum(counts.get(c, 0) or 0 for c in indicator.choices)
        if base <= 0:
            return None
        return Figure(label, count / base, count, base, wilson(count, base))
    means: list[float] = []
    for question_id in indicator.questions:
        if question_id not in data:
            return None
        counts, _ = data[question_id]
        if any(counts.get(c, 0) is None for c in indicator.scores):
            return None  # a hidden count would be revealed by the figure
        scored = sum(counts.get(c, 0) or 0 for c in indicator.scores)
        if scored == 0:
            return None
        total = sum(score * (counts.get(c, 0) or 0) for c, score in indicator.scores.items())
        means.append(total / scored)
    return Figure(label, sum(means) / len(means))


def _change(now: Figure, before: Figure) -> Change:
    interval = None
    if None not in (now.count, now.base, before.count, before.base):
        assert now.count is not None and now.base is not None
        assert before.count is not None and before.base is not None
        interval = newcombe(now.count, now.base, before.count, before.base)
    return Change(before.round, now.value - before.value, interval)
