"""`bot.stats.counters` and `bot.stats.model`: the counters one response adds, and the relations
`bot.stats.tables` relies on."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.stats.counters import tally_cells
from bot.stats.model import NO_ANSWER, tally_model
from bot.survey.model import Survey
from bot.survey.sources import OTHER, SOURCE
from storage.base import ANSWERED, Cell
from tests.stats import answers, make_survey, snapshot_of
from tests.stats.test_disclosure import Config, scenarios, world

SURVEY = make_survey(follow_up=True)


def test_a_response_counts_each_answer_overall_and_per_breakdown_group() -> None:
    cells = tally_cells(
        SURVEY, answers(area="south", age="old", feel="unsafe", places=("park", "station"))
    )
    assert Cell("feel", "unsafe") in cells and Cell("feel", ANSWERED) in cells
    assert Cell("feel", "unsafe", "area", "south") in cells
    assert Cell("feel", ANSWERED, "age", "old") in cells
    assert Cell("places", "park", "age", "old") in cells
    assert Cell("places", "station", "area", "south") in cells
    # Breakdown questions are split by each other, never by themselves.
    assert Cell("area", "south", "age", "old") in cells
    assert Cell("age", "old", "area", "south") in cells
    assert not [c for c in cells if c.question == c.by_question]
    assert len(cells) == len(set(cells))


def test_free_text_skips_and_numbers() -> None:
    cells = tally_cells(SURVEY, answers(feel=None, visits=12, note="I saw my neighbour at 3 am"))
    assert not [c for c in cells if c.question in ("feel", "note")]
    visits = sorted(c for c in cells if c.question == "visits")
    assert visits == sorted(
        [
            Cell("visits", ANSWERED),
            Cell("visits", ANSWERED, "area", "north"),
            Cell("visits", ANSWERED, "age", "young"),
        ]
    )
    assert not [c for c in cells if "12" in (c.choice, c.by_choice)]


def test_a_skipped_breakdown_question_splits_nothing() -> None:
    cells = tally_cells(SURVEY, answers(area=None))
    assert not [c for c in cells if "area" in (c.question, c.by_question)]
    assert Cell("feel", "safe", "age", "young") in cells


def test_multi_choices_count_once_each() -> None:
    cells = tally_cells(SURVEY, answers(places=("park", "park", "street")))
    assert cells.count(Cell("places", "park")) == 1
    assert cells.count(Cell("places", ANSWERED)) == 1


@pytest.mark.parametrize(
    "bad",
    [
        {"nope": "x"},
        {"feel": "terrified"},
        {"feel": ["safe"]},
        {"places": "park"},
        {"places": ("park", "moon")},
        {"visits": "12"},
        {"visits": True},
    ],
)
def test_an_answer_that_does_not_fit_is_a_bug(bad: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        tally_cells(SURVEY, bad)


@settings(max_examples=60, deadline=None)
@given(scenarios(), st.data())
def test_the_model_relations_hold_for_true_counts(
    scenario: tuple[Config, list[int]], data: st.DataObject
) -> None:
    survey, space, _ = world(scenario[0])
    residents = [space.profiles[i] for i in scenario[1]]
    model = tally_model(survey, snapshot_of(survey, residents))
    for relation in model.relations:
        plus = sum(model.values[q] for q in relation.plus)
        minus = sum(model.values[q] for q in relation.minus)
        assert plus == minus, relation
    for group in model.groups:
        assert all(model.values[m] <= model.values[group.total] for m in group.members)
    for quantity in model.structural_zeros:
        assert model.values[quantity] == 0, quantity  # everyone answered as the survey says
    assert all(v >= 0 for q, v in model.values.items() if q[0] != "X")
    # Shown counts are the true counts.
    question = data.draw(st.sampled_from(["feel", "places", "area"]))
    by = "age"
    for choice in {c for r in residents for c in _as_tuple(r.get(question))}:
        truth = sum(1 for r in residents if choice in _as_tuple(r.get(question)))
        assert model.values["O", question, choice] == truth
        for age in ("young", "old"):
            truth = sum(
                1 for r in residents if choice in _as_tuple(r.get(question)) and r["age"] == age
            )
            assert model.values[model.split(question, choice, by, age)] == truth
        skipped = sum(
            1 for r in residents if choice in _as_tuple(r.get(question)) and r["age"] is None
        )
        assert model.values[model.split(question, choice, by, NO_ANSWER)] == skipped


def _as_tuple(value: object) -> tuple[str, ...]:
    if value is None:
        return ()
    return tuple(str(v) for v in value) if isinstance(value, tuple) else (str(value),)


def test_breakdown_by_breakdown_counts_have_one_name() -> None:
    model = tally_model(SURVEY, snapshot_of(SURVEY, [answers(area="east", age="old")] * 3))
    name = model.split("area", "east", "age", "old")
    assert name == model.split("age", "old", "area", "east")
    assert model.values[name] == 3


def test_the_source_is_tallied_and_split_by_like_any_breakdown() -> None:
    data = SURVEY.model_dump(mode="json")
    data["sources"] = [{"id": "poster", "label": {"sv": "Affisch", "en": "Poster"}}]
    survey = Survey.model_validate(data)
    residents = [
        {**answers(area="north"), SOURCE: "poster"},
        {**answers(area="south"), SOURCE: OTHER},
        {**answers(area="north", age="old"), SOURCE: OTHER},
    ]
    cells = [c for r in residents for c in tally_cells(survey, r)]
    assert cells.count(Cell(SOURCE, ANSWERED)) == 3
    assert cells.count(Cell(SOURCE, OTHER)) == 2
    assert cells.count(Cell(SOURCE, "poster", "area", "north")) == 1
    assert cells.count(Cell("area", "north", SOURCE, OTHER)) == 1
    assert cells.count(Cell("feel", "safe", SOURCE, "poster")) == 1
    model = tally_model(survey, snapshot_of(survey, residents))
    for relation in model.relations:
        plus = sum(model.values[q] for q in relation.plus)
        assert plus == sum(model.values[q] for q in relation.minus), relation
    assert [q for q in model.structural_zeros if model.values[q]] == []
    assert model.values["O", SOURCE, OTHER] == 2
    assert model.values[model.split("area", "north", SOURCE, OTHER)] == 1
    with pytest.raises(ValueError, match="not one of its choices"):
        tally_cells(survey, {**answers(), SOURCE: "nonsense"})
    with pytest.raises(ValueError, match="does not have"):
        tally_cells(SURVEY, {**answers(), SOURCE: OTHER})
