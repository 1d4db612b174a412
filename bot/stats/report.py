"""The lägesbild report's content: every figure it shows, built from one published snapshot.

`build_report` gathers the indicators (now, earlier rounds, change), each question's overall
table and its splits by every breakdown question, the weighting (when population margins are
given) and the facts for the method page. `report_json` is the same content as JSON: the PDF,
the HTML, `stats --json` and the CSV all show figures computed by the same functions
(`bot.stats.tables`, `bot.stats.lagesbild`), so they never disagree.

What must hold: nothing here reads a response except the weighting, which needs the answers to
the weighting questions and runs only where the store can be read (the operator's machine, see
docs/privacy.md); no free text is ever included; a hidden cell stays hidden in every view.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from bot.stats.lagesbild import IndicatorResult, indicators
from bot.stats.rounds import Round
from bot.stats.tables import (
    Headline,
    StatsError,
    Table,
    available_tables,
    headline,
    overall_table,
    split_table,
)
from bot.stats.text import headline_json, table_json
from bot.stats.weighting import Raking
from bot.survey.model import Survey
from storage.base import Snapshot


@dataclass(frozen=True)
class QuestionSection:
    overall: Table
    splits: tuple[Table, ...]


@dataclass(frozen=True)
class WeightedIndicator:
    id: str
    unweighted: float
    weighted: float


@dataclass(frozen=True)
class Weighting:
    raking: Raking
    source: str
    indicators: tuple[WeightedIndicator, ...]


@dataclass(frozen=True)
class Report:
    survey: Survey
    language: str
    generated: date
    headline: Headline
    indicators: tuple[IndicatorResult, ...]
    rounds: tuple[Round, ...]
    questions: tuple[QuestionSection, ...]
    weighting: Weighting | None


def build_report(
    survey: Survey,
    snapshot: Snapshot,
    language: str,
    generated: date,
    rounds: Sequence[Round] = (),
    weighting: Weighting | None = None,
) -> Report:
    """The report's content for the published `snapshot` (see the module docstring)."""
    sections: list[QuestionSection] = []
    overall: dict[str, Table] = {}
    splits: dict[str, list[Table]] = {}
    for question_id, by in available_tables(survey):
        try:
            if by is None:
                overall[question_id] = overall_table(survey, snapshot, question_id, language)
            else:
                table = split_table(survey, snapshot, question_id, by, language)
                splits.setdefault(question_id, []).append(table)
        except StatsError:
            continue
    for question_id, table in overall.items():
        sections.append(QuestionSection(table, tuple(splits.get(question_id, ()))))
    return Report(
        survey=survey,
        language=language,
        generated=generated,
        headline=headline(survey, snapshot, 0, language),
        indicators=tuple(indicators(survey, overall, rounds, language, str(generated.year))),
        rounds=tuple(rounds),
        questions=tuple(sections),
        weighting=weighting,
    )


def report_json(report: Report) -> dict[str, Any]:
    """The report's figures as JSON-able data (documented in docs/report.md)."""
    return {
        "survey": report.survey.id,
        "version": report.survey.version,
        "language": report.language,
        "generated": report.generated.isoformat(),
        "headline": headline_json(report.headline),
        "indicators": [indicator_json(i) for i in report.indicators],
        "rounds": [{"label": r.label, "respondents": r.respondents} for r in report.rounds],
        "questions": [
            {"overall": table_json(s.overall), "splits": [table_json(t) for t in s.splits]}
            for s in report.questions
        ],
        "weighting": _weighting_json(report.weighting),
    }


def indicator_json(result: IndicatorResult) -> dict[str, Any]:
    """One indicator as JSON-able data (the same in the report, `stats --json` and the CSV)."""

    def figure(f: Any) -> dict[str, Any] | None:
        if f is None:
            return None
        interval = [f.interval.low, f.interval.high] if f.interval else None
        return {
            "round": f.round,
            "value": f.value,
            "count": f.count,
            "base": f.base,
            "interval": interval,
        }

    return {
        "id": result.id,
        "kind": result.kind,
        "label": result.label,
        "now": figure(result.now),
        "earlier": [figure(f) for f in result.earlier],
        "changes": [
            {
                "since": c.since,
                "difference": c.difference,
                "interval": [c.interval.low, c.interval.high] if c.interval else None,
            }
            for c in result.changes
        ],
    }


def _weighting_json(weighting: Weighting | None) -> dict[str, Any] | None:
    if weighting is None:
        return None
    return {
        "source": weighting.source,
        "converged": weighting.raking.converged,
        "effective_n": weighting.raking.effective_n,
        "responses": len(weighting.raking.weights),
        "unweighted_responses": weighting.raking.unweighted,
        "collapsed": list(weighting.raking.collapsed),
        "indicators": [
            {"id": w.id, "unweighted": w.unweighted, "weighted": w.weighted}
            for w in weighting.indicators
        ],
    }
