"""`bot.stats.lagesbild`: indicators from the published tables, never revealing a hidden count."""

from __future__ import annotations

import pytest

from bot.stats import tables as stats
from bot.stats.lagesbild import indicators
from bot.stats.rounds import Round, RoundQuestion
from bot.survey.model import Survey
from tests.stats import make_survey, snapshot_of, varied

BASE = make_survey()
SURVEY = Survey.model_validate(
    {
        **BASE.model_dump(mode="json"),
        "indicators": [
            {
                "id": "unsafe",
                "kind": "share",
                "label": {"sv": "Otrygga", "en": "Unsafe"},
                "question": "feel",
                "choices": ["unsafe"],
            },
            {
                "id": "feel_index",
                "kind": "index",
                "label": {"sv": "Index", "en": "Index"},
                "questions": ["feel"],
                "scores": {"safe": 0, "unsafe": 6},
            },
        ],
    }
)


def _residents(feelings: dict[str, int]) -> list[dict[str, object]]:
    """Residents with these feelings, their other answers varied (no group answered alike)."""
    found: list[dict[str, object]] = []
    for feel, n in feelings.items():
        found += varied(n, len(found), feel=feel)
    return found


def _results(feelings: dict[str, int], rounds: list[Round] | None = None) -> dict[str, object]:
    residents = _residents(feelings)
    snapshot = snapshot_of(SURVEY, residents)
    table = stats.overall_table(SURVEY, snapshot, "feel", "en")
    found = indicators(SURVEY, {"feel": table}, rounds or [], "en", "2026")
    return {r.id: r for r in found}


def test_a_share_and_an_index_from_shown_counts() -> None:
    results = _results({"safe": 12, "unsure": 8, "unsafe": 10})
    share = results["unsafe"].now  # type: ignore[attr-defined]
    assert (share.count, share.base) == (10, 30)
    assert share.value == pytest.approx(1 / 3)
    assert 0.18 < share.interval.low < share.value < share.interval.high < 0.53
    index = results["feel_index"].now  # type: ignore[attr-defined]
    assert index.value == pytest.approx(6 * 10 / 22)  # unsure has no score: left out


@pytest.mark.parametrize(
    "feelings",
    [
        {"safe": 12, "unsure": 3, "unsafe": 10},
        {"safe": 12, "unsure": 10, "unsafe": 3},
        {"safe": 2, "unsure": 10, "unsafe": 12},
        {"safe": 20, "unsure": 0, "unsafe": 6},
    ],
)
def test_a_figure_is_shown_exactly_when_every_count_it_needs_is_shown(
    feelings: dict[str, int],
) -> None:
    residents = _residents(feelings)
    table = stats.overall_table(SURVEY, snapshot_of(SURVEY, residents), "feel", "en")
    shown = {c: isinstance(n, int) for c, n in zip(table.row_ids, table.row_totals, strict=True)}
    results = _results(feelings)
    share_needs = shown["unsafe"] and isinstance(table.total, int)
    index_needs = shown["safe"] and shown["unsafe"] and isinstance(table.total, int)
    assert (results["unsafe"].now is not None) == share_needs  # type: ignore[attr-defined]
    assert (results["feel_index"].now is not None) == index_needs  # type: ignore[attr-defined]
    if share_needs:
        assert results["unsafe"].now.count == feelings["unsafe"]  # type: ignore[attr-defined]


def test_change_since_an_earlier_round_with_newcombe() -> None:
    earlier = Round("2022", {"feel": RoundQuestion(40, {"safe": 30, "unsafe": 10})})
    results = _results({"safe": 12, "unsure": 8, "unsafe": 10}, [earlier])
    (change,) = results["unsafe"].changes  # type: ignore[attr-defined]
    assert change.since == "2022"
    assert change.difference == pytest.approx(1 / 3 - 1 / 4)
    assert change.interval.low < change.difference < change.interval.high
